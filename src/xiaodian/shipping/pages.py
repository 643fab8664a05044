"""Shipping pages: the deadline views with live countdowns, the ship form, correcting a tracking number, the
deadline reminders, bulk shipping (preview → apply), store health, the forecast with its settings and printable
pick list."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timezone
from types import SimpleNamespace
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..web.body_limits import UPLOAD as UPLOAD_BODY
from ..accounts.permissions import allowed
from ..accounts.service import Principal
from ..aftersales import labels as aftersale_labels
from ..aftersales.service import refund_pending_orders
from ..channels.exportfile import uploads
from ..channels.exportfile.reader import FileUnreadable
from ..errors import Conflict, DomainError, NotFound, ValidationFailed
from ..imports.domain import NOTHING_NOTE, nothing_to_apply
from ..orders import service as orders_service
from ..orders.api import shop_of
from ..orders.event_lines import address_change
from ..orders.models import Order, OrderItem, Product
from ..orders.product_labels import product_label
from ..orders.queries import OrderFilter, day_start, require_order
from ..orders.search_query import may_scan_matches
from ..web import notices
from ..web.deps import db, get_ctx, named_shop_query, read_db, read_on_loop_unless, require, require_reading
from ..web.i18n import current_language, error_text, gettext as _, join_list, ngettext, words_language
from ..web.paging import page_number
from ..web.templating import render
from ..whole_numbers import half_width, whole_number
from . import corrections, domain, preferences, promise_choice, reminders, reports, service
from . import forecast as fc
from .api import run_bulk, template_response
from .bulk import NUMBER, ORDER, Confirmed, RowVerdict
from .listing import view_page
from .picking import HORIZONS, horizon_of
from .queries import VIEW_PATTERN, VIEW_SORTS, VIEWS, first_violation_at, get_settings, view_counts
from .service import shipped_skus

router = APIRouter(include_in_schema=False)
SHOWN_ROWS = 500
# The preview lists what needs a look first: refused rows, then held ones (after Apply), then warnings, then what
# will ship; rows already done or not filled in (a template's blank rows) last.
_VERDICT_ORDER = {"error": 0, "held": 1, "warning": 2, "ok": 3, "unchanged": 4, "skipped": 5}
# The preview shows every warning row (as the apply would with both kinds confirmed); what each row showed is kept
# beside the parked file, and applying after seeing it confirms that much, no more (bulk.Confirmed.seen).
PREVIEW = Confirmed(address_change=True, warnings=True)
SEEN_NOTE = "seen"


def _seen_in_preview(data_dir, upload_id: str, ticked: list[str]) -> Confirmed:
    """The warnings each row of this upload's preview showed (the rows it listed), and which of those rows the person
    ticked as checked (``ticked``: the row numbers the form sent; only they ship); none at all when its note is gone
    (every warning row is then held)."""
    note = uploads.load_note(data_dir, upload_id, SEEN_NOTE) or {}
    seen = {int(row): frozenset(codes) for row, codes in note.items()}
    return Confirmed(seen=seen, ticked=frozenset(int(r) for r in ticked if r.isdigit() and int(r) in seen))


def _shown(report) -> list:
    return sorted(report.rows, key=lambda r: (_VERDICT_ORDER.get(r.verdict, 6), r.row))[:SHOWN_ROWS]


def _carrier_name(code: str, lang: str) -> str:
    carrier = domain.find_carrier(code)
    return code if carrier is None else carrier.name if lang == "zh" else carrier.name_en


# The column a warning is about: the address belongs to the order's row, an unusual shape to the number.
_WARNING_COLUMN = {"address_changed": ORDER}


def _bulk_reasons(row: RowVerdict, headers: dict) -> list[dict]:
    """Why a row of a bulk-ship file did not simply ship, as the page says it: each reason in words, after the
    column it is about as the file's own header spells it (物流单号: …), and its stable code kept apart for the
    page's data attribute, not shown (QA pass 9, #13: every reason started with an English code)."""
    def told(code: str, column: str, message: str, details: dict) -> dict:
        if code == "duplicate_tracking_in_file" and details.get("rows"):
            rows = details["rows"]
            text = ngettext("Tracking number %(no)s is also on row %(rows)s of this file, for another order: none of "
                            "these rows ships until the file is corrected.",
                            "Tracking number %(no)s is also on rows %(rows)s of this file, for other orders: none of "
                            "these rows ships until the file is corrected.", len(rows)) % {
                "no": details.get("tracking_no", ""), "rows": join_list([str(n) for n in rows])}
        elif code == "carrier_unknown":  # a file has no list to choose from: name what it may say (QA pass 10, D15)
            text = _("Unknown carrier %(name)s. Write one of: %(names)s.") % {
                "name": details.get("carrier") or row.carrier,
                "names": join_list([c.name if current_language.get() == "zh" else c.name_en for c in domain.CARRIERS])}
        else:
            text = error_text(code, message, details)
        heading = headers.get(column) or column
        return {"code": code, "column": column,
                "text": _("%(column)s: %(reason)s") % {"column": heading, "reason": text} if heading else text}

    if row.details.get("since_preview"):
        return [told(w["code"], _WARNING_COLUMN.get(w["code"], NUMBER), w["message"], row.details)
                for w in row.warnings if w["code"] in row.details["since_preview"]]
    if row.warnings:
        return [told(w["code"], _WARNING_COLUMN.get(w["code"], NUMBER), w["message"], row.details)
                for w in row.warnings]
    if row.code:
        return [told(row.code, row.column, row.message, row.details)]
    return []


def countdown(ship_by: str | None, now, status: str) -> dict | None:
    """剩余 5小时12分 / 超时 2小时3分, coloured by urgency: late, < 6 h, < 24 h, later. Beyond a day in days and
    hours (剩余 1天9小时, 已超时 10天14小时), as the order list and the order page write it: "254小时" is hard to read
    at a glance, and the same order read two ways on two pages (QA pass 6, #23). shipping.js keeps the same rule."""
    from datetime import datetime

    if not ship_by or status not in ("awaiting_shipment", "partially_shipped"):
        return None
    left = int((datetime.fromisoformat(ship_by) - now).total_seconds())
    minutes = abs(left) // 60
    h, m = divmod(minutes, 60)
    d, dh = divmod(h, 24)
    if left < 0:
        text = (_("Overdue %(d)sd %(h)sh") % {"d": d, "h": dh} if d else _("Overdue %(h)sh %(m)sm") % {"h": h, "m": m})
        return {"level": "late", "text": text}
    level = "urgent" if left < 6 * 3600 else ("soon" if left < 24 * 3600 else "ok")
    text = _("%(d)sd %(h)sh left") % {"d": d, "h": dh} if d else _("%(h)sh %(m)sm left") % {"h": h, "m": m}
    return {"level": level, "text": text}


def countdown_templates() -> dict[str, str]:
    """The words shipping.js fills as the countdowns tick, the same as countdown()'s."""
    return {"tpl_left": _("%(h)sh %(m)sm left"), "tpl_late": _("Overdue %(h)sh %(m)sm"),
            "tpl_left_days": _("%(d)sd %(h)sh left"), "tpl_late_days": _("Overdue %(d)sd %(h)sh")}


def opening_view(asked: str, counts: dict[str, int]) -> str:
    """The view the shipping page shows: the one the URL names, else the most urgent work: overdue orders when there
    are any (QA pass 13, #11: the page opened on 24h需发货 while 14 overdue orders sat in another tab), else
    24h需发货."""
    if asked in VIEWS:
        return asked
    return "overdue" if counts.get("overdue") else "due24h"


@router.get("/shipping")
async def shipping_list(request: Request, view: str = "", page: str = "1", sort: str = "ship_by", q: str = "",
                        principal: Principal = Depends(require_reading("orders.read")),
                        session: Session = Depends(read_db, scope="function")):
    """The warehouse's deadline views, reloaded all day: read on the event loop (web.deps.read_db). ``q`` searches
    within the view as the order list's box does (a product to pick together, an order no., a phone), the view's
    order kept. Without a view in the URL it opens on 超时未发货 while any order is overdue, else on 24h需发货."""
    ctx = get_ctx(request)
    now = ctx.clock.now()
    sort = sort if sort in VIEW_SORTS else "ship_by"
    q, page = q.strip()[:100], page_number(page)
    shop_id = shop_of(request)

    def read():
        nonlocal view
        counts = view_counts(session, shop_id, now)
        view = opening_view(view, counts)
        if q:
            listing = orders_service.list_data(session, shop_id=shop_id, cipher=ctx.cipher, flt=OrderFilter(
                query=q, view=view, view_sort=sort, now=now, page=page, page_size=50)).model()
        else:
            listing = view_page(session, shop_id, view, now, page, 50, total=counts[view], sort=sort)
        return (counts, listing, refund_pending_orders(session, shop_id, [o.order_id for o in listing.orders]),
                service.shipped_items_of(session, shop_id, listing.orders),
                service.refund_held_counts(session, shop_id, now))

    counts, listing, refund_pending, shipped_items, held_counts = await read_on_loop_unless(may_scan_matches(q), read)
    pages = max((listing.total + 49) // 50, 1)
    searched = "&q=" + quote(q) if q else ""
    return render(request, "shipping/list.html", view=view, views=VIEWS, listing=listing, now=now, pages=pages,
                  sort=sort, sorts=VIEW_SORTS, q=q, searched=searched,
                  kept=("" if sort == "ship_by" else "&sort=" + sort) + searched,
                  counts=counts, held_counts=held_counts, countdown=countdown, refund_pending=refund_pending,
                  shipped_items=shipped_items,
                  can_ship=allowed(principal.role, "shipping.ship"), shipped=notices.read(request, "shipped"),
                  part_shipped=part_shipped_notice(request),
                  **countdown_templates())


def _form_context(session, shop_id: int, order_id: str, now) -> dict:
    order = require_order(session, shop_id, order_id)
    detail = orders_service.detail_of(session, order, now)
    done = shipped_skus(session, order.id)
    refunded = service.refunded_skus(session, [order.id]).get(order.id, set())
    # part-shipped, but no parcel says which items it holds (an export without a number per SKU row): ticking
    # every item would ship again what already went, so the packer ticks what is in this package (QA pass 9, #1)
    unknown = order.status == "partially_shipped" and not done and bool(detail.tracking)
    blocked = service.blocker_of(session, order)
    return {"order": detail, "carriers": domain.CARRIERS, "done": done, "refunded": refunded,
            "contents_unknown": unknown, "countdown": countdown, "now": now,
            "moved": address_change(detail), "blocked": blocked,
            # a refund the shop agreed already: the page says so, not "reject it first" (QA pass 10, D13)
            "refund_agreed": bool(blocked) and blocked[0] == "refund_pending"
            and order.order_id in refund_pending_orders(session, shop_id, [order.order_id]).agreed}


def _back(value: str | None) -> str:
    """Where the ship form returns: a page of this desk it was opened from (a shipping view, the home page, the
    order itself), never another site: "//host", "/\\host" and "/<tab>/host" are other sites to a browser, so a
    backslash, whitespace or anything outside printable ASCII sends it to the shipping list instead."""
    if (value and value.startswith("/") and not value.startswith("//") and value.isascii() and value.isprintable()
            and "\\" not in value and " " not in value):
        return value
    return "/shipping"


@router.get("/shipping/orders/{order_id}/ship")
def ship_form(order_id: str, request: Request, back: str | None = None,
              principal: Principal = Depends(require("shipping.ship")),
              session: Session = Depends(db, scope="function")):
    ctx = _form_context(session, shop_of(request), order_id, get_ctx(request).clock.now())
    return render(request, "shipping/ship.html", back=_back(back), form={}, shop_query=named_shop_query(request),
                  **ctx)


@router.post("/shipping/orders/{order_id}/ship")
def ship_submit(order_id: str, request: Request, carrier: str = Form(""), tracking_no: str = Form(""),
                items: list[str] = Form([]), items_listed: str = Form(""), confirm_warnings: str = Form(""),
                confirm_address_change: str = Form(""), back: str = Form(""),
                principal: Principal = Depends(require("shipping.ship")),
                session: Session = Depends(db, scope="function")):
    """The form lists every item with a box (items_listed=1): no box ticked is "nothing in this package", refused
    like the API's empty list, never "everything left" (a clerk who unticks all would ship what is not packed). A
    post without the list (a script) ships everything left, as the API does without items."""
    shop_id, now = shop_of(request), get_ctx(request).clock.now()
    listed = items_listed == "1"
    req = service.ShipRequest(order_id, carrier, tracking_no, items if listed or items else None,
                              confirm_warnings == "1", confirm_address_change == "1")
    try:
        result = service.ship_order(session, shop_id=shop_id, req=req, principal=principal, now=now)
        left = _items_left(session, shop_id, order_id) if result.status == "partially_shipped" else 0
    except DomainError as exc:
        session.rollback()
        ctx = _form_context(session, shop_id, order_id, now)
        form = {"carrier": carrier, "tracking_no": tracking_no, "picked": items if listed or items else None,
                "address_confirmed": confirm_address_change == "1"}
        if exc.code == "items_empty":
            exc = ValidationFailed(_("Tick the items in this package: nothing was shipped."), code="items_empty",
                                   details=exc.details)
        return render(request, "shipping/ship.html", status_code=exc.http_status, back=_back(back), form=form,
                      error=exc, needs_confirmation=exc.code == "confirmation_required",
                      shop_query=named_shop_query(request), **ctx)
    session.commit()  # before the redirect, so the next page already sees the shipment
    target = _back(back)
    # a part of the order only: said so, with what is left to pack (QA pass 10, D20: "已发货" read as done)
    notice = urlencode(notices.signed(request, "part_shipped", f"{order_id}:{len(result.items)}:{left}") if left
                       else notices.signed(request, "shipped", order_id))
    return RedirectResponse(target + ("&" if "?" in target else "?") + notice, status_code=303)


def _items_left(session: Session, shop_id: int, order_id: str) -> int:
    """How many of the order's items no parcel holds yet (after this one)."""
    order = require_order(session, shop_id, order_id)
    skus = set(session.execute(select(OrderItem.sku_order_id).where(OrderItem.order_pk == order.id)).scalars())
    return len(skus - service.shipped_skus(session, order.id))


def part_shipped_notice(request: Request) -> dict | None:
    """The signed notice of a partial shipment: the order, the items in this parcel and those left."""
    text = notices.read(request, "part_shipped")
    parts = (text or "").split(":")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    return {"order_id": parts[0], "sent": int(parts[1]), "left": int(parts[2])}


@router.get("/shipping/bulk")
def bulk_form(request: Request, principal: Principal = Depends(require("shipping.ship"))):
    return render(request, "shipping/bulk.html", stage="upload")


@router.get("/shipping/bulk/template.xlsx")
def bulk_template(request: Request, view: str = Query("awaiting", pattern=VIEW_PATTERN), q: str = "",
                  principal: Principal = Depends(require("shipping.ship")),
                  session: Session = Depends(db, scope="function")):
    return template_response(request, session, view, q)


@router.post("/shipping/bulk", max_body_size=UPLOAD_BODY)
def bulk_preview(request: Request, file: UploadFile | None = File(None),
                 principal: Principal = Depends(require("shipping.ship")),
                 session: Session = Depends(db, scope="function")):
    session.commit()
    ctx = get_ctx(request)
    if file is None or not file.filename:
        return render(request, "shipping/bulk.html", status_code=422, stage="upload", error=_("Choose a file."))
    stored = uploads.save(ctx.settings.data_dir, file.file, file.filename)
    try:
        report = run_bulk(request, stored, dry_run=True, principal=principal, confirmed=PREVIEW)
    except FileUnreadable as exc:
        uploads.delete(ctx.settings.data_dir, stored.upload_id)
        # An empty file is a bulk-ship file with nothing to ship here, not an import (the reader's own words).
        error = (_("The file is empty: it has no rows to ship.") if exc.code == "file_empty"
                 else error_text(exc.code, exc.message, exc.details))
        return render(request, "shipping/bulk.html", status_code=422, stage="upload", error=error)
    shown = _shown(report)
    if report.shipped:
        uploads.save_note(ctx.settings.data_dir, stored.upload_id, SEEN_NOTE,
                          {r.row: [w["code"] for w in r.warnings] for r in shown if r.verdict == "warning"})
    else:  # no row would ship: no Apply is offered, and the parked file (tracking numbers, orders) is not kept
        uploads.delete(ctx.settings.data_dir, stored.upload_id)
        uploads.save_note(ctx.settings.data_dir, stored.upload_id, NOTHING_NOTE, {"filename": stored.filename})
    return render(request, "shipping/bulk.html", stage="preview", report=report, upload=stored,
                  shown=shown, carrier_name=_carrier_name, reasons=_bulk_reasons)


RESULT_KIND = "bulk_ship"  # marks a bulk ship's stored result apart from an order import's (uploads share a folder)


def _bulk_result_url(upload_id: str) -> str:
    return f"/shipping/bulk/{upload_id}/result"


@router.post("/shipping/bulk/{upload_id}/apply")
def bulk_apply(upload_id: str, request: Request, confirm_row: list[str] = Form([]),
               principal: Principal = Depends(require("shipping.ship")),
               session: Session = Depends(db, scope="function")):
    """Ship the previewed file: its rows without a warning, and those warning rows whose box the person ticked
    (``confirm_row``; an unticked one is held), then send the browser to its result page (POST/redirect/GET), which
    a reload shows again: the warehouse reloads, and a reload of the POST answered 404 "already applied?" though the
    parcels had shipped. The parked copy is taken first (uploads.claim), so a second Apply (a double click, a second
    tab) ships nothing and lands on the same result."""
    session.commit()
    ctx = get_ctx(request)
    data_dir = ctx.settings.data_dir
    if uploads.load_note(data_dir, upload_id, NOTHING_NOTE) is not None:  # its preview offered no Apply (stale page)
        refusal = nothing_to_apply("ship")
        return render(request, "shipping/bulk.html", status_code=refusal.http_status, stage="upload",
                      error=error_text(refusal.code, refusal.message, refusal.details))
    claimed = uploads.claim_for_apply(data_dir, upload_id)
    if claimed is None:  # applied already, or being applied: its result
        return RedirectResponse(_bulk_result_url(upload_id), status_code=303)
    try:
        report = run_bulk(request, claimed, dry_run=False, principal=principal,
                          confirmed=_seen_in_preview(data_dir, upload_id, confirm_row))
    except FileUnreadable as exc:
        uploads.delete(data_dir, upload_id)
        return render(request, "shipping/bulk.html", status_code=422, stage="upload",
                      error=error_text(exc.code, exc.message, exc.details))
    except BaseException:
        uploads.release(data_dir, claimed)  # broken on the server: Apply may be tried again
        raise
    uploads.save_result(data_dir, upload_id, {
        "kind": RESULT_KIND, "filename": claimed.filename, "shop_id": shop_of(request), "user_id": principal.user_id,
        "file_kind": report.file_kind, "headers": report.headers, "rows": [asdict(r) for r in _shown(report)],
        "counts": {verdict: report.count(verdict) for verdict in _VERDICT_ORDER}, "shipped": report.shipped})
    uploads.delete(data_dir, upload_id)
    uploads.delete_note(data_dir, upload_id, SEEN_NOTE)
    return RedirectResponse(_bulk_result_url(upload_id), status_code=303)


@dataclass
class _StoredBulkReport:
    """A bulk ship's result as kept for its page: its counts, and the rows the page lists (at most SHOWN_ROWS)."""

    rows: list
    counts: dict
    shipped: int
    file_kind: str = ""
    headers: dict = field(default_factory=dict)

    def count(self, verdict: str) -> int:
        return self.counts.get(verdict, 0)


@router.get("/shipping/bulk/{upload_id}/result")
def bulk_applied(upload_id: str, request: Request, principal: Principal = Depends(require("shipping.ship"))):
    """What Apply shipped, as often as the page is reloaded (for a day: swept with the parked files); the uploader's
    and an owner's only, as the file's rows quote order numbers and tracking numbers."""
    ctx = get_ctx(request)
    result = uploads.load_result(ctx.settings.data_dir, upload_id)
    if result is None and uploads.applying(ctx.settings.data_dir, upload_id):
        raise Conflict("this file is still being shipped; reload the page in a moment", code="import_in_progress")
    if result is None or result.get("kind") != RESULT_KIND or result.get("shop_id") != shop_of(request) or not (
            result.get("user_id") == principal.user_id or allowed(principal.role, "users.manage")):
        raise NotFound("no bulk ship result here (results are kept for a day)", code="upload_not_found")
    rows = [RowVerdict(**row) for row in result["rows"]]
    report = _StoredBulkReport(rows, result["counts"], result["shipped"], result.get("file_kind", ""),
                               result.get("headers") or {})
    return render(request, "shipping/bulk.html", stage="done", report=report,
                  upload=SimpleNamespace(filename=result["filename"], upload_id=upload_id), shown=rows,
                  carrier_name=_carrier_name, reasons=_bulk_reasons)


HEALTH_VIOLATIONS_SHOWN = 500


def _since_day(value: str) -> date | None:
    """A shop day typed in the URL (YYYY-MM-DD); anything else lists every violation, and the heading says so."""
    try:
        return date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


@router.get("/shipping/health")
def health(request: Request, since: str = "", principal: Principal = Depends(require("orders.read")),
           session: Session = Depends(db, scope="function")):
    """``since`` lists the violations whose ship-by falls on or after that shop day, with their totals: the home
    page's 本月 figures link to ?since=<the 1st> so that the number clicked is the number shown (QA #6: the page
    showed 30 days and all time, never the month)."""
    now = get_ctx(request).clock.now()
    data = reports.health_report(session, shop_of(request), now)
    day = _since_day(since)
    violations = reports.violations_report(session, shop_of(request), day_start(day) if day else None,
                                           HEALTH_VIOLATIONS_SHOWN, now=now)
    month_start = now.astimezone(domain.SHOP_TZ).date().replace(day=1)
    # the whole list says where it begins: it is neither 本月 (home's figure, ?since=<the 1st>) nor the 30 days of
    # the cards above it (QA pass 9, #19)
    first = None if day else first_violation_at(session, shop_of(request))
    return render(request, "shipping/health.html", data=data, chart=reports.rate_chart(data["days"]),
                  violations=violations, since=day.isoformat() if day else None, month_start=month_start.isoformat(),
                  first_day=_shop_day(first))


def _shop_day(at) -> str | None:
    """A stored UTC time (naive from SQLite) as its shop day, YYYY-MM-DD."""
    if at is None:
        return None
    at = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
    return at.astimezone(domain.SHOP_TZ).date().isoformat()


@router.get("/shipping/forecast")
def forecast_page(request: Request, capacity: str | None = None, saved: str | None = None,
                  saved_product: str | None = None, principal: Principal = Depends(require("orders.read")),
                  session: Session = Depends(db, scope="function")):
    # 换一个产能试试: a capacity that is not one (0, -5, abc, 0.25; １２ and 0.3 are fine) is said so, and the plan
    # runs at the saved capacity (QA pass 6, #12: 0 silently became the default, abc gave an English 422 page)
    asked, refused = _asked_capacity(capacity)
    return _forecast(request, session, principal, capacity=asked, saved=saved == "1",
                     capacity_refused=capacity.strip()[:20] if refused else None, saved_product=saved_product)


def _asked_capacity(capacity: str | None) -> tuple[fc.Capacity | None, bool]:
    """A capacity to try as typed (１２ and 0.3 are fine): (the capacity or None, whether what was typed is refused)."""
    if not capacity or not capacity.strip():
        return None, False
    try:
        return fc.capacity_value(half_width(capacity).strip()[:12]), False
    except ValueError:
        return None, True


def _forecast(request: Request, session: Session, principal: Principal, *, capacity: fc.Capacity | None = None,
              saved: bool = False, settings_error: DomainError | None = None, typed: dict | None = None,
              status_code: int = 200, capacity_refused: str | None = None, product_error: dict | None = None,
              saved_product: str | None = None):
    """The forecast page; ``settings_error`` and ``typed``: a refused settings form, shown beside the form with
    what the owner typed, rather than a bare error page that loses every field (QA pass 6, #7)."""
    shop_id, now = shop_of(request), get_ctx(request).clock.now()
    data = reports.forecast_report(session, shop_id, now, capacity, 200)
    pace = reports.recent_pace(session, shop_id, now)
    settings = get_settings(session, shop_id)
    products = _product_promises(session, shop_id, settings.default_promise, product_error)
    return render(request, "shipping/forecast.html", status_code=status_code, data=data, settings=settings,
                  form={**_settings_form(settings), **(typed or {})}, settings_error=settings_error,
                  settings_error_field=setting_labels().get((settings_error.details or {}).get("field", ""), "")
                  if settings_error else "",
                  pace=pace, pace_ratio=reports.capacity_vs_pace(data["capacity_per_hour"], pace),
                  can_manage=allowed(principal.role, "settings.manage"), products=products, saved=saved,
                  capacity_refused=capacity_refused, capacity_asked=capacity is not None,
                  promise_kinds=promise_kind_words(), product_error=product_error, saved_product=saved_product)


def _product_promises(session: Session, shop_id: int, default_promise: str | None,
                      product_error: dict | None) -> list[dict]:
    """Each product's promise in words and as the form's choice (none: the shop default applies), so the owner picks
    当日发 / 预售… from a list instead of typing codes such as same_day:16 (QA pass 9, #17). A refused row shows what
    was typed."""
    lang = words_language()
    rows = session.execute(select(Product.product_id, Product.name, Product.name_en, Product.ship_promise)
                           .where(Product.shop_id == shop_id).order_by(Product.name)).all()
    products = []
    for product_id, name, name_en, promise in rows:
        choice = promise_choice.choice_of(promise) if promise else None
        if product_error and product_error["product_id"] == product_id:
            choice = product_error["typed"]
        products.append({"product_id": product_id, "name": product_label(name, name_en), "promise": promise,
                         "choice": choice,
                         "words": domain.promise_words(promise or default_promise, lang)})
    return products


def promise_kind_words() -> list[tuple[str, str]]:
    """The default promise's choices in the merchant's words, in the form's order (promise_choice.KINDS)."""
    words = {"same_day": _("Same day"), "next_day": _("Next day"), "48h": _("Within 48 hours"),
             "days": _("Within N days"), "presale_days": _("Presale: within N days of payment"),
             "presale_date": _("Presale: by a date")}
    return [(kind, words[kind]) for kind in promise_choice.KINDS]


def setting_labels() -> dict[str, str]:
    """The settings form's field labels by the names a refusal gives its field, to say which field is wrong."""
    hours_from, hours_to = _("Working hours from"), _("to")
    return {"capacity_per_hour": _("Packing capacity (orders per hour)"), "work_start": hours_from,
            "work_start_minute": hours_from, "work_end": f"{hours_from} … {hours_to}",
            "work_end_minute": f"{hours_from} … {hours_to}", "rest_weekdays": _("Rest days (no packing)"),
            "default_promise": _("Default ship promise"), "promise_kind": _("Default ship promise"),
            "promise_cutoff": _("Same-day cut-off (hour)"), "promise_days": _("Number of days"),
            "promise_date": _("Presale ship date"), "ship_promise": _("Ship promise"),
            "due_soon_hours": _("First reminder (hours before ship-by)"),
            "urgent_hours": _("Urgent reminder (hours before ship-by)"),
            "correction_window_hours": _("Tracking numbers correctable for (hours after shipping)"),
            "max_corrections": _("Corrections per package"), "late_points": _("Points per late order"),
            "compensation_pct": _("Compensation (%% of amount paid)").replace("%%", "%"),
            "compensation_min_yuan": _("Minimum compensation"), "compensation_min_fen": _("Minimum compensation"),
            "compensation_max_yuan": _("Maximum compensation"), "compensation_max_fen": _("Maximum compensation")}


def _settings_form(settings) -> dict[str, str]:
    """The settings form's fields as text, from the stored settings."""
    def hhmm(minutes: int) -> str:
        return "23:59" if minutes >= 1440 else f"{minutes // 60:02d}:{minutes % 60:02d}"
    capacity = fc.capacity_text(fc.capacity_value(settings.capacity_per_hour)).replace(",", "")  # 0.3, 120
    return {"capacity_per_hour": capacity, "work_start": hhmm(settings.work_start_minute),
            "work_end": hhmm(settings.work_end_minute), "rest_weekdays": settings.rest_weekdays or "",
            "default_promise": settings.default_promise or "", **promise_choice.choice_of(settings.default_promise),
            "due_soon_hours": str(settings.due_soon_hours),
            "urgent_hours": str(settings.urgent_hours),
            "correction_window_hours": str(settings.correction_window_hours),
            "max_corrections": str(settings.max_corrections), "late_points": str(settings.late_points),
            "compensation_pct": str(settings.compensation_pct),
            "compensation_min_yuan": f"{settings.compensation_min_fen / 100:.2f}",
            "compensation_max_yuan": f"{settings.compensation_max_fen / 100:.2f}"}


def _count(value: str, name: str) -> int | None:
    """A whole number from the form (digits typed full-width by a Chinese IME included); empty leaves the setting
    as it is; anything else is refused naming its field."""
    text = half_width(value or "").strip()
    if not text:
        return None
    number = whole_number(text, 9)
    if number is None:
        raise ValidationFailed(f"{name}: {text[:20]!r} is not a whole number", code="number_invalid",
                               details={"field": name})
    return number


def _minutes(value: str, name: str, *, end_of_day: bool = False) -> int:
    """A time of day from the form (HH:MM) as minutes after midnight. Refused, naming its own field, unless it is
    a real time: "25:99" is not 1,599 minutes, "-1:30" not minus an hour (QA #9: both were blamed on the end
    time). The end of the working day may also be 24:00, midnight."""
    hours, _sep, minutes = value.strip().partition(":")
    if hours.isdigit() and minutes.isdigit() and len(hours) <= 2 and len(minutes) == 2:
        total = int(hours) * 60 + int(minutes)
        if (int(hours) < 24 and int(minutes) < 60) or (end_of_day and total == 24 * 60):
            return total
    raise ValidationFailed(f"{name}: {value.strip()[:20]!r} is not a time of day; use HH:MM, 00:00–23:59",
                           code="time_invalid", details={"field": name})


def _fen(value: str, name: str) -> int | None:
    """A sum of money typed in yuan (12, 12.5, 12.50) as integer fen, the unit the desk stores; empty leaves the
    setting as it is. Anything else (a minus sign, three decimals, 1e3) is refused naming its own field rather
    than read as some other amount."""
    text = value.strip().lstrip("¥￥").strip()
    if not text:
        return None
    whole, _sep, cents = text.partition(".")
    if whole.isdigit() and whole.isascii() and len(whole) <= 9 and (not _sep or (
            cents.isdigit() and cents.isascii() and 1 <= len(cents) <= 2)):
        return int(whole) * 100 + int(cents.ljust(2, "0") if _sep else 0)
    raise ValidationFailed(f"{name}: {value.strip()[:20]!r} is not an amount in yuan; use e.g. 5 or 5.50",
                           code="amount_invalid", details={"field": name})


@router.post("/shipping/settings")
def save_settings(request: Request, capacity_per_hour: str = Form(""), work_start: str = Form("09:00"),
                  work_end: str = Form("18:00"), default_promise: str | None = Form(None),
                  promise_kind: str = Form(""), promise_cutoff: str = Form(""), promise_days: str = Form(""),
                  promise_date: str = Form(""),
                  due_soon_hours: str = Form(""), urgent_hours: str = Form(""),
                  correction_window_hours: str = Form(""), max_corrections: str = Form(""),
                  rest_day: list[str] = Form([]), rest_days_shown: str = Form(""),
                  late_points: str = Form(""), compensation_pct: str = Form(""),
                  compensation_min_yuan: str = Form(""), compensation_max_yuan: str = Form(""),
                  principal: Principal = Depends(require("settings.manage")),
                  session: Session = Depends(db, scope="function")):
    """The owner's settings form, the penalty assumptions included (QA #7: the health page said owners could change
    them and nothing could). Money is typed in yuan and stored in fen; a field the form leaves out changes nothing.
    A refused value comes back on the forecast page beside the form, naming the field, with what was typed.
    The default promise comes as the form's choice (promise_kind and its hour, days or date: promise_choice), or as
    the stored code typed (default_promise: 48h, next_day, same_day:16…), as before; neither leaves it unchanged."""
    typed = {"capacity_per_hour": capacity_per_hour, "work_start": work_start, "work_end": work_end,
             "default_promise": default_promise or "", "promise_kind": promise_kind, "promise_cutoff": promise_cutoff,
             "promise_days": promise_days, "promise_date": promise_date,
             "due_soon_hours": due_soon_hours, "urgent_hours": urgent_hours,
             "correction_window_hours": correction_window_hours, "max_corrections": max_corrections,
             "late_points": late_points, "compensation_pct": compensation_pct,
             "compensation_min_yuan": compensation_min_yuan, "compensation_max_yuan": compensation_max_yuan}
    if not promise_kind:  # a form without the choice: the page shows the stored one again
        for name in ("promise_kind", "promise_cutoff", "promise_days", "promise_date"):
            typed.pop(name)
    try:
        capacity = half_width(capacity_per_hour or "").strip()[:20] or None  # checked with the others, as typed
        if capacity is None:
            raise ValidationFailed("capacity_per_hour: give the orders packed per hour", code="value_missing",
                                   details={"field": "capacity_per_hour"})
        if promise_kind:
            default_promise = promise_choice.promise_from_choice(promise_kind, cutoff=promise_cutoff,
                                                                 days=promise_days, on=promise_date)
        counts = {name: _count(typed[name], name) for name in (
            "due_soon_hours", "urgent_hours", "correction_window_hours", "max_corrections", "late_points",
            "compensation_pct")}
        preferences.update_settings(
            session, shop_id=shop_of(request), principal=principal, now=get_ctx(request).clock.now(),
            changes={"capacity_per_hour": capacity, **counts,
                     "compensation_min_fen": _fen(compensation_min_yuan, "compensation_min_yuan"),
                     "compensation_max_fen": _fen(compensation_max_yuan, "compensation_max_yuan"),
                     "work_start_minute": _minutes(work_start, "work_start"),
                     "work_end_minute": _minutes(work_end, "work_end", end_of_day=True),
                     "default_promise": default_promise,
                     # no box ticked is "no rest day"; a form without the boxes changes nothing
                     "rest_weekdays": "".join(rest_day) if rest_days_shown else None})
    except DomainError as exc:
        session.rollback()
        _blame_the_date_field(exc, promise_kind)
        if rest_days_shown:
            typed["rest_weekdays"] = "".join(rest_day)
        return _forecast(request, session, principal, settings_error=exc, typed=typed, status_code=exc.http_status)
    session.commit()
    return RedirectResponse("/shipping/forecast?saved=1", status_code=303)


def _blame_the_date_field(exc: DomainError, promise_kind: str | None) -> None:
    """A past presale date refused by the service names the stored promise; on a form with the choice list the
    field to correct is the date."""
    if exc.code == "presale_date_past" and promise_kind and exc.details is not None:
        exc.details["field"] = "promise_date"


@router.post("/shipping/products/{product_id}/promise")
def save_product_promise(product_id: str, request: Request, promise_kind: str | None = Form(None),
                         promise_cutoff: str = Form(""), promise_days: str = Form(""), promise_date: str = Form(""),
                         ship_promise: str = Form(""), principal: Principal = Depends(require("settings.manage")),
                         session: Session = Depends(db, scope="function")):
    """One product's promise, chosen from the list (promise_kind ``default`` = follow the shop default) or, as
    before, typed as a code (ship_promise). A refusal comes back on the forecast page above the list, naming the
    product and the field, with the row as typed; nothing is saved."""
    typed = {"promise_kind": promise_kind, "promise_cutoff": promise_cutoff, "promise_days": promise_days,
             "promise_date": promise_date}
    try:
        if promise_kind is not None:
            ship_promise = "" if promise_kind == "default" else promise_choice.promise_from_choice(
                promise_kind, cutoff=promise_cutoff, days=promise_days, on=promise_date)
        preferences.set_product_promise(session, shop_id=shop_of(request), product_id=product_id,
                                        promise=ship_promise, principal=principal, now=get_ctx(request).clock.now())
    except DomainError as exc:
        session.rollback()
        if (exc.details or {}).get("field") == "product_id":
            raise
        _blame_the_date_field(exc, promise_kind)
        named = session.execute(select(Product.name, Product.name_en).where(
            Product.shop_id == shop_of(request), Product.product_id == product_id)).one_or_none()
        name = product_label(*named) if named else None
        field = setting_labels().get((exc.details or {}).get("field", ""), "")
        return _forecast(request, session, principal, status_code=exc.http_status, product_error={
            "product_id": product_id, "name": name or product_id, "field": field, "error": exc,
            "typed": typed if promise_kind not in (None, "default") else None})
    session.commit()
    # back to the row just saved, marked 已保存 there (QA pass 10, D3: the page-top notice was out of sight)
    return RedirectResponse(f"/shipping/forecast?saved_product={quote(product_id, safe='')}"
                            f"#promise-{quote(product_id, safe='')}", status_code=303)


@router.get("/shipping/picklist")
def pick_list(request: Request, capacity: str | None = None, within: str | None = None,
              principal: Principal = Depends(require("orders.read")),
              session: Session = Depends(db, scope="function")):
    """The printed sheet the floor packs from: by default what must leave within 48 hours (overdue included), with
    the after-sales to send in deadline order among the orders, and the capacity warning the forecast gives (QA pass
    13, #4-#6)."""
    shop_id, now = shop_of(request), get_ctx(request).clock.now()
    # printed at the capacity the forecast was looking at (its 换一个产能试试), else the saved one (QA pass 9, #12)
    asked, _refused = _asked_capacity(capacity)  # a refused one prints at the saved capacity
    horizon = horizon_of(within)
    data = reports.forecast_report(session, shop_id, now, asked, within_hours=horizon,
                                   sends=reports.cases_to_send(session, shop_id, now))
    pace = reports.recent_pace(session, shop_id, now)
    return render(request, "shipping/picklist.html", data=data, body_class="print", pace=pace,
                  pace_ratio=reports.capacity_vs_pace(data["capacity_per_hour"], pace), horizon=horizon,
                  horizons=HORIZONS, capacity_asked=asked is not None, case_type=aftersale_labels.case_type)


# ---------------------------------------------------------------- correcting a tracking number

def carrier_label(code: str | None, stored: str | None = None) -> str:
    """A carrier by name in the page's language (顺丰速运 / SF Express, QA #10: the English page said 顺丰速运 and
    showed codes such as shunfeng); a carrier the desk does not know keeps the name it was stored with."""
    from ..logistics import labels as logistics_labels

    if code and code in domain.CARRIER_BY_CODE:
        return logistics_labels.carrier(code)
    # An imported parcel has only the name its file gave (圆通速递): the desk knows it by name too (QA pass 7, #5)
    return logistics_labels.carrier(stored) if stored else (code or "")


def _tracking_context(session, shop_id: int, order_id: str, now) -> dict:
    from ..logistics import labels as logistics_labels

    order, states = corrections.order_shipment_states(session, shop_id=shop_id, order_id=order_id, now=now)
    settings = get_settings(session, shop_id)
    return {"order": order, "states": states, "history": corrections.corrections_of(session, order.id),
            "carriers": domain.CARRIERS, "settings": settings, "logistics_label": logistics_labels.state,
            "carrier_label": carrier_label}


@router.get("/shipping/orders/{order_id}/tracking")
def tracking_form(order_id: str, request: Request, platform: str | None = Query(None, pattern="^already_sent$"),
                  principal: Principal = Depends(require("shipping.correct")),
                  session: Session = Depends(db, scope="function")):
    ctx = _tracking_context(session, shop_of(request), order_id, get_ctx(request).clock.now())
    return render(request, "shipping/tracking.html", forms={}, corrected=notices.read(request, "corrected"),
                  platform_sent=platform == "already_sent", shop_query=named_shop_query(request), **ctx)


@router.post("/shipping/orders/{order_id}/shipments/{shipment_id}/correct")
def tracking_correct(order_id: str, shipment_id: str, request: Request, carrier: str = Form(""),
                     tracking_no: str = Form(""), reason: str = Form(""), confirm_warnings: str = Form(""),
                     principal: Principal = Depends(require("shipping.correct")),
                     session: Session = Depends(db, scope="function")):
    shop_id, now = shop_of(request), get_ctx(request).clock.now()
    try:
        out = corrections.correct_tracking(session, shop_id=shop_id, order_id=order_id, shipment_id=shipment_id,
                                           carrier=carrier, tracking_no=tracking_no, reason=reason,
                                           confirm_warnings=confirm_warnings == "1", principal=principal, now=now)
    except DomainError as exc:
        session.rollback()
        ctx = _tracking_context(session, shop_id, order_id, now)
        form = {"carrier": carrier, "tracking_no": tracking_no, "reason": reason, "error": exc,
                "needs_confirmation": exc.code == "confirmation_required"}
        return render(request, "shipping/tracking.html", status_code=exc.http_status, corrected=None,
                      forms={str(shipment_id): form}, shop_query=named_shop_query(request), **ctx)
    session.commit()
    query = notices.signed(request, "corrected", out["after"]["tracking_no"])
    if named_shop_query(request):
        query["shop"] = str(shop_id)
    if out.get("platform_upload") == "already_sent":
        query["platform"] = "already_sent"
    return RedirectResponse(f"/shipping/orders/{quote(out['order_id'])}/tracking?" + urlencode(query), status_code=303)


# ---------------------------------------------------------------- deadline reminders

def reminder_kinds(settings) -> dict[str, str]:
    within = _("Due within %(h)s hours")
    return {"overdue": _("Overdue"), "due_urgent": within % {"h": settings.urgent_hours},
            "due_soon": within % {"h": settings.due_soon_hours}}


@router.get("/shipping/reminders")
def reminder_list(request: Request, acked: str | None = None, principal: Principal = Depends(require("orders.read")),
                  session: Session = Depends(db, scope="function")):
    shop_id, now = shop_of(request), get_ctx(request).clock.now()
    total, rows = reminders.open_reminders(session, shop_id, 500)
    return render(request, "shipping/reminders.html", total=total, rows=rows, now=now, countdown=countdown,
                  gone=_items_gone(session, shop_id, rows),
                  recent=reminders.recently_acknowledged(session, shop_id, now),
                  kinds=reminder_kinds(get_settings(session, shop_id)),
                  can_ack=allowed(principal.role, "shipping.ship"),
                  acked=acked, error=None, shipped=notices.read(request, "shipped"),
                  part_shipped=part_shipped_notice(request))


def _items_gone(session: Session, shop_id: int, rows) -> dict[str, list[str]]:
    """Order id → "名称 规格 ×2" of the items already in a parcel, for the partly shipped orders of a reminder list:
    the reminder lists every item, and a packer must see which already left (QA pass 10, D23)."""
    shipped = service.shipped_items_of(session, shop_id, rows)
    skus = [sku for found in shipped.values() for sku in found]
    if not skus:
        return {}
    gone: dict[str, list[str]] = {}
    for order_id, name, spec, quantity in session.execute(
            select(Order.order_id, OrderItem.product_name, OrderItem.spec, OrderItem.quantity)
            .join(Order, Order.id == OrderItem.order_pk)
            .where(OrderItem.shop_id == shop_id, OrderItem.sku_order_id.in_(skus))):
        gone.setdefault(order_id, []).append(f"{name}{' ' + spec if spec else ''} ×{quantity}")
    return gone


@router.post("/shipping/reminders/{reminder_id}/ack")
def reminder_ack(reminder_id: str, request: Request, principal: Principal = Depends(require("shipping.ship")),
                 session: Session = Depends(db, scope="function")):
    shop_id, now = shop_of(request), get_ctx(request).clock.now()
    try:
        out = reminders.acknowledge(session, shop_id=shop_id, reminder_id=reminder_id, principal=principal, now=now)
    except DomainError as exc:
        session.rollback()
        total, rows = reminders.open_reminders(session, shop_id, 500)
        return render(request, "shipping/reminders.html", status_code=exc.http_status, total=total, rows=rows,
                      now=now, countdown=countdown, recent=reminders.recently_acknowledged(session, shop_id, now),
                      kinds=reminder_kinds(get_settings(session, shop_id)), acked=None, error=exc,
                      can_ack=True)
    session.commit()
    return RedirectResponse("/shipping/reminders?" + urlencode({"acked": out["order_id"]}), status_code=303)
