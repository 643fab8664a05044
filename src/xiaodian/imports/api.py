"""Import jobs API under /api/v1/imports/orders/jobs: hand a large export file to the worker (202, the job), follow it,
apply a checked file, stop one, say its uploader has been told it finished. The answer of POST /api/v1/imports/orders
waits for the whole import, which a proxy in front of the desk cuts off after a minute or so; a job does not. Thin
adapters over service.py."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from ..web.body_limits import UPLOAD as UPLOAD_BODY
from ..accounts.service import Principal
from ..channels.exportfile import uploads
from ..channels.exportfile.schemas import RejectedRow, WarnedRow
from ..clock import SHOP_TZ
from ..errors import DomainError
from ..web.deps import db, get_ctx, require, shop_of, shop_param
from ..web.job_watch import WorkerWatch
from ..web.openapi import ERROR_RESPONSES
from . import service
from .models import ImportJob

router = APIRouter(prefix="/api/v1/imports/orders/jobs", tags=["imports"], responses=ERROR_RESPONSES,
                    dependencies=[Depends(shop_param)])


class JobReport(BaseModel):
    created: int
    updated: int
    unchanged: int
    rejected_total: int = Field(description="every rejected row; `rejected` lists the first 500")
    rejected: list[RejectedRow]
    orders: dict[str, int] = Field(description="the same counts in orders (a multi-SKU order is several rows)")
    dry_run: bool
    warnings_total: int = Field(0, description="rows imported as the file gives them but worth a look")
    warnings: list[WarnedRow] = Field(default_factory=list, description="the first 500 of those")


class JobError(BaseModel):
    code: str
    message: str
    details: dict


class ImportJobOut(BaseModel):
    id: int
    status: str  # queued, running, done, failed, cancelled
    dry_run: bool = Field(description="a check (nothing changes) or the import itself")
    file_name: str
    size_bytes: int
    bytes_done: int
    percent: int
    orders_committed: int | None = Field(
        description="an import's orders of the file committed so far, batch by batch (null for a check, or before "
                    "the first batch); a worker taking over from a dead one carries on from there")
    attempts: int = Field(description="workers that have taken this job up; over 1 after a worker died")
    resumed_after_orders: int | None = Field(
        description="orders the earlier attempts had committed when the current one took over from a dead worker")
    requested_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    report: JobReport | None
    error: JobError | None
    preview_of: int | None = Field(description="the check this import applies")
    applied_by: int | None = Field(description="the import that applies this check, once asked for")
    unattended_minutes: int | None = Field(
        None, description="set while the job waits or runs with no worker on it (none took it up, or its worker "
                          "stopped renewing its lease) for over 2 minutes: is `xiaodian worker` running? Null while a "
                          "worker is on it, while it only waits its turn behind another job, and once it ended")


def job_out(session: Session, job: ImportJob, now: datetime | None = None) -> ImportJobOut:
    """The job as the API shows it; given ``now``, whether no worker is on it (job_watch.WorkerWatch)."""
    def shown(value: datetime | None) -> datetime | None:
        return value.astimezone(SHOP_TZ) if value is not None else None

    applied = service.applied_by(session, job) if job.dry_run else None
    committed = job.checkpoint
    return ImportJobOut(
        id=job.id, status=job.status, dry_run=job.dry_run, file_name=job.file_name, size_bytes=job.size_bytes,
        bytes_done=job.bytes_done, percent=job.percent, requested_by=job.login, attempts=job.attempts,
        orders_committed=committed["orders_done"] if committed else None, resumed_after_orders=job.resumed_from,
        created_at=shown(job.created_at), started_at=shown(job.started_at), finished_at=shown(job.finished_at),
        report=JobReport(**job.report) if job.report else None,
        error=JobError(code=job.error_code, message=job.error_message or "",
                       details=job.error_detail) if job.error_code else None,
        preview_of=job.preview_of, applied_by=applied.id if applied else None,
        unattended_minutes=WorkerWatch(session, ImportJob, now).minutes(job) if now is not None else None)


@router.post("", response_model=ImportJobOut, status_code=202, max_body_size=UPLOAD_BODY,
             summary="Hand an order export file (CSV UTF-8/GBK or XLSX, any size) to the worker: checked only "
                     "(dry_run) or imported; follow it at the Location given")
def create_job(request: Request, response: Response, file: UploadFile = File(..., description="the export file"),
               dry_run: bool = Form(False, description="check the file and report, change nothing"),
               principal: Principal = Depends(require("orders.import")),
               session: Session = Depends(db, scope="function")):
    ctx = get_ctx(request)
    stored = uploads.save(ctx.settings.data_dir, file.file, file.filename)
    try:
        job = service.request_preview(session, shop_id=shop_of(request), principal=principal, upload=stored,
                                      now=ctx.clock.now(), dry_run=dry_run)
    except DomainError:  # the shop's queue is full: the parked copy goes
        uploads.delete(ctx.settings.data_dir, stored.upload_id)
        raise
    response.headers["location"] = f"/api/v1/imports/orders/jobs/{job.id}"
    return job_out(session, job)


@router.get("/{job_id}", response_model=ImportJobOut, summary="One import job: its progress, then its report")
def show_job(job_id: str, request: Request, principal: Principal = Depends(require("orders.import")),
             session: Session = Depends(db, scope="function")):
    job = service.get_job(session, shop_id=shop_of(request), principal=principal, job_id=job_id)
    return job_out(session, job, get_ctx(request).clock.now())


@router.post("/{job_id}/apply", response_model=ImportJobOut, status_code=202,
             summary="Import a file whose check is done (once: asking again returns the same import; 409 "
                     "import_stopped once that import was stopped or failed, and the file is uploaded again)")
def apply_job(job_id: str, request: Request, response: Response,
              principal: Principal = Depends(require("orders.import")),
              session: Session = Depends(db, scope="function")):
    ctx = get_ctx(request)
    job = service.request_apply(session, shop_id=shop_of(request), principal=principal, job_id=job_id,
                                now=ctx.clock.now(), data_dir=ctx.settings.data_dir)
    response.headers["location"] = f"/api/v1/imports/orders/jobs/{job.id}"
    return job_out(session, job)


@router.post("/{job_id}/cancel", response_model=ImportJobOut,
             summary="Stop a waiting or running check or import (an import keeps the batches it had written)")
def cancel_job(job_id: str, request: Request, principal: Principal = Depends(require("orders.import")),
               session: Session = Depends(db, scope="function")):
    ctx = get_ctx(request)
    return job_out(session, service.cancel(session, shop_id=shop_of(request), principal=principal, job_id=job_id,
                                           now=ctx.clock.now(), data_dir=ctx.settings.data_dir))


@router.post("/{job_id}/noticed", status_code=204,
             summary="Its uploader has been told the check or import finished: the pages stop announcing it (the "
                     "notice watcher calls this; 404 for another user's job, 409 while it still waits or runs)")
def noticed(job_id: str, request: Request, principal: Principal = Depends(require("orders.import")),
            session: Session = Depends(db, scope="function")):
    service.noticed(session, shop_id=shop_of(request), principal=principal, job_id=job_id,
                    now=get_ctx(request).clock.now())
    return Response(status_code=204)
