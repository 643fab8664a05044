"""店铺体验's daily on-time rate (SQLite and PostgreSQL): per shop day (Asia/Shanghai) of the ship-by, the orders due
that day whose ship-by has passed, and those of them fully shipped no later than it. Compared with the rule
reckoned here order by order, over the edges: shop midnight, the window's first day, now, a shipment in the same
second as the deadline, cancelled and still unshipped orders."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from xiaodian.clock import SHOP_TZ
from xiaodian.db import transaction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.shipping.queries import daily_on_time

from ..conftest import NOW
from ..factories import make_record

UNSHIPPED = {OrderStatus.AWAITING_SHIPMENT, OrderStatus.PARTIALLY_SHIPPED}
COUNTED = UNSHIPPED | {OrderStatus.SHIPPED, OrderStatus.COMPLETED}


def _deadlines(rng: random.Random) -> list[datetime]:
    """Ship-bys around every edge of a 30-day window ending now, and some anywhere near it."""
    first = datetime.combine(NOW.astimezone(SHOP_TZ).date() - timedelta(days=29), time(0), tzinfo=SHOP_TZ)
    edges = [first, first - timedelta(microseconds=1), NOW, NOW + timedelta(microseconds=1), NOW - timedelta(days=31)]
    for day in range(0, 31, 3):
        midnight = first + timedelta(days=day)
        edges += [midnight, midnight - timedelta(seconds=1), midnight - timedelta(microseconds=100),
                  midnight + timedelta(microseconds=500_000)]
    anywhere = [first + timedelta(seconds=rng.randrange(-3 * 86400, 32 * 86400), microseconds=rng.randrange(10**6))
                for _ in range(120)]
    return edges + anywhere


def test_each_days_rate_is_the_rule_applied_order_by_order(ctx, shop_id):
    rng = random.Random(20261128)
    records, expected = [], {}
    for i, ship_by in enumerate(_deadlines(rng)):
        status = rng.choice([OrderStatus.AWAITING_SHIPMENT, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED,
                             OrderStatus.SHIPPED, OrderStatus.COMPLETED, OrderStatus.CANCELLED])
        shipped_at = None
        if status in (OrderStatus.SHIPPED, OrderStatus.COMPLETED, OrderStatus.PARTIALLY_SHIPPED):
            shipped_at = ship_by + rng.choice([timedelta(0), timedelta(microseconds=1), -timedelta(microseconds=1),
                                               timedelta(hours=rng.randrange(-40, 40))])
        extra = ({"carrier": "中通快递", "tracking_no": f"7310000000{i:04d}", "shipped_at": shipped_at}
                 if shipped_at else {})
        records.append(make_record(f"69384597040229{i:05d}", status=status, ship_by=ship_by,
                                   created_at=ship_by - timedelta(days=2), **extra))
        day = ship_by.astimezone(SHOP_TZ).date()
        if status in COUNTED and ship_by < NOW:  # passed: at the ship_by instant it may still ship on time
            due, on_time = expected.get(day, (0, 0))
            expected[day] = (due + 1, on_time + (status not in UNSHIPPED and shipped_at is not None
                                                 and shipped_at <= ship_by))
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=records, cipher=ctx.cipher, now=NOW)
    with ctx.sessions() as session:
        days = daily_on_time(session, shop_id, NOW, 30)
    window = [NOW.astimezone(SHOP_TZ).date() - timedelta(days=29 - i) for i in range(30)]
    assert [d.day for d in days] == window
    assert [(d.due, d.on_time) for d in days] == [expected.get(day, (0, 0)) for day in window]
    assert sum(d.due for d in days) > 60 and sum(d.on_time for d in days) > 10  # the data does reach every branch
