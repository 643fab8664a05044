"""Rules of an export job, apart from I/O.

Why a job: an export written while the request waits (GET /api/v1/exports/orders) stops at 200,000 orders, since a
browser or proxy gives up long before a million orders are written (about two minutes as CSV and five as Excel,
benchmarks/RESULTS-export.md). The platform's own export takes up to 1,000,000 orders as a task whose file is
downloaded later; merchants expect the same here. A job's file holds buyer data, so it is kept for a limited time
and then deleted, and every download is audited.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ..clock import SHOP_TZ
from ..job_queue import (  # noqa: F401 - the job rules, as exports name them
    LEASE, MAX_ATTEMPTS, OPEN, TRANSITIONS, JobStatus, can_move, takeable)

JOB_MAX_ORDERS = 1_000_000  # as the platform's own export
KEEP_FOR = timedelta(days=7)  # then the file is deleted: it holds buyer data
MAX_OPEN_PER_SHOP = 3  # queued or running at once: enough for real work, not a way to fill the disk


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


def download_name(created_at: datetime, job_id: int | None, fmt: str, *, per: str = "sku", status: str = "all",
                  filtered: bool = False) -> str:
    """The file's name in ASCII, saying what it holds (QA pass 9, #19: every list export was orders-<time>.csv):
    orders-awaiting-shipment-filtered-per-order-20261128-103000-12.csv. Its tab (all when none), "filtered" when
    more than the tab chose the list, its layout (per-sku / per-order), when it was asked for in shop time to the
    second, and the job (two jobs asked for in the same second get two names; a download written while the request
    waits has no job). A page in Chinese names it in words (file_names.py); this is the fallback."""
    parts = ["orders", (status or "all").replace("_", "-")]
    if filtered:
        parts.append("filtered")
    parts += ["per-order" if per == "order" else "per-sku", f"{created_at.astimezone(SHOP_TZ):%Y%m%d-%H%M%S}"]
    if job_id is not None:
        parts.append(str(job_id))
    return "-".join(parts) + f".{fmt}"


def is_filtered(filters: dict) -> bool:
    """Whether anything besides the tab chose the list (a search, dates, a product, a flag…)."""
    return any(value not in (None, "") for name, value in filters.items() if name != "status")
