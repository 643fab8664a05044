"""The page of an import job (/imports/orders/jobs/{id}): a large file's check, then its import, followed while the
worker runs (the page reloads itself), then the report, as the upload page shows a small file's. Apply queues the
import of a checked file."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from ..accounts.service import Principal
from ..errors import DomainError
from ..web.deps import db, get_ctx, named_shop_query, require, shop_of, shop_scope
from ..web.job_watch import WorkerWatch
from ..web.templating import render
from . import service
from .models import ImportJob

router = APIRouter(include_in_schema=False)
TEMPLATE = "imports/orders.html"


def shop_context(request: Request) -> dict:
    """The import pages' shop: ``shop_query`` keeps a ?shop= the page was opened with on every form and link, so a
    file previewed for 二号店 is applied to 二号店, not to the shop the switcher shows (QA pass 14, #2), and
    ``import_shop`` names it on a desk of several shops."""
    scope, shop_id = shop_scope(request), shop_of(request)
    return {"shop_query": named_shop_query(request), "shop_id": shop_id,
            "import_shop": scope.name(shop_id) if scope.several else None}


def job_view(session: Session, job: ImportJob, now: datetime) -> dict:
    """What the import page needs of a job: its stage (the upload page's own: preview, done; or queued, running,
    failed), its progress, its report, the import that applied it, and whether no worker is on it
    (job_watch.WorkerWatch: minutes, or None)."""
    report = job.report
    if job.status == "done":
        stage = "preview" if job.dry_run else "done"
    else:
        stage = job.status
    applied = service.applied_by(session, job) if job.dry_run else None
    return {"job": job, "stage": stage, "percent": job.percent,
            "report": SimpleNamespace(**report) if report else None,
            "shown": report["rejected"] if report else [], "rejected_total": report["rejected_total"] if report else 0,
            "upload": SimpleNamespace(filename=job.file_name, upload_id=job.upload_id),
            "applied": applied,
            "job_error_details": job.error_detail,
            "unattended_minutes": WorkerWatch(session, ImportJob, now).minutes(job)}


@router.get("/imports/orders/jobs/{job_id}")
def import_job(job_id: str, request: Request, principal: Principal = Depends(require("orders.import")),
               session: Session = Depends(db, scope="function")):
    job = service.get_job(session, shop_id=shop_of(request), principal=principal, job_id=job_id)
    return render(request, TEMPLATE, **shop_context(request), **job_view(session, job, get_ctx(request).clock.now()),
                  apply_action=f"/imports/orders/jobs/{job.id}/apply" + named_shop_query(request))


def _refused(request: Request, session: Session, principal: Principal, job_id: str, exc: DomainError):
    """A refused Apply or Stop, said on the job's own page; a job the user may not see stays a 404."""
    session.rollback()
    if exc.code == "import_job_not_found":
        raise exc
    job = service.get_job(session, shop_id=shop_of(request), principal=principal, job_id=job_id)
    return render(request, TEMPLATE, status_code=exc.http_status, error=exc.message, error_code=exc.code,
                  error_details=exc.details, **shop_context(request),
                  **job_view(session, job, get_ctx(request).clock.now()),
                  apply_action=f"/imports/orders/jobs/{job.id}/apply" + named_shop_query(request))


@router.post("/imports/orders/jobs/{job_id}/apply")
def apply_import(job_id: str, request: Request, principal: Principal = Depends(require("orders.import")),
                 session: Session = Depends(db, scope="function")):
    """Queue the import of a checked file, then follow it on its own page."""
    ctx = get_ctx(request)
    try:
        job = service.request_apply(session, shop_id=shop_of(request), principal=principal, job_id=job_id,
                                    now=ctx.clock.now(), data_dir=ctx.settings.data_dir)
    except DomainError as exc:
        return _refused(request, session, principal, job_id, exc)
    return RedirectResponse(f"/imports/orders/jobs/{job.id}" + named_shop_query(request), status_code=303)


@router.post("/imports/orders/jobs/{job_id}/cancel")
def cancel_import(job_id: str, request: Request, principal: Principal = Depends(require("orders.import")),
                  session: Session = Depends(db, scope="function")):
    """Stop a check or an import; the page then says so."""
    ctx = get_ctx(request)
    try:
        job = service.cancel(session, shop_id=shop_of(request), principal=principal, job_id=job_id,
                             now=ctx.clock.now(), data_dir=ctx.settings.data_dir)
    except DomainError as exc:
        return _refused(request, session, principal, job_id, exc)
    return RedirectResponse(f"/imports/orders/jobs/{job.id}" + named_shop_query(request), status_code=303)

