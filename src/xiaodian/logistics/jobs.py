"""The logistics scan: adopt new shipments as parcels, run the anomaly detectors over the parcels that need it,
and bring the cases in line (raise, escalate, reopen, resolve by themselves). Indexed candidate queries → pure
rules → batched writes; idempotent and safe to run from several processes at once.

Coordination as in the deadline scan (shipping.jobs): a lease row per (shop, job) in job_leases taken by a
conditional UPDATE, plus unique keys on the cases (one per package, kind and basis; one active per package and
kind) written with INSERT … ON CONFLICT DO NOTHING.

Incremental scans look only at parcels with new scans since the watermark (``changed_at``) and parcels whose
next threshold has come (``next_check_at`` ≤ now); the full scan (at start, hourly, and at the first run after
the owner changed the shop's thresholds) looks at every watched parcel, so new thresholds apply everywhere then.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from ..accounts.models import Shop
from ..leases import full_run_due, last_lease, release_lease, take_lease
from ..shipping.models import JobLease
from . import rules
from . import thresholds as shop_thresholds
from .ingest import adopt_shipments, facts_of, latest_adopted, parcel_done
from .models import Parcel
from .service import apply_findings

log = logging.getLogger("xiaodian.jobs.logistics")
JOB = "logistics_scan"
LEASE = timedelta(minutes=5)
MARGIN = timedelta(minutes=5)
FULL_EVERY = timedelta(hours=1)
BATCH = 5000
HOLDER = f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class ScanReport:
    shop_id: int
    full: bool
    skipped: bool = False
    adopted: int = 0
    parcels: int = 0
    raised: int = 0
    escalated: int = 0
    resolved: int = 0
    reopened: int = 0
    seconds: float = 0.0

    def as_json(self) -> dict:
        return asdict(self)


def _take_lease(sessions, shop_id: int, now: datetime, holder: str) -> JobLease | None:
    return take_lease(sessions, shop_id, JOB, now, holder, LEASE)


def _release(sessions, shop_id: int, now: datetime, holder: str, full: bool, ok: bool, served_asks: int) -> None:
    # a failed scan keeps the old watermark, so the next one looks at the same parcels again
    release_lease(sessions, shop_id, JOB, now, holder, full=full, advance=ok, served_asks=served_asks)


def last_scan(session: Session, shop_id: int) -> JobLease | None:
    return last_lease(session, shop_id, JOB)


def scan_shop(sessions: sessionmaker[Session], shop_id: int, now: datetime, *, full: bool | None = None,
              holder: str = HOLDER, thresholds: rules.Thresholds = rules.DEFAULT_THRESHOLDS,
              tracked: bool | None = True) -> ScanReport:
    """One scan of one shop. ``full=None`` decides: full when never run, the last full scan is an hour old, or
    the owner changed the shop's thresholds since it. ``thresholds`` is the fallback (the environment settings):
    the owner's stored thresholds of the shop, when there are any, are the ones applied. ``tracked``: whether
    scans can arrive (Kuaidi100, the demo carrier); None decides per shop: tracked once any of its parcels has a
    scan (a tracking file imported). An untracked shop gets no cases about parcels without scans."""
    started = time.perf_counter()
    lease = _take_lease(sessions, shop_id, now, holder)
    if lease is None:
        return ScanReport(shop_id, bool(full), skipped=True)
    with sessions() as session:
        thresholds = shop_thresholds.for_shop(session, shop_id, thresholds)
        changed = shop_thresholds.changed_at(session, shop_id)
    if full is None:
        full = full_run_due(lease, now, FULL_EVERY) or (changed is not None and changed >= lease.last_full_at)
    since = None if full or lease.watermark is None else lease.watermark - MARGIN
    report = ScanReport(shop_id, full)
    ok = False
    try:
        with sessions.begin() as session:
            report.adopted = adopt_shipments(session, shop_id, now,
                                             after_id=None if full else latest_adopted(session, shop_id))
        if tracked is None:
            with sessions() as session:
                tracked = has_scans(session, shop_id)
        _scan(sessions, shop_id, now, since, thresholds, report, untracked=not tracked)
        ok = True
    finally:
        _release(sessions, shop_id, now, holder, full, ok, lease.full_asks)
    report.seconds = round(time.perf_counter() - started, 4)
    return report


COLUMNS = (Parcel.shipment_id, Parcel.shop_id, Parcel.order_pk, Parcel.tracking_no, Parcel.shipped_at,
           Parcel.state, Parcel.state_since, Parcel.picked_up_at.is_not(None).label("picked_up_at"),
           Parcel.last_event_at, Parcel.last_code, Parcel.last_context, Parcel.last_location,
           Parcel.next_check_at, Parcel.watch)


def _candidates(session: Session, shop_id: int, now: datetime, since: datetime | None, after: int) -> list:
    from ..orders.models import Order

    from ..aftersales.models import AfterSaleCase
    from ..orders.models import Shipment

    # the shipment's kind and, for a re-send, its case's end: what parcel_done decides on (two primary-key joins)
    query = (select(*COLUMNS, Order.status, Shipment.kind, AfterSaleCase.finished_at.label("case_finished_at"))
             .join(Order, Order.id == Parcel.order_pk).join(Shipment, Shipment.id == Parcel.shipment_id)
             .outerjoin(AfterSaleCase, AfterSaleCase.id == Shipment.aftersale_case_id)
             .where(Parcel.shop_id == shop_id, Parcel.shipment_id > after))
    if since is None:
        query = query.where(Parcel.watch.is_(True))
    else:
        query = query.where(or_(Parcel.changed_at > since, Parcel.next_check_at <= now))
    return session.connection().execute(query.order_by(Parcel.shipment_id).limit(BATCH)).all()  # Core: no ORM rows


def _ignored_until(sessions, shop_id: int, now: datetime) -> dict[int, datetime]:
    """Cases ignored until a time: their parcels must be looked at again exactly then (few rows)."""
    from sqlalchemy import func

    from .models import Anomaly

    with sessions() as session:
        return dict(session.execute(select(Anomaly.shipment_id, func.min(Anomaly.ignored_until)).where(
            Anomaly.shop_id == shop_id, Anomaly.status == "ignored", Anomaly.ignored_until > now)
            .group_by(Anomaly.shipment_id)).all())


def has_scans(session: Session, shop_id: int) -> bool:
    """Whether any parcel of the shop has ever had a carrier scan (from Kuaidi100, a push or a tracking file)."""
    return session.execute(select(Parcel.shipment_id).where(Parcel.shop_id == shop_id,
                                                            Parcel.last_event_at.is_not(None)).limit(1)).first() \
        is not None


def _scan(sessions, shop_id: int, now: datetime, since, thresholds, report: ScanReport, *,
          untracked: bool = False) -> None:
    after = 0
    wake = _ignored_until(sessions, shop_id, now)
    while True:
        with sessions.begin() as session:
            rows = _candidates(session, shop_id, now, since, after)
            if not rows:
                return
            after = rows[-1].shipment_id
            batch, updates = [], []
            for row in rows:
                done = parcel_done(row.kind, row.status, row.case_finished_at)
                facts = facts_of(row, done)
                batch.append((row, done, rules.detect(facts, now, thresholds, untracked=untracked)))
                due = rules.next_check(facts, now, thresholds)
                if row.shipment_id in wake and (due is None or wake[row.shipment_id] < due):
                    due = wake[row.shipment_id]
                watch = not (done or row.state in ("signed", "returned"))
                if due != row.next_check_at or watch != row.watch:
                    updates.append({"sid": row.shipment_id, "due": due, "w": watch})
            if updates:
                t = Parcel.__table__
                from sqlalchemy import bindparam

                session.execute(update(t).where(t.c.shipment_id == bindparam("sid"))
                                .values(next_check_at=bindparam("due"), watch=bindparam("w")),
                                updates, execution_options={"synchronize_session": False})
            applied = apply_findings(session, shop_id, batch, now)
            report.parcels += len(rows)
            report.raised += applied.raised
            report.escalated += applied.escalated
            report.resolved += applied.resolved
            report.reopened += applied.reopened


def scan_all_shops(sessions: sessionmaker[Session], now: datetime, *, full: bool | None = None,
                   holder: str = HOLDER, thresholds: rules.Thresholds = rules.DEFAULT_THRESHOLDS,
                   tracked: bool | None = True) -> list[ScanReport]:
    """Every shop, each in its own transactions: a failing shop is logged and the others still run."""
    with sessions() as session:
        shop_ids = list(session.execute(select(Shop.id).order_by(Shop.id)).scalars())
    reports = []
    for shop_id in shop_ids:
        try:
            reports.append(scan_shop(sessions, shop_id, now, full=full, holder=holder, thresholds=thresholds,
                                     tracked=tracked))
        except Exception:  # one shop's failure must not stop the others
            log.exception("logistics scan failed for shop %s", shop_id)
    return reports
