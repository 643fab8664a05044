"""QA pass 9, #15: after-sale cases past their deadline, still the merchant's move, get their own tab and a red home
card (the platform may already be deciding for the buyer); the card is not shown as work to the warehouse."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from xiaodian.aftersales import service
from xiaodian.aftersales.domain import CaseType
from xiaodian.db import transaction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, login
from ..factories import make_record


def _cases(ctx, shop_id):
    """Two shipped orders with a case each: one applied 60 h ago (past its 48 h), one 40 h ago (8 h left)."""
    with transaction(ctx.sessions) as session:
        for n, hours in ((1, 60), (2, 40)):
            order_id = f"693845970402265602{n}"
            upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record(
                order_id=order_id, status=OrderStatus.SHIPPED, shipped_at=NOW - timedelta(days=4))])
            service.open_case(session, shop_id=shop_id, aftersale_id=f"720000000000000000{n}", order_id=order_id,
                              sku_order_id=None, case_type=CaseType.REFUND_SHIPPED,
                              applied_at=NOW - timedelta(hours=hours), now=NOW - timedelta(hours=hours),
                              source="sync", principal=None, refund_fen=8990)


def test_an_overdue_case_has_its_tab_its_count_and_a_red_home_card(ctx, shop_id, owner_client, app, users):
    _cases(ctx, shop_id)
    body = owner_client.get("/api/v1/aftersales", params={"tab": "overdue"}).json()
    assert [c["aftersale_id"] for c in body["cases"]] == ["7200000000000000001"]
    assert (body["counts"]["overdue"], body["counts"]["due_soon"], body["counts"]["todo"]) == (1, 1, 2)
    listed = owner_client.get("/aftersales?tab=overdue").text
    assert "7200000000000000001" in listed and "7200000000000000002" not in listed
    home = owner_client.get("/").text
    card = home.split('href="/aftersales?tab=overdue"', 1)[1].split("</a>", 1)[0]
    assert "售后已超时" in card and ">1<" in card.replace(" ", "")
    assert "urgent" in home.split('href="/aftersales?tab=overdue"', 1)[0].rsplit("<a", 1)[1]
    with TestClient(app) as client:
        login(client, "warehouse")
        assert 'href="/aftersales?tab=overdue"' not in client.get("/").text
