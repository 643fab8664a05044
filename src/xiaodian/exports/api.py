"""Export jobs API under /api/v1/exports/jobs: ask for one (202, the job), list the shop's jobs, read one, cancel
it, download its file, say its asker has been told it finished. Thin adapters over service.py; the worker
(runner.py) writes the files."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from ..accounts.service import Principal
from ..channels.douyin.export_request import ExportIn
from ..channels.douyin.orders_export import MEDIA
from ..web.deps import db, get_ctx, require, shop_of, shop_param
from ..web.job_watch import WorkerWatch
from ..web.openapi import CSV_OR_XLSX_FILE, ERROR_RESPONSES
from . import service
from .domain import percent
from .file_names import attachment
from .models import ExportJob

router = APIRouter(prefix="/api/v1/exports/jobs", tags=["orders"], responses=ERROR_RESPONSES,
                    dependencies=[Depends(shop_param)])


class JobError(BaseModel):
    code: str
    message: str


class ExportJobOut(BaseModel):
    id: int
    status: str  # queued, running, done, failed, cancelled, expired
    format: str
    per: str
    filter: dict
    reveal: bool
    requested_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    expires_at: datetime | None
    orders_total: int | None
    orders_done: int
    percent: int | None
    rows: int | None
    size_bytes: int | None
    error: JobError | None
    download_url: str | None
    unattended_minutes: int | None = Field(
        None, description="set while the job waits or runs with no worker on it (none took it up, or its worker "
                          "stopped renewing its lease) for over 2 minutes: is `xiaodian worker` running? Null while a "
                          "worker is on it, while it only waits its turn behind another job, and once it ended")


def job_out(job: ExportJob, watch: WorkerWatch | None = None) -> ExportJobOut:
    """The job as the API and the jobs page show it; ``watch`` (one per list) says whether no worker is on it."""
    from ..clock import SHOP_TZ

    def shown(value: datetime | None) -> datetime | None:
        return value.astimezone(SHOP_TZ) if value is not None else None

    return ExportJobOut(
        id=job.id, status=job.status, format=job.format, per=job.per, filter=service.filters_of(job),
        reveal=job.reveal, requested_by=job.login, created_at=shown(job.created_at), started_at=shown(job.started_at),
        finished_at=shown(job.finished_at), expires_at=shown(job.expires_at), orders_total=job.orders_total,
        orders_done=job.orders_done, percent=percent(job.orders_done, job.orders_total), rows=job.rows_written,
        size_bytes=job.size_bytes,
        error=JobError(code=job.error_code, message=job.error_message or "") if job.error_code else None,
        download_url=f"/api/v1/exports/jobs/{job.id}/file" if job.status == "done" else None,
        unattended_minutes=watch.minutes(job) if watch is not None else None)


@router.post("", response_model=ExportJobOut, status_code=202,
             summary="Ask for an export of the filtered order list (up to 1,000,000 orders), written in the "
                     "background; the file is downloaded from download_url once the job is done, for 7 days")
def create_job(request: Request, response: Response, body: ExportIn,
               principal: Principal = Depends(require("orders.export")),
               session: Session = Depends(db, scope="function")):
    job = service.request_export(session, shop_id=shop_of(request), principal=principal, body=body,
                                 now=get_ctx(request).clock.now(), cipher=get_ctx(request).cipher)
    response.headers["location"] = f"/api/v1/exports/jobs/{job.id}"
    return job_out(job)


@router.get("", response_model=list[ExportJobOut], summary="The shop's export jobs, newest first (the last 50)")
def list_jobs(request: Request, principal: Principal = Depends(require("orders.export")),
              session: Session = Depends(db, scope="function")):
    watch = WorkerWatch(session, ExportJob, get_ctx(request).clock.now())
    return [job_out(j, watch) for j in service.list_jobs(session, shop_id=shop_of(request), principal=principal)]


@router.get("/{job_id}", response_model=ExportJobOut, summary="One export job: its status and progress")
def show_job(job_id: str, request: Request, principal: Principal = Depends(require("orders.export")),
             session: Session = Depends(db, scope="function")):
    job = service.get_job(session, shop_id=shop_of(request), principal=principal, job_id=job_id)
    return job_out(job, WorkerWatch(session, ExportJob, get_ctx(request).clock.now()))


@router.post("/{job_id}/cancel", response_model=ExportJobOut,
             summary="Stop a waiting or running export job (whoever asked for it, or an owner)")
def cancel_job(job_id: str, request: Request, principal: Principal = Depends(require("orders.export")),
               session: Session = Depends(db, scope="function")):
    return job_out(service.cancel(session, shop_id=shop_of(request), principal=principal, job_id=job_id,
                                  now=get_ctx(request).clock.now()))


@router.post("/{job_id}/noticed", status_code=204,
             summary="Its asker has been told the job finished: the pages stop announcing it (the notice watcher "
                     "calls this; 404 for another user's job, 409 while it still waits or runs)")
def noticed(job_id: str, request: Request, principal: Principal = Depends(require("orders.export")),
            session: Session = Depends(db, scope="function")):
    service.noticed(session, shop_id=shop_of(request), principal=principal, job_id=job_id,
                    now=get_ctx(request).clock.now())
    return Response(status_code=204)


@router.get("/{job_id}/file", response_class=FileResponse, responses=CSV_OR_XLSX_FILE,
            summary="The finished file (audited); 409 while the job is not done or after its file expired")
def download(job_id: str, request: Request, principal: Principal = Depends(require("orders.export")),
             session: Session = Depends(db, scope="function")):
    ctx = get_ctx(request)
    path, _name, job = service.file_of(session, shop_id=shop_of(request), principal=principal, job_id=job_id,
                                       data_dir=ctx.settings.data_dir, now=ctx.clock.now())
    session.commit()  # the download's audit entry, before the file goes out
    # named for what it holds, in the page's words, with an ASCII fallback (QA pass 9, #19)
    return FileResponse(path, media_type=MEDIA[job.format], headers={
        "x-row-count": str(job.rows_written or 0),
        **attachment(job.created_at, job.id, job.format, **service.file_shape(job))})
