"""order search: product-name gram index (FTS5 on SQLite, GIN side table on PostgreSQL), after-sale tab index

The database-specific half of orders/search_index.py lives here: SQLite gets a contentless FTS5 table
(rowid = orders.sort_key) plus the normalised text beside it; PostgreSQL gets a side table with a text[]
of grams under GIN. Existing orders are indexed from their items. The after-sale tab count gets an index
so that the tab bar does not scan every order.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from alembic import op
from sqlalchemy.orm import Session

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE order_search USING fts5(uni, bi, content='', columnsize=0, "
            "tokenize='unicode61 remove_diacritics 0')"
        )
        op.execute(
            "CREATE TABLE order_search_text (sort_key INTEGER PRIMARY KEY, order_pk INTEGER NOT NULL, "
            "shop_id INTEGER NOT NULL, body TEXT NOT NULL)"
        )
        op.execute("CREATE UNIQUE INDEX ix_order_search_text_order_pk ON order_search_text (order_pk)")
        op.execute("CREATE INDEX ix_order_search_text_shop ON order_search_text (shop_id, sort_key)")
    else:
        op.execute(
            "CREATE TABLE order_search (order_pk BIGINT PRIMARY KEY "
            "CONSTRAINT fk_order_search_order_pk_orders REFERENCES orders (id) ON DELETE CASCADE, "
            "shop_id BIGINT NOT NULL, sort_key BIGINT NOT NULL, body TEXT NOT NULL, grams TEXT[] NOT NULL)"
        )
        op.execute("CREATE INDEX ix_order_search_grams ON order_search USING gin (grams)")
        op.execute("CREATE INDEX ix_order_search_shop_sort ON order_search (shop_id, sort_key)")
    with op.batch_alter_table("orders") as batch_op:
        batch_op.create_index("ix_orders_shop_after_sale", ["shop_id", "after_sale_status"], unique=False)

    from xiaodian.orders import search_index

    search_index.rebuild(Session(bind=bind))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_index("ix_orders_shop_after_sale")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE order_search_text")
    op.execute("DROP TABLE order_search")
