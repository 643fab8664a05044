"""A parcel an after-sale case sends the buyer (补寄 re-send, or an exchange / repaired item) is a shipment row of
its own kind

Logistics watches parcels keyed by a shipments row (logistics_parcels, tracking_events and anomalies all point at
one), and a re-send had none: its carrier and number lived only on the case (aftersale_cases.reship_*), so a lost
or refused re-send, the buyer's second failure, raised no anomaly. Such a parcel is now a shipments row with kind
'resend' and the case it belongs to; every reader that means "the order's own parcels" (its status, shipped_at,
tracking list, export columns, write-back) reads kind 'order' only, while the duplicate-number checks and logistics
read every kind. aftersale_case_id has no foreign key so that SQLite adds both columns without rebuilding the
table (as 0023 did); only the after-sales service writes it, with the case's own id.

Re-sends recorded before this revision get their row here (shipped at the time of the case's reship step), so the
scan adopts and watches those still on their way; one whose number a parcel already carries is left as it was (a
number belongs to one parcel). The downgrade deletes the re-send rows (with their parcels and scans) before dropping
the columns: the code before would take them for the order's own parcels, and the upgrade rebuilds them.

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

PREDICATE = "aftersale_case_id IS NOT NULL"


def upgrade() -> None:
    op.add_column("shipments", sa.Column("kind", sa.String(length=8), server_default="order", nullable=False))
    op.add_column("shipments", sa.Column("aftersale_case_id", sa.BigInteger(), nullable=True))
    op.create_index("ix_shipments_aftersale_case", "shipments", ["aftersale_case_id"],
                    sqlite_where=sa.text(PREDICATE), postgresql_where=sa.text(PREDICATE))
    op.execute(BACKFILL)


# carrier_name takes the stored value (a code since re-sends are checked, a name before); adoption resolves the code.
BACKFILL = """
INSERT INTO shipments (shop_id, order_pk, carrier_code, carrier_name, tracking_no, shipped_at, recorded_at, source,
                       kind, aftersale_case_id)
SELECT c.shop_id, c.order_pk, NULL, c.reship_carrier, c.reship_tracking_no,
       COALESCE((SELECT MAX(e.at) FROM aftersale_events e WHERE e.case_id = c.id AND e.action = 'reship'),
                c.modified_at),
       c.modified_at, 'backfill', 'resend', c.id
FROM aftersale_cases c
WHERE c.reship_tracking_no IS NOT NULL AND c.reship_tracking_no <> ''
  AND NOT EXISTS (SELECT 1 FROM shipments s WHERE s.shop_id = c.shop_id AND s.tracking_no = c.reship_tracking_no)
  AND c.id = (SELECT MIN(c2.id) FROM aftersale_cases c2
              WHERE c2.shop_id = c.shop_id AND c2.reship_tracking_no = c.reship_tracking_no)
"""


def downgrade() -> None:
    resends = "SELECT id FROM shipments WHERE kind = 'resend'"
    # each dependant by hand: a migration's SQLite connection may not enforce the foreign keys' cascades
    op.execute("DELETE FROM logistics_anomaly_actions WHERE anomaly_id IN "
               f"(SELECT id FROM logistics_anomalies WHERE shipment_id IN ({resends}))")
    for table in ("logistics_anomalies", "tracking_events", "logistics_parcels", "shipping_tracking_corrections",
                  "shipment_items"):
        op.execute(f"DELETE FROM {table} WHERE shipment_id IN ({resends})")
    op.execute("DELETE FROM shipments WHERE kind = 'resend'")
    op.drop_index("ix_shipments_aftersale_case", table_name="shipments")
    op.drop_column("shipments", "aftersale_case_id")  # SQLite ≥ 3.35 drops a plain column without a table rebuild
    op.drop_column("shipments", "kind")
