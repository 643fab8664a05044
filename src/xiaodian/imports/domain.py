"""Rules of an import job, apart from I/O.

Why a job: checking an export file and importing it run at ~6,000 rows a second (benchmarks/RESULTS-import.md), so
a file of 300,000 orders takes about a minute for the preview and as long again for the import. Done in the upload's
request, the browser shows nothing but a timer meanwhile, and a proxy in front of the desk (nginx waits 60 s by
default) gives up and shows an error while the import goes on unseen. A larger file is therefore handed to a worker
and the page follows it; a small one is still checked at once, which is quicker to read.
"""

from __future__ import annotations

import heapq

from ..errors import Conflict

# Files larger than this are checked and imported in the background: ~25,000 rows, a few seconds of work.
BACKGROUND_BYTES = 8 * 1024 * 1024
# Rejected rows kept with a job's report (and shown on its page); the count is kept whole. A file with a broken
# column rejects every row, and a million rejections are no use on a screen: the CLI's --json lists them all.
KEPT_REJECTIONS = 500
# Checks and imports a shop may have waiting or running at once: each holds a parked copy of a file of up to 4 GB.
MAX_OPEN_PER_SHOP = 3


# The note kept beside a parked upload whose preview found nothing to apply (the file itself is deleted: it holds buyer
# data and nothing would use it); an Apply that arrives anyway (a stale page, a script) is refused by it.
NOTHING_NOTE = "nothing_to_apply"


def would_import(created: int, updated: int) -> bool:
    """Whether applying a checked file changes anything: unchanged rows are already so and rejected ones are skipped,
    so a preview without an order to create or update offers no Apply (QA 5 E13: it did, and "imported" nothing)."""
    return created + updated > 0


def nothing_to_apply(what: str, rejected: int | None = None) -> Conflict:
    """The refusal of an Apply whose preview found nothing to do (``what``: "import" or "ship"), for a page that still
    showed the button or a client that asks anyway: it changes nothing and says why. ``rejected``: the preview's
    rejected rows, when the caller knows them. Without any, the file only holds what the desk already has (an
    export imported before): there is nothing to fix, and "fix the rejected rows" misled (QA 7 #12); with some, those
    are what keeps the file from changing anything. Unknown (None): the fix is offered only "if rows were rejected"."""
    wording = {"import": "no order to create or update", "ship": "no row to ship"}[what]
    found = f"the preview of this file found {wording}: applying it would change nothing"
    already = {"import": "in the desk as the file gives them", "ship": "shipped or not to be shipped"}[what]
    details: dict = {"apply": what}
    if rejected is None:
        advice = "; if rows were rejected, fix them in the file and upload it again"
    elif rejected == 0:
        advice = f"; every row of it is already {already}: the file holds nothing new"
        details["rejected"] = 0
    else:
        advice = (f"; the rows not rejected are already {already}, and {rejected:,} "
                  f"{'row was' if rejected == 1 else 'rows were'} rejected: fix them in the file and upload it again")
        details["rejected"] = rejected
    return Conflict(found + advice, code="nothing_to_apply", details=details)


def percent(done: int, size: int) -> int:
    """How far the worker got through the file, in whole percent (100 only once it reached the end)."""
    if size <= 0:
        return 100
    return min(100, done * 100 // size)


def stored_report(report) -> dict:
    """What a job keeps of an ImportReport (channels/exportfile/service.py): the counts, and the first
    KEPT_REJECTIONS rejections in row order."""
    return {"created": report.created, "updated": report.updated, "unchanged": report.unchanged,
            "orders": dict(report.orders), "ignored_columns": list(report.ignored_columns),
            "rejected_total": report.rejected_total, "dry_run": report.dry_run,
            "rejected": [e.as_dict() for e in report.rejected[:KEPT_REJECTIONS]],
            "warnings": [e.as_warning() for e in report.warnings], "warnings_total": report.warnings_total}


def rejection_order(error) -> tuple:
    """Rejections are listed, and the first KEPT_REJECTIONS kept, in the file's row order."""
    return (error.row, error.column)


def first_rejections(kept: list, new: list, limit: int | None = None) -> list:
    """The first ``limit`` (KEPT_REJECTIONS) of ``kept`` (already the first of the earlier ones) and ``new``, in row
    order. Whatever ``kept`` dropped lies after its last, so nothing dropped can come back among the first."""
    return heapq.nsmallest(KEPT_REJECTIONS if limit is None else limit, kept + new, key=rejection_order)


def checkpoint(report, orders_done: int, kept: list, attempt: int, resumed_from: int, complete: bool = False) -> dict:
    """What an import job writes with each batch it commits: the file's orders done so far and the report so far,
    its rejections cut to ``kept`` (first_rejections) but counted whole. A worker taking the job over carries on
    from here, so the final report is the one a single clean run gives. ``attempt`` wrote it, having taken over at
    ``resumed_from`` orders (0: from the start). ``complete``: the whole file is imported and its audit entry written,
    so a worker taking over only has to mark the job done with this report (importing again would log it twice)."""
    stored = stored_report(report)
    stored["rejected"] = [e.as_dict() for e in kept]
    return {"orders_done": orders_done, "report": stored, "attempt": attempt, "resumed_from": resumed_from,
            "complete": complete}


def resumed_from(saved: dict | None, attempts: int) -> int | None:
    """How many orders the earlier attempts had committed when the current one (the ``attempts``-th) took the job
    over; None when it started from the beginning. Until the current attempt commits its first batch, the saved
    checkpoint is the dead worker's own, and its orders done are where the current one carries on."""
    if not saved or attempts <= 1:
        return None
    if saved.get("attempt") == attempts:
        return saved.get("resumed_from") or None
    return saved["orders_done"] or None
