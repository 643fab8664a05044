"""An order's fate read at a given now, and the ship-by promises the demo writes as the platform's deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from xiaodian.demo.lifecycle import FAR, REVIEW_REJECTED_REASON, Fate, PostSale, live, ship_by_for
from xiaodian.orders.domain import OrderStatus

CREATED = datetime.fromisoformat("2026-11-20T20:10:00+08:00")
H = timedelta(hours=1)


def at(hours: float) -> datetime:
    return CREATED + timedelta(hours=hours)


@pytest.mark.parametrize(("promise", "paid", "expected"), [
    ("48h", "2026-11-20T23:10:00+08:00", "2026-11-22T23:10:00+08:00"),
    ("next_day", "2026-11-20T23:10:00+08:00", "2026-11-21T23:59:59+08:00"),
    ("next_day", "2026-11-20T00:05:00+08:00", "2026-11-21T23:59:59+08:00"),
    ("same_day:16", "2026-11-20T15:59:00+08:00", "2026-11-20T23:59:59+08:00"),
    ("same_day:16", "2026-11-20T16:00:00+08:00", "2026-11-21T23:59:59+08:00"),
    ("days:15", "2026-11-20T10:00:00+08:00", "2026-12-05T10:00:00+08:00"),
    ("presale:45", "2026-11-20T10:00:00+08:00", "2027-01-04T10:00:00+08:00"),
])
def test_ship_by_follows_the_products_promise_in_shop_time(promise, paid, expected):
    paid_utc = datetime.fromisoformat(paid).astimezone(UTC)
    result = ship_by_for(promise, paid_utc)
    assert result == datetime.fromisoformat(expected)
    assert result.utcoffset() == timedelta(0)


def test_unpaid_order_stays_open_for_30_minutes_then_closes_as_timeout():
    fate = Fate(pay_after=None)
    assert live(CREATED, fate, 1, at(0.4)).status is OrderStatus.UNPAID
    closed = live(CREATED, fate, 1, at(0.6))
    assert closed.status is OrderStatus.CANCELLED and closed.cancel_reason == "超时未支付"
    assert closed.cancelled_at == CREATED + timedelta(minutes=30) and closed.paid_at is None


def test_order_moves_forward_as_now_passes():
    fate = Fate(pay_after=timedelta(minutes=2), ship_after=(20 * H,), confirm_after=timedelta(days=4))
    assert live(CREATED, fate, 1, at(0.01)).status is OrderStatus.UNPAID
    assert live(CREATED, fate, 1, at(1)).status is OrderStatus.AWAITING_SHIPMENT
    shipped = live(CREATED, fate, 1, at(30))
    assert shipped.status is OrderStatus.SHIPPED and shipped.shipped_at == CREATED + timedelta(minutes=2) + 20 * H
    done = live(CREATED, fate, 1, at(24 * 6))
    assert done.status is OrderStatus.COMPLETED and done.completed_at == shipped.shipped_at + timedelta(days=4)


def test_risk_review_holds_the_order_then_releases_or_rejects_it():
    held = Fate(review=10 * H, ship_after=(12 * H,))
    assert live(CREATED, held, 1, at(5)).status is OrderStatus.PAID_PENDING
    assert live(CREATED, held, 1, at(11)).status is OrderStatus.AWAITING_SHIPMENT
    rejected = live(CREATED, Fate(review=10 * H, review_rejected=True), 1, at(11))
    assert rejected.status is OrderStatus.CANCELLED and rejected.cancel_reason == REVIEW_REJECTED_REASON


def test_refund_asked_before_shipping_blocks_the_order_until_done_then_closes_it():
    fate = Fate(refund_asked_after=H, refund_done_after=5 * H, refund_reason="买家申请退款：地址填错", ship_after=(20 * H,))
    pending = live(CREATED, fate, 2, at(3))
    assert pending.status is OrderStatus.AWAITING_SHIPMENT and pending.after_sale == "待商家处理"
    assert pending.line_after_sale == {0: "待商家处理", 1: "待商家处理"}
    closed = live(CREATED, fate, 2, at(8))
    assert closed.status is OrderStatus.CANCELLED and closed.after_sale is None
    assert closed.line_after_sale == {0: "退款成功", 1: "退款成功"}


def test_two_parcels_make_a_partial_shipment_in_between():
    fate = Fate(ship_after=(5 * H, 30 * H), packages=((0,), (1, 2)))
    partial = live(CREATED, fate, 3, at(10))
    assert partial.status is OrderStatus.PARTIALLY_SHIPPED and len(partial.shipped_packages) == 1
    full = live(CREATED, fate, 3, at(40))
    assert full.status is OrderStatus.SHIPPED and full.shipped_at == full.shipped_packages[-1][0]


def test_after_sale_is_on_the_order_only_while_open():
    fate = Fate(ship_after=(10 * H,), post_sale=PostSale("退货退款", timedelta(days=2), timedelta(days=5), "refunded"))
    open_case = live(CREATED, fate, 1, at(24 * 5))
    assert open_case.status is OrderStatus.SHIPPED and open_case.after_sale == "待买家退货"
    refunded = live(CREATED, fate, 1, at(24 * 9))
    assert refunded.status is OrderStatus.CANCELLED and refunded.after_sale is None
    assert refunded.line_after_sale == {0: "退款成功"} and refunded.cancelled_at > refunded.shipped_at


def test_never_shipping_fate_waits_forever():
    state = live(CREATED, Fate(ship_after=(FAR,)), 1, at(24 * 300))
    assert state.status is OrderStatus.AWAITING_SHIPMENT and state.shipped_at is None
