"""PostgreSQL: the counting triggers do nothing inside a dry run (a transaction that says so and is rolled back)

Why: a dry run of an export file is one transaction, rolled back at the end. Every status it moves updated the
same order_status_counts row (and order_after_sale_counts, product_paid_counts) through the counting triggers,
and PostgreSQL cannot prune a row's old versions while the transaction that wrote them is open: each update
walked a longer chain. A dry run of 200,000 orders took 120 s, 94 s of it in that one UPDATE
(benchmarks/RESULTS-import.md). Nothing in a dry run reads the counters and its changes are rolled back, so
the triggers skip their work when the transaction has set ``xiaodian.dry_run`` to ``on`` (``SET LOCAL``, see
channels.exportfile.service). SQLite updates a row in place and needs nothing.

The guard is put at the top of each counting function as the catalog has it (pg_get_functiondef), so the
functions' bodies stay written in one place, their own migrations.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-27
"""

from alembic import op
from sqlalchemy import text

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

COUNTING_FUNCTIONS = ("orders_count_status", "orders_after_sale_count", "orders_paid_count", "order_items_paid_count")
# orders_paid_count also runs BEFORE DELETE, where returning NULL would cancel the delete: return OLD there.
GUARD = ("\n  IF current_setting('xiaodian.dry_run', true) = 'on' THEN"
         " IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NULL; END IF; -- dry run: counters rest (0018)")


def _definition(name: str) -> str:
    return op.get_bind().execute(text("SELECT pg_get_functiondef(CAST(:name AS regproc))"), {"name": name}).scalar_one()


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for name in COUNTING_FUNCTIONS:
        definition = _definition(name)
        if GUARD in definition:
            continue
        head, begin, body = definition.partition("\nBEGIN")
        if not begin:
            raise RuntimeError(f"function {name} has no BEGIN to put the dry-run guard after")
        op.execute(head + begin + GUARD + body)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for name in COUNTING_FUNCTIONS:
        op.execute(_definition(name).replace(GUARD, ""))
