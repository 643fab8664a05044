"""QA pass 10, D20: shipping 1 of 3 items announced "订单 … 已发货。", which a packer reads as done. A parcel that
leaves items behind is announced as a partial shipment with what is left; the last parcel as shipped."""

from __future__ import annotations

import pytest

from ..conftest import NOW, csrf_of
from .test_ship_form_items import OID, SKUS, seed_partly_shipped

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _ship(client, number, items):
    return client.post(f"/shipping/orders/{OID}/ship", data={
        "csrf_token": csrf_of(client, "/shipping"), "carrier": "zhongtong", "tracking_no": number,
        "items_listed": "1", "items": items})


def test_a_parcel_that_leaves_items_is_announced_as_partial_and_the_last_one_as_shipped(ctx, shop_id, owner_client):
    seed_partly_shipped(ctx, shop_id)  # the first of three items is already gone
    page = _ship(owner_client, "73222222222222", [SKUS[1]]).text
    assert f"订单 {OID} 部分发货：本包裹 1 件商品，还有 1 件未发货，请继续打包。" in page
    assert f"订单 {OID} 已发货。" not in page
    last = _ship(owner_client, "73233333333333", [SKUS[2]]).text
    assert f"订单 {OID} 已发货。" in last and "部分发货" not in last.split('class="alert', 1)[-1].split("</div>")[0]


def test_a_forged_partial_notice_shows_nothing(owner_client):
    page = owner_client.get(f"/shipping?part_shipped={OID}:1:5&part_shipped_sig=forged").text
    assert "部分发货：本包裹" not in page


def test_the_reminder_list_marks_the_items_already_in_a_parcel(ctx, shop_id, owner_client):
    """QA pass 10, D23: a packer working from 发货提醒 packed the item that had already left."""
    from xiaodian.shipping.jobs import scan_shop

    seed_partly_shipped(ctx, shop_id)  # 商品0 gone; due in 5 h: a reminder
    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    page = owner_client.get("/shipping/reminders").text
    row = page.split(f'data-order-id="{OID}"', 1)[1].split("</tr>", 1)[0]
    assert '<div class="item-shipped"><span class="tag muted">已发货</span> <s>商品0 ×1</s></div>' in row
    assert "商品1" in row and "<s>商品1" not in row
