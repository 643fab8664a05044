"""The worker's side of import jobs: take the oldest waiting check or import (or one whose worker died), run it on
the parked upload while reporting how far it got, and keep its report.

A job whose worker died is run again from the start: the import is idempotent (an upsert keyed on shop and SKU
order id), so the rows the first attempt wrote count as unchanged the second time, and nothing is written twice.
"""

from __future__ import annotations

import json
import logging
import time

from sqlalchemy.orm import Session, sessionmaker

from ..channels.exportfile import uploads
from ..channels.exportfile.reader import FileUnreadable
from ..channels.exportfile.service import import_order_file
from ..errors import DomainError
from ..job_queue import Heartbeat, JobStatus, JobStopped, ProgressReports, finish, requester, work_through
from ..job_queue import claim_next as _claim
from .domain import stored_report
from .models import ImportJob

log = logging.getLogger("xiaodian.imports")


def claim_next(sessions: sessionmaker[Session], now, holder: str) -> int | None:
    """The oldest import job that waits or whose worker died (job_queue.claim_next), its progress reset."""
    return _claim(sessions, ImportJob, now, holder, ("import_worker_lost", "upload the file again"), bytes_done=0)


def run_job(ctx, job_id: int, holder: str) -> str:
    """Check or import the job's file and keep the report (or fail, naming why); returns the final status, or
    "stopped" when another worker took the job over meanwhile. The parked file is deleted once imported, or when
    it cannot be read at all."""
    with ctx.sessions() as session:
        job = session.get(ImportJob, job_id)
        session.expunge(job)
        principal = requester(session, job.user_id)
    heartbeat = Heartbeat(ctx.sessions, ImportJob, job.id, holder, ctx.clock)
    reports = ProgressReports(ctx.sessions, ImportJob, job.id, holder, ctx.clock, heartbeat)

    def progress(done: int, size: int) -> None:
        reports(bytes_done=done)

    try:
        if principal is None:
            raise DomainError("the user who uploaded this file is disabled", code="import_requester_disabled")
        upload = uploads.load(ctx.settings.data_dir, job.upload_id)
        with heartbeat:  # the first pass over the file reports no progress
            result = import_order_file(ctx.sessions, shop_id=job.shop_id, path=upload.path, cipher=ctx.cipher,
                                       now=ctx.clock.now(), dry_run=job.dry_run, principal=principal,
                                       progress=progress)
    except JobStopped:
        return "stopped"
    except DomainError as exc:
        if isinstance(exc, FileUnreadable):
            uploads.delete(ctx.settings.data_dir, job.upload_id)  # nothing can be imported from it
        if not finish(ctx.sessions, ImportJob, job.id, holder, status=JobStatus.FAILED.value,
                      finished_at=ctx.clock.now(), error_code=exc.code[:40], error_message=exc.message[:400],
                      error_details=json.dumps(exc.details or {}, ensure_ascii=False, default=str)[:4000]):
            return "stopped"  # stopped meanwhile (its parked file went with it), or taken over
        return JobStatus.FAILED.value
    except Exception:
        log.exception("import job %s broke", job.id)
        finish(ctx.sessions, ImportJob, job.id, holder, status=JobStatus.FAILED.value, finished_at=ctx.clock.now(),
               error_code="import_failed", error_message="the import broke on the server; the log has the details")
        return JobStatus.FAILED.value
    if not finish(ctx.sessions, ImportJob, job.id, holder, status=JobStatus.DONE.value, finished_at=ctx.clock.now(),
                  bytes_done=job.size_bytes, report_json=json.dumps(stored_report(result), ensure_ascii=False)):
        return "stopped"
    if not job.dry_run:
        uploads.delete(ctx.settings.data_dir, job.upload_id)
    log.info("import job %s done: %s rows", job.id, result.rows)
    return JobStatus.DONE.value


def run_waiting(ctx, holder: str | None = None, max_jobs: int = 20) -> list[tuple[int, str]]:
    """The worker's turn: check and import waiting files (job_queue.work_through)."""
    return work_through(ctx, claim_next, run_job, holder, max_jobs)


def sweep_uploads(ctx) -> int:
    """Delete parked upload files past their day (uploads.sweep), except those an open import job still reads."""
    from sqlalchemy import select

    from ..job_queue import OPEN

    with ctx.sessions() as session:
        working = set(session.scalars(select(ImportJob.upload_id).where(
            ImportJob.status.in_([s.value for s in OPEN]))))
    # File times are the machine's real time, so they are compared with it, not with the desk's clock (which
    # XIAODIAN_NOW may pin to another day).
    return uploads.sweep(ctx.settings.data_dir, time.time(), keep=working)

