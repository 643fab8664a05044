"""Order pages: the list with tabs, search and filters, and the order detail with its timeline."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.permissions import allowed
from ..accounts.service import Principal
from ..logistics import labels as logistics_labels
from ..web.deps import db, get_ctx, require
from ..web.i18n import current_language, gettext as _, label
from ..web.templating import render
from . import service
from .api import shop_of
from .domain import FLAG_COLOURS, TABS
from .models import Product
from .queries import PAGE_SIZES, OrderFilter
from .search_query import classify

router = APIRouter(include_in_schema=False)
DEFAULT_PAGE_SIZE = 50
DATE_FIELDS = ("created_from", "created_to", "paid_from", "paid_to")
# The order of the parameters in every link the list builds, so equal filters give equal URLs.
LINK_ORDER = ("q", "tab", *DATE_FIELDS, "product_id", "logistics_state", "anomaly", "page_size", "page")


@dataclass
class ParsedFilter:
    """What the URL asked for, what we understood, and what we could not read (field → message)."""

    flt: OrderFilter
    errors: dict[str, str] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)


def _field_label(name: str) -> str:
    return {"created_from": _("Created from"), "created_to": _("Created to"),
            "paid_from": _("Paid from"), "paid_to": _("Paid to")}.get(name, name)


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value else default
    except ValueError:
        return default


def parse_filter(params) -> ParsedFilter:
    """Read the list's query string. Unreadable values never raise: the list is shown without them and
    the page names the field, because a shared link with a typo should still open."""
    errors: dict[str, str] = {}
    raw = {name: (params.get(name) or "").strip() for name in DATE_FIELDS}
    dates: dict[str, date | None] = {}
    for name in DATE_FIELDS:
        value = raw[name]
        dates[name] = None
        if value:
            try:
                dates[name] = date.fromisoformat(value)
            except ValueError:
                errors[name] = _("%(field)s: “%(value)s” is not a date; use YYYY-MM-DD (e.g. 2026-11-20).") % {
                    "field": _field_label(name), "value": value[:20]}
    for start, end in (("created_from", "created_to"), ("paid_from", "paid_to")):
        if dates[start] and dates[end] and dates[start] > dates[end]:
            errors[end] = _("%(field)s is before %(other)s; the range was ignored.") % {
                "field": _field_label(end), "other": _field_label(start)}
            dates[start] = dates[end] = None
    tab = params.get("tab") or "all"
    page_size = _int(params.get("page_size"), DEFAULT_PAGE_SIZE)
    flt = OrderFilter(
        query=(params.get("q") or "").strip()[:100] or None,
        tab=tab if tab in TABS else "all",
        product_id=(params.get("product_id") or "").strip()[:32] or None,
        logistics_state=(params.get("logistics_state") or "").strip()[:16] or None,
        anomaly=(params.get("anomaly") or "").strip()[:24] or None,
        page=max(_int(params.get("page"), 1), 1),
        page_size=page_size if page_size in PAGE_SIZES else DEFAULT_PAGE_SIZE,
        **dates,
    )
    return ParsedFilter(flt=flt, errors=errors, raw=raw)


def filter_params(flt: OrderFilter) -> dict[str, str]:
    """The canonical query string of a filter: defaults left out, values that could not be read dropped."""
    values = {"q": flt.query, "tab": None if flt.tab == "all" else flt.tab,
              "product_id": flt.product_id, "logistics_state": flt.logistics_state, "anomaly": flt.anomaly,
              "page_size": None if flt.page_size == DEFAULT_PAGE_SIZE else str(flt.page_size),
              "page": None if flt.page <= 1 else str(flt.page)}
    for name in DATE_FIELDS:
        day = getattr(flt, name)
        values[name] = day.isoformat() if day else None
    return {k: values[k] for k in LINK_ORDER if values.get(k)}


def list_link(flt: OrderFilter, **changes) -> str:
    params = filter_params(flt)
    if "page" not in changes:
        params.pop("page", None)  # any other change starts again at page 1
    for key, value in changes.items():
        if key == "tab" and value == "all" or key == "page" and value in (1, "1") \
                or key == "page_size" and value in (DEFAULT_PAGE_SIZE, str(DEFAULT_PAGE_SIZE)) or value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = str(value)
    ordered = {k: params[k] for k in LINK_ORDER if k in params}
    return "/orders" + ("?" + urlencode(ordered) if ordered else "")


def page_window(current: int, pages: int, width: int = 2) -> list[int | None]:
    """Page numbers to show: first, last and a window around the current one; None marks a gap."""
    wanted = {1, pages, *range(current - width, current + width + 1)}
    out: list[int | None] = []
    for number in sorted(n for n in wanted if 1 <= n <= pages):
        if out and out[-1] is not None and number - out[-1] > 1:
            out.append(None)
        out.append(number)
    return out


@router.get("/orders")
def order_list(request: Request, principal: Principal = Depends(require("orders.read")), session: Session = Depends(db, scope="function")):
    parsed = parse_filter(request.query_params)
    flt = parsed.flt
    ctx = get_ctx(request)
    shop_id = shop_of(request)
    page = service.list_orders(session, shop_id=shop_id, flt=flt, cipher=ctx.cipher)
    pages = max((page.total + page.page_size - 1) // page.page_size, 1)
    if flt.page > pages and page.total:  # a shared link to a page that no longer exists: show the last one
        flt.page = pages
        page = service.list_orders(session, shop_id=shop_id, flt=flt, cipher=ctx.cipher)
    counts = service.tab_counts(session, shop_id=shop_id, flt=flt, cipher=ctx.cipher)
    english = current_language.get() == "en"
    products = [(pid, (name_en or name) if english else name) for pid, name, name_en in session.execute(
        select(Product.product_id, Product.name, Product.name_en).where(Product.shop_id == shop_id)
        .order_by(Product.name)
    ).all()]
    understood = classify(flt.query)

    def link(**changes) -> str:
        return list_link(flt, **changes)

    return render(request, "orders/list.html", page=page, counts=counts, tabs=TABS, flt=flt, products=products,
                  link=link, pages=pages, page_sizes=PAGE_SIZES, understood=understood,
                  errors=parsed.errors, raw=parsed.raw, window=page_window(flt.page, pages),
                  flag_colours=FLAG_COLOURS, now=ctx.clock.now(),
                  share_url=list_link(flt, page=flt.page), logistics_label=logistics_labels.state,
                  anomaly_label=logistics_labels.kind, export_query=export_query(flt))


def export_query(flt: OrderFilter) -> str:
    """The export API's query string for what the list shows (masked buyer data; the reveal export is a POST
    with a reason, API and CLI only)."""
    params = {"q": flt.query, "status": flt.tab, "created_from": flt.created_from, "created_to": flt.created_to,
              "paid_from": flt.paid_from, "paid_to": flt.paid_to, "product_id": flt.product_id}
    return urlencode({k: str(v) for k, v in params.items() if v not in (None, "", "all")})


def describe_event(kind: str, detail: str | None) -> list[tuple[str, str]]:
    """The event's detail JSON as (label, value) pairs a merchant can read; unknown keys are shown as they are."""
    if not detail:
        return []
    try:
        data = json.loads(detail)
    except ValueError:
        return [("", detail)]
    if not isinstance(data, dict):
        return [("", str(data))]
    if kind == "aftersale":  # after-sale steps (issue 6) describe themselves
        from ..aftersales.labels import describe

        return describe(data)
    if kind == "note_changed" and isinstance(data.get("before"), dict) and isinstance(data.get("after"), dict):
        before, after = data["before"], data["after"]
        out = []
        if before.get("merchant_note") != after.get("merchant_note"):
            out.append((_("Merchant note"), f"{before.get('merchant_note') or '—'} → {after.get('merchant_note') or '—'}"))
        if before.get("flag_colour") != after.get("flag_colour"):
            out.append((_("Flag"), f"{_flag_name(before.get('flag_colour'))} → {_flag_name(after.get('flag_colour'))}"))
        return out
    names = {"carrier": _("Carrier"), "tracking_no": _("Tracking no."), "via": _("Via"), "reason": _("Reason")}
    out = []
    for key, value in data.items():
        if value in (None, ""):
            continue
        shown = label("via", value) if key == "via" and isinstance(value, str) else str(value)
        out.append((names.get(key, key), shown))
    return out


def _flag_name(index) -> str:
    if isinstance(index, int) and 0 <= index < len(FLAG_COLOURS):
        return label("flag", FLAG_COLOURS[index])
    return "—"


@router.get("/orders/{order_id}")
def order_detail(order_id: str, request: Request, principal: Principal = Depends(require("orders.read")),
                 session: Session = Depends(db, scope="function")):
    detail = service.order_detail(session, shop_id=shop_of(request), order_id=order_id, now=get_ctx(request).clock.now())
    events = [{"event": e, "lines": describe_event(e.kind, e.detail)} for e in reversed(detail.events)]
    from ..aftersales.pages import order_summary

    return render(request, "orders/detail.html", order=detail, events=events, flag_colours=FLAG_COLOURS,
                  aftersales=order_summary(session, request, order_id),
                  can_note=allowed(principal.role, "orders.note"), now=get_ctx(request).clock.now(),
                  saved=request.query_params.get("saved") == "1", back=_back_link(request))


def _back_link(request: Request) -> str:
    """Back to the list the user came from (same-site list URLs only), else the plain list."""
    ref = request.query_params.get("back") or ""
    return ref if ref.startswith("/orders") and not ref.startswith("//") else "/orders"


@router.post("/orders/{order_id}/note")
def save_note(order_id: str, request: Request, merchant_note: str = Form(""), flag_colour: int = Form(0),
              back: str = Form(""), principal: Principal = Depends(require("orders.note")), session: Session = Depends(db, scope="function")):
    service.update_merchant_note(session, principal, shop_id=shop_of(request), order_id=order_id,
                                 note=merchant_note, flag_colour=flag_colour, now=get_ctx(request).clock.now())
    # Commit before answering: the db dependency would commit only after the redirect is sent, and the
    # browser's next request could read the old note.
    session.commit()
    target = f"/orders/{quote(order_id, safe='')}?saved=1"
    if back.startswith("/orders") and not back.startswith("//"):
        target += "&" + urlencode({"back": back})
    return RedirectResponse(target, status_code=303)


__all__ = ["router", "parse_filter", "filter_params", "list_link", "page_window", "describe_event"]
