"""The worker's side of export jobs: take the oldest waiting job (or one whose worker died), write its file while
reporting progress, and delete files past their week.

Jobs are taken, renewed and ended through the database (job_queue): two workers never write the same job, a
cancelled job stops at its next progress report, and a job whose worker died is taken up again. The file is written
beside its final name and renamed when whole: a download never gets half a file.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from ..db import row_id
from ..errors import DomainError
from ..job_queue import JobStatus, JobStopped, ProgressReports, finish, requester, work_through
from ..job_queue import claim_next as _claim
from .domain import JOB_MAX_ORDERS, expires_at
from .models import ExportJob
from .service import folder

log = logging.getLogger("xiaodian.exports")


def claim_next(sessions: sessionmaker[Session], now: datetime, holder: str) -> int | None:
    """The oldest export job that waits or whose worker died (job_queue.claim_next), its progress reset."""
    return _claim(sessions, ExportJob, now, holder, ("export_worker_lost", "ask for a smaller list"), orders_done=0)


def run_job(ctx, job_id: int, holder: str) -> str:
    """Write the job's file and mark it done (or failed, naming why); returns the final status, or "stopped" when
    the job was cancelled or taken over meanwhile."""
    from ..channels.douyin.export_request import ExportIn, order_filter
    from ..channels.douyin.orders_export import export_orders

    with ctx.sessions() as session:
        job = session.get(ExportJob, job_id)
        session.expunge(job)
    name = f"{job.id}-{secrets.token_hex(8)}.{job.format}"
    part = folder(ctx.settings.data_dir) / (name + ".part")
    last = {"total": 0}
    reports = ProgressReports(ctx.sessions, ExportJob, job.id, holder, ctx.clock)

    def progress(done: int, total: int) -> None:
        last["total"] = total
        reports(orders_done=done, orders_total=total)

    try:
        with ctx.sessions() as session:
            principal = requester(session, job.user_id)
            if principal is None:
                raise DomainError("the user who asked for this export is disabled", code="export_requester_disabled")
            flt = order_filter(ExportIn(**json.loads(job.filter_json)), job.created_at)  # the list as it was asked for
            # readable by the desk's own user only, like the folder: the file holds buyer data
            with os.fdopen(os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
                rows = export_orders(session, shop_id=job.shop_id, flt=flt, cipher=ctx.cipher, principal=principal,
                                     fmt=job.format, now=ctx.clock.now(), out=out, reveal=job.reveal,
                                     reason=job.reason, per=job.per, limit=JOB_MAX_ORDERS, progress=progress)
                out.flush()
                os.fsync(out.fileno())
            size = part.stat().st_size
            part.rename(part.with_suffix(""))
            now = ctx.clock.now()
            if not finish(ctx.sessions, ExportJob, job.id, holder, status=JobStatus.DONE.value, file_name=name,
                           rows_written=rows, size_bytes=size, finished_at=now, expires_at=expires_at(now),
                           orders_done=last["total"], orders_total=last["total"]):
                raise JobStopped(job.id)
            session.commit()  # the audit entry of the export (orders.export), once the file is there
        log.info("export job %s done: %s rows, %s bytes", job.id, rows, size)
        return JobStatus.DONE.value
    except JobStopped:  # cancelled, or another worker holds it now: that one writes the file
        _remove(part, part.with_suffix(""))
        return "stopped"
    except DomainError as exc:
        _remove(part, part.with_suffix(""))
        finish(ctx.sessions, ExportJob, job.id, holder, status=JobStatus.FAILED.value, finished_at=ctx.clock.now(),
                error_code=exc.code[:40], error_message=exc.message[:400])
        return JobStatus.FAILED.value
    except Exception:
        log.exception("export job %s broke", job.id)
        _remove(part, part.with_suffix(""))
        finish(ctx.sessions, ExportJob, job.id, holder, status=JobStatus.FAILED.value, finished_at=ctx.clock.now(),
                error_code="export_failed", error_message="the export broke on the server; the log has the details")
        return JobStatus.FAILED.value


def _remove(*paths) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def expire_files(ctx, now: datetime) -> int:
    """Delete the files of jobs past their week (they hold buyer data) and mark the jobs expired."""
    with ctx.sessions.begin() as session:
        due = session.execute(select(ExportJob.id, ExportJob.file_name).where(
            ExportJob.status == JobStatus.DONE.value, ExportJob.expires_at < now)).all()
        for job_id, file_name in due:
            if file_name:
                _remove(folder(ctx.settings.data_dir) / file_name)
            session.execute(update(ExportJob).where(ExportJob.id == job_id, ExportJob.status == JobStatus.DONE.value)
                            .values(status=JobStatus.EXPIRED.value, file_name=None))
    return len(due)


def sweep_orphans(ctx) -> int:
    """Delete files no job will hand out: what a worker killed mid-write left (a ``.part``, or a whole file whose
    job was never marked done), once its job is no longer running. They hold buyer data, so they must not stay in
    the data folder for ever."""
    files = [p for p in folder(ctx.settings.data_dir).iterdir() if p.is_file()]
    if not files:
        return 0
    ids = {p: row_id(p.name.split("-", 1)[0]) for p in files}
    with ctx.sessions() as session:
        jobs = {r.id: r for r in session.execute(select(ExportJob.id, ExportJob.status, ExportJob.file_name).where(
            ExportJob.id.in_({i for i in ids.values() if i is not None})))}
    removed = 0
    for path, job_id in ids.items():
        job = jobs.get(job_id)
        if job is not None and (job.status == JobStatus.RUNNING.value or path.name == job.file_name):
            continue
        _remove(path)
        removed += 1
    return removed


def run_waiting(ctx, holder: str | None = None, max_jobs: int = 20) -> list[tuple[int, str]]:
    """The worker's turn: expire old files, remove orphans, then write waiting jobs (job_queue.work_through)."""
    expire_files(ctx, ctx.clock.now())
    sweep_orphans(ctx)
    return work_through(ctx, claim_next, run_job, holder, max_jobs)
