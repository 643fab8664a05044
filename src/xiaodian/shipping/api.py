"""Shipping API under /api/v1: ship an order, correct a tracking number, ship a file and download its template,
violations, forecast, deadline reminders (thin adapters)."""

from __future__ import annotations

from datetime import date, datetime, time

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from ..web.body_limits import UPLOAD as UPLOAD_BODY
from ..accounts.service import Principal
from ..channels.exportfile import uploads
from ..clock import SHOP_TZ
from ..errors import ValidationFailed
from ..exports.file_names import content_disposition
from ..orders.api import shop_of
from ..orders.domain import check_filter_date
from ..web.deps import db, get_ctx, require, shop_param
from ..web.i18n import current_language, gettext as _, label
from ..web.openapi import ERROR_RESPONSES, XLSX_FILE
from . import corrections, reminders, reports, service, template
from . import forecast as fc
from .bulk import BulkReport, Confirmed, ship_file
from .queries import VIEW_PATTERN, get_settings
from .schemas import (BulkReportOut, CorrectionIn, CorrectionOut, ForecastOut, ReminderAckOut, RemindersOut,
                      ShipIn, ShipmentsOut, ShipOut, ViolationsOut)

router = APIRouter(prefix="/api/v1", tags=["shipping"], responses=ERROR_RESPONSES,
                    dependencies=[Depends(shop_param)])


@router.post("/orders/{order_id}/shipments", response_model=ShipOut, status_code=201,
             summary="Ship an order (or some of its items) with a carrier and tracking number")
def ship(order_id: str, body: ShipIn, request: Request, principal: Principal = Depends(require("shipping.ship")),
         session: Session = Depends(db, scope="function")):
    req = service.ShipRequest(order_id, body.carrier, body.tracking_no, body.items, body.confirm_warnings,
                              body.confirm_address_change)
    result = service.ship_order(session, shop_id=shop_of(request), principal=principal,
                                now=get_ctx(request).clock.now(), req=req)
    return result.as_json()


def run_bulk(request: Request, upload: uploads.StoredUpload, *, dry_run: bool, principal: Principal,
             confirmed: Confirmed) -> BulkReport:
    ctx = get_ctx(request)
    return ship_file(ctx.sessions, shop_id=shop_of(request), path=upload.path, principal=principal,
                     now=ctx.clock.now(), dry_run=dry_run, confirmed=confirmed, filename=upload.filename)


@router.post("/shipments/bulk", response_model=BulkReportOut, max_body_size=UPLOAD_BODY,
             summary="Ship from a file (订单号, 快递公司, 快递单号; CSV or XLSX); dry_run previews every row. A row "
                     "with a warning (address changed, unusual number) is held, not shipped, unless confirmed")
def bulk(request: Request, file: UploadFile = File(...), dry_run: bool | None = Form(None),
         dry_run_query: bool | None = Query(None, alias="dry_run"),
         confirm_address_change: bool = Form(False, description="ship rows whose buyer changed the address (the "
                                             "labels have the new one)"),
         confirm_warnings: bool = Form(False, description="ship rows whose number looks unusual for the carrier"),
         principal: Principal = Depends(require("shipping.ship")), session: Session = Depends(db, scope="function")):
    session.commit()  # the file is applied in its own batches
    ctx = get_ctx(request)
    stored = uploads.save(ctx.settings.data_dir, file.file, file.filename)
    try:
        report = run_bulk(request, stored, dry_run=bool(dry_run or dry_run_query), principal=principal,
                          confirmed=Confirmed(address_change=confirm_address_change, warnings=confirm_warnings))
    finally:
        uploads.delete(ctx.settings.data_dir, stored.upload_id)
    return report.as_json()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def template_response(request: Request, session: Session, view: str, query: str | None = None) -> Response:
    """The bulk-ship template of a deadline view (searched with ``query``) as an XLSX download (template.py), named
    by view and time in the reader's language, as the order exports are (批量发货模板-24h需发货-20261129-1616.xlsx on
    a Chinese page, QA pass 10, D16), with the ASCII name (bulk-ship-due24h-…) for a client that reads no other."""
    ctx = get_ctx(request)
    now = ctx.clock.now()
    data, count = template.bulk_template(session, shop_of(request), view, now, query, ctx.cipher)
    stamp = now.astimezone(SHOP_TZ).strftime("%Y%m%d-%H%M")
    ascii_name = f"bulk-ship-{view}-{stamp}.xlsx"
    name = (ascii_name if current_language.get() == "en"
            else f"{_('bulk-ship template')}-{label('view', view)}-{stamp}.xlsx")
    return Response(data, media_type=XLSX, headers={
        "content-disposition": content_disposition(name, ascii_name), "x-row-count": str(count)})


@router.get("/shipments/template", response_class=Response, responses=XLSX_FILE,
            summary="The bulk-ship template: a deadline view's orders, most urgent first, with 快递公司 and 快递单号 "
                    "left to fill in (XLSX)")
def bulk_template(request: Request, view: str = Query("awaiting", pattern=VIEW_PATTERN),
                  q: str | None = Query(None, max_length=100, description="only the view's orders this search finds "
                                        "(order list search: product text, order id, phone, last 4)"),
                  principal: Principal = Depends(require("shipping.ship")),
                  session: Session = Depends(db, scope="function")):
    return template_response(request, session, view, q)


@router.get("/violations", response_model=ViolationsOut, summary="Late-shipment violations, latest deadline first")
def violations(request: Request, since: date | None = Query(None, description="ship-by on or after (shop day)"),
               limit: int = Query(500, ge=1, le=5000), principal: Principal = Depends(require("orders.read")),
               session: Session = Depends(db, scope="function")):
    check_filter_date("since", since)
    start = datetime.combine(since, time(0), tzinfo=SHOP_TZ) if since else None
    return reports.violations_report(session, shop_of(request), start, limit, now=get_ctx(request).clock.now())


@router.get("/forecast", response_model=ForecastOut,
            summary="Which awaiting orders will miss their ship-by at the packing capacity (EDF plan)")
def forecast(request: Request,
             capacity: float | None = Query(None, ge=0.1, le=100_000,
                                            description="orders per hour, at most one decimal (0.3 for a small shop)"),
             limit: int = Query(500, ge=0, le=reports.PICK_LIST_LIMIT),
             within: int | None = Query(None, ge=1, le=24 * 366,
                                       description="pick list of the orders overdue or due within this many hours "
                                                   "only (the printed pick list's window); the rest are counted in "
                                                   "later. Default: every awaiting order"),
             aftersale_sends: bool = Query(False, description="also list the after-sale goods to send the buyer "
                                                              "(exchange, re-send) by their deadline among the "
                                                              "orders, with aftersale_id set, and total them"),
             principal: Principal = Depends(require("orders.read")), session: Session = Depends(db, scope="function")):
    shop_id, now = shop_of(request), get_ctx(request).clock.now()
    sends = reports.cases_to_send(session, shop_id, now) if aftersale_sends else ()
    return reports.forecast_report(session, shop_id, now, _capacity(capacity, "capacity"), limit,
                                   within_hours=within, sends=sends)


def _capacity(value: float | None, field: str) -> fc.Capacity | None:
    if value is None:
        return None
    try:
        return fc.capacity_value(value)
    except ValueError as exc:
        raise ValidationFailed(f"{field}: {exc}", code="capacity_invalid", details={"field": field}) from None


@router.get("/orders/{order_id}/shipments", response_model=ShipmentsOut,
            summary="An order's packages, and whether each tracking number may still be corrected (and why not)")
def shipments(order_id: str, request: Request, principal: Principal = Depends(require("orders.read")),
              session: Session = Depends(db, scope="function")):
    shop_id = shop_of(request)
    order, states = corrections.order_shipment_states(session, shop_id=shop_id, order_id=order_id,
                                                      now=get_ctx(request).clock.now())
    settings = get_settings(session, shop_id)
    return {"order_id": order.order_id, "window_hours": settings.correction_window_hours,
            "max_corrections": settings.max_corrections, "shipments": [s.as_json() for s in states]}


@router.patch("/orders/{order_id}/shipments/{shipment_id}", response_model=CorrectionOut,
              summary="Correct a mistyped tracking number (carrier and/or number) with a reason; refused (409 "
                      "correction_refused) once the parcel is picked up or signed, or past the correction limits")
def correct(order_id: str, shipment_id: str, body: CorrectionIn, request: Request,
            principal: Principal = Depends(require("shipping.correct")),
            session: Session = Depends(db, scope="function")):
    return corrections.correct_tracking(session, shop_id=shop_of(request), order_id=order_id, shipment_id=shipment_id,
                                        carrier=body.carrier, tracking_no=body.tracking_no, reason=body.reason,
                                        confirm_warnings=body.confirm_warnings, principal=principal,
                                        now=get_ctx(request).clock.now())


@router.get("/shipping/reminders", response_model=RemindersOut,
            summary="Open deadline reminders (overdue, due within 2 h, within 6 h), most pressing first")
def reminder_list(request: Request, limit: int = Query(500, ge=1, le=5000),
                  principal: Principal = Depends(require("orders.read")),
                  session: Session = Depends(db, scope="function")):
    return reminders.reminders_report(session, shop_of(request), limit)


@router.post("/shipping/reminders/{reminder_id}/ack", response_model=ReminderAckOut,
             summary="Acknowledge one deadline reminder (409 already_acknowledged names who was first)")
def reminder_ack(reminder_id: str, request: Request, principal: Principal = Depends(require("shipping.ship")),
                 session: Session = Depends(db, scope="function")):
    return reminders.acknowledge(session, shop_id=shop_of(request), reminder_id=reminder_id, principal=principal,
                                 now=get_ctx(request).clock.now())
