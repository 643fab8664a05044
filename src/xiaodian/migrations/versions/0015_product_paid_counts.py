"""product_paid_counts: SKU orders paid per shop, product and day (UTC+8), kept by triggers, for the 品退率 page

The quality-return rate divides by the SKU orders of each product paid in the window. Counting them from the
orders on every request read 93,000 orders and their items at 1M orders (60-120 ms of the page's 200 ms,
benchmarks/RESULTS-aftersales.md). The database keeps the count per (shop, day, product) itself, like
order_status_counts (0009), so every path that adds, pays, moves or deletes an order or an item is counted —
import, sync, a manual fix in SQL — without the order intake knowing about it.

What is counted is exactly the rate's denominator: an order item whose order has a paid_at, under the order's
shop_id, on the order's paid day. A day is the calendar day at UTC+8 (Asia/Shanghai has had no daylight saving
since 1991); the reader sums whole days and counts the two partial days at the window's edges directly. A NULL
product_id is kept as '' (a primary key column cannot be NULL). Rows that fall to 0 stay; readers skip them.

On an order's delete, the order's BEFORE DELETE trigger takes its items off; the items then deleted by the
foreign key's cascade find no order any more and change nothing (tested on both backends).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# SQLite's date functions round to the millisecond (23:59:59.9999995 would be the next day): the text as
# UTCDateTime writes it (26 characters, UTC) is cut to whole seconds first; other shapes are left to SQLite.
_SQLITE_DAY = "date(CASE WHEN length({t}) = 26 THEN substr({t}, 1, 19) ELSE {t} END, '+8 hours')"
_PG_DAY = "(({t}) AT TIME ZONE 'UTC' + interval '8 hours')::date"
_UPSERT = " ON CONFLICT (shop_id, day, product_id) DO UPDATE SET n = product_paid_counts.n + excluded.n"


def _sqlite_item(row: str, sign: str) -> str:
    """The item ``row`` (NEW/OLD) counted under its order, if paid: +1 or -1."""
    return ("INSERT INTO product_paid_counts (shop_id, day, product_id, n) "
            f"SELECT o.shop_id, {_SQLITE_DAY.format(t='o.paid_at')}, coalesce({row}.product_id, ''), {sign}1 "
            f"FROM orders AS o WHERE o.id = {row}.order_pk AND o.paid_at IS NOT NULL{_UPSERT};")


def _sqlite_order(row: str, sign: str) -> str:
    """Every item of the order ``row`` (NEW/OLD), if paid, under that row's shop and paid day."""
    return ("INSERT INTO product_paid_counts (shop_id, day, product_id, n) "
            f"SELECT {row}.shop_id, {_SQLITE_DAY.format(t=row + '.paid_at')}, coalesce(i.product_id, ''), "
            f"{sign}count(*) FROM order_items AS i WHERE i.order_pk = {row}.id AND {row}.paid_at IS NOT NULL "
            f"GROUP BY coalesce(i.product_id, ''){_UPSERT};")


SQLITE_TRIGGERS = {
    "order_items_paid_count_insert": f"AFTER INSERT ON order_items BEGIN {_sqlite_item('NEW', '+')} END",
    "order_items_paid_count_delete": f"AFTER DELETE ON order_items BEGIN {_sqlite_item('OLD', '-')} END",
    "order_items_paid_count_update": (
        "AFTER UPDATE OF order_pk, product_id ON order_items "
        "WHEN OLD.order_pk IS NOT NEW.order_pk OR OLD.product_id IS NOT NEW.product_id "
        f"BEGIN {_sqlite_item('OLD', '-')} {_sqlite_item('NEW', '+')} END"),
    # items normally come after their order; ones already there (foreign keys off) are counted too
    "orders_paid_count_insert": f"AFTER INSERT ON orders BEGIN {_sqlite_order('NEW', '+')} END",
    "orders_paid_count_delete": f"BEFORE DELETE ON orders BEGIN {_sqlite_order('OLD', '-')} END",
    "orders_paid_count_update": (
        "AFTER UPDATE OF paid_at, shop_id, id ON orders "
        "WHEN OLD.paid_at IS NOT NEW.paid_at OR OLD.shop_id IS NOT NEW.shop_id OR OLD.id IS NOT NEW.id "
        f"BEGIN {_sqlite_order('OLD', '-')} {_sqlite_order('NEW', '+')} END"),
}

PG_FUNCTIONS = [f"""
CREATE FUNCTION order_items_paid_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO product_paid_counts (shop_id, day, product_id, n)
      SELECT o.shop_id, {_PG_DAY.format(t='o.paid_at')}, coalesce(OLD.product_id, ''), -1
      FROM orders AS o WHERE o.id = OLD.order_pk AND o.paid_at IS NOT NULL{_UPSERT};
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    INSERT INTO product_paid_counts (shop_id, day, product_id, n)
      SELECT o.shop_id, {_PG_DAY.format(t='o.paid_at')}, coalesce(NEW.product_id, ''), 1
      FROM orders AS o WHERE o.id = NEW.order_pk AND o.paid_at IS NOT NULL{_UPSERT};
  END IF;
  RETURN NULL;
END $$""", f"""
CREATE FUNCTION orders_paid_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.paid_at IS NOT NULL THEN
    INSERT INTO product_paid_counts (shop_id, day, product_id, n)
      SELECT OLD.shop_id, {_PG_DAY.format(t='OLD.paid_at')}, coalesce(i.product_id, ''), -count(*)
      FROM order_items AS i WHERE i.order_pk = OLD.id GROUP BY coalesce(i.product_id, ''){_UPSERT};
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.paid_at IS NOT NULL THEN
    INSERT INTO product_paid_counts (shop_id, day, product_id, n)
      SELECT NEW.shop_id, {_PG_DAY.format(t='NEW.paid_at')}, coalesce(i.product_id, ''), count(*)
      FROM order_items AS i WHERE i.order_pk = NEW.id GROUP BY coalesce(i.product_id, ''){_UPSERT};
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NULL;
END $$"""]

PG_TRIGGERS = [
    ("order_items_paid_count_insert_delete", "order_items",
     "AFTER INSERT OR DELETE ON order_items FOR EACH ROW EXECUTE FUNCTION order_items_paid_count()"),
    ("order_items_paid_count_update", "order_items",
     "AFTER UPDATE OF order_pk, product_id ON order_items FOR EACH ROW "
     "WHEN (OLD.order_pk IS DISTINCT FROM NEW.order_pk OR OLD.product_id IS DISTINCT FROM NEW.product_id) "
     "EXECUTE FUNCTION order_items_paid_count()"),
    ("orders_paid_count_insert", "orders",
     "AFTER INSERT ON orders FOR EACH ROW EXECUTE FUNCTION orders_paid_count()"),
    ("orders_paid_count_delete", "orders",
     "BEFORE DELETE ON orders FOR EACH ROW EXECUTE FUNCTION orders_paid_count()"),
    ("orders_paid_count_update", "orders",
     "AFTER UPDATE OF paid_at, shop_id, id ON orders FOR EACH ROW "
     "WHEN (OLD.paid_at IS DISTINCT FROM NEW.paid_at OR OLD.shop_id IS DISTINCT FROM NEW.shop_id "
     "OR OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION orders_paid_count()"),
]


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_table(
        "product_paid_counts",
        sa.Column("shop_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("product_id", sa.String(length=32), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("shop_id", "day", "product_id", name=op.f("pk_product_paid_counts")),
        sqlite_with_rowid=False,  # the primary key is the table: a day range is one sequential read
    )
    day = (_SQLITE_DAY if sqlite else _PG_DAY).format(t="o.paid_at")
    op.execute("INSERT INTO product_paid_counts (shop_id, day, product_id, n) "
               f"SELECT o.shop_id, {day}, coalesce(i.product_id, ''), count(*) "
               "FROM order_items AS i JOIN orders AS o ON o.id = i.order_pk WHERE o.paid_at IS NOT NULL "
               f"GROUP BY o.shop_id, {day}, coalesce(i.product_id, '')")
    if sqlite:
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
    else:
        for function in PG_FUNCTIONS:
            op.execute(function)
        for name, _table, body in PG_TRIGGERS:
            op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        for name, table, _body in PG_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS orders_paid_count()")
        op.execute("DROP FUNCTION IF EXISTS order_items_paid_count()")
    op.drop_table("product_paid_counts")
