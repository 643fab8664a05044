"""Upload page for order export files: upload → preview (a dry run) → apply → final report."""

from __future__ import annotations

from types import SimpleNamespace

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from ...web.body_limits import UPLOAD as UPLOAD_BODY
from ...accounts.permissions import allowed
from ...accounts.service import Principal
from ...errors import Conflict, DomainError, NotFound
from ...imports.domain import BACKGROUND_BYTES, NOTHING_NOTE, nothing_to_apply, stored_report, would_import
from ...imports.pages import shop_context
from ...web.deps import db, get_ctx, named_shop_query, require, shop_of
from ...web.i18n import _
from ...web.templating import render
from . import uploads
from .api import run_import
from .reader import FileUnreadable, open_export

router = APIRouter(include_in_schema=False)
TEMPLATE = "imports/orders.html"
SHOWN_REJECTIONS = 500


def _page(request: Request, **context):
    """The import page, for the shop the request names (imports.pages.shop_context)."""
    return render(request, TEMPLATE, **shop_context(request), **context)


def _recent(request: Request, session: Session, principal: Principal) -> list:
    from ...imports.service import recent_jobs

    return recent_jobs(session, shop_id=shop_of(request), principal=principal, now=get_ctx(request).clock.now())


@router.get("/imports/orders")
def upload_form(request: Request, principal: Principal = Depends(require("orders.import")),
                session: Session = Depends(db, scope="function")):
    return _page(request, stage="upload", recent=_recent(request, session, principal))


def _hand_to_worker(request: Request, session: Session, principal: Principal, stored: uploads.StoredUpload):
    """A large file is checked by a worker and its job's page follows it (imports/); but its header is read now, so
    a file that is no export at all is refused at once, as a small one is."""
    from ...imports.service import request_preview

    open_export(stored.path).close()
    job = request_preview(session, shop_id=shop_of(request), principal=principal, upload=stored,
                          now=get_ctx(request).clock.now())
    return RedirectResponse(f"/imports/orders/jobs/{job.id}" + named_shop_query(request), status_code=303)


@router.post("/imports/orders", max_body_size=UPLOAD_BODY)
def preview(request: Request, file: UploadFile | None = File(None),
            principal: Principal = Depends(require("orders.import")), session: Session = Depends(db, scope="function")):
    """Park the file and show what importing it would do; nothing changes until Apply."""
    session.commit()
    ctx = get_ctx(request)
    if file is None or not file.filename:
        return _page(request, status_code=422, stage="upload", error=_("Choose a file."),
                      recent=_recent(request, session, principal))
    stored = uploads.save(ctx.settings.data_dir, file.file, file.filename)
    try:
        if stored.size > BACKGROUND_BYTES:
            return _hand_to_worker(request, session, principal, stored)
        report = run_import(request, stored, dry_run=True, principal=principal)
    except DomainError as exc:  # not an export at all (FileUnreadable), or the shop's job queue is full
        session.rollback()
        uploads.delete(ctx.settings.data_dir, stored.upload_id)
        return _page(request, status_code=exc.http_status, stage="upload", error=exc.message,
                      error_code=exc.code, error_details=exc.details, filename=stored.filename,
                      recent=_recent(request, session, principal))
    if not would_import(report.created, report.updated):  # only a header, or only unchanged and rejected rows
        uploads.delete(ctx.settings.data_dir, stored.upload_id)  # nothing to apply, nothing to keep
        uploads.save_note(ctx.settings.data_dir, stored.upload_id, NOTHING_NOTE, {"filename": stored.filename})
    return _page(request, stage="preview", report=report, upload=stored,
                  shown=report.rejected[:SHOWN_REJECTIONS], rejected_total=len(report.rejected),
                  apply_action=f"/imports/orders/{stored.upload_id}/apply" + named_shop_query(request))


def _result_url(upload_id: str) -> str:
    return f"/imports/orders/{upload_id}/result"


@router.post("/imports/orders/{upload_id}/apply")
def apply(upload_id: str, request: Request, principal: Principal = Depends(require("orders.import")),
          session: Session = Depends(db, scope="function")):
    """Import the previewed file for real, then send the browser to its result page (POST/redirect/GET), which a
    reload shows again. The parked copy is taken first (uploads.claim), so a second Apply of the same preview (a
    double click, a second tab, a reload of this POST) imports nothing: it lands on the same result page."""
    session.commit()
    ctx = get_ctx(request)
    data_dir = ctx.settings.data_dir
    nothing = uploads.load_note(data_dir, upload_id, NOTHING_NOTE)
    if nothing is not None:  # its preview offered no Apply; a stale page or a script asks anyway
        refusal = nothing_to_apply("import")
        return _page(request, status_code=refusal.http_status, stage="upload", error=refusal.message,
                      error_code=refusal.code, error_details=refusal.details, filename=nothing.get("filename"),
                      recent=_recent(request, session, principal))
    claimed = uploads.claim_for_apply(data_dir, upload_id)
    if claimed is None:  # applied already, or being applied: its result
        return RedirectResponse(_result_url(upload_id) + named_shop_query(request), status_code=303)
    try:
        report = run_import(request, claimed, dry_run=False, principal=principal)
    except FileUnreadable as exc:
        uploads.delete(data_dir, upload_id)
        return _page(request, status_code=422, stage="upload", error=exc.message, error_code=exc.code,
                      error_details=exc.details)
    except BaseException:
        uploads.release(data_dir, claimed)  # broken on the server: Apply may be tried again
        raise
    uploads.save_result(data_dir, upload_id, {**stored_report(report), "filename": claimed.filename,
                                              "shop_id": shop_of(request), "user_id": principal.user_id})
    uploads.delete(data_dir, upload_id)
    return RedirectResponse(_result_url(upload_id) + named_shop_query(request), status_code=303)


@router.get("/imports/orders/{upload_id}/result")
def applied(upload_id: str, request: Request, principal: Principal = Depends(require("orders.import"))):
    """What Apply did with a small file, as often as the page is reloaded (for a day: swept with parked files). It is
    the uploader's and an owner's only, as an import job's page is: its rejected rows quote the file's cells."""
    ctx = get_ctx(request)
    result = uploads.load_result(ctx.settings.data_dir, upload_id)
    if result is None and uploads.applying(ctx.settings.data_dir, upload_id):
        raise Conflict("this file is still being imported; reload the page in a moment", code="import_in_progress")
    if result is None or result.get("kind", "import") != "import" or result.get("shop_id") != shop_of(request) or not (
            result.get("user_id") == principal.user_id or allowed(principal.role, "users.manage")):
        raise NotFound("no import result here (results are kept for a day)", code="upload_not_found")
    return _page(request, stage="done", report=SimpleNamespace(**result),
                  upload=SimpleNamespace(filename=result["filename"], upload_id=upload_id),
                  shown=result["rejected"][:SHOWN_REJECTIONS], rejected_total=result["rejected_total"])
