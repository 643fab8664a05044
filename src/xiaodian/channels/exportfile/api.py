"""POST /api/v1/imports/orders: upload an order export file, get the import report (thin adapter)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from sqlalchemy.orm import Session

from ...web.body_limits import UPLOAD as UPLOAD_BODY
from ...accounts.service import Principal
from ...orders.api import shop_of
from ...web.deps import db, get_ctx, require, shop_param
from ...web.openapi import ERROR_RESPONSES
from . import uploads
from .schemas import ImportReportOut
from .service import ImportReport, import_order_file

router = APIRouter(prefix="/api/v1", tags=["imports"], responses=ERROR_RESPONSES,
                    dependencies=[Depends(shop_param)])


def run_import(request: Request, upload: uploads.StoredUpload, *, dry_run: bool,
               principal: Principal) -> ImportReport:
    """Shared by the API and the upload page: the report of importing a stored upload."""
    ctx = get_ctx(request)
    return import_order_file(ctx.sessions, shop_id=shop_of(request), path=upload.path, cipher=ctx.cipher,
                             now=ctx.clock.now(), dry_run=dry_run, principal=principal, file_name=upload.filename)


@router.post("/imports/orders", response_model=ImportReportOut, max_body_size=UPLOAD_BODY,
             summary="Import an order export file (CSV UTF-8/GBK or XLSX); dry_run reports without changing",
             responses={422: {"description": "the file cannot be read at all; nothing was imported"}})
def import_orders(
    request: Request,
    file: UploadFile = File(..., description="the export file"),
    dry_run: bool | None = Form(None, description="report what would change, change nothing"),
    dry_run_query: bool | None = Query(None, alias="dry_run", description="same as the form field"),
    principal: Principal = Depends(require("orders.import")),
    session: Session = Depends(db, scope="function"),
):
    session.commit()  # end the request's transaction: the import commits its own batches
    ctx = get_ctx(request)
    stored = uploads.save(ctx.settings.data_dir, file.file, file.filename)
    try:
        report = run_import(request, stored, dry_run=bool(dry_run or dry_run_query), principal=principal)
    finally:
        uploads.delete(ctx.settings.data_dir, stored.upload_id)
    return report.as_json()
