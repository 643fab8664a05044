"""logistics desk (tracking events, anomalies, carrier contacts)

Tracking events (unique per package, time and text), one parcel row per shipment (the projection of its events
and the Kuaidi100 polling bookkeeping), anomalies (one active per package and kind) with their action history,
and raw Kuaidi100 pushes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str, cascade: bool = True):
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"),
                                   ondelete="CASCADE" if cascade else None)


def upgrade() -> None:
    op.create_table(
        "tracking_events",
        sa.Column("id", BigId, nullable=False),
        sa.Column("shop_id", BigId, nullable=False),
        sa.Column("shipment_id", BigId, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("code", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("location", sa.String(length=100), nullable=True),
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        _fk("tracking_events", "shop_id", "shops", cascade=False),
        _fk("tracking_events", "shipment_id", "shipments"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_events")),
        sa.UniqueConstraint("shipment_id", "at", "digest", name=op.f("uq_tracking_events_shipment_id_at_digest")),
    )
    op.create_table(
        "logistics_parcels",
        sa.Column("shipment_id", BigId, nullable=False),
        sa.Column("shop_id", BigId, nullable=False),
        sa.Column("order_pk", BigId, nullable=False),
        sa.Column("carrier_code", sa.String(length=32), nullable=True),
        sa.Column("tracking_no", sa.String(length=40), nullable=False),
        sa.Column("shipped_at", TS, nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("state_since", TS, nullable=True),
        sa.Column("picked_up_at", TS, nullable=True),
        sa.Column("last_event_at", TS, nullable=True),
        sa.Column("last_code", sa.Integer(), nullable=True),
        sa.Column("last_context", sa.Text(), nullable=True),
        sa.Column("last_location", sa.String(length=100), nullable=True),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("is_final", sa.Boolean(), nullable=False),
        sa.Column("watch", sa.Boolean(), nullable=False),
        sa.Column("changed_at", TS, nullable=True),
        sa.Column("next_check_at", TS, nullable=True),
        sa.Column("last_polled_at", TS, nullable=True),
        sa.Column("next_poll_at", TS, nullable=True),
        sa.Column("poll_failures", sa.SmallInteger(), nullable=False),
        sa.Column("poll_error", sa.String(length=200), nullable=True),
        sa.Column("subscribed_at", TS, nullable=True),
        sa.Column("subscription", sa.String(length=16), nullable=True),
        sa.Column("subscription_message", sa.String(length=200), nullable=True),
        sa.Column("last_push_at", TS, nullable=True),
        _fk("logistics_parcels", "shipment_id", "shipments"),
        _fk("logistics_parcels", "shop_id", "shops", cascade=False),
        _fk("logistics_parcels", "order_pk", "orders"),
        sa.PrimaryKeyConstraint("shipment_id", name=op.f("pk_logistics_parcels")),
    )
    op.create_index(op.f("ix_logistics_parcels_order_pk"), "logistics_parcels", ["order_pk"])
    op.create_index("ix_logistics_parcels_shop_tracking", "logistics_parcels", ["shop_id", "tracking_no"])
    op.create_index("ix_logistics_parcels_shop_check", "logistics_parcels", ["shop_id", "next_check_at"])
    op.create_index("ix_logistics_parcels_shop_changed", "logistics_parcels", ["shop_id", "changed_at"])
    op.create_index("ix_logistics_parcels_shop_watch", "logistics_parcels", ["shop_id", "watch", "shipment_id"])
    op.create_index("ix_logistics_parcels_shop_poll", "logistics_parcels", ["shop_id", "next_poll_at"])
    op.create_table(
        "logistics_anomalies",
        sa.Column("id", BigId, nullable=False),
        sa.Column("shop_id", BigId, nullable=False),
        sa.Column("shipment_id", BigId, nullable=False),
        sa.Column("order_pk", BigId, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("open_kind", sa.String(length=24), nullable=True),
        sa.Column("severity", sa.String(length=12), nullable=False),
        sa.Column("severity_level", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("basis_at", TS, nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("detected_at", TS, nullable=False),
        sa.Column("escalated_at", TS, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("closed_at", TS, nullable=True),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.Column("ignored_until", TS, nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        _fk("logistics_anomalies", "shop_id", "shops", cascade=False),
        _fk("logistics_anomalies", "shipment_id", "shipments"),
        _fk("logistics_anomalies", "order_pk", "orders"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_logistics_anomalies")),
        sa.UniqueConstraint("shipment_id", "kind", "basis_at",
                            name=op.f("uq_logistics_anomalies_shipment_id_kind_basis_at")),
        sa.UniqueConstraint("shipment_id", "open_kind", name=op.f("uq_logistics_anomalies_shipment_id_open_kind")),
    )
    op.create_index(op.f("ix_logistics_anomalies_order_pk"), "logistics_anomalies", ["order_pk"])
    op.create_index("ix_logistics_anomalies_shop_status", "logistics_anomalies",
                    ["shop_id", "status", "severity_level", "detected_at"])
    op.create_table(
        "logistics_anomaly_actions",
        sa.Column("id", BigId, nullable=False),
        sa.Column("shop_id", BigId, nullable=False),
        sa.Column("anomaly_id", BigId, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        _fk("logistics_anomaly_actions", "shop_id", "shops", cascade=False),
        sa.ForeignKeyConstraint(["anomaly_id"], ["logistics_anomalies.id"],
                                name=op.f("fk_logistics_anomaly_actions_anomaly_id_logistics_anomalies"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_logistics_anomaly_actions")),
    )
    op.create_index(op.f("ix_logistics_anomaly_actions_anomaly_id"), "logistics_anomaly_actions", ["anomaly_id"])
    op.create_table(
        "kuaidi100_pushes",
        sa.Column("id", BigId, nullable=False),
        sa.Column("shop_id", BigId, nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("param", sa.Text(), nullable=False),
        sa.Column("sign", sa.String(length=64), nullable=False),
        sa.Column("processed_at", TS, nullable=True),
        sa.Column("outcome", sa.String(length=200), nullable=True),
        _fk("kuaidi100_pushes", "shop_id", "shops", cascade=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kuaidi100_pushes")),
    )
    op.create_index("ix_kuaidi100_pushes_processed", "kuaidi100_pushes", ["processed_at"])


def downgrade() -> None:
    op.drop_index("ix_kuaidi100_pushes_processed", table_name="kuaidi100_pushes")
    op.drop_table("kuaidi100_pushes")
    op.drop_index(op.f("ix_logistics_anomaly_actions_anomaly_id"), table_name="logistics_anomaly_actions")
    op.drop_table("logistics_anomaly_actions")
    op.drop_index("ix_logistics_anomalies_shop_status", table_name="logistics_anomalies")
    op.drop_index(op.f("ix_logistics_anomalies_order_pk"), table_name="logistics_anomalies")
    op.drop_table("logistics_anomalies")
    for name in ("ix_logistics_parcels_shop_poll", "ix_logistics_parcels_shop_watch", "ix_logistics_parcels_shop_changed",
                 "ix_logistics_parcels_shop_check", "ix_logistics_parcels_shop_tracking"):
        op.drop_index(name, table_name="logistics_parcels")
    op.drop_index(op.f("ix_logistics_parcels_order_pk"), table_name="logistics_parcels")
    op.drop_table("logistics_parcels")
    op.drop_table("tracking_events")
