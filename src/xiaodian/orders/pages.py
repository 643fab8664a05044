"""Order pages: the list with tabs, search and filters, and the order detail with its timeline."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.permissions import allowed
from ..accounts.service import Principal
from ..aftersales import labels as aftersale_labels
from ..channels.douyin.service import sync_warnings
from ..clock import plausible_date
from ..errors import Conflict, DomainError, NotFound
from ..logistics import labels as logistics_labels
from ..logistics.views import ANOMALY_FILTERS, STATES as LOGISTICS_STATES
from ..web import notices
from ..web.deps import (ALL_SHOPS, SHOP_COOKIE, db, get_ctx, pin_shop, read_db, read_on_loop_unless, require,
                        require_reading, shop_of, shop_scope)
from ..web.i18n import error_text, gettext as _, label, ngettext
from ..web.templating import render
from ..whole_numbers import whole_number
from . import service
from .domain import ADDRESS_FILTERS, FILTER_YEARS, FLAG_COLOURS, FLAG_FILTERS, TABS, review_held_days
from .event_lines import address_change, describe_event
from .listing import PAGE_EXPORT_ORDERS
from .models import Product
from .product_labels import product_label
from .queries import PAGE_SIZES, OrderFilter
from .search_query import classify, may_scan_matches

router = APIRouter(include_in_schema=False)

# A product-text search over more orders than this sends its tab counts after the list (order_list).
LAZY_COUNTS_ABOVE = 200_000
DEFAULT_PAGE_SIZE = 50
DATE_FIELDS = ("created_from", "created_to", "paid_from", "paid_to")
# The order of the parameters in every link the list builds, so equal filters give equal URLs.
LINK_ORDER = ("shop", "q", "tab", *DATE_FIELDS, "product_id", "flag", "address_changed", "logistics_state", "anomaly",
              "page_size", "page")


@dataclass
class ParsedFilter:
    """What the URL asked for, what we understood, and what we could not read (field → message)."""

    flt: OrderFilter
    errors: dict[str, str] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)


def _field_label(name: str) -> str:
    return {"created_from": _("Created from"), "created_to": _("Created to"),
            "paid_from": _("Paid from"), "paid_to": _("Paid to"), "tab": _("Status tab"),
            "page": _("Page"), "page_size": _("Page size"), "logistics_state": _("Logistics state"),
            "anomaly": _("Logistics anomaly"), "flag": _("Flag"),
            "address_changed": _("Address changed")}.get(name, name)


def flag_filter_label(flag: str) -> str:
    return _("Any flag") if flag == "any" else label("flag", flag)


def address_filter_label(which: str) -> str:
    return _("Changed, still to ship") if which == "to_ship" else _("Changed at any time")


def _choice(params, name: str, choices, default, errors: dict[str, str], shown=str):
    """One of ``choices`` (compared as text), else ``default``, with a message naming the field and listing what
    it may be (each choice as ``shown`` names it on screen)."""
    value = (params.get(name) or "").strip()
    if not value:
        return default
    for choice in choices:
        if value == str(choice):
            return choice
    errors[name] = _("%(field)s: “%(value)s” is not one of: %(allowed)s.") % {
        "field": _field_label(name), "value": value[:20], "allowed": ", ".join(shown(c) for c in choices)}
    return default


def _page_number(params, errors: dict[str, str]) -> int:
    value = (params.get("page") or "").strip()
    if not value:
        return 1
    number = whole_number(value, 10)
    if number is not None and 1 <= number <= 10**9:
        return number
    errors["page"] = _("%(field)s: “%(value)s” is not a page number; page 1 is shown.") % {
        "field": _field_label("page"), "value": value[:20]}
    return 1


def parse_filter(params) -> ParsedFilter:
    """Read the list's query string. Unreadable values never raise: the list is shown without them (or with the
    default: all orders, 50 a page, page 1) and the page names the field, because a shared link with a typo should
    still open, and the merchant should know that what is shown is not quite what the link asked for."""
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
            else:  # 0001-01-01 or 9999-12-31 would overflow the shop-time conversion: named, like the API does
                if not plausible_date(dates[name]):
                    errors[name] = _("%(field)s: %(value)s is not between %(first)s and %(last)s; the date was "
                                     "ignored.") % {"field": _field_label(name), "value": value[:20],
                                                    "first": FILTER_YEARS[0], "last": FILTER_YEARS[1]}
                    dates[name] = None
    for start, end in (("created_from", "created_to"), ("paid_from", "paid_to")):
        if dates[start] and dates[end] and dates[start] > dates[end]:
            errors[end] = _("%(field)s is before %(other)s; the range was ignored.") % {
                "field": _field_label(end), "other": _field_label(start)}
            dates[start] = dates[end] = None
    flt = OrderFilter(
        query=(params.get("q") or "").strip()[:100] or None,
        tab=_choice(params, "tab", TABS, "all", errors, shown=lambda tab: label("tab", tab)),
        product_id=(params.get("product_id") or "").strip()[:32] or None,
        flag=_choice(params, "flag", FLAG_FILTERS, None, errors, shown=flag_filter_label),
        address_changed=_choice(params, "address_changed", ADDRESS_FILTERS, None, errors, shown=address_filter_label),
        logistics_state=_choice(params, "logistics_state", LOGISTICS_STATES, None, errors,
                                shown=logistics_labels.state),
        anomaly=_choice(params, "anomaly", ANOMALY_FILTERS, None, errors,
                        shown=lambda kind: _("any") if kind == "any" else logistics_labels.kind(kind)),
        page=_page_number(params, errors),
        page_size=_choice(params, "page_size", PAGE_SIZES, DEFAULT_PAGE_SIZE, errors),
        **dates,
    )
    return ParsedFilter(flt=flt, errors=errors, raw=raw)


def filter_params(flt: OrderFilter, shop: str | None = None) -> dict[str, str]:
    """The canonical query string of a filter: defaults left out, values that could not be read dropped.
    ``shop`` (a shop id or "all") is put in every link of a desk with several shops, so a shared link shows
    the same shop to a colleague whose switcher is elsewhere."""
    values = {"shop": shop, "q": flt.query, "tab": None if flt.tab == "all" else flt.tab,
              "product_id": flt.product_id, "flag": flt.flag, "address_changed": flt.address_changed,
              "logistics_state": flt.logistics_state,
              "anomaly": flt.anomaly,
              "page_size": None if flt.page_size == DEFAULT_PAGE_SIZE else str(flt.page_size),
              "page": None if flt.page <= 1 else str(flt.page)}
    for name in DATE_FIELDS:
        day = getattr(flt, name)
        values[name] = day.isoformat() if day else None
    return {k: values[k] for k in LINK_ORDER if values.get(k)}


def list_link(flt: OrderFilter, shop: str | None = None, **changes) -> str:
    params = filter_params(flt, shop)
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


# The list and one order are read on the event loop (web.deps.read_db says why): the pages people reload all day.
@router.get("/orders")
async def order_list(request: Request, principal: Principal = Depends(require_reading("orders.read")),
                     session: Session = Depends(read_db, scope="function")):
    parsed = parse_filter(request.query_params)
    flt = parsed.flt
    ctx = get_ctx(request)
    scope = shop_scope(request)
    shops = service.ALL_SHOPS if scope.is_all else scope.selected

    def read():
        # The tab bar first: the list's total is one of its figures, so the list does not count again. A product-text
        # search over a large desk sends the list first and its tab counts after (the page's script asks
        # /api/v1/orders/counts): they walk every match, ~280 ms for 米 at 1M orders, against ~15 ms for the list.
        deferred = may_scan_matches(flt.query) and service.order_total(session, shop_id=shops) > LAZY_COUNTS_ABOVE
        counts = None if deferred else service.tab_counts(session, shop_id=shops, flt=flt, cipher=ctx.cipher)
        page = service.list_orders(session, shop_id=shops, flt=flt, cipher=ctx.cipher, counts=counts)
        pages = max((page.total + page.page_size - 1) // page.page_size, 1)
        if flt.page > pages and page.total:  # a shared link to a page that no longer exists: show the last one
            parsed.errors["page"] = _("Page %(asked)s is past the end of this list; its last page, %(last)s, is "
                                      "shown.") % {"asked": flt.page, "last": pages}
            flt.page = pages
            page = service.list_orders(session, shop_id=shops, flt=flt, cipher=ctx.cipher, counts=counts)
        return counts, page, pages

    counts, page, pages = await read_on_loop_unless(may_scan_matches(flt.query), read)
    # each product as its rows name it, its English name in brackets on an English page (QA pass 11, #8)
    product_rows = session.execute(select(Product.product_id, Product.name, Product.name_en).where(
        *([Product.shop_id == scope.selected] if scope.selected is not None else [])).order_by(Product.name)).all()
    products = list(dict.fromkeys((pid, product_label(name, name_en)) for pid, name, name_en in product_rows))
    understood = classify(flt.query)
    shop_param = scope.param if scope.several else None

    def link(**changes) -> str:
        return list_link(flt, shop_param, **changes)

    return render(request, "orders/list.html", page=page, counts=counts, tabs=TABS, flt=flt, products=products,
                  link=link, pages=pages, page_sizes=PAGE_SIZES, understood=understood,
                  # a term starting with a digit is a substring too (5kg finds 2.5kg, 15kg): said beside it (QA 13, #3)
                  number_term=next((t for t in understood.terms if t[:1].isdigit()), None),
                  errors=parsed.errors, raw=parsed.raw, window=page_window(flt.page, pages),
                  flag_colours=FLAG_COLOURS, flag_filters=FLAG_FILTERS, flag_filter_label=flag_filter_label,
                  address_filters=ADDRESS_FILTERS, address_filter_label=address_filter_label,
                  done=notices.read(request, "done"), refused=notices.read(request, "refused"),
                  now=ctx.clock.now(), scope=scope, shop_param=shop_param, review_held_days=review_held_days,
                  sync_warnings=sync_warnings(session, now=ctx.clock.now(),
                                              shop_ids=None if scope.is_all else [scope.selected]),
                  sync_warning_link=allowed(principal.role, "settings.manage"),
                  share_url=list_link(flt, shop_param, page=flt.page), logistics_label=logistics_labels.state,
                  anomaly_label=logistics_labels.kind,
                  after_sale_label=aftersale_labels.order_text,
                  export_query=None if scope.is_all else export_query(flt, shop_param), export_limit=PAGE_EXPORT_ORDERS,
                  counts_url=None if counts is not None else "/api/v1/orders/counts?" + export_query(flt, shop_param,
                                                                                                     status=False))


def export_query(flt: OrderFilter, shop: str | None = None, status: bool = True) -> str:
    """The export API's query string for what the list shows (masked buyer data; the reveal export is a POST
    with a reason, API and CLI only). The export covers one shop: the list over all shops offers none. Without
    ``status``, the tab counts' query string (they cover every tab)."""
    params = {"shop": shop, "q": flt.query, "status": flt.tab if status else None, "created_from": flt.created_from,
              "created_to": flt.created_to, "paid_from": flt.paid_from, "paid_to": flt.paid_to,
              "product_id": flt.product_id, "flag": flt.flag, "address_changed": flt.address_changed}
    return urlencode({k: str(v) for k, v in params.items() if v not in (None, "", "all")})


@router.get("/orders/{order_id}")
async def order_detail(order_id: str, request: Request, principal: Principal = Depends(require_reading("orders.read")),
                       session: Session = Depends(read_db, scope="function")):
    scope = shop_scope(request)
    try:
        order = _find(session, scope, order_id)
    except Conflict as exc:
        # The same order id in several shops and no shop picked: let the user say which one.
        choices = [(shop_id, scope.name(shop_id)) for shop_id in exc.details["shops"]]
        return render(request, "orders/choose_shop.html", status_code=409, order_id=order_id, choices=choices,
                      back=_back_link(request))
    pin_shop(request, order.shop_id)  # the after-sales and reveal sections below look in the order's shop
    return _detail_page(request, session, principal, order, scope)


def _detail_page(request: Request, session: Session, principal: Principal, order, scope, *,
                 draft: dict | None = None, status_code: int = 200):
    """The order page. ``draft``: the note and flag a clerk typed when the save was refused because someone else
    changed them meanwhile; the editor shows the typed text again (a clerk must not retype a long note) beside
    what the other person saved, and saving again replaces it knowingly."""
    ctx = get_ctx(request)
    detail = service.detail_of(session, order, now=ctx.clock.now())
    events = [{"event": e, "lines": describe_event(e.kind, e.detail)} for e in reversed(detail.events)]
    from ..aftersales.pages import order_summary
    from ..logistics.queries import parcel_lines  # the logistics capability owns parcels
    from ..channels.douyin.refusals import refused_uploads  # tracking uploads Douyin refused (QA 8, #2)

    return render(request, "orders/detail.html", status_code=status_code, order=detail, events=events,
                  flag_colours=FLAG_COLOURS, moved=address_change(detail),
                  aftersales=order_summary(session, request, order.order_id),
                  parcels=parcel_lines(session, order.id), logistics_labels=logistics_labels,
                  can_note=allowed(principal.role, "orders.note"), now=ctx.clock.now(),
                  review_days=review_held_days(detail.status, detail.paid_at, ctx.clock.now()),
                  saved=request.query_params.get("saved") == "1", back=_back_link(request),
                  shipped=notices.read(request, "shipped") == order.order_id,
                  shop_query=f"?shop={order.shop_id}" if scope.several else "",
                  shop_name=scope.name(order.shop_id) if scope.several else None, draft=draft,
                  douyin_refused=refused_uploads(session, order.shop_id, order.order_id))


def _find(session: Session, scope, order_id: str):
    """A link naming the shop (every link the desk builds on a several-shop desk does) looks there only;
    otherwise every shop, the picked shop's order first when two shops share the id."""
    if scope.explicit and scope.selected is not None:
        return service.find_order(session, shop_id=scope.selected, order_id=order_id)
    return service.find_order(session, shop_id=service.ALL_SHOPS, order_id=order_id, prefer=scope.selected)


def _back_link(request: Request) -> str:
    """Back to the list the user came from (same-site list URLs only), else the plain list."""
    ref = request.query_params.get("back") or ""
    return ref if ref.startswith("/orders") and not ref.startswith("//") else "/orders"


@router.post("/orders/{order_id}/note")
def save_note(order_id: str, request: Request, merchant_note: str = Form(""), flag_colour: int = Form(0),
              back: str = Form(""), loaded_note: str = Form(""), note_checked: str = Form(""),
              loaded_flag: str = Form(""),
              principal: Principal = Depends(require("orders.note")), session: Session = Depends(db, scope="function")):
    scope = shop_scope(request)
    order = _find(session, scope, order_id)
    # The form sends the note and flag it showed (loaded_note: an empty field arrives as the default, so
    # note_checked says the form sent one). Only what this clerk changed is saved: a flag set while a colleague
    # edited the note keeps the colleague's note, and the other way round. A change over a note or flag someone
    # changed since is refused, and the page comes back with the clerk's change kept.
    shown_flag = whole_number(loaded_flag)
    note_changed = not note_checked or not service.same_note(merchant_note, loaded_note)
    flag_changed = shown_flag is None or flag_colour != shown_flag
    try:
        service.update_merchant_note(session, principal, shop_id=order.shop_id, order_id=order.order_id,
                                     note=merchant_note if note_changed else None,
                                     flag_colour=flag_colour if flag_changed else None,
                                     now=get_ctx(request).clock.now(),
                                     expected_note=loaded_note if note_checked else service.UNCHECKED,
                                     expected_flag=shown_flag if shown_flag is not None else service.UNCHECKED)
    except Conflict as exc:
        if exc.code != "concurrent_change":
            raise
        session.rollback()
        order = _find(session, scope, order_id)
        draft = {"note": merchant_note if note_changed else None,
                 "flag_colour": flag_colour if flag_changed else None}
        return _detail_page(request, session, principal, order, scope, draft=draft, status_code=409)
    # Commit before answering: the db dependency would commit only after the redirect is sent, and the
    # browser's next request could read the old note.
    session.commit()
    target = f"/orders/{quote(order_id, safe='')}?saved=1"
    if scope.several:
        target += f"&shop={order.shop_id}"
    if back.startswith("/orders") and not back.startswith("//"):
        target += "&" + urlencode({"back": back})
    return RedirectResponse(target, status_code=303)


def _ticked_by_shop(ticked: list[str], scope) -> dict[int, list[str]]:
    """The all-shops list's ticks (``shop id:order id``) grouped by shop, each shop one the user may see; a tick
    that names no shop of this desk is refused as an unknown order, naming it."""
    values = list(dict.fromkeys(t.strip() for t in ticked if t and t.strip()))
    allowed = set(scope.ids)
    by_shop: dict[int, list[str]] = {}
    bad = []
    for value in values:
        shop, _sep, order_id = value.partition(":")
        shop_id = whole_number(shop)
        if shop_id in allowed and order_id:
            by_shop.setdefault(shop_id, []).append(order_id)
        else:
            bad.append(value[:40])
    if bad:
        raise NotFound(f"no such order in these shops: {', '.join(bad[:10])}", code="orders_not_found",
                       details={"field": "order_ids", "order_ids": bad[:50]})
    return by_shop or {scope.default_id: []}  # nothing ticked: the service says so


_FLAG_CHOICES = frozenset(str(i) for i in range(len(FLAG_COLOURS)))


@router.post("/orders/batch-note")
def save_batch_note(request: Request, order_id: list[str] = Form([]), flag_colour: str = Form(""),
                    note_mode: str = Form(""),
                    merchant_note: str = Form(""), back: str = Form(""),
                    principal: Principal = Depends(require("orders.note")),
                    session: Session = Depends(db, scope="function")):
    """批量备注 from the list: the ticked orders of the shop on screen (or, on the list of all shops, of each shop:
    ticked as ``shop id:order id``) get the flag and/or the note, then the list comes back as it was (its filters
    and page) with the outcome, or with why nothing was changed. All or nothing across the shops too."""
    target = back if back.startswith("/orders") and not back.startswith("//") else "/orders"
    colour = int(flag_colour) if flag_colour in _FLAG_CHOICES else None  # "0".."6" exactly; anything else: no change
    if not merchant_note.strip():
        # Nothing typed means the notes stay as they are, as the field says, in either mode: a "replace" with an
        # empty box wiped every ticked order's note (QA pass 10, D22; the API can still clear notes on purpose).
        note_mode = ""
    scope = shop_scope(request)
    try:
        by_shop = _ticked_by_shop(order_id, scope) if scope.is_all else {shop_of(request): order_id}
        done = service.update_notes_in_shops(session, principal, by_shop, note=merchant_note,
                                             note_mode=note_mode or None, flag_colour=colour,
                                             now=get_ctx(request).clock.now())
    except DomainError as exc:
        session.rollback()
        notice = notices.signed(request, "refused", error_text(exc.code, exc.message, exc.details))
    else:
        session.commit()  # before the redirect: the list it leads to must show the new flags
        n = len(done["updated"])
        words = (ngettext("Note or flag changed on %(n)s order (%(same)s already so).",
                          "Note or flag changed on %(n)s orders (%(same)s already so).", n) if done["unchanged"]
                 else ngettext("Note or flag changed on %(n)s order.", "Note or flag changed on %(n)s orders.", n))
        notice = notices.signed(request, "done", words % {"n": n, "same": len(done["unchanged"])})
    joiner = "&" if "?" in target else "?"
    return RedirectResponse(target + joiner + urlencode(notice), status_code=303)


@router.post("/shops/select")
def select_shop(request: Request, shop: str = Form(...), next: str = Form("/orders"),
                principal: Principal = Depends(require("orders.read"))):
    """The header's shop switcher: remembers the pick (a shop id or all) in a cookie and goes back to the page,
    without the page's own shop= (which would win over the new pick) and from its first page."""
    scope = shop_scope(request)
    value = shop.strip().lower()
    if value != ALL_SHOPS and not any(str(s.id) == value for s in scope.shops):
        from ..errors import NotFound

        raise NotFound(f"shop {shop[:40]} not found", details={"field": "shop"})
    target = next if next.startswith("/") and not next.startswith("//") else "/orders"
    parts = urlsplit(target)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("shop", "page")]
    target = parts.path + ("?" + urlencode(query) if query else "")
    if re.match(r"^/orders/[^/]+$", parts.path):
        target = "/orders"  # an order belongs to one shop: after switching, the list of the new pick
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SHOP_COOKIE, value, max_age=365 * 24 * 3600, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")
    return response


__all__ = ["router", "parse_filter", "filter_params", "list_link", "page_window", "describe_event"]
