"""One active logistics anomaly case per parcel

A parcel could hold several active cases at once, one per kind (QA pass 9, #10): a parcel refused by the buyer and
now returning had a 退回 case and a 物流停滞 case, whose buyer messages contradicted each other ("being returned"
beside "we have asked the courier to hurry"); working one left the other open; the home page counted cases. The scan
now keeps one case per parcel, of its most telling cause (logistics.rules.PRECEDENCE), and this revision makes the
database hold it: a unique index on the shipment of the active cases (open_kind set; a partial index on both
databases).

Parcels that already have several active cases are merged first: the case of the most telling kind stays (the
precedence below is the one logistics.rules had at this revision, copied so the migration does not change with it),
takes the worst severity of the merged cases, and gets a ``merged_in`` history line naming each case merged into it
with its kind and status; each lesser case is resolved by the system with the note "merged into case N" (a
``merged`` history line and a line on the order's timeline), so any work recorded on it stays readable there.

The downgrade drops the index; merged cases stay resolved (the older code lets a parcel have them, and the next scan
raises again whatever still holds).

Revision ID: 0034
Revises: 0033
Create Date: 2026-11-29
"""

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from xiaodian.db import UTCDateTime

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

INDEX = "uq_logistics_anomalies_one_active"
PREDICATE = "open_kind IS NOT NULL"
# Most telling first: logistics.rules.PRECEDENCE at this revision.
PRECEDENCE = ("returned", "refused", "delivery_failed", "problem", "locker_uncollected", "suspected_lost", "stalled",
              "pickup_timeout")

anomalies = sa.table("logistics_anomalies", sa.column("id", sa.BigInteger), sa.column("shop_id", sa.BigInteger),
                     sa.column("shipment_id", sa.BigInteger), sa.column("order_pk", sa.BigInteger),
                     sa.column("kind", sa.String), sa.column("open_kind", sa.String), sa.column("severity", sa.String),
                     sa.column("severity_level", sa.SmallInteger), sa.column("status", sa.String),
                     sa.column("updated_at", UTCDateTime()), sa.column("closed_at", UTCDateTime()),
                     sa.column("closed_by", sa.String), sa.column("note", sa.String),
                     sa.column("escalated_at", UTCDateTime()))
actions = sa.table("logistics_anomaly_actions", sa.column("shop_id", sa.BigInteger),
                   sa.column("anomaly_id", sa.BigInteger), sa.column("at", UTCDateTime()),
                   sa.column("actor", sa.String),
                   sa.column("channel", sa.String), sa.column("action", sa.String),
                   sa.column("from_status", sa.String), sa.column("to_status", sa.String), sa.column("note", sa.String))
events = sa.table("order_events", sa.column("shop_id", sa.BigInteger), sa.column("order_pk", sa.BigInteger),
                  sa.column("at", UTCDateTime()), sa.column("recorded_at", UTCDateTime()), sa.column("kind", sa.String),
                  sa.column("from_status", sa.String), sa.column("to_status", sa.String),
                  sa.column("source", sa.String), sa.column("actor", sa.String), sa.column("detail", sa.Text))


def _telling(kind: str) -> int:
    return len(PRECEDENCE) - PRECEDENCE.index(kind) if kind in PRECEDENCE else 0


def merge_duplicates(bind, now: datetime) -> int:
    """Merge every parcel's active cases into the most telling one; returns the number of cases merged away."""
    dupes = sa.select(anomalies.c.shipment_id).where(anomalies.c.open_kind.is_not(None)) \
        .group_by(anomalies.c.shipment_id).having(sa.func.count() > 1)
    rows = bind.execute(sa.select(anomalies.c.id, anomalies.c.shop_id, anomalies.c.shipment_id, anomalies.c.order_pk,
                                  anomalies.c.kind, anomalies.c.severity, anomalies.c.severity_level,
                                  anomalies.c.status)
                        .where(anomalies.c.open_kind.is_not(None), anomalies.c.shipment_id.in_(dupes))
                        .order_by(anomalies.c.shipment_id, anomalies.c.id)).all()
    by_parcel: dict[int, list] = {}
    for row in rows:
        by_parcel.setdefault(row.shipment_id, []).append(row)
    merged = 0
    for cases in by_parcel.values():
        kept = max(cases, key=lambda c: (_telling(c.kind), -c.id))
        others = [c for c in cases if c.id != kept.id]
        for case in others:
            note = f"merged into case {kept.id} ({kept.kind})"
            bind.execute(anomalies.update().where(anomalies.c.id == case.id).values(
                status="resolved", open_kind=None, closed_at=now, closed_by="system", updated_at=now, note=note))
            bind.execute(actions.insert().values(shop_id=case.shop_id, anomaly_id=case.id, at=now, actor="system",
                                                 channel="migration", action="merged", from_status=case.status,
                                                 to_status="resolved", note=note))
            bind.execute(events.insert().values(
                shop_id=case.shop_id, order_pk=case.order_pk, at=now, recorded_at=now,
                kind="logistics_anomaly_resolved", source="job", actor=None,
                detail=json.dumps({"anomaly_id": str(case.id), "kind": case.kind, "reason": note},
                                  ensure_ascii=False)))
            merged += 1
        note = "; ".join(f"case {c.id} ({c.kind}, {c.status}) merged in" for c in others)
        bind.execute(actions.insert().values(shop_id=kept.shop_id, anomaly_id=kept.id, at=now, actor="system",
                                             channel="migration", action="merged_in", from_status=kept.status,
                                             to_status=kept.status, note=note[:500]))
        worst = max(cases, key=lambda c: c.severity_level)
        if worst.severity_level > kept.severity_level:
            bind.execute(anomalies.update().where(anomalies.c.id == kept.id).values(
                severity=worst.severity, severity_level=worst.severity_level, escalated_at=now, updated_at=now))
    return merged


def upgrade() -> None:
    merge_duplicates(op.get_bind(), datetime.now(UTC))
    op.create_index(INDEX, "logistics_anomalies", ["shipment_id"], unique=True,
                    sqlite_where=sa.text(PREDICATE), postgresql_where=sa.text(PREDICATE))


def downgrade() -> None:
    op.drop_index(INDEX, table_name="logistics_anomalies")
