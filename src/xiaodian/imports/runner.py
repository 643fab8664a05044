"""The worker's side of import jobs: take the oldest waiting check or import (or one whose worker died), run it on
the parked upload while reporting how far it got, and keep its report.

An import commits batch by batch, and each batch's transaction also writes the job's checkpoint: how many of the
file's orders are done, and the report so far (domain.checkpoint). A worker that takes over a job whose worker died
reads past those orders without writing and counts on from the checkpoint, so the report is the one a single clean
run gives (orders the dead worker created count as created, not as unchanged) and the work already done is not
compared again. The checkpoint is written only while the worker still holds the job (job_queue.hold): a worker that
was taken for dead but still runs, or whose job was stopped by hand, has its batch rolled back. A check (dry run)
writes nothing, so it is simply run again from the start.
"""

from __future__ import annotations

import json
import logging
import time

from sqlalchemy.orm import Session, sessionmaker

from ..channels.exportfile import uploads
from ..channels.exportfile.reader import FileUnreadable
from ..channels.exportfile.rows import RowError
from ..channels.exportfile.service import ImportReport, Resume, import_order_file
from ..errors import DomainError
from ..job_queue import Heartbeat, JobStatus, JobStopped, ProgressReports, finish, hold, requester, work_through
from ..job_queue import claim_next as _claim
from .domain import checkpoint, first_rejections, stored_report
from .models import ImportJob

log = logging.getLogger("xiaodian.imports")


def claim_next(sessions: sessionmaker[Session], now, holder: str) -> int | None:
    """The oldest import job that waits or whose worker died (job_queue.claim_next), its progress reset."""
    return _claim(sessions, ImportJob, now, holder, ("import_worker_lost", "upload the file again"))


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

    saved = None if job.dry_run else job.checkpoint
    if saved and saved.get("complete"):  # the dead worker had done all but say so
        return _done(ctx, job, holder, saved["report"])
    resume = resumed(saved)
    # An import taken over carries on from its checkpoint, but reads the file again from the top: its bar stays
    # where the dead worker left it until the reading passes that point, rather than jump back (QA pass 12, #4:
    # 51% → 17% while the page said it carried on). A check (dry run) does start again: its bar does too.
    floor = job.bytes_done if resume is not None else 0
    if resume is None and job.bytes_done:
        reports(bytes_done=0)

    def progress(done: int, size: int) -> None:
        if done > floor:
            reports(bytes_done=done)

    try:
        if principal is None:
            raise DomainError("the user who uploaded this file is disabled", code="import_requester_disabled")
        upload = uploads.load(ctx.settings.data_dir, job.upload_id)
        with heartbeat:  # the first pass over the file reports no progress
            result = import_order_file(ctx.sessions, shop_id=job.shop_id, path=upload.path, cipher=ctx.cipher,
                                       now=ctx.clock.now(), dry_run=job.dry_run, principal=principal,
                                       progress=progress, resume=resume, file_name=job.file_name,
                                       on_commit=None if job.dry_run else Checkpoints(job, holder, ctx.clock,
                                                                                      resume))
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
    return _done(ctx, job, holder, stored_report(result))


def _done(ctx, job: ImportJob, holder: str, report: dict) -> str:
    """Mark the job done with its kept report (domain.stored_report); an import's parked file goes."""
    if not finish(ctx.sessions, ImportJob, job.id, holder, status=JobStatus.DONE.value, finished_at=ctx.clock.now(),
                  bytes_done=job.size_bytes, report_json=json.dumps(report, ensure_ascii=False)):
        return "stopped"
    if not job.dry_run:
        uploads.delete(ctx.settings.data_dir, job.upload_id)
    log.info("import job %s done: %s rows", job.id, report["created"] + report["updated"] + report["unchanged"]
             + report["rejected_total"])
    return JobStatus.DONE.value


class Checkpoints:
    """Writes a job's checkpoint in each batch's transaction, while this worker still holds the job. The first
    KEPT_REJECTIONS rejections are kept up to date from each batch's new ones, not re-sorted from all of them: a
    file with a broken column rejects every row."""

    def __init__(self, job: ImportJob, holder: str, clock, resume: Resume | None) -> None:
        self._job_id, self._attempt, self._holder, self._clock = job.id, job.attempts, holder, clock
        self._kept = list(resume.report.rejected) if resume is not None else []
        self._seen = len(self._kept)
        self._resumed_from = resume.orders_done if resume is not None else 0

    def __call__(self, session: Session, report: ImportReport, orders_done: int, complete: bool) -> None:
        self._kept = first_rejections(self._kept, report.rejected[self._seen:])
        self._seen = len(report.rejected)
        saved = checkpoint(report, orders_done, self._kept, self._attempt, self._resumed_from, complete)
        hold(session, ImportJob, self._job_id, self._holder, self._clock.now(),
             checkpoint_json=json.dumps(saved, ensure_ascii=False))


def resumed(data: dict | None) -> Resume | None:
    """Where an earlier attempt got (domain.checkpoint), as the import carries on from it; None from the start."""
    if not data:
        return None
    stored = data["report"]
    kept = [RowError(e["row"], e["column"], e["code"], e["message"]) for e in stored["rejected"]]
    warned = [RowError(e["row"], e["column"], e["code"], e["message"], e["order_id"])
              for e in stored.get("warnings", [])]
    report = ImportReport(created=stored["created"], updated=stored["updated"], unchanged=stored["unchanged"],
                          rejected=kept, orders=dict(stored["orders"]),
                          rejected_unlisted=stored["rejected_total"] - len(kept), warnings=warned,
                          warnings_unlisted=stored.get("warnings_total", len(warned)) - len(warned))
    return Resume(orders_done=data["orders_done"], report=report)


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

