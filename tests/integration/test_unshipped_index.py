"""The deadline views (待发货, 24小时内需发货, 已超时) read their first page in ship-by order straight from the partial
index of unshipped orders, on both databases, without sorting the shop's unshipped orders first. 待发货 is two
statuses (备货中 and 部分发货); from an index ordered by status first, PostgreSQL sorted all of them for each page
(about 60 ms at 130,000 unshipped orders)."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from xiaodian.db import transaction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.shipping import listing, queries
from xiaodian.shipping.listing import view_page

from ..conftest import NOW
from ..factories import make_record
from ..sqlite_plans import plans_of

INDEX = "ix_orders_unshipped_by_ship_by"
STATUSES = [OrderStatus.AWAITING_SHIPMENT] * 3 + [OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED,
                                                  OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.UNPAID]


def _seed(ctx, shop_id: int, count: int) -> list:
    rng = random.Random(29)
    records = []
    for i in range(count):
        status = STATUSES[i % len(STATUSES)]
        extra = {"shipped_at": NOW - timedelta(hours=1)} if status in (OrderStatus.SHIPPED, OrderStatus.COMPLETED) \
            else {}
        if status is OrderStatus.CANCELLED:
            extra["cancelled_at"] = NOW - timedelta(hours=2)
        records.append(make_record(f"69384597049{i:08d}", status=status, created_at=NOW - timedelta(minutes=7 * i),
                                   ship_by=NOW + timedelta(minutes=rng.randrange(-900, 4000)), **extra))
    with transaction(ctx.sessions) as session:
        for start in range(0, count, 500):
            upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=records[start:start + 500])
    return records


def _expected(records: list, view: str) -> list[str]:
    unshipped = [r for r in records if r.status in (OrderStatus.AWAITING_SHIPMENT, OrderStatus.PARTIALLY_SHIPPED)]
    if view == "due24h":
        unshipped = [r for r in unshipped if NOW <= r.ship_by <= NOW + timedelta(hours=24)]
    elif view == "overdue":
        unshipped = [r for r in unshipped if r.ship_by < NOW]
    return [r.order_id for r in sorted(unshipped, key=lambda r: r.ship_by)]


def test_the_views_predicate_is_the_indexs_word_for_word():
    """A planner matches a partial index only when the query states its predicate; bound values would hide it."""
    for view in queries.VIEWS:
        sql = str(listing._PAGE[view, "ship_by"].compile(compile_kwargs={}))
        assert queries.UNSHIPPED_PREDICATE.replace("status", "orders.status") in sql, sql


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sqlite_reads_each_views_first_page_in_order_from_the_partial_index(ctx, shop_id):
    records = _seed(ctx, shop_id, 80)
    for view in queries.VIEWS:
        def read(view=view):
            with ctx.sessions() as session:
                page = view_page(session, shop_id, view, NOW, page_size=20)
                assert [o.order_id for o in page.orders] == _expected(records, view)[:20]
                assert page.total == len(_expected(records, view))
        plans = plans_of(ctx.engine, "ORDER BY orders.ship_by", read)
        assert plans, view
        for _statement, plan in plans:
            assert f"INDEX {INDEX} " in plan and "TEMP B-TREE" not in plan, plan


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_postgresql_reads_each_views_first_page_in_order_without_a_sort(ctx, shop_id):
    records = _seed(ctx, shop_id, 1600)
    with ctx.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE orders")
    for view in queries.VIEWS:
        with ctx.sessions() as session:
            page = view_page(session, shop_id, view, NOW)
            assert [o.order_id for o in page.orders] == _expected(records, view)[:50]
            assert page.total == len(_expected(records, view))
            statement = listing._PAGE[view, "ship_by"]
            compiled = statement.compile(dialect=session.connection().dialect)
            params = queries.view_params(shop_id, NOW) | {"limit": 50, "offset": 0}
            plan = "\n".join(row[0] for row in session.connection().exec_driver_sql(
                "EXPLAIN " + str(compiled), {k: params.get(k) for k in compiled.params}))
        assert INDEX in plan and "Sort" not in plan, plan
