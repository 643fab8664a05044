"""QA pass 9, #8: a paid order held by the platform's risk review (待处理 / paid_pending) for days is flagged on the
order list and its page, with what to do; one paid this morning is not."""

from __future__ import annotations

from datetime import timedelta

from xiaodian.db import transaction
from xiaodian.orders.domain import OrderStatus, review_held_days
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW
from ..factories import make_record

STUCK, FRESH = "6979515000625292870", "6979515000625292871"


def test_the_days_held_count_from_payment_once_a_day_has_passed():
    assert review_held_days("paid_pending", NOW - timedelta(hours=23), NOW) is None
    assert review_held_days("paid_pending", (NOW - timedelta(days=9, hours=5)).isoformat(), NOW) == 9
    assert review_held_days("awaiting_shipment", NOW - timedelta(days=9), NOW) is None
    assert review_held_days("paid_pending", None, NOW) is None


def test_a_stuck_review_is_flagged_on_the_list_and_the_order(ctx, shop_id, owner_client):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(STUCK, status=OrderStatus.PAID_PENDING, created_at=NOW - timedelta(days=9, hours=6),
                        paid_at=NOW - timedelta(days=9, hours=5)),
            make_record(FRESH, status=OrderStatus.PAID_PENDING, created_at=NOW - timedelta(hours=3),
                        paid_at=NOW - timedelta(hours=3))])
    listed = owner_client.get("/orders?tab=paid_pending").text
    stuck_row = listed.split(f'data-order-id="{STUCK}"', 1)[1].split("</tbody>", 1)[0]
    fresh_row = listed.split(f'data-order-id="{FRESH}"', 1)[1].split("</tbody>", 1)[0]
    assert "风控审核已 9 天：请联系平台" in stuck_row and "review-stuck" not in fresh_row
    page = owner_client.get(f"/orders/{STUCK}").text
    assert "平台风控审核已扣留这笔已付款订单 9 天" in page
    assert "review-stuck" not in owner_client.get(f"/orders/{FRESH}").text
