"""QA pass 14, #5 and #8: an imported order's timeline tells the truth, and an older file is skipped, not rejected.

#5: an order imported already shipped read 「创建 → 已发货」 at the moment it was placed (before it was paid), and
a later export that completed it wrote 「已发货 → 已完成」 and 「已完成」 at the same instant. #8: an older export
imported after a newer one had its rows rejected as invalid_transition (exit 1), though the file was only older.
"""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from xiaodian.db import transaction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import Order, OrderEvent

from ..conftest import NOW
from ..factories import make_record

ORDER = "6938443298381737803"
PLACED = NOW - timedelta(days=9)
SHIPPED = PLACED + timedelta(hours=20)
DONE = PLACED + timedelta(days=6)


def _upsert(ctx, shop_id, record, *, source="import", at=NOW):
    with transaction(ctx.sessions) as session:
        return upsert_orders(session, shop_id=shop_id, records=[record], cipher=ctx.cipher, now=at, source=source)


def _events(ctx) -> list[tuple]:
    with ctx.sessions() as session:
        return [(e.kind, e.at, e.from_status, e.to_status, e.detail) for e in session.execute(
            select(OrderEvent).join(Order, Order.id == OrderEvent.order_pk).where(Order.order_id == ORDER)
            .order_by(OrderEvent.at, OrderEvent.id)).scalars()]


def _shipped(**fields):
    return make_record(ORDER, status=OrderStatus.SHIPPED, created_at=PLACED, shipped_at=SHIPPED, **fields)


def test_an_order_imported_shipped_is_not_created_shipped(ctx, shop_id):
    _upsert(ctx, shop_id, _shipped())
    created = _events(ctx)[0]
    assert created[:4] == ("created", PLACED, None, None)  # no status claimed at the placing time
    assert json.loads(created[4]) == {"via": "import", "first_seen_status": "shipped"}  # what the import read
    assert [e[0] for e in _events(ctx)] == ["created", "paid", "shipped"]  # the file's times, each once


def test_a_later_export_completing_it_is_one_event(ctx, shop_id):
    _upsert(ctx, shop_id, _shipped())
    _upsert(ctx, shop_id, make_record(ORDER, status=OrderStatus.COMPLETED, created_at=PLACED, shipped_at=SHIPPED,
                                      completed_at=DONE), at=NOW + timedelta(hours=1))
    at_done = [e[:4] for e in _events(ctx) if e[1] == DONE]
    assert at_done == [("status_changed", DONE, "shipped", "completed")]


def test_a_payment_and_a_shipment_are_each_one_event_too(ctx, shop_id):
    _upsert(ctx, shop_id, make_record(ORDER, status=OrderStatus.UNPAID, created_at=PLACED))
    paid = PLACED + timedelta(minutes=5)
    _upsert(ctx, shop_id, make_record(ORDER, status=OrderStatus.AWAITING_SHIPMENT, created_at=PLACED, paid_at=paid))
    _upsert(ctx, shop_id, _shipped(paid_at=paid))
    assert [e[:4] for e in _events(ctx)] == [
        ("created", PLACED, None, None), ("status_changed", paid, "unpaid", "awaiting_shipment"),
        ("status_changed", SHIPPED, "awaiting_shipment", "shipped")]


def test_a_change_the_file_gives_no_time_for_keeps_the_times_it_reveals(ctx, shop_id):
    """Shipped → completed without a completion time: dated at the import; a shipping time the desk lacked is
    still its own event (it dates nothing else)."""
    _upsert(ctx, shop_id, make_record(ORDER, status=OrderStatus.AWAITING_SHIPMENT, created_at=PLACED))
    _upsert(ctx, shop_id, make_record(ORDER, status=OrderStatus.COMPLETED, created_at=PLACED, shipped_at=SHIPPED),
            at=NOW + timedelta(hours=2))
    later = [e[:4] for e in _events(ctx) if e[0] != "created" and e[0] != "paid"]
    assert later == [("shipped", SHIPPED, None, None),
                     ("status_changed", NOW + timedelta(hours=2), "awaiting_shipment", "completed")]


def test_the_order_page_shows_one_line_per_change(ctx, shop_id, owner_client):
    _upsert(ctx, shop_id, _shipped())
    _upsert(ctx, shop_id, make_record(ORDER, status=OrderStatus.COMPLETED, created_at=PLACED, shipped_at=SHIPPED,
                                      completed_at=DONE), at=NOW + timedelta(hours=1))
    timeline = owner_client.get(f"/orders/{ORDER}").text.split('class="card timeline"', 1)[1]
    created = timeline.split('class="ev-created"', 1)[1].split("</li>", 1)[0]
    assert "→" not in created and "首次导入或同步时的状态" in created and "已发货" in created
    assert timeline.count('class="ev-status_changed"') == 1 and 'class="ev-completed"' not in timeline
    api = owner_client.get(f"/api/v1/orders/{ORDER}").json()["events"]
    assert [(e["kind"], e["to_status"]) for e in api] == [("created", None), ("paid", None), ("shipped", None),
                                                           ("status_changed", "completed")]


def test_an_older_file_is_skipped_with_a_warning_and_counted_unchanged(ctx, shop_id):
    _upsert(ctx, shop_id, _shipped())
    before = _events(ctx)
    result = _upsert(ctx, shop_id, make_record(ORDER, status=OrderStatus.AWAITING_SHIPMENT, created_at=PLACED,
                                               merchant_note="周五前发"))
    assert (result.created, result.updated, result.unchanged, result.rejected) == (0, 0, 1, [])
    assert [(w.index, w.field, w.code, w.message) for w in result.warnings] == [
        (0, "status", "older_snapshot_skipped", "the desk already has a later state (shipped); this row "
                                                "(awaiting_shipment) is older and was skipped")]
    with ctx.sessions() as session:
        order = session.execute(select(Order).where(Order.order_id == ORDER)).scalar_one()
        assert (order.status, order.merchant_note) == ("shipped", None)  # nothing taken back, nothing written
    assert _events(ctx) == before


def test_the_platform_behind_the_desk_is_still_a_rejection(ctx, shop_id):
    """A sync reads the order as the platform holds it now: behind the desk, it is a disagreement, not an old file."""
    _upsert(ctx, shop_id, _shipped())
    result = _upsert(ctx, shop_id, make_record(ORDER, status=OrderStatus.AWAITING_SHIPMENT, created_at=PLACED),
                     source="sync")
    assert [r.code for r in result.rejected] == ["invalid_transition"] and not result.warnings
    assert result.unchanged == 0


def test_a_created_event_written_before_the_fix_shows_no_status_on_the_page(ctx, shop_id, owner_client):
    """Desks imported earlier hold created events with the status the import found: the page no longer shows it."""
    _upsert(ctx, shop_id, _shipped())
    with transaction(ctx.sessions) as session:
        session.execute(OrderEvent.__table__.update().where(OrderEvent.kind == "created")
                        .values(to_status="shipped", detail=json.dumps({"via": "import"})))
    timeline = owner_client.get(f"/orders/{ORDER}").text.split('class="card timeline"', 1)[1]
    created = timeline.split('class="ev-created"', 1)[1].split("</li>", 1)[0]
    assert "已发货" not in created and "下单" in created
