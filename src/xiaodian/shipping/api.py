"""Shipping API under /api/v1: ship an order, ship a file, violations, forecast (thin adapters)."""

from __future__ import annotations

from datetime import date, datetime, time

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from sqlalchemy.orm import Session

from ..accounts.service import Principal
from ..channels.exportfile import uploads
from ..clock import SHOP_TZ
from ..orders.api import shop_of
from ..orders.domain import check_filter_date
from ..web.deps import db, get_ctx, require
from ..web.openapi import ERROR_RESPONSES
from . import reports, service
from .bulk import BulkReport, ship_file
from .schemas import BulkReportOut, ForecastOut, ShipIn, ShipOut, ViolationsOut

router = APIRouter(prefix="/api/v1", tags=["shipping"], responses=ERROR_RESPONSES)


@router.post("/orders/{order_id}/shipments", response_model=ShipOut, status_code=201,
             summary="Ship an order (or some of its items) with a carrier and tracking number")
def ship(order_id: str, body: ShipIn, request: Request, principal: Principal = Depends(require("shipping.ship")),
         session: Session = Depends(db, scope="function")):
    result = service.ship_order(session, shop_id=shop_of(request), principal=principal, now=get_ctx(request).clock.now(),
                                req=service.ShipRequest(order_id, body.carrier, body.tracking_no, body.items,
                                                        body.confirm_warnings))
    return result.as_json()


def run_bulk(request: Request, upload: uploads.StoredUpload, *, dry_run: bool, principal: Principal) -> BulkReport:
    ctx = get_ctx(request)
    return ship_file(ctx.sessions, shop_id=shop_of(request), path=upload.path, principal=principal,
                     now=ctx.clock.now(), dry_run=dry_run)


@router.post("/shipments/bulk", response_model=BulkReportOut,
             summary="Ship from a file (订单号, 快递公司, 快递单号; CSV or XLSX); dry_run previews every row")
def bulk(request: Request, file: UploadFile = File(...), dry_run: bool | None = Form(None),
         dry_run_query: bool | None = Query(None, alias="dry_run"),
         principal: Principal = Depends(require("shipping.ship")), session: Session = Depends(db, scope="function")):
    session.commit()  # the file is applied in its own batches
    ctx = get_ctx(request)
    stored = uploads.save(ctx.settings.data_dir, file.file, file.filename)
    try:
        report = run_bulk(request, stored, dry_run=bool(dry_run or dry_run_query), principal=principal)
    finally:
        uploads.delete(ctx.settings.data_dir, stored.upload_id)
    return report.as_json()


@router.get("/violations", response_model=ViolationsOut, summary="Late-shipment violations, latest deadline first")
def violations(request: Request, since: date | None = Query(None, description="ship-by on or after (shop day)"),
               limit: int = Query(500, ge=1, le=5000), principal: Principal = Depends(require("orders.read")),
               session: Session = Depends(db, scope="function")):
    check_filter_date("since", since)
    start = datetime.combine(since, time(0), tzinfo=SHOP_TZ) if since else None
    return reports.violations_report(session, shop_of(request), start, limit)


@router.get("/forecast", response_model=ForecastOut,
            summary="Which awaiting orders will miss their ship-by at the packing capacity (EDF plan)")
def forecast(request: Request, capacity: int | None = Query(None, ge=1, le=100_000, description="orders per hour"),
             limit: int = Query(500, ge=0, le=reports.PICK_LIST_LIMIT),
             principal: Principal = Depends(require("orders.read")), session: Session = Depends(db, scope="function")):
    return reports.forecast_report(session, shop_of(request), get_ctx(request).clock.now(), capacity, limit)
