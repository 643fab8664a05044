"""The stored per-status counts (database triggers, migration 0009) always equal a fresh count, whatever
path changed the orders: intake, a status change, a raw SQL update or delete."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, text

from xiaodian.db import transaction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import Order, OrderStatusCount
from xiaodian.orders.queries import OrderFilter, search_orders, tab_counts

from ..conftest import NOW
from ..factories import make_record


def _fresh(session, shop_id):
    return dict(session.execute(select(Order.status, func.count()).where(Order.shop_id == shop_id)
                                .group_by(Order.status)).all())


def _stored(session, shop_id):
    return {s: n for s, n in session.execute(select(OrderStatusCount.status, OrderStatusCount.n)
                                             .where(OrderStatusCount.shop_id == shop_id)).all() if n}


def test_counts_follow_inserts_status_changes_updates_and_deletes(ctx, shop_id):
    ids = [f"69384597040226560{i:02d}" for i in range(12)]
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(order_id=oid, status=OrderStatus.UNPAID if i % 3 == 0 else OrderStatus.AWAITING_SHIPMENT)
            for i, oid in enumerate(ids)])
    with ctx.sessions() as session:
        assert _stored(session, shop_id) == _fresh(session, shop_id) == {"unpaid": 4, "awaiting_shipment": 8}
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(order_id=ids[1], status=OrderStatus.SHIPPED, shipped_at=NOW - timedelta(hours=1)),
            make_record(order_id=ids[0], status=OrderStatus.CANCELLED, paid_at=None, cancelled_at=NOW)])
    with transaction(ctx.sessions) as session:
        session.execute(text("UPDATE orders SET status = 'completed' WHERE order_id = :o"), {"o": ids[2]})
        session.execute(text("DELETE FROM orders WHERE order_id = :o"), {"o": ids[3]})
    with ctx.sessions() as session:
        stored, fresh = _stored(session, shop_id), _fresh(session, shop_id)
        assert stored == fresh
        assert fresh == {"unpaid": 2, "awaiting_shipment": 6, "shipped": 1, "cancelled": 1, "completed": 1}


def test_unfiltered_tabs_and_totals_read_the_stored_counts_and_agree_with_filtered_ones(ctx, shop_id):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(order_id=f"69384597040226561{i:02d}",
                        status=[OrderStatus.UNPAID, OrderStatus.AWAITING_SHIPMENT, OrderStatus.COMPLETED][i % 3])
            for i in range(9)])
    with ctx.sessions() as session:
        counts = tab_counts(session, shop_id, OrderFilter(), ctx.cipher)
        assert counts["all"] == 9 and counts["unpaid"] == 3 and counts["completed"] == 3
        total, _rows = search_orders(session, shop_id, OrderFilter(tab="unpaid"), ctx.cipher)
        assert total == 3
        dated = tab_counts(session, shop_id, OrderFilter(created_from=(NOW - timedelta(days=30)).date()), ctx.cipher)
        assert dated == counts
        # Skew the stored count on purpose: the unfiltered tab and total must show it (the fast path is really
        # used), the filtered count must not (it still counts the orders).
        session.execute(text("UPDATE order_status_counts SET n = n + 100 WHERE status = 'unpaid'"))
        assert tab_counts(session, shop_id, OrderFilter(), ctx.cipher)["unpaid"] == 103
        assert search_orders(session, shop_id, OrderFilter(tab="unpaid"), ctx.cipher)[0] == 103
        assert tab_counts(session, shop_id, OrderFilter(created_from=(NOW - timedelta(days=30)).date()),
                          ctx.cipher)["unpaid"] == 3
        session.rollback()


def test_in_a_marked_dry_run_the_counters_rest_on_postgresql_and_deletes_still_happen(ctx, shop_id):
    """mark_dry_run (migration 0018): inside a transaction that says it is a dry run, PostgreSQL's counting
    triggers do nothing (the transaction is rolled back anyway); SQLite counts as always. A delete inside it
    still deletes (orders_paid_count runs BEFORE DELETE and must let the row go). Once rolled back, or in any
    other transaction, the counters follow every change again."""
    from xiaodian.db import mark_dry_run
    from xiaodian.aftersales.models import ProductPaidCount

    ids = [f"69384597040226570{i:02d}" for i in range(3)]
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW,
                      records=[make_record(order_id=oid) for oid in ids])
    postgres = ctx.engine.dialect.name == "postgresql"

    def paid(session):
        return session.execute(select(func.sum(ProductPaidCount.n))).scalar_one()

    with ctx.sessions() as session:
        mark_dry_run(session)
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(order_id=ids[0], status=OrderStatus.SHIPPED, shipped_at=NOW - timedelta(hours=1)),
            make_record(order_id="6938459704022657099", status=OrderStatus.UNPAID)])
        session.execute(text("DELETE FROM orders WHERE order_id = :o"), {"o": ids[1]})
        fresh = {"awaiting_shipment": 1, "shipped": 1, "unpaid": 1}
        assert _fresh(session, shop_id) == fresh
        assert _stored(session, shop_id) == ({"awaiting_shipment": 3} if postgres else fresh)
        assert paid(session) == (3 if postgres else 2)
        session.rollback()
    with transaction(ctx.sessions) as session:
        assert _stored(session, shop_id) == _fresh(session, shop_id) == {"awaiting_shipment": 3}
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(order_id=ids[0], status=OrderStatus.SHIPPED, shipped_at=NOW - timedelta(hours=1))])
        session.execute(text("DELETE FROM orders WHERE order_id = :o"), {"o": ids[1]})
    with ctx.sessions() as session:
        assert _stored(session, shop_id) == _fresh(session, shop_id) == {"awaiting_shipment": 1, "shipped": 1}
        assert paid(session) == 2
