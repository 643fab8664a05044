"""Database leases for background jobs: two workers (or `serve` and `worker`) never run the same job on the
same shop at once, and each job remembers how far it got (its watermark) for the next incremental run.

Shared by every capability's jobs.py; the job_leases table is defined in shipping/models.py (migration 0004),
where it first appeared.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from .shipping.models import JobLease

# The deadline scan's lease name (shipping/jobs.py), here because order intake asks it for a full run too.
DEADLINE_SCAN = "deadline_scan"


def _ensure_row(session: Session, shop_id: int, name: str) -> None:
    if session.connection().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(insert(JobLease.__table__).values(shop_id=shop_id, name=name)
                    .on_conflict_do_nothing(index_elements=["shop_id", "name"]))


def take_lease(sessions: sessionmaker[Session], shop_id: int, name: str, now: datetime, holder: str,
               ttl: timedelta) -> JobLease | None:
    """The lease (detached, with the last watermark) if this holder got it; None when another holds it."""
    with sessions.begin() as session:
        _ensure_row(session, shop_id, name)
        table = JobLease.__table__
        taken = session.execute(
            update(table).where(table.c.shop_id == shop_id, table.c.name == name,
                                table.c.lease_until.is_(None) | (table.c.lease_until < now) | (table.c.holder == holder))
            .values(holder=holder, lease_until=now + ttl)).rowcount
        if taken != 1:
            return None
        lease = session.get(JobLease, (shop_id, name))
        session.expunge(lease)
        return lease


def release_lease(sessions: sessionmaker[Session], shop_id: int, name: str, now: datetime, holder: str, *,
                  full: bool, advance: bool = True, served_asks: int = 0) -> None:
    """Give the lease back. ``advance`` moves the watermark to ``now`` (a failed run keeps the old one, so the
    next run looks at the same rows again); ``full`` also records a full run, which served the ``served_asks``
    asks for one that were pending when it took the lease (lease.full_asks). Asks that came in while it ran are
    left standing: the rows they were about may have been written after this run read past them."""
    table = JobLease.__table__
    values: dict = {"lease_until": None, "last_run_at": now}
    if advance:
        values["watermark"] = now
        if full:
            values["last_full_at"] = now
            if served_asks:
                values["full_asks"] = table.c.full_asks - served_asks
    with sessions.begin() as session:
        session.execute(update(table).where(table.c.shop_id == shop_id, table.c.name == name,
                                            table.c.holder == holder).values(**values))


def ask_full_run(session: Session, shop_id: int, name: str) -> None:
    """Make the job's next run for the shop a full one, in the caller's transaction: something arrived that an
    incremental run, which looks only past its watermark, would not see (an imported order already overdue, the
    owner's new thresholds). Counted, not flagged, so a full run already under way does not swallow it."""
    table = JobLease.__table__
    session.execute(update(table).where(table.c.shop_id == shop_id, table.c.name == name)
                    .values(full_asks=table.c.full_asks + 1).execution_options(synchronize_session=False))


def full_run_due(lease: JobLease, now: datetime, every: timedelta) -> bool:
    """Whether a job's run decides to be full: never run, asked for, or the last full run is ``every`` old."""
    return (lease.watermark is None or lease.last_full_at is None or bool(lease.full_asks)
            or now - lease.last_full_at >= every)


def last_lease(session: Session, shop_id: int, name: str) -> JobLease | None:
    return session.get(JobLease, (shop_id, name))
