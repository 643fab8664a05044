"""A part-shipped order whose parcel says nothing of the items it holds (an export with the number only at order
level, an older import): the ship form ticks nothing and says why, and the pick list marks the order for the packer
to check (QA pass 9, #1: every item was ticked and counted again). And the pick list is printed at the capacity the
forecast was looking at (QA pass 9, #12: it always used the saved one)."""

from __future__ import annotations

from datetime import timedelta

from xiaodian.db import transaction
from xiaodian.orders.domain import ItemRecord, OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW
from ..factories import make_record

ORDER = "6938459704022656025"
SKUS = ("6938459704022656100", "6938459704022656101")


def _part_shipped(ctx, shop_id, item_tracking=None):
    items = [ItemRecord(sku_order_id=SKUS[0], product_name="五常大米 5kg", quantity=1, unit_price_fen=8990),
             ItemRecord(sku_order_id=SKUS[1], product_name="东北小米 2kg", quantity=2, unit_price_fen=2990)]
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record(
            order_id=ORDER, status=OrderStatus.PARTIALLY_SHIPPED, items=items, shipped_at=NOW - timedelta(hours=5),
            ship_by=NOW + timedelta(hours=20), carrier="中通快递", tracking_no="76331621579714",
            item_tracking=item_tracking)])


def _boxes(html: str) -> dict[str, str]:
    form = html.split('class="field items"', 1)[1].split("</fieldset>", 1)[0]
    return {sku: form.split(f'value="{sku}"', 1)[1].split(">", 1)[0] for sku in SKUS}


def test_the_ship_form_ticks_nothing_when_the_parcel_does_not_say_what_it_holds(ctx, shop_id, owner_client):
    _part_shipped(ctx, shop_id)
    page = owner_client.get(f"/shipping/orders/{ORDER}/ship").text
    assert "未记录该包裹里有哪些商品" in page and "76331621579714" in page
    assert all("checked" not in box and "disabled" not in box for box in _boxes(page).values())


def test_a_parcel_that_says_what_it_holds_leaves_the_rest_ticked_and_no_warning(ctx, shop_id, owner_client):
    _part_shipped(ctx, shop_id, item_tracking={SKUS[0]: ("76331621579714",)})
    page = owner_client.get(f"/shipping/orders/{ORDER}/ship").text
    boxes = _boxes(page)
    assert "disabled" in boxes[SKUS[0]] and "checked" in boxes[SKUS[1]] and "未记录该包裹" not in page


def test_the_pick_list_marks_the_order_and_prints_at_the_capacity_looked_at(ctx, shop_id, owner_client):
    _part_shipped(ctx, shop_id)
    pick = owner_client.get("/shipping/picklist").text
    row = pick.split(ORDER, 1)[1].split("</tr>", 1)[0]
    assert "已部分发货：请核对哪些商品已发出" in pick.split(ORDER, 1)[1].split("</td>", 1)[0] and "五常大米" in row
    forecast = owner_client.get("/shipping/forecast", params={"capacity": "8.9"}).text
    assert 'href="/shipping/picklist?capacity=8.9"' in forecast
    assert 'href="/shipping/picklist"' in owner_client.get("/shipping/forecast").text  # the saved capacity
    assert "按每小时8.9单" in owner_client.get("/shipping/picklist", params={"capacity": "8.9"}).text
    saved = owner_client.get("/shipping/picklist", params={"capacity": "abc"})  # not a capacity: the saved one
    assert saved.status_code == 200 and "按每小时8.9单" not in saved.text and "按每小时" in saved.text
