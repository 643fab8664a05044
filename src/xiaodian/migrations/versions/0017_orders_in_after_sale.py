"""orders.in_after_sale and order_after_sale_counts: the 售后中 tab kept by triggers, so its count costs O(1)

The 售后中 tab holds an order with an after-sale case that is not finished, or, when the desk has no case for it at
all, whose export 售后状态 text names an open stage. Counting it probed aftersale_cases once per order holding an
open text: 3.9 ms of the tab bar's 4–6 ms at 1M orders (issue 2 asks for ≤ 5 ms p99). The database now keeps the
answer on each order (in_after_sale) and the number per shop (order_after_sale_counts), like order_status_counts
(0009), so every path that changes a case or an order's text — import, sync, the after-sales desk, a manual fix in
SQL — is followed without the code remembering to. A write to in_after_sale itself is put right again.

The statuses and texts below are a snapshot of aftersales.domain.FINISHED and aftersales.reasons.STATUS_BY_TEXT as
they are today (a unit test compares them): changing what counts as open needs a new migration that re-creates the
triggers and recomputes the column.

A partial index holds the orders in the tab, newest first, for the tab's page and its count under filters. The flag
is one of its columns, though always true there: SQLite reads a partial index as covering only then.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

FINISHED_STATUSES = ("closed", "succeeded")
OPEN_TEXTS = (
    "买家已退货", "买家申请退款", "仲裁中", "同意退款", "售后中", "商家一次拒绝", "商家二次拒绝", "商家拒绝", "客服介入中",
    "平台介入", "待买家收货", "待买家退货", "待商家二次同意", "待商家发货", "待商家同意", "待商家处理", "待商家收货",
    "待退款", "拒绝退款", "申请退款", "退款中", "退款失败")


def _quoted(values) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


_FINISHED = _quoted(FINISHED_STATUSES)
_OPEN = _quoted(OPEN_TEXTS)


def membership(order_id: str, text: str) -> str:
    """The tab's rule for the order ``order_id`` whose 售后状态 text is ``text``, as a true/false SQL expression
    (never NULL) that reads the same on SQLite and PostgreSQL."""
    return (f"(EXISTS (SELECT 1 FROM aftersale_cases AS c WHERE c.order_pk = {order_id} "
            f"AND c.status NOT IN ({_FINISHED})) "
            f"OR (coalesce({text} IN ({_OPEN}), false) "
            f"AND NOT EXISTS (SELECT 1 FROM aftersale_cases AS c WHERE c.order_pk = {order_id})))")


def _fix_order(order_pk: str) -> str:
    """Recompute the flag of the order a case belongs to (no write when it is right already)."""
    rule = membership("orders.id", "orders.after_sale_status")
    return f"UPDATE orders SET in_after_sale = {rule} WHERE id = {order_pk} AND in_after_sale IS NOT {rule};"


_UPSERT = ("INSERT INTO order_after_sale_counts (shop_id, n) VALUES ({row}.shop_id, 1) "
           "ON CONFLICT (shop_id) DO UPDATE SET n = order_after_sale_counts.n + 1;")
_DROP = "UPDATE order_after_sale_counts SET n = n - 1 WHERE shop_id = {row}.shop_id;"
_CASE_FLIPS = (f"OLD.order_pk IS NOT NEW.order_pk "
               f"OR (OLD.status IN ({_FINISHED})) IS NOT (NEW.status IN ({_FINISHED}))")

SQLITE_TRIGGERS = {
    # the flag: a new order, a changed text, or a write to the flag itself is set to the rule (an order inserted
    # with cases already pointing at its id — foreign keys off — is covered too)
    "orders_in_after_sale_insert": (
        f"AFTER INSERT ON orders WHEN NEW.in_after_sale IS NOT {membership('NEW.id', 'NEW.after_sale_status')} "
        f"BEGIN {_fix_order('NEW.id')} END"),
    "orders_in_after_sale_update": (
        "AFTER UPDATE OF after_sale_status, in_after_sale ON orders "
        f"WHEN NEW.in_after_sale IS NOT {membership('NEW.id', 'NEW.after_sale_status')} "
        f"BEGIN {_fix_order('NEW.id')} END"),
    "aftersale_cases_in_after_sale_insert": f"AFTER INSERT ON aftersale_cases BEGIN {_fix_order('NEW.order_pk')} END",
    "aftersale_cases_in_after_sale_delete": f"AFTER DELETE ON aftersale_cases BEGIN {_fix_order('OLD.order_pk')} END",
    "aftersale_cases_in_after_sale_update": (
        f"AFTER UPDATE OF status, order_pk ON aftersale_cases WHEN {_CASE_FLIPS} "
        f"BEGIN {_fix_order('OLD.order_pk')} {_fix_order('NEW.order_pk')} END"),
    # the counter
    "orders_after_sale_count_insert": (
        f"AFTER INSERT ON orders WHEN NEW.in_after_sale BEGIN {_UPSERT.format(row='NEW')} END"),
    "orders_after_sale_count_delete": (
        f"AFTER DELETE ON orders WHEN OLD.in_after_sale BEGIN {_DROP.format(row='OLD')} END"),
    "orders_after_sale_count_update": (
        "AFTER UPDATE OF in_after_sale, shop_id ON orders "
        "WHEN (OLD.in_after_sale IS NOT NEW.in_after_sale OR OLD.shop_id IS NOT NEW.shop_id) "
        "AND (OLD.in_after_sale OR NEW.in_after_sale) "
        "BEGIN UPDATE order_after_sale_counts SET n = n - 1 WHERE shop_id = OLD.shop_id AND OLD.in_after_sale; "
        "INSERT INTO order_after_sale_counts (shop_id, n) SELECT NEW.shop_id, 1 WHERE NEW.in_after_sale "
        "ON CONFLICT (shop_id) DO UPDATE SET n = order_after_sale_counts.n + 1; END"),
}

# PostgreSQL sets the flag in a BEFORE trigger (no second write of the row); note that a column-specific UPDATE
# trigger does not see a change made by a BEFORE trigger, so the counter's update trigger watches every update.
PG_FUNCTIONS = [f"""
CREATE FUNCTION orders_in_after_sale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.in_after_sale := {membership('NEW.id', 'NEW.after_sale_status')};
  RETURN NEW;
END $$""", f"""
CREATE FUNCTION aftersale_cases_in_after_sale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    {_fix_order('OLD.order_pk').replace(' IS NOT ', ' IS DISTINCT FROM ')}
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    {_fix_order('NEW.order_pk').replace(' IS NOT ', ' IS DISTINCT FROM ')}
  END IF;
  RETURN NULL;
END $$""", f"""
CREATE FUNCTION orders_after_sale_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.in_after_sale THEN
    {_DROP.format(row='OLD')}
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.in_after_sale THEN
    {_UPSERT.format(row='NEW')}
  END IF;
  RETURN NULL;
END $$"""]

PG_TRIGGERS = [
    ("orders_in_after_sale", "orders",
     "BEFORE INSERT OR UPDATE OF after_sale_status, in_after_sale ON orders FOR EACH ROW "
     "EXECUTE FUNCTION orders_in_after_sale()"),
    ("aftersale_cases_in_after_sale_insert_delete", "aftersale_cases",
     "AFTER INSERT OR DELETE ON aftersale_cases FOR EACH ROW EXECUTE FUNCTION aftersale_cases_in_after_sale()"),
    ("aftersale_cases_in_after_sale_update", "aftersale_cases",
     "AFTER UPDATE OF status, order_pk ON aftersale_cases FOR EACH ROW "
     f"WHEN ({_CASE_FLIPS.replace(' IS NOT ', ' IS DISTINCT FROM ')}) "
     "EXECUTE FUNCTION aftersale_cases_in_after_sale()"),
    ("orders_after_sale_count_insert", "orders",
     "AFTER INSERT ON orders FOR EACH ROW WHEN (NEW.in_after_sale) EXECUTE FUNCTION orders_after_sale_count()"),
    ("orders_after_sale_count_delete", "orders",
     "AFTER DELETE ON orders FOR EACH ROW WHEN (OLD.in_after_sale) EXECUTE FUNCTION orders_after_sale_count()"),
    ("orders_after_sale_count_update", "orders",
     "AFTER UPDATE ON orders FOR EACH ROW "
     "WHEN (OLD.in_after_sale IS DISTINCT FROM NEW.in_after_sale OR "
     "(OLD.shop_id IS DISTINCT FROM NEW.shop_id AND (OLD.in_after_sale OR NEW.in_after_sale))) "
     "EXECUTE FUNCTION orders_after_sale_count()"),
]


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    op.add_column("orders", sa.Column("in_after_sale", sa.Boolean(), server_default=sa.false(), nullable=False))
    # Backfill in two index-driven parts: orders with an open case; orders with no case and an open text.
    op.execute("UPDATE orders SET in_after_sale = true WHERE id IN "
               f"(SELECT order_pk FROM aftersale_cases WHERE status NOT IN ({_FINISHED}))")
    op.execute("UPDATE orders SET in_after_sale = true WHERE id IN (SELECT o.id FROM shops AS s "
               f"JOIN orders AS o ON o.shop_id = s.id AND o.after_sale_status IN ({_OPEN}) "
               "WHERE NOT EXISTS (SELECT 1 FROM aftersale_cases AS c WHERE c.order_pk = o.id))")
    op.create_table(
        "order_after_sale_counts",
        sa.Column("shop_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("shop_id", name=op.f("pk_order_after_sale_counts")),
    )
    op.execute("INSERT INTO order_after_sale_counts (shop_id, n) "
               "SELECT shop_id, count(*) FROM orders WHERE in_after_sale GROUP BY shop_id")
    op.create_index("ix_orders_shop_in_after_sale", "orders", ["shop_id", "in_after_sale", "sort_key"],
                    sqlite_where=sa.text("in_after_sale = 1"), postgresql_where=sa.text("in_after_sale"))
    if sqlite:
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
        if bind.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'").first():
            bind.exec_driver_sql("ANALYZE ix_orders_shop_in_after_sale")  # see 0013: no statistics misleads
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
        for function in ("orders_after_sale_count", "aftersale_cases_in_after_sale", "orders_in_after_sale"):
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    op.drop_index("ix_orders_shop_in_after_sale", table_name="orders")
    op.drop_table("order_after_sale_counts")
    op.drop_column("orders", "in_after_sale")
