"""超时未发货: an order still unshipped is late by as long as it has been overdue, up to now. The stored delay is the one
measured when the deadline scan first recorded the violation, and the health page showed it frozen (251h29m) while
the home page counted 290 h (QA pass 6, #19). Once the order ships, its 延迟发货 keeps the real delay."""

from __future__ import annotations

from datetime import timedelta

from xiaodian.db import transaction
from xiaodian.orders.intake import upsert_orders
from xiaodian.shipping.jobs import scan_all_shops
from xiaodian.shipping.reports import violations_report

from ..conftest import NOW
from ..factories import make_record

LATE = "6938459704022656301"
H = timedelta(hours=1)


def _late_by(ctx, shop_id, now) -> tuple[str, int]:
    with ctx.sessions() as session:
        [v] = violations_report(session, shop_id, None, now=now)["violations"]
    return v["kind"], v["late_by_seconds"]


def test_an_unshipped_orders_delay_grows_until_it_ships(ctx, shop_id):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW,
                      records=[make_record(LATE, ship_by=NOW - 2 * H)])
    list(scan_all_shops(ctx.sessions, NOW))
    assert _late_by(ctx, shop_id, NOW) == ("overdue_unshipped", 2 * 3600)
    assert _late_by(ctx, shop_id, NOW + 10 * H) == ("overdue_unshipped", 12 * 3600)  # not frozen at the first scan
    with ctx.sessions() as session:  # without a clock (an old caller): the stored figure
        assert violations_report(session, shop_id, None)["violations"][0]["late_by_seconds"] == 2 * 3600
