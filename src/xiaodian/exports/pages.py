"""The 导出任务 page (/exports): the shop's export jobs with their progress and download links, asked for from the
order list (POST /exports with the list's filters in the query string). Refreshes itself while a job is open."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from ..accounts.service import Principal
from ..channels.douyin.export_request import FILTER_FIELDS, ExportIn
from ..errors import DomainError, ValidationFailed
from ..orders.listing import PAGE_EXPORT_ORDERS
from ..web.deps import db, get_ctx, named_shop_query, require, shop_of
from ..web.job_watch import WorkerWatch, watched_jobs
from ..web.templating import render
from . import service
from .api import job_out
from .domain import JOB_MAX_ORDERS, KEEP_FOR, OPEN
from .models import ExportJob

router = APIRouter(include_in_schema=False)
TEMPLATE = "exports/list.html"


def _page(request: Request, session: Session, principal: Principal, status_code: int = 200, **extra):
    rows = service.list_jobs(session, shop_id=shop_of(request), principal=principal)
    watch = WorkerWatch(session, ExportJob, get_ctx(request).clock.now())
    jobs = [job_out(j, watch) for j in rows]
    return render(request, TEMPLATE, status_code=status_code, jobs=jobs, keep_days=KEEP_FOR.days,
                  job_limit=JOB_MAX_ORDERS, direct_limit=PAGE_EXPORT_ORDERS,
                  refreshing=any(j.status in OPEN for j in jobs),
                  cancellable={j.id for j in rows if j.status in OPEN and service.may_cancel(j, principal)},
                  created=request.query_params.get("created"), shop_query=named_shop_query(request),
                  shop_id=shop_of(request), **extra)


@router.get("/jobs/watched")
def watched(request: Request, principal: Principal = Depends(require("orders.export"))):
    """The signed-in user's jobs the notice watcher follows or announces (web/job_watch.py), as the page's own list
    at load: an open page asks for it now and then (static/app.js), so that a job asked for after it was loaded,
    through the API or on another computer, is announced there too (QA 7 #8), not only after a reload. Every role
    that may ask for an import may ask for an export, so orders.export guards it; the list holds imports only for
    a role that may import."""
    return JSONResponse({"jobs": [{"kind": kind, "job": str(job_id), "shop": str(shop)}
                                  for kind, job_id, shop in watched_jobs(request)]})


@router.get("/exports")
def export_jobs(request: Request, principal: Principal = Depends(require("orders.export")),
                session: Session = Depends(db, scope="function")):
    return _page(request, session, principal)


def _body(request: Request, fmt: str, per: str) -> ExportIn:
    """The order list's filters from the query string (the list's own export query), the file's shape from the
    form. A field that does not parse is a refusal naming it."""
    fields = {k: v for k, v in request.query_params.items() if k in FILTER_FIELDS and v != ""}
    try:
        return ExportIn(format=fmt, per=per, **fields)
    except ValidationError as exc:
        field = ".".join(str(p) for p in exc.errors()[0]["loc"])
        raise ValidationFailed(f"{field}: {exc.errors()[0]['msg']}", details={"field": field}) from None


@router.post("/exports")
def ask_for_export(request: Request, format: str = Form("xlsx"), per: str = Form("sku"),
                   principal: Principal = Depends(require("orders.export")),
                   session: Session = Depends(db, scope="function")):
    """From the order list's 后台导出 buttons: queue the job, then show it on the jobs page."""
    try:
        job = service.request_export(session, shop_id=shop_of(request), principal=principal,
                                     body=_body(request, format, per), now=get_ctx(request).clock.now(),
                                     cipher=get_ctx(request).cipher)
    except DomainError as exc:
        session.rollback()
        return _page(request, session, principal, status_code=exc.http_status, error=exc)
    shop = request.query_params.get("shop")
    query = urlencode({k: v for k, v in (("shop", shop), ("created", job.id)) if v})
    return RedirectResponse(f"/exports?{query}", status_code=303)


@router.post("/exports/{job_id}/cancel")
def cancel_export(job_id: str, request: Request, principal: Principal = Depends(require("orders.export")),
                  session: Session = Depends(db, scope="function")):
    try:
        service.cancel(session, shop_id=shop_of(request), principal=principal, job_id=job_id,
                       now=get_ctx(request).clock.now())
    except DomainError as exc:
        session.rollback()
        return _page(request, session, principal, status_code=exc.http_status, error=exc)
    return RedirectResponse("/exports" + named_shop_query(request), status_code=303)
