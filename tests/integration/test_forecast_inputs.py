"""What the forecast reads (SQLite and PostgreSQL): every awaiting order's deadline in whole seconds, in ship-by
order, from the database; and the ship-by of the first order to miss when it lies beyond the pick list shown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from xiaodian.db import transaction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import Order
from xiaodian.shipping import reports
from xiaodian.shipping.queries import UNSHIPPED, awaiting_deadline_keys

from ..conftest import NOW
from ..factories import make_record


def test_the_deadlines_are_whole_seconds_in_ship_by_order_as_python_reckons_them(ctx, shop_id):
    """The database turns each ship-by into epoch seconds and orders them; the answer must be Python's own: seconds
    rounded down (sub-second deadlines), ship-by order to the microsecond, ties by row id; shipped orders and
    orders without a ship-by left out."""
    base = NOW.replace(microsecond=0) + timedelta(hours=5)
    offsets = [timedelta(seconds=s, microseconds=us) for s, us in
               ((30, 900_000), (30, 100_000), (0, 0), (30, 100_000), (-86_400 * 400, 999_999), (7, 1))]
    statuses = [OrderStatus.AWAITING_SHIPMENT] * len(offsets) + [OrderStatus.SHIPPED, OrderStatus.AWAITING_SHIPMENT]
    records = [make_record(f"69384597040226{i:05d}", status=status,
                           ship_by=base + offsets[i] if i < len(offsets) else (base if i == len(offsets) else None))
               for i, status in enumerate(statuses)]
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=records, cipher=ctx.cipher, now=NOW)
    with ctx.sessions() as session:
        stored = session.execute(select(Order.ship_by, Order.id).where(
            Order.shop_id == shop_id, Order.status.in_(UNSHIPPED), Order.ship_by.is_not(None))).all()
        expected = sorted(stored)
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        assert len(expected) == len(offsets)
        assert awaiting_deadline_keys(session, shop_id) == (
            [(ship_by - epoch) // timedelta(seconds=1) for ship_by, _pk in expected], [pk for _by, pk in expected])


def test_the_earliest_miss_past_the_pick_list_is_the_same_as_when_the_list_holds_it(ctx, shop_id):
    """When the first order to miss lies beyond the pick list shown, its ship-by is read for that one order (once,
    all the orders before it were read: 1.3-2.3 s at 1M orders, 110,000 awaiting); the answer must be the one the
    list gives when it is long enough to hold that order, ties at that ship-by and sub-second deadlines included."""
    base = (NOW + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=250_000)
    ship_bys = [base + timedelta(minutes=i) for i in range(40)]
    ship_bys[31] = ship_bys[30]  # two orders due at the same moment, where the first misses fall
    records = [make_record(f"69384597040226{i:05d}", ship_by=due) for i, due in enumerate(ship_bys)]
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=records, cipher=ctx.cipher, now=NOW)
    with ctx.sessions() as session:
        whole = reports.forecast_report(session, shop_id, NOW, capacity=3, limit=500)
        first = [p["misses"] for p in whole["pick_list"]].index(True)
        assert 5 <= first < 40 and whole["earliest_miss"] == whole["pick_list"][first]["ship_by"]
        for shown in (1, 5, first, first + 1):
            assert reports.forecast_report(session, shop_id, NOW, capacity=3, limit=shown)["earliest_miss"] == \
                whole["earliest_miss"], shown
