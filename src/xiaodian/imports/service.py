"""Asking for an import job (the preview of a parked upload, then the import itself) and reading one. The worker's
side is in runner.py. Every use case checks the role here, not only the routes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..accounts import audit
from ..accounts.permissions import allowed, check
from ..accounts.service import Principal
from ..channels.exportfile import uploads
from ..channels.exportfile.uploads import StoredUpload
from ..db import row_id
from ..errors import Conflict, NotFound, ValidationFailed
from ..job_queue import JobStatus, check_room, mark_noticed, stop, watched_of_user
from .domain import MAX_OPEN_PER_SHOP, nothing_to_apply, would_import
from .models import ImportJob

# (kind, job id, shop id) of the import jobs the pages' notice watcher follows for one user (web/job_watch.py): open,
# or finished and not yet announced; user_id and since bound
WATCHED_OF_USER = watched_of_user(ImportJob, "import")


def request_preview(session: Session, *, shop_id: int, principal: Principal, upload: StoredUpload,
                    now: datetime, dry_run: bool = True) -> ImportJob:
    """Queue the check (dry run) of a parked upload; its report is the preview the merchant applies or not. An API
    client may ask for the import straight away (``dry_run=False``), as POST /api/v1/imports/orders does."""
    check(principal.role, "orders.import")
    if principal.user_id is None:
        raise ValidationFailed("an import job belongs to a user; the system itself cannot ask for one")
    check_room(session, ImportJob, shop_id, MAX_OPEN_PER_SHOP, "import")
    job = ImportJob(shop_id=shop_id, user_id=principal.user_id, login=principal.login, created_at=now,
                    upload_id=upload.upload_id, file_name=upload.filename, size_bytes=upload.size, dry_run=dry_run,
                    status=JobStatus.QUEUED.value, bytes_done=0, attempts=0)
    session.add(job)
    session.flush()
    return job


def visible(job: ImportJob, principal: Principal) -> bool:
    """Whoever uploaded the file sees its job, and an owner (users.manage) sees everyone's: the report's rejected
    rows quote the file's cells."""
    return job.user_id == principal.user_id or allowed(principal.role, "users.manage")


def get_job(session: Session, *, shop_id: int, principal: Principal, job_id: object) -> ImportJob:
    """A job of this shop the user may see; another shop's, another user's, a wrong id and a missing one are the
    same 404."""
    check(principal.role, "orders.import")
    pk = row_id(job_id)
    job = session.get(ImportJob, pk) if pk is not None else None
    if job is None or job.shop_id != shop_id or not visible(job, principal):
        raise NotFound(f"import job {job_id} not found", code="import_job_not_found")
    return job


def recent_jobs(session: Session, *, shop_id: int, principal: Principal, limit: int = 10,
                now: datetime | None = None) -> list[ImportJob]:
    """The latest jobs the user may see, newest first. Given ``now``, each carries ``unattended_minutes``
    (web/job_watch.WorkerWatch: one query for the list at most), which the upload page's list shows."""
    check(principal.role, "orders.import")
    mine = [] if allowed(principal.role, "users.manage") else [ImportJob.user_id == principal.user_id]  # visible()
    jobs = list(session.scalars(select(ImportJob).where(ImportJob.shop_id == shop_id, *mine)
                                .order_by(ImportJob.id.desc()).limit(limit)))
    if now is not None:
        from ..web.job_watch import WorkerWatch  # it reads this module's statement

        watch = WorkerWatch(session, ImportJob, now)
        for job in jobs:
            job.unattended_minutes = watch.minutes(job)
    return jobs


def applied_by(session: Session, preview: ImportJob) -> ImportJob | None:
    return session.scalar(select(ImportJob).where(ImportJob.preview_of == preview.id))


def request_apply(session: Session, *, shop_id: int, principal: Principal, job_id: object, now: datetime,
                  data_dir: Path) -> ImportJob:
    """Queue the import of a previewed file. A preview is applied once: a second click on Apply (or a second tab)
    gets the import already asked for, while it waits or runs or once it is done. One whose import was stopped or
    failed is refused (409 import_stopped): answering 202 with the ended job queued nothing (QA 7 #10), and the
    preview cannot be imported again (its import is one row of the table, and a stopped import's parked file is
    deleted), so the file is uploaded again. One that found nothing to create or update is not applied at all (409
    nothing_to_apply)."""
    preview = get_job(session, shop_id=shop_id, principal=principal, job_id=job_id)
    if not preview.dry_run or preview.status != JobStatus.DONE:
        raise Conflict(f"import job {preview.id} is not a finished preview ({preview.status}); only a checked file "
                       "can be imported", code="import_not_previewed", details={"status": preview.status})
    existing = applied_by(session, preview)
    if existing is not None:
        if existing.status in STOPPED:
            raise import_stopped(existing)
        _told_by_apply(session, preview, now)
        return existing
    report = preview.report or {}
    if not would_import(report.get("created", 0), report.get("updated", 0)):  # a stale page or a script asks anyway
        raise nothing_to_apply("import", rejected=report.get("rejected_total"))
    uploads.load(data_dir, preview.upload_id)  # 404 upload_not_found when the parked file is gone
    check_room(session, ImportJob, shop_id, MAX_OPEN_PER_SHOP, "import")
    job = ImportJob(shop_id=shop_id, user_id=principal.user_id, login=principal.login, created_at=now,
                    upload_id=preview.upload_id, file_name=preview.file_name, size_bytes=preview.size_bytes,
                    dry_run=False, preview_of=preview.id, status=JobStatus.QUEUED.value, bytes_done=0, attempts=0)
    try:
        with session.begin_nested():
            session.add(job)
    except IntegrityError:  # the same preview applied at the same instant elsewhere: that import it is
        return applied_by(session, preview)
    _told_by_apply(session, preview, now)
    return job


# The ends of an import after which its preview cannot be applied again: the file must be uploaded again.
STOPPED = frozenset({JobStatus.CANCELLED.value, JobStatus.FAILED.value})


def import_stopped(job: ImportJob) -> Conflict:
    """The refusal of an Apply whose import was stopped by hand or failed: nothing is queued, and the way on is to
    upload the file again (the batches already written stay; importing the file again completes it)."""
    how = "was stopped before it finished" if job.status == JobStatus.CANCELLED else "failed"
    return Conflict(f"this file's import (job {job.id}) {how}, and a checked file is imported once: the orders it had "
                    "written stay; upload the file again to import the rest", code="import_stopped",
                    details={"import_job": job.id, "status": job.status})


def _told_by_apply(session: Session, preview: ImportJob, now: datetime) -> None:
    """An applied check needs no notice: "checked: see the preview and import it" would invite a second import of
    the file (QA 5 E12: a preview applied through the API, or from a page without its script, was still announced).
    Its uploader hears of the import instead, when it is theirs."""
    session.execute(update(ImportJob).where(ImportJob.id == preview.id, ImportJob.noticed_at.is_(None))
                    .values(noticed_at=now))


def noticed(session: Session, *, shop_id: int, principal: Principal, job_id: object, now: datetime) -> None:
    """The uploader has been told the check or import finished (a notice on a page, or the job's own page): it is
    not announced again on the next page they open."""
    job = get_job(session, shop_id=shop_id, principal=principal, job_id=job_id)
    mark_noticed(session, ImportJob, job, principal.user_id, now, "import")


def cancel(session: Session, *, shop_id: int, principal: Principal, job_id: object, now: datetime,
           data_dir: Path) -> ImportJob:
    """Stop a check or an import that waits or runs (whoever may see it may stop it: the uploader or an owner). A
    running worker stops at its next progress report, within about a second; an import keeps the batches it had
    already committed (each is whole, and importing the file again completes it). A stopped check's parked file
    is deleted; a stopped import's is too (it was applied from a preview)."""
    job = get_job(session, shop_id=shop_id, principal=principal, job_id=job_id)
    stopped = stop(session, ImportJob, job.id, now)
    session.refresh(job)
    if not stopped:
        raise Conflict(f"import job {job.id} is {job.status}; only a waiting or running job can be stopped",
                       code="import_job_finished", details={"status": job.status})
    uploads.delete(data_dir, job.upload_id)
    audit.record(session, principal=principal, action="orders.import_stopped", now=now, shop_id=shop_id,
                 target_type="import_job", target_id=str(job.id),
                 detail={"file": job.file_name, "dry_run": job.dry_run})  # a stopped import leaves part of a file
    return job

