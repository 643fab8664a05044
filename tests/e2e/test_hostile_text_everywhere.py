"""Hostile text typed into the later pages' free-text inputs (token names, display names, a buyer's message,
an after-sale contact summary) is stored verbatim and shown escaped, never executed (issue 3)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from xiaodian.aftersales import service as aftersales
from xiaodian.aftersales.domain import CaseType
from xiaodian.db import transaction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, csrf_of
from ..factories import make_record

pytestmark = pytest.mark.both_backends

HOSTILE = [
    "<script>alert('x')</script>",
    "\"><img src=x onerror=alert(1)>",
    "'; DROP TABLE orders; --",
    "{{7*7}} ${7*7} ../../etc/passwd \u202e\u0000混合 Ελληνικά",
]
RAW_MARKERS = ("<script>alert('x')</script>", "<img src=x onerror")


def _never_raw(html: str) -> None:
    for marker in RAW_MARKERS:
        assert marker not in html


@pytest.mark.parametrize("text", HOSTILE)
def test_token_names_and_display_names_are_stored_verbatim_and_shown_escaped(owner_client, text, backend):
    if backend != "sqlite":
        pytest.skip("escaping is the same on both backends")
    csrf = {"x-csrf-token": csrf_of(owner_client)}
    name = text.replace("\u0000", "")[:100]
    created = owner_client.post("/api/v1/tokens", json={"name": name}, headers=csrf)
    assert created.status_code == 201 and created.json()["name"] == name
    _never_raw(owner_client.get("/settings/tokens").text)
    user = owner_client.post("/api/v1/users", json={"login": "clerk2", "password": "Clerk-pass-12345", "role": "cs",
                                                    "display_name": name}, headers=csrf)
    assert user.status_code == 201 and user.json()["display_name"] == name
    _never_raw(owner_client.get("/settings/users").text)
    bad_login = owner_client.post("/api/v1/users", json={"login": "a b<script>", "password": "Clerk-pass-12345",
                                                         "role": "cs"}, headers=csrf)
    assert bad_login.status_code == 422 and "login" in bad_login.json()["error"]["message"]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_buyer_message_with_hostile_text_is_answered_and_shown_escaped(owner_client, text, backend):
    if backend != "sqlite":
        pytest.skip("escaping is the same on both backends")
    message = text.replace("\u0000", "") + " 我的订单怎么还没发货？"
    answered = owner_client.post("/api/v1/inquiries", json={"message": message},
                                 headers={"x-csrf-token": csrf_of(owner_client)})
    assert answered.status_code == 200
    page = owner_client.post("/inquiries", data={"message": message, "csrf_token": csrf_of(owner_client)})
    assert page.status_code == 200
    _never_raw(page.text)


@pytest.mark.parametrize("text", HOSTILE)
def test_an_after_sale_contact_summary_is_stored_verbatim_and_shown_escaped(owner_client, ctx, shop_id, text):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record("6938459704022659001", status=OrderStatus.SHIPPED, shipped_at=NOW - timedelta(days=2))])
        aftersales.open_case(session, shop_id=shop_id, aftersale_id="7300000000000009001",
                             order_id="6938459704022659001", sku_order_id=None, case_type=CaseType.REFUND_SHIPPED,
                             applied_at=NOW - timedelta(hours=3), now=NOW, source="sync", principal=None,
                             reason=aftersales.BuyerReason("商品破损/污渍"), refund_fen=8990)
    summary = text.replace("\u0000", "")
    logged = owner_client.post("/api/v1/aftersales/7300000000000009001/contacts",
                               json={"channel": "phone", "summary": summary, "outcome": summary[:200]},
                               headers={"x-csrf-token": csrf_of(owner_client)})
    assert logged.status_code == 201, logged.text
    assert logged.json()["summary"] == summary
    _never_raw(owner_client.get("/aftersales/7300000000000009001").text)
