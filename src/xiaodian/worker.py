"""Runs every capability's registered background jobs: ``xiaodian worker`` (a loop of its own, for deployments
with several processes) and a daemon thread inside ``xiaodian serve`` (one machine, one process). Jobs
coordinate through the database (leases, unique constraints), so any number of these may run at once."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import typer

log = logging.getLogger("xiaodian.worker")


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: float
    run: Callable  # run(ctx) -> None; must be idempotent
    lane: str = "main"  # each lane is a thread of its own: a job that runs for minutes gets a lane of its own


def _fields(values: dict) -> str:
    """A scan's report as a log line reads it: ``shop_id=1 overdue=3 reminders=12`` (QA pass 12, #5: a Python dict
    repr), leaving out what is empty or zero."""
    return " ".join(f"{key}={value}" for key, value in values.items() if value not in (None, 0, False, [], {}, ""))


def _deadline_scan(ctx) -> None:
    from .shipping.jobs import scan_all_shops

    for report in scan_all_shops(ctx.sessions, ctx.clock.now()):
        if report.overdue or report.late_shipped or report.reminders or report.derived:
            log.info("deadline scan: %s", _fields(report.as_json()))


def _logistics_scan(ctx) -> None:
    from .logistics.jobs import scan_all_shops
    from .logistics.service import live_tracking, thresholds_from

    for report in scan_all_shops(ctx.sessions, ctx.clock.now(), thresholds=thresholds_from(ctx.settings),
                                 tracked=live_tracking(ctx.settings)):
        if report.raised or report.escalated or report.resolved or report.reopened:
            log.info("logistics scan: %s", _fields(report.as_json()))


def _logistics_tracking(ctx) -> None:
    """Kuaidi100 subscribe/poll (when configured), replay of stored pushes, and the demo's simulated carrier."""
    from .logistics.jobs_tracking import run_tracking

    run_tracking(ctx)


JOBS: list[Job] = [Job("shipping.deadline_scan", 60.0, _deadline_scan),
                   Job("logistics.tracking", 60.0, _logistics_tracking),
                   Job("logistics.scan", 60.0, _logistics_scan)]


def _aftersale_scan(ctx) -> None:
    """Reminders for after-sale cases near their node deadline, flags for those past it."""
    from .aftersales.jobs import scan_all_shops

    for report in scan_all_shops(ctx.sessions, ctx.clock.now()):
        if report.due_soon or report.overdue:
            log.info("after-sale scan: %s", _fields(report.as_json()))


JOBS.append(Job("aftersales.deadline_scan", 60.0, _aftersale_scan))


def _douyin_sync(ctx) -> None:
    """Incremental order sync and inbox retries for every shop connected to the Douyin Open Platform."""
    from .channels.douyin.jobs import run_sync

    run_sync(ctx)


def _douyin_reconcile(ctx) -> None:
    """Hourly sweep by update_time that repairs what pushes missed."""
    from .channels.douyin.jobs import run_reconcile

    run_reconcile(ctx)


JOBS.append(Job("douyin.sync", 60.0, _douyin_sync))
JOBS.append(Job("douyin.reconcile", 3600.0, _douyin_reconcile))


def _exports(ctx) -> None:
    """Export jobs asked for on the order list (up to 1,000,000 orders each), and the deletion of week-old files.
    A lane of its own: writing a million orders takes minutes, and the deadline scans must not wait for it."""
    from .exports.runner import run_waiting

    for job_id, status in run_waiting(ctx):
        log.info("export job %s %s", job_id, status)


JOBS.append(Job("exports.orders", 2.0, _exports, lane="exports"))


def _imports(ctx) -> None:
    """Check and import large order export files uploaded on the import page (imports/runner.py). A lane of its
    own: a file of a million rows takes minutes."""
    from .imports.runner import run_waiting

    for job_id, status in run_waiting(ctx):
        log.info("import job %s %s", job_id, status)


JOBS.append(Job("imports.orders", 2.0, _imports, lane="imports"))


def _sweep_uploads(ctx) -> None:
    """Parked upload files (previews never applied) hold buyer data in clear: deleted after a day."""
    from .imports.runner import sweep_uploads

    removed = sweep_uploads(ctx)
    if removed:
        log.info("parked uploads deleted: %s", removed)


JOBS.append(Job("uploads.sweep", 600.0, _sweep_uploads))


def register_job(job: Job) -> None:
    JOBS.append(job)


def lanes() -> list[str]:
    return sorted({job.lane for job in JOBS})


def run_due(ctx, last_run: dict[str, float], monotonic: Callable[[], float], lane: str | None = None) -> None:
    """Run each job (of ``lane``, or every job) whose interval has passed; a failing job is logged and does not
    stop the others."""
    for job in JOBS:
        if lane is not None and job.lane != lane:
            continue
        now = monotonic()
        if now - last_run.get(job.name, float("-inf")) < job.every_seconds:
            continue
        last_run[job.name] = now
        try:
            job.run(ctx)
        except Exception:
            log.exception("job %s failed", job.name)


def run_forever(ctx, stop: threading.Event, tick: float = 1.0, lane: str | None = None) -> None:
    import time

    last_run: dict[str, float] = {}
    while not stop.is_set():
        run_due(ctx, last_run, time.monotonic, lane)
        stop.wait(tick)


def start_background(ctx) -> threading.Event:
    """The jobs in daemon threads of the current process (``xiaodian serve``), one per lane; set the event to stop
    them."""
    stop = threading.Event()
    for lane in lanes():
        threading.Thread(target=run_forever, args=(ctx, stop, 1.0, lane), name=f"xiaodian-jobs-{lane}",
                         daemon=True).start()
    return stop


def worker(once: bool = typer.Option(False, "--once", help="run every job once, then exit")) -> None:
    """Run the background jobs (deadline scan every minute) until stopped."""
    from .bootstrap import open_context
    from .logs import configure_logging

    configure_logging()
    ctx = open_context()
    if once:
        import time

        run_due(ctx, {}, time.monotonic)
        return
    from .job_queue import holder_name

    stop = start_background(ctx)
    log.info("worker %s started: %s jobs in lanes %s", holder_name(), len(JOBS), ", ".join(lanes()))
    try:
        while not stop.wait(3600):
            pass
    except KeyboardInterrupt:
        stop.set()
    log.info("worker %s stopping: a job it was running is taken up by another worker (or by this one restarted)",
             holder_name())
