"""The list's sort key is the second an order was placed with the low 20 bits of its row id below it, so two orders
placed in the same second whose row ids differ by a multiple of 2**20 (a desk past a million orders, or a second
shop imported over the same weeks) would get the same key: the key must still be unique, the import must not fail,
and both orders must be found and listed in their place."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, text

from xiaodian.db import transaction
from xiaodian.orders.intake import SORT_SHIFT, upsert_orders
from xiaodian.orders.models import Order
from xiaodian.orders.queries import OrderFilter, search_orders

from ..conftest import NOW
from ..factories import make_record

PLACED = NOW - timedelta(hours=3)
FIRST, FAR, LATER = "6938459704022650001", "6938459704022650002", "6938459704022650003"


def _next_id_far_ahead(session, ctx, first_pk: int) -> None:
    """Make the next order's row id first_pk + 2**20, as a desk with a million more orders would have it."""
    target = first_pk + (1 << SORT_SHIFT)
    if ctx.engine.dialect.name == "postgresql":
        session.execute(text("SELECT setval(pg_get_serial_sequence('orders', 'id'), :v)"), {"v": target - 1})
        return
    # SQLite gives max(id) + 1: a stored order (a copy of the first, placed a month earlier) with the id just below
    columns = [row[1] for row in session.execute(text("PRAGMA table_info(orders)"))]
    override = {"id": ":id", "order_id": ":oid", "sort_key": ":key"}
    session.execute(text(f"INSERT INTO orders ({', '.join(columns)}) SELECT "
                         f"{', '.join(override.get(c, c) for c in columns)} FROM orders WHERE id = :first"),
                    {"id": target - 1, "oid": FAR, "key": first_pk, "first": first_pk})


def test_two_orders_of_the_same_second_a_million_ids_apart_both_import(ctx, shop_id):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW,
                      records=[make_record(FIRST, created_at=PLACED)])
        first_pk = session.execute(select(Order.id).where(Order.order_id == FIRST)).scalar_one()
    with transaction(ctx.sessions) as session:
        _next_id_far_ahead(session, ctx, first_pk)
    with transaction(ctx.sessions) as session:
        result = upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW,
                               records=[make_record(LATER, created_at=PLACED, product="东北 菜籽油 5L")])
        assert result.created == 1 and not result.rejected
    with ctx.sessions() as session:
        rows = dict(session.execute(select(Order.order_id, Order.sort_key)).all())
        assert len(set(rows.values())) == len(rows)  # unique
        assert rows[LATER] >> SORT_SHIFT == rows[FIRST] >> SORT_SHIFT  # both keyed by the same second
        total, found = search_orders(session, shop_id, OrderFilter(query="菜籽油"), ctx.cipher)
        assert (total, [o.order_id for o in found]) == (1, [LATER])  # the text index follows the key
        total, listed = search_orders(session, shop_id, OrderFilter(), ctx.cipher)
        assert {o.order_id for o in listed} >= {FIRST, LATER}
