"""Product search: an order's items are kept apart in the search index

A search of several terms matched them anywhere in the order (QA pass 10): `五常 2.5kg` also found an order of
五常大米 5kg beside 小米 2.5kg. Every term must now hold within one item (orders/search_index.py): the stored text
of an order with more than one item separates its items with a line break, and on SQLite its index entry holds
each further item's tokens under the item's slot. Orders of several items are re-indexed here (about 150,000 of a
1M-order benchmark shop, 23 s), then SQLite's index is merged into one segment; single-item orders are indexed
exactly as before and are left alone.

The downgrade re-indexes the same orders with their items on one line, as the older code wrote them.

Revision ID: 0035
Revises: 0034
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

_CHUNK = 5000


def _reindex_orders_of_several_items(apart: bool) -> None:
    from xiaodian.orders.search_index import index_orders, order_text

    bind = op.get_bind()
    session = Session(bind=bind)
    several = bind.execute(sa.text(
        "SELECT order_pk FROM order_items GROUP BY order_pk HAVING count(*) > 1 ORDER BY order_pk")).scalars().all()
    for start in range(0, len(several), _CHUNK):
        chunk = several[start:start + _CHUNK]
        items: dict[int, list[tuple[str, str | None]]] = {}
        keys: dict[int, int] = {}
        rows = bind.execute(sa.text(
            "SELECT o.id, o.sort_key, i.product_name, i.spec FROM orders o JOIN order_items i ON i.order_pk = o.id "
            "WHERE o.id IN :pks ORDER BY o.id, i.id").bindparams(sa.bindparam("pks", expanding=True)), {"pks": chunk})
        for pk, key, name, spec in rows:
            keys[pk] = key
            items.setdefault(pk, []).append((name, spec))
        index_orders(session, [(pk, keys[pk], order_text(parts) if apart else _one_line(parts))
                               for pk, parts in items.items()])
    session.flush()
    if bind.dialect.name == "sqlite":
        # Re-indexing leaves FTS5 with many small segments; merged into one, searches read as before (6 s at 1M).
        bind.exec_driver_sql("INSERT INTO order_search(order_search) VALUES ('optimize')")


def _one_line(items: list[tuple[str, str | None]]) -> str:
    """The older stored text: every item on one line."""
    return " ".join(f"{name} {spec or ''}" for name, spec in items)


def upgrade() -> None:
    _reindex_orders_of_several_items(apart=True)


def downgrade() -> None:
    _reindex_orders_of_several_items(apart=False)
