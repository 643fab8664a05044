"""Rules of an export job, apart from I/O.

Why a job: an export written while the request waits (GET /api/v1/exports/orders) stops at 200,000 orders, since a
browser or proxy gives up long before a million orders are written (about two minutes as CSV and five as Excel,
benchmarks/RESULTS-export.md). The platform's own export takes up to 1,000,000 orders as a task whose file is
downloaded later; merchants expect the same here. A job's file holds buyer data, so it is kept for a limited time
and then deleted, and every download is audited.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from ..clock import SHOP_TZ

JOB_MAX_ORDERS = 1_000_000  # as the platform's own export
KEEP_FOR = timedelta(days=7)  # then the file is deleted: it holds buyer data
MAX_OPEN_PER_SHOP = 3  # queued or running at once: enough for real work, not a way to fill the disk
MAX_ATTEMPTS = 3  # a job whose worker died is taken up again this many times in all
LEASE = timedelta(minutes=2)  # renewed at every progress report; a job silent for longer was lost with its worker


class JobStatus(StrEnum):
    QUEUED = "queued"  # waiting for a worker
    RUNNING = "running"  # a worker is writing the file
    DONE = "done"  # the file is ready for download until expires_at
    FAILED = "failed"  # refused (too many orders, the requester lost the right) or broke; error_code says which
    CANCELLED = "cancelled"  # stopped by a person before it finished
    EXPIRED = "expired"  # done, and the file has since been deleted


OPEN = frozenset({JobStatus.QUEUED, JobStatus.RUNNING})
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.QUEUED: frozenset({JobStatus.RUNNING, JobStatus.CANCELLED}),
    # running → running: a worker takes up a job whose worker died (its lease ran out)
    JobStatus.RUNNING: frozenset({JobStatus.RUNNING, JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED}),
    JobStatus.DONE: frozenset({JobStatus.EXPIRED}),
    JobStatus.FAILED: frozenset(),
    JobStatus.CANCELLED: frozenset(),
    JobStatus.EXPIRED: frozenset(),
}


def can_move(current: str, target: str) -> bool:
    return JobStatus(target) in TRANSITIONS[JobStatus(current)]


def takeable(status: str, lease_until: datetime | None, now: datetime) -> bool:
    """A worker may take a job that waits, or one whose worker stopped reporting (its lease ran out)."""
    if status == JobStatus.QUEUED:
        return True
    return status == JobStatus.RUNNING and (lease_until is None or lease_until < now)


def expires_at(finished_at: datetime) -> datetime:
    return finished_at + KEEP_FOR


def percent(done: int | None, total: int | None) -> int | None:
    """How far a running job got, in whole percent; None before it knows how many orders the list holds. 100 only
    once every order has been written (a rounding 99.6 % stays 99)."""
    if total is None:
        return None
    if total == 0:
        return 100
    return min(100, (done or 0) * 100 // total)


def download_name(created_at: datetime, job_id: int, fmt: str) -> str:
    """orders-20261128-103000-12.csv: when it was asked for, in shop time, and which job (two jobs asked for in
    the same second get two names)."""
    return f"orders-{created_at.astimezone(SHOP_TZ):%Y%m%d-%H%M%S}-{job_id}.{fmt}"
