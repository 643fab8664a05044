"""The ship form's item boxes: a package with no box ticked ships nothing (QA #2: it shipped everything left)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from xiaodian.accounts.service import Principal
from xiaodian.db import transaction
from xiaodian.orders.domain import ItemRecord
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import Order, Shipment
from xiaodian.shipping import service

from ..conftest import NOW, csrf_of
from ..factories import make_record

OID = "6938459704022657100"
SKUS = [f"69384597040226571{k:02d}" for k in (1, 2, 3)]


def seed_partly_shipped(ctx, shop_id) -> None:
    """Three items, the first already gone in an earlier parcel."""
    items = [ItemRecord(sku_order_id=sku, product_name=f"商品{k}", quantity=1, unit_price_fen=5000)
             for k, sku in enumerate(SKUS)]
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW,
                      records=[make_record(OID, items=items, ship_by=NOW + timedelta(hours=5))])
    with transaction(ctx.sessions) as session:
        service.ship_order(session, shop_id=shop_id, principal=Principal(None, "owner", "owner", "web"), now=NOW,
                           req=service.ShipRequest(OID, "zhongtong", "73100000000001", items=[SKUS[0]]))


def shipped_state(ctx, shop_id) -> tuple[str, int]:
    with ctx.sessions() as session:
        status = session.execute(select(Order.status).where(Order.shop_id == shop_id, Order.order_id == OID)).scalar()
        return status, session.execute(select(func.count()).select_from(Shipment)).scalar_one()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_unticking_every_item_on_the_ship_form_ships_nothing_and_says_why(ctx, shop_id, owner_client):
    seed_partly_shipped(ctx, shop_id)
    client = owner_client
    csrf = csrf_of(client, "/shipping")
    page = client.post(f"/shipping/orders/{OID}/ship", follow_redirects=False, data={
        "csrf_token": csrf, "carrier": "zhongtong", "tracking_no": "73222222222222", "items_listed": "1"})
    assert shipped_state(ctx, shop_id) == ("partially_shipped", 1)
    assert page.status_code == 422 and 'data-code="items_empty"' in page.text
    assert "请勾选本包裹中的商品：未发货。" in page.text
    assert "73222222222222" in page.text  # what was typed is kept
    boxes = page.text.split('name="items" value="')[1:]
    assert [b.split('"', 1)[0] for b in boxes] == SKUS and not any(" checked" in b.split(">", 1)[0] for b in boxes)
    assert 'name="items_listed" value="1"' in client.get(f"/shipping/orders/{OID}/ship").text

    client.cookies.set("lang", "en")
    english = client.post(f"/shipping/orders/{OID}/ship", data={
        "csrf_token": csrf, "carrier": "zhongtong", "tracking_no": "73222222222222", "items_listed": "1"})
    assert "Tick the items in this package: nothing was shipped." in english.text
    assert shipped_state(ctx, shop_id) == ("partially_shipped", 1)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_ticked_items_ship_and_a_post_without_the_list_ships_everything_left(ctx, shop_id, owner_client):
    seed_partly_shipped(ctx, shop_id)
    client = owner_client
    csrf = csrf_of(client, "/shipping")
    one = client.post(f"/shipping/orders/{OID}/ship", follow_redirects=False, data={
        "csrf_token": csrf, "carrier": "zhongtong", "tracking_no": "73222222222222", "items_listed": "1",
        "items": [SKUS[1]]})
    assert one.status_code == 303 and shipped_state(ctx, shop_id) == ("partially_shipped", 2)
    rest = client.post(f"/shipping/orders/{OID}/ship", follow_redirects=False, data={
        "csrf_token": csrf, "carrier": "zhongtong", "tracking_no": "73222222222223"})
    assert rest.status_code == 303 and shipped_state(ctx, shop_id) == ("shipped", 3)
