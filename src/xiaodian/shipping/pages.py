"""Shipping pages: the deadline views with live countdowns, the ship form, correcting a tracking number and the
deadline reminders. Bulk shipping is in bulk_pages, store health, the forecast and the pick list in plan_pages."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.permissions import allowed
from ..accounts.service import Principal
from ..aftersales.service import refund_pending_orders
from ..errors import DomainError, ValidationFailed
from ..orders import service as orders_service
from ..orders.api import shop_of
from ..orders.event_lines import address_change
from ..orders.models import Order, OrderItem
from ..orders.queries import OrderFilter, require_order
from ..orders.search_query import may_scan_matches
from ..web import notices
from ..web.deps import db, get_ctx, named_shop_query, read_db, read_on_loop_unless, require, require_reading
from ..web.i18n import gettext as _
from ..web.paging import page_number
from ..web.templating import render
from . import corrections, domain, reminders, service
from .listing import view_page
from .queries import VIEW_SORTS, VIEWS, get_settings, view_counts
from .service import shipped_skus

router = APIRouter(include_in_schema=False)
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
