"""Asking for an export job, reading the shop's jobs, cancelling one and handing out its file. The worker's side
(taking a job, writing the file, deleting old files) is in runner.py.

Every use case checks the role here, not only the routes: an export job holds buyer data."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts import audit
from ..accounts.permissions import allowed, check
from ..accounts.service import Principal
from ..channels.douyin.export_request import FILTER_FIELDS
from ..db import row_id
from ..errors import Conflict, NotFound, ValidationFailed
from ..job_queue import check_room, mark_noticed, stop, watched_of_user
from ..privacy.crypto import PiiCipher
from ..spreadsheets import MAX_SHEET_ROWS
from .domain import JOB_MAX_ORDERS, MAX_OPEN_PER_SHOP, JobStatus, can_move, download_name, is_filtered
from .models import ExportJob

# (kind, job id, shop id) of the export jobs the pages' notice watcher follows for one user (web/job_watch.py): open,
# or finished and not yet announced; user_id and since bound
WATCHED_OF_USER = watched_of_user(ExportJob, "export")


def folder(data_dir: Path) -> Path:
    """Where job files lie: data_dir/exports, readable by the desk's own user only (the files hold buyer data).
    Deployments with several machines share the data folder already (the key file lives there too)."""
    path = Path(data_dir) / "exports"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def request_export(session: Session, *, shop_id: int, principal: Principal, body, now: datetime,
                   cipher: PiiCipher) -> ExportJob:
    """Queue an export of the list ``body`` selects (channels/douyin/export_request.ExportIn, as the export API).
    Everything that can be checked now is checked now, so a mistake is a 422 naming the field, not a failed job
    found later: format, per, the filters, the reveal's reason, how many of the shop's jobs are still open, and
    whether the list is longer than a job takes (counted as the list page counts it). The count is kept, so the
    jobs page shows how many orders a waiting job holds."""
    from ..channels.douyin.export_request import order_filter
    from ..channels.douyin.orders_export import check_request, filter_of
    from ..orders.queries import plan_page

    reason = check_request(principal, fmt=body.format, per=body.per, reveal=body.reveal, reason=body.reason) or None
    if principal.user_id is None:
        raise ValidationFailed("an export job belongs to a user; the system itself cannot ask for one")
    flt = order_filter(body, now)  # 422 naming the field, before anything is stored
    plan = plan_page(session, shop_id, flt, cipher)
    counted = None if plan.capped else plan.total  # PostgreSQL stops counting very common text matches early
    if counted is not None and counted > JOB_MAX_ORDERS:
        raise ValidationFailed(f"the list holds {counted:,} orders, more than an export takes ({JOB_MAX_ORDERS:,}): "
                               "narrow it by date (created_from / created_to) or status first",
                               code="export_too_large", details={"orders": counted, "limit": JOB_MAX_ORDERS})
    if counted is not None and body.format == "xlsx" and counted > MAX_SHEET_ROWS:  # one row per order at least
        raise ValidationFailed(f"the list holds {counted:,} orders, more rows than an Excel sheet holds "
                               f"({MAX_SHEET_ROWS:,}): export CSV instead, or a shorter list", code="sheet_too_long",
                               details={"field": "format", "orders": counted, "limit": MAX_SHEET_ROWS})
    check_room(session, ExportJob, shop_id, MAX_OPEN_PER_SHOP, "export")  # last: it locks the shop's row
    chosen = body.model_dump(mode="json", include=set(FILTER_FIELDS))  # the list, not the file's shape
    job = ExportJob(shop_id=shop_id, user_id=principal.user_id, login=principal.login, created_at=now,
                    format=body.format, per=body.per, filter_json=json.dumps(chosen, ensure_ascii=False),
                    reveal=bool(body.reveal), reason=reason if body.reveal else None, status=JobStatus.QUEUED.value,
                    orders_total=counted, orders_done=0, attempts=0)
    session.add(job)
    session.flush()
    audit.record(session, principal=principal, action="orders.export_requested", now=now, shop_id=shop_id,
                 target_type="export_job", target_id=str(job.id),
                 detail={"format": job.format, "per": job.per, "reveal": job.reveal, "reason": job.reason,
                         "filter": filter_of(flt)})  # as the export's own entry words it
    return job


def filters_of(job: ExportJob) -> dict:
    """The filters that were set (the others are left out), for display and the API."""
    chosen = json.loads(job.filter_json)
    return {k: v for k, v in chosen.items() if v is not None and not (k == "status" and v == "all")}


def list_jobs(session: Session, *, shop_id: int, principal: Principal, limit: int = 50) -> list[ExportJob]:
    check(principal.role, "orders.export")
    return list(session.scalars(select(ExportJob).where(ExportJob.shop_id == shop_id)
                                .order_by(ExportJob.id.desc()).limit(limit)))


def get_job(session: Session, *, shop_id: int, principal: Principal, job_id: object) -> ExportJob:
    """A job of this shop; another shop's job, a wrong id and a missing one are the same 404."""
    check(principal.role, "orders.export")
    pk = row_id(job_id)
    job = session.get(ExportJob, pk) if pk is not None else None
    if job is None or job.shop_id != shop_id:
        raise NotFound(f"export job {job_id} not found", code="export_job_not_found")
    return job


def may_cancel(job: ExportJob, principal: Principal) -> bool:
    """Whoever asked for a job may stop it, and an owner (users.manage) may stop anyone's."""
    return job.user_id == principal.user_id or allowed(principal.role, "users.manage")


def cancel(session: Session, *, shop_id: int, principal: Principal, job_id: object, now: datetime) -> ExportJob:
    """Stop a job that waits or runs (may_cancel says who may). A running worker notices at its next progress
    report and deletes its half-written file."""
    job = get_job(session, shop_id=shop_id, principal=principal, job_id=job_id)
    if not may_cancel(job, principal):
        raise NotFound(f"export job {job_id} not found", code="export_job_not_found")
    stopped = can_move(job.status, JobStatus.CANCELLED) and stop(session, ExportJob, job.id, now)
    if not stopped:  # finished already, or between the read and the write
        session.refresh(job)
        raise Conflict(f"export job {job.id} is {job.status}; only a waiting or running job can be cancelled",
                       code="export_job_finished", details={"status": job.status})
    audit.record(session, principal=principal, action="orders.export_cancelled", now=now, shop_id=shop_id,
                 target_type="export_job", target_id=str(job.id))
    session.refresh(job)
    return job


def noticed(session: Session, *, shop_id: int, principal: Principal, job_id: object, now: datetime) -> None:
    """The asker has been told the job finished (a notice on a page, or the jobs page itself): it is not announced
    again on the next page they open."""
    job = get_job(session, shop_id=shop_id, principal=principal, job_id=job_id)
    mark_noticed(session, ExportJob, job, principal.user_id, now, "export")


def file_of(session: Session, *, shop_id: int, principal: Principal, job_id: object, data_dir: Path,
            now: datetime) -> tuple[Path, str, ExportJob]:
    """The finished file, its download name and the job. A file with full buyer details is handed only to a role
    that may export them (pii.export). Every download is audited (who took which buyers' data, and when)."""
    job = get_job(session, shop_id=shop_id, principal=principal, job_id=job_id)
    if job.reveal:
        check(principal.role, "pii.export")
    if job.status != JobStatus.DONE or not job.file_name:
        code = "export_expired" if job.status == JobStatus.EXPIRED else "export_not_ready"
        raise Conflict(f"export job {job.id} is {job.status}: no file to download", code=code,
                       details={"status": job.status})
    path = folder(data_dir) / job.file_name
    if not path.is_file():
        raise Conflict(f"export job {job.id}: its file is gone from the data folder", code="export_file_missing",
                       details={"status": job.status})
    audit.record(session, principal=principal, action="orders.export_download", now=now, shop_id=shop_id,
                 target_type="export_job", target_id=str(job.id),
                 detail={"rows": job.rows_written, "reveal": job.reveal})
    return path, download_name(job.created_at, job.id, job.format, **file_shape(job)), job


def file_shape(job: ExportJob) -> dict:
    """What a job's file holds, as its name says it: the layout, the tab, and whether more than the tab chose it."""
    chosen = filters_of(job)
    return {"per": job.per, "status": chosen.get("status", "all"), "filtered": is_filtered(chosen)}
