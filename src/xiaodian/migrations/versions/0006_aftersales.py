"""after-sales desk (cases, reason history, communication log)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26

Cases, the buyer's reasons (append-only: the database refuses UPDATE and DELETE, as for the audit log in
0003), each case's history, the communication log and deadline reminders.
"""

from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def _shop_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f(f"fk_{table}_shop_id_shops"))


def _case_fk(table: str, cascade: bool = True) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["case_id"], ["aftersale_cases.id"], name=op.f(f"fk_{table}_case_id_aftersale_cases"),
                                   ondelete="CASCADE" if cascade else None)


def upgrade() -> None:
    op.create_table(
        "aftersale_cases",
        sa.Column("id", BigId, nullable=False),
        sa.Column("shop_id", BigId, nullable=False),
        sa.Column("aftersale_id", sa.String(length=40), nullable=False),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.Column("order_pk", BigId, nullable=False),
        sa.Column("sku_order_id", sa.String(length=32), nullable=False),
        sa.Column("product_id", sa.String(length=32), nullable=True),
        sa.Column("case_type", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("refund_status", sa.String(length=16), nullable=True),
        sa.Column("refund_fen", sa.BigInteger(), nullable=False),
        sa.Column("postage_fen", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("applied_at", TS, nullable=False),
        sa.Column("status_since", TS, nullable=False),
        sa.Column("due_by", TS, nullable=True),
        sa.Column("due_by_source", sa.String(length=16), nullable=True),
        sa.Column("return_carrier", sa.String(length=50), nullable=True),
        sa.Column("return_tracking_no", sa.String(length=40), nullable=True),
        sa.Column("reship_carrier", sa.String(length=50), nullable=True),
        sa.Column("reship_tracking_no", sa.String(length=40), nullable=True),
        sa.Column("inspection", sa.String(length=20), nullable=True),
        sa.Column("reject_code", sa.String(length=32), nullable=True),
        sa.Column("reject_note", sa.Text(), nullable=True),
        sa.Column("cancelled_by_buyer", sa.Boolean(), nullable=False),
        sa.Column("first_reason_id", sa.BigInteger(), nullable=True),
        sa.Column("current_reason_id", sa.BigInteger(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("modified_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["order_pk"], ["orders.id"], name=op.f("fk_aftersale_cases_order_pk_orders"),
                                ondelete="CASCADE"),
        _shop_fk("aftersale_cases"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aftersale_cases")),
        sa.UniqueConstraint("shop_id", "aftersale_id", name=op.f("uq_aftersale_cases_shop_id_aftersale_id")),
    )
    op.create_index(op.f("ix_aftersale_cases_order_pk"), "aftersale_cases", ["order_pk"])
    op.create_index("ix_aftersale_cases_shop_status_due", "aftersale_cases", ["shop_id", "status", "due_by"])
    op.create_index("ix_aftersale_cases_shop_applied", "aftersale_cases", ["shop_id", "applied_at"])
    op.create_index("ix_aftersale_cases_shop_sku", "aftersale_cases", ["shop_id", "sku_order_id"])

    op.create_table(
        "aftersale_reasons",
        sa.Column("id", BigId, nullable=False),
        sa.Column("shop_id", BigId, nullable=False),
        sa.Column("case_id", BigId, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=100), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=True),
        sa.Column("remark", sa.Text(), nullable=True),
        sa.Column("evidence_count", sa.Integer(), nullable=False),
        sa.Column("given_at", TS, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        _case_fk("aftersale_reasons", cascade=False),
        _shop_fk("aftersale_reasons"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aftersale_reasons")),
        sa.UniqueConstraint("case_id", "seq", name=op.f("uq_aftersale_reasons_case_id_seq")),
    )
    op.create_index(op.f("ix_aftersale_reasons_case_id"), "aftersale_reasons", ["case_id"])

    op.create_table(
        "aftersale_events",
        sa.Column("id", BigId, nullable=False),
        sa.Column("shop_id", BigId, nullable=False),
        sa.Column("case_id", BigId, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("from_status", sa.String(length=24), nullable=True),
        sa.Column("to_status", sa.String(length=24), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        _case_fk("aftersale_events"),
        _shop_fk("aftersale_events"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aftersale_events")),
    )
    op.create_index("ix_aftersale_events_case_at", "aftersale_events", ["case_id", "at"])

    op.create_table(
        "aftersale_contacts",
        sa.Column("id", BigId, nullable=False),
        sa.Column("shop_id", BigId, nullable=False),
        sa.Column("case_id", BigId, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=200), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        _case_fk("aftersale_contacts"),
        _shop_fk("aftersale_contacts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aftersale_contacts")),
    )
    op.create_index("ix_aftersale_contacts_case_at", "aftersale_contacts", ["case_id", "at"])

    op.create_table(
        "aftersale_reminders",
        sa.Column("id", BigId, nullable=False),
        sa.Column("shop_id", BigId, nullable=False),
        sa.Column("case_id", BigId, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("due_by", TS, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        _case_fk("aftersale_reminders"),
        _shop_fk("aftersale_reminders"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aftersale_reminders")),
        sa.UniqueConstraint("case_id", "kind", "due_by", name=op.f("uq_aftersale_reminders_case_id_kind_due_by")),
    )
    op.create_index("ix_aftersale_reminders_shop_created", "aftersale_reminders", ["shop_id", "created_at"])

    # A buyer's reason is a fact the desk records and never edits (issue 6 item 4).
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER aftersale_reasons_no_{verb.lower()} BEFORE {verb} ON aftersale_reasons "
                "BEGIN SELECT RAISE(ABORT, 'aftersale_reasons is append-only'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION aftersale_reasons_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'aftersale_reasons is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER aftersale_reasons_append_only BEFORE UPDATE OR DELETE ON aftersale_reasons "
            "FOR EACH ROW EXECUTE FUNCTION aftersale_reasons_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS aftersale_reasons_no_update")
        op.execute("DROP TRIGGER IF EXISTS aftersale_reasons_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS aftersale_reasons_append_only ON aftersale_reasons")
        op.execute("DROP FUNCTION IF EXISTS aftersale_reasons_append_only()")
    op.drop_index("ix_aftersale_reminders_shop_created", table_name="aftersale_reminders")
    op.drop_table("aftersale_reminders")
    op.drop_index("ix_aftersale_contacts_case_at", table_name="aftersale_contacts")
    op.drop_table("aftersale_contacts")
    op.drop_index("ix_aftersale_events_case_at", table_name="aftersale_events")
    op.drop_table("aftersale_events")
    op.drop_index(op.f("ix_aftersale_reasons_case_id"), table_name="aftersale_reasons")
    op.drop_table("aftersale_reasons")
    op.drop_index("ix_aftersale_cases_shop_sku", table_name="aftersale_cases")
    op.drop_index("ix_aftersale_cases_shop_applied", table_name="aftersale_cases")
    op.drop_index("ix_aftersale_cases_shop_status_due", table_name="aftersale_cases")
    op.drop_index(op.f("ix_aftersale_cases_order_pk"), table_name="aftersale_cases")
    op.drop_table("aftersale_cases")
