"""Upload page for order export files: upload → preview (a dry run) → apply → final report."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from ...accounts.service import Principal
from ...errors import DomainError
from ...imports.domain import BACKGROUND_BYTES
from ...web.deps import db, get_ctx, require, shop_of
from ...web.i18n import _
from ...web.templating import render
from . import uploads
from .api import run_import
from .reader import FileUnreadable, open_export

router = APIRouter(include_in_schema=False)
TEMPLATE = "imports/orders.html"
SHOWN_REJECTIONS = 500


def _recent(request: Request, session: Session, principal: Principal) -> list:
    from ...imports.service import recent_jobs

    return recent_jobs(session, shop_id=shop_of(request), principal=principal)


@router.get("/imports/orders")
def upload_form(request: Request, principal: Principal = Depends(require("orders.import")),
                session: Session = Depends(db, scope="function")):
    return render(request, TEMPLATE, stage="upload", recent=_recent(request, session, principal))


def _hand_to_worker(request: Request, session: Session, principal: Principal, stored: uploads.StoredUpload):
    """A large file is checked by a worker and its job's page follows it (imports/); but its header is read now, so
    a file that is no export at all is refused at once, as a small one is."""
    from ...imports.service import request_preview

    open_export(stored.path).close()
    job = request_preview(session, shop_id=shop_of(request), principal=principal, upload=stored,
                          now=get_ctx(request).clock.now())
    return RedirectResponse(f"/imports/orders/jobs/{job.id}", status_code=303)


@router.post("/imports/orders")
def preview(request: Request, file: UploadFile | None = File(None),
            principal: Principal = Depends(require("orders.import")), session: Session = Depends(db, scope="function")):
    """Park the file and show what importing it would do; nothing changes until Apply."""
    session.commit()
    ctx = get_ctx(request)
    if file is None or not file.filename:
        return render(request, TEMPLATE, status_code=422, stage="upload", error=_("Choose a file."),
                      recent=_recent(request, session, principal))
    stored = uploads.save(ctx.settings.data_dir, file.file, file.filename)
    try:
        if stored.size > BACKGROUND_BYTES:
            return _hand_to_worker(request, session, principal, stored)
        report = run_import(request, stored, dry_run=True, principal=principal)
    except DomainError as exc:  # not an export at all (FileUnreadable), or the shop's job queue is full
        session.rollback()
        uploads.delete(ctx.settings.data_dir, stored.upload_id)
        return render(request, TEMPLATE, status_code=exc.http_status, stage="upload", error=exc.message,
                      error_code=exc.code, error_details=exc.details, filename=stored.filename,
                      recent=_recent(request, session, principal))
    if not (report.created or report.updated or report.unchanged or report.rejected):
        uploads.delete(ctx.settings.data_dir, stored.upload_id)  # only a header: nothing to apply, nothing to keep
    return render(request, TEMPLATE, stage="preview", report=report, upload=stored,
                  shown=report.rejected[:SHOWN_REJECTIONS], rejected_total=len(report.rejected),
                  apply_action=f"/imports/orders/{stored.upload_id}/apply")


@router.post("/imports/orders/{upload_id}/apply")
def apply(upload_id: str, request: Request, principal: Principal = Depends(require("orders.import")),
          session: Session = Depends(db, scope="function")):
    """Import the previewed file for real; the parked copy is removed once imported."""
    session.commit()
    ctx = get_ctx(request)
    stored = uploads.load(ctx.settings.data_dir, upload_id)
    try:
        report = run_import(request, stored, dry_run=False, principal=principal)
    except FileUnreadable as exc:
        return render(request, TEMPLATE, status_code=422, stage="upload", error=exc.message, error_code=exc.code,
                      error_details=exc.details)
    uploads.delete(ctx.settings.data_dir, upload_id)
    return render(request, TEMPLATE, stage="done", report=report, upload=stored,
                  shown=report.rejected[:SHOWN_REJECTIONS], rejected_total=len(report.rejected))
