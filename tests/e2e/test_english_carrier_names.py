"""QA pass 5 (E6): the English order page, its timeline and the audit log name carriers in English (they said
圆通速递, the Chinese name orders, events and audit entries store); a carrier the desk does not know keeps the name
the file gave it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from xiaodian.accounts.service import Principal
from xiaodian.db import transaction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.shipping import service

from ..conftest import NOW
from ..factories import make_record

SHIPPED_HERE, IMPORTED, UNKNOWN = "6938459704022659301", "6938459704022659302", "6938459704022659303"
CLERK = Principal(None, "owner", "owner", "web")
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _seed(ctx, shop_id) -> None:
    shipped = {"status": OrderStatus.SHIPPED, "shipped_at": NOW - timedelta(hours=3)}
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(SHIPPED_HERE, ship_by=NOW + timedelta(hours=5)),
            make_record(IMPORTED, carrier="圆通速递", tracking_no="YT9541369884671", **shipped),
            make_record(UNKNOWN, carrier="小蜜蜂同城配送", tracking_no="XMF12345678", **shipped)])
        service.ship_order(session, shop_id=shop_id, principal=CLERK, now=NOW,
                           req=service.ShipRequest(SHIPPED_HERE, "yuantong", "YT1234567890123"))


def _tracking_card(page: str) -> str:
    return page.split('<ul class="tracking">', 1)[1].split("</ul>", 1)[0]


@sqlite_only
def test_the_english_order_page_and_its_timeline_name_the_carrier_in_english(ctx, shop_id, owner_client):
    _seed(ctx, shop_id)
    owner_client.get("/lang/en")
    for order_id in (SHIPPED_HERE, IMPORTED):
        page = owner_client.get(f"/orders/{order_id}").text
        assert "YTO Express" in _tracking_card(page), order_id
        assert "圆通速递" not in page, order_id
    assert "小蜜蜂同城配送" in _tracking_card(owner_client.get(f"/orders/{UNKNOWN}").text)
    owner_client.get("/lang/zh")
    assert "圆通速递" in _tracking_card(owner_client.get(f"/orders/{SHIPPED_HERE}").text)


@sqlite_only
def test_the_english_audit_log_names_the_carrier_in_english_once(ctx, shop_id, owner_client):
    _seed(ctx, shop_id)
    owner_client.get("/lang/en")
    page = owner_client.get("/audit?action=shipping.ship").text
    assert "YTO Express" in page and "圆通速递" not in page and "yuantong" not in page
    assert page.count("YTO Express") == 1  # the name and the code stored beside it are one carrier


@sqlite_only
def test_the_english_after_sale_case_page_names_the_orders_carrier_in_english(ctx, shop_id, owner_client):
    from xiaodian.aftersales import service as aftersales
    from xiaodian.aftersales.domain import CaseType

    _seed(ctx, shop_id)
    with transaction(ctx.sessions) as session:
        aftersales.open_case(session, shop_id=shop_id, aftersale_id="7200000000000000301", order_id=IMPORTED,
                             sku_order_id=None, case_type=CaseType.REFUND_SHIPPED, applied_at=NOW - timedelta(hours=1),
                             now=NOW, source="sync", principal=None, refund_fen=8990)
    owner_client.get("/lang/en")
    page = owner_client.get("/aftersales/7200000000000000301").text
    parcel = page.split('<div class="parcel"', 1)[1].split("</div>", 1)[0]
    assert "YTO Express" in parcel and "圆通速递" not in parcel
