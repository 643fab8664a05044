"""After-sales pages: the case list with its tabs and filters, one case (actions, reasons, communication log,
guidance), the 品退率 page, the after-sale export import, and the owner's 售后设置 (reason families)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from ..web.body_limits import UPLOAD as UPLOAD_BODY
from ..accounts.permissions import allowed
from ..accounts.service import Principal
from ..channels.exportfile import uploads
from ..clock import iso
from ..channels.exportfile.reader import FileUnreadable
from ..errors import DomainError
from ..orders.api import shop_of
from ..orders.product_labels import english_names, product_label
from ..shipping.domain import CARRIERS
from ..shipping.pages import carrier_label
from ..web import notices
from ..web.deps import db, get_ctx, read_db, require, require_reading
from ..web.i18n import gettext as _
from ..web.paging import page_number
from ..web.templating import render
from . import decision_words, domain, labels, paid_counts, quality, rate, reason_families, service, views
from .api import parse_action
from .importfile import import_aftersale_file
from .queries import TABS, CaseFilter

router = APIRouter(include_in_schema=False)
MERCHANT_WORK_TABS = frozenset({"todo", "overdue", "due_soon"})  # the merchant's moves (domain.MERCHANT_TURN)
# Types that give money back: a 补寄 / 换货 / 维修 case sends goods, so its page shows no refund amount.
REFUND_TYPES = frozenset(t.value for t in domain.REFUND_TYPES)
TYPES = tuple(t.value for t in domain.CaseType)
FAMILIES = ("quality", "other", "unknown")
# "Contact the buyer … and solve the problem" is for a request not settled yet: one to decide, or refused and
# possibly coming back through an appeal. Once agreed, the refund or shipment is the next step, not a conversation.
ASK_BUYER = frozenset(s.value for s in (domain.CaseStatus.WAITING_MERCHANT, domain.CaseStatus.REJECTED,
                                        domain.CaseStatus.REJECTED_SECOND, domain.CaseStatus.ARBITRATING))


def countdown_text(seconds: int | None) -> dict | None:
    """剩余 5小时12分 / 超时 2小时3分, with the level the colours follow."""
    if seconds is None:
        return None
    minutes = abs(seconds) // 60
    days, rest = divmod(minutes, 1440)
    h, m = divmod(rest, 60)
    span = (_("%(d)sd %(h)sh") % {"d": days, "h": h}) if days else (_("%(h)sh %(m)sm") % {"h": h, "m": m})
    if seconds <= 0:
        return {"level": "overdue", "text": _("Overdue %(span)s") % {"span": span}}
    level = "urgent" if seconds <= domain.DUE_SOON.total_seconds() else "soon" if seconds <= 86400 else "ok"
    return {"level": level, "text": _("%(span)s left") % {"span": span}}


def countdown_words(now) -> dict:
    """What aftersales.js needs to keep the countdowns live: the desk's now and the same words as above."""
    return {"now": iso(now), "left": _("%(span)s left"), "over": _("Overdue %(span)s"), "days": _("%(d)sd %(h)sh"),
            "hours": _("%(h)sh %(m)sm")}


def tabs_for(principal: Principal) -> tuple[tuple[str, ...], str]:
    """The tabs a role sees and the one it starts on. 待我处理 and 即将超时 are the merchant's moves (agree, reject,
    confirm receipt, refund, ship), which only a role allowed to decide can make: a role that cannot (warehouse)
    is not shown them as its work to do, and starts on 全部 instead."""
    if allowed(principal.role, "aftersales.decide"):
        return TABS, TABS[0]
    return tuple(t for t in TABS if t not in MERCHANT_WORK_TABS), "all"


def _filter(params, tabs: tuple[str, ...] = TABS, default: str = TABS[0]) -> CaseFilter:
    tab = params.get("tab") or default
    kind = params.get("type") or None
    family = params.get("family") or None
    page = page_number(params.get("page"))
    return CaseFilter(tab=tab if tab in tabs else default, case_type=kind if kind in TYPES else None,
                      family=family if family in FAMILIES else None,
                      product_id=(params.get("product_id") or "").strip()[:32] or None,
                      order_id=(params.get("order_id") or "").strip()[:32] or None, page=page)


def list_link(flt: CaseFilter, default_tab: str = TABS[0], **changes) -> str:
    values = {"tab": flt.tab, "type": flt.case_type, "family": flt.family, "product_id": flt.product_id,
              "order_id": flt.order_id, "page": None}
    values.update(changes)
    query = {k: v for k, v in values.items() if v not in (None, "", 1) and not (k == "tab" and v == default_tab)}
    return "/aftersales" + ("?" + urlencode(query) if query else "")


@router.get("/aftersales")
async def case_list(request: Request, principal: Principal = Depends(require_reading("orders.read")),
                    session: Session = Depends(read_db, scope="function")):
    """The after-sales list, reloaded all day: read on the event loop (web.deps.read_db)."""
    ctx = get_ctx(request)
    tabs, default = tabs_for(principal)
    flt = _filter(request.query_params, tabs, default)
    page = views.case_page(session, shop_id=shop_of(request), flt=flt, now=ctx.clock.now(),
                           families=views.families_for(session, shop_of(request), ctx.settings))
    pages = max((page.total + flt.page_size - 1) // flt.page_size, 1)
    return render(request, "aftersales/list.html", page=page, flt=flt, tabs=tabs, types=TYPES, families=FAMILIES,
                  product_name=_product_name(session, shop_of(request), flt.product_id),
                  countdown_now=countdown_words(ctx.clock.now()), refund_types=REFUND_TYPES,
                  link=lambda **c: list_link(flt, default, **c), pages=pages, labels=labels, countdown=countdown_text,
                  done=notices.read(request, "done"), share_url=list_link(flt, default, page=flt.page))


def _product_name(session, shop_id: int, product_id: str | None) -> str | None:
    """The product filter's chip names the product as the rows do (its English name after it on an English page),
    not by its 19-digit id alone (QA pass 11, #8); None for an id the shop does not know."""
    if not product_id:
        return None
    name = paid_counts.names(session, shop_id, {product_id}).get(product_id)
    return product_label(name, english_names(session, shop_id, [product_id]).get(product_id)) if name else None


def _with_english_names(session, shop_id: int, rows: list[dict]) -> list[dict]:
    """The quality table's rows with each product named as the order rows name it plus, on an English page, its
    English name in brackets (QA pass 11, #8); the figures and the API's product_name are left as they are."""
    english = english_names(session, shop_id, [r.get("product_id") for r in rows])
    return [{**r, "product_name": product_label(r["product_name"], english.get(r["product_id"]))}
            if r.get("product_id") and r.get("product_name") else r for r in rows]


def _order_context(session, shop_id: int, order_id: str, now) -> dict:
    """The order a case is about, as its card shows it: status, amount, deadlines and each parcel's state, so the
    clerk sees whether the goods have left (a refund-only case on a shipped order is another matter) on this page."""
    from ..logistics import labels as logistics_labels
    from ..logistics.queries import parcel_lines  # the logistics capability owns parcels
    from ..orders.service import detail_of, find_order

    order = find_order(session, shop_id=shop_id, order_id=order_id)
    return {"order": detail_of(session, order, now), "parcels": parcel_lines(session, order.id),
            "logistics_labels": logistics_labels}


def _detail_context(session, request: Request, aftersale_id: str) -> dict:
    from ..channels.douyin.refusals import reason_in, refused_decisions  # the channel's outbox, read only

    ctx = get_ctx(request)
    detail = views.case_detail(session, shop_id=shop_of(request), aftersale_id=aftersale_id, now=ctx.clock.now(),
                               families=views.families_for(session, shop_of(request), ctx.settings))
    # a refund of an amount nobody has said yet asks for it, with the most the SKU order paid (service.py)
    unknown = detail.type in REFUND_TYPES and detail.refund_fen is None
    limit = service.refund_limit(session, service.require_case(session, shop_of(request), aftersale_id)) \
        if unknown else None
    order_context = _order_context(session, shop_of(request), detail.order_id, ctx.clock.now())
    shipped = bool(order_context["order"].tracking)
    return {**order_context,
            "refund_unknown": unknown, "refund_limit": limit,
            "case": detail, "labels": labels, "countdown": countdown_text(detail.countdown_seconds),
            "reject_codes": domain.reject_codes_for(detail.type, detail.status, shipped),
            "inspections": [i.value for i in domain.Inspection],
            "channels": service.CHANNELS, "on_expiry": labels.on_expiry(detail.status),
            "assumed": detail.due_by_source == "assumed", "settings": ctx.settings, "refund_types": REFUND_TYPES,
            "carriers": CARRIERS, "carrier_name": carrier_label,  # the unusual-number warning's hint (QA 15, #2)
            "ask_buyer": detail.status in ASK_BUYER, "confirm_for": decision_words.question,
            "countdown_now": countdown_words(ctx.clock.now()),
            # decisions Douyin refused: the case is not settled on the platform (QA 8, #2)
            "douyin_refused": refused_decisions(session, shop_of(request), aftersale_id), "douyin_reason": reason_in}


def _done_text(done: str | None, detail) -> str | None:
    """The green box after a step on this case (act() writes ``<case id>:<action>``, add_contact ``contact``): the
    result as the case now stands, e.g. 已同意，等待退款 ¥45.90, not a bare 已保存 (QA pass 10, D11)."""
    if not done:
        return None
    if done == "contact":
        return _("Saved.")
    case_id, _sep, action = done.rpartition(":")  # a provisional case's id (sku:…) has a colon of its own
    if case_id != detail.aftersale_id:
        return None
    parcel = (labels.carrier(detail.reship_carrier), detail.reship_tracking_no) if detail.reship_tracking_no else None
    return decision_words.result(action, detail.status, detail.refund_fen, parcel)


def _back(value: str | None) -> str:
    return value if value and value.startswith("/aftersales") and not value.startswith("//") else "/aftersales"


@router.get("/aftersales/{aftersale_id}")
def case_page(aftersale_id: str, request: Request, principal: Principal = Depends(require("orders.read")),
              session: Session = Depends(db, scope="function")):
    context = _detail_context(session, request, aftersale_id)
    return render(request, "aftersales/detail.html", back=_back(request.query_params.get("back")),
                  done_text=_done_text(notices.read(request, "done"), context["case"]), **context)


@router.post("/aftersales/{aftersale_id}/act")
def act(aftersale_id: str, request: Request, action: str = Form(""), reject_code: str = Form(""), note: str = Form(""),
        inspection: str = Form(""), tracking_no: str = Form(""), carrier: str = Form(""), back: str = Form(""),
        confirm_warnings: str = Form(""), refund_amount: str = Form(""),
        # the route lets in whoever may ship to the buyer; the service allows the other actions to deciders only
        principal: Principal = Depends(require("aftersales.ship")), session: Session = Depends(db, scope="function")):
    ctx = get_ctx(request)
    try:
        given = domain.ActionInput(reject_code or None, note or None, inspection or None, tracking_no or None,
                                   carrier or None, confirm_warnings == "1",
                                   service.refund_amount_from_yuan(refund_amount))
        service.merchant_action(session, shop_id=shop_of(request), aftersale_id=aftersale_id,
                                action=parse_action(action), given=given, principal=principal, now=ctx.clock.now(),
                                rules=service.deadlines_from(ctx.settings))
    except DomainError as exc:
        session.rollback()
        return render(request, "aftersales/detail.html", status_code=exc.http_status, error=exc, back=_back(back),
                      form={"action": action, "reject_code": reject_code, "note": note, "inspection": inspection,
                            "tracking_no": tracking_no, "carrier": carrier, "refund_amount": refund_amount},
                      **_detail_context(session, request, aftersale_id))
    session.commit()  # before the redirect, so the next page already shows the decision
    target = _back(back) if back else f"/aftersales/{quote(aftersale_id, safe='')}"
    notice = urlencode(notices.signed(request, "done", f"{aftersale_id}:{action}"))
    return RedirectResponse(target + ("&" if "?" in target else "?") + notice, status_code=303)


@router.post("/aftersales/{aftersale_id}/contacts")
def add_contact(aftersale_id: str, request: Request, channel: str = Form(""), summary: str = Form(""),
                outcome: str = Form(""), principal: Principal = Depends(require("aftersales.decide")),
                session: Session = Depends(db, scope="function")):
    try:
        service.add_contact(session, shop_id=shop_of(request), aftersale_id=aftersale_id, channel=channel,
                            summary=summary, outcome=outcome, principal=principal, now=get_ctx(request).clock.now())
    except DomainError as exc:
        session.rollback()
        return render(request, "aftersales/detail.html", status_code=exc.http_status, contact_error=exc,
                      back="/aftersales", **_detail_context(session, request, aftersale_id))
    session.commit()
    return RedirectResponse(f"/aftersales/{quote(aftersale_id, safe='')}?"
                            + urlencode(notices.signed(request, "done", "contact")) + "#contacts", status_code=303)


DEFAULT_WINDOW = 30  # days
PRODUCTS_SHOWN = 100  # the page lists the products with most quality cases; the API and CLI give every product


@router.get("/quality-rate")
def quality_page(request: Request, window: str | None = None, product_id: str | None = None,
                 all_products: str | None = None, principal: Principal = Depends(require("orders.read")),
                 session: Session = Depends(db, scope="function")):
    ctx = get_ctx(request)
    # A mistyped link (?window=abc, ?window=45) shows the default window and says so, in the page's language
    # (QA pass 10, D24: it gave an English 422 page).
    asked = (window or "").strip()
    known = asked.isascii() and asked.isdigit() and int(asked) in rate.WINDOWS
    window = int(asked) if known else DEFAULT_WINDOW
    unknown_window = asked[:20] if asked and not known else None
    all_products = 1 if (all_products or "").strip() == "1" else 0
    product_id = (product_id or "").strip()[:32] or None
    now, shop_id = ctx.clock.now(), shop_of(request)
    families = views.families_for(session, shop_id, ctx.settings)
    unknown_product = None
    if product_id is not None and not quality.known_product(session, shop_id, product_id):
        unknown_product, product_id = product_id, None  # a mistyped link: the shop's figures, saying so
    data = quality.page_data(session, shop_id, now, window, families, product_id,
                             limit=None if all_products else PRODUCTS_SHOWN)
    rows = data["rows"]
    selected = next((r for r in rows if product_id and r["product_id"] == product_id), None) if product_id else rows[0]
    if selected is None:  # not among the products listed, or nothing paid or applied in the window
        selected = quality.rates(session, shop_id, now, window, families, product_id)[0]
        rows = [*rows, selected]
    rows = _with_english_names(session, shop_id, rows)
    selected = next((r for r in rows if r.get("product_id") == selected.get("product_id")), selected)
    return render(request, "aftersales/quality.html", rows=rows, products_total=data["products"], shop=rows[0],
                  selected=selected, window=window, windows=rate.WINDOWS, product_id=product_id,
                  unknown_product=unknown_product, unknown_window=unknown_window,
                  chart=rate.chart(data["trend"]), breakdown=data["breakdown"], labels=labels,
                  small_sample=rate.SMALL_SAMPLE, all_products=bool(all_products))


@router.get("/imports/aftersales")
def import_form(request: Request, principal: Principal = Depends(require("orders.import"))):
    return render(request, "aftersales/import.html")


@router.post("/imports/aftersales", max_body_size=UPLOAD_BODY)
def import_upload(request: Request, file: UploadFile | None = File(None), dry_run: str = Form(""),
                  principal: Principal = Depends(require("orders.import")), session: Session = Depends(db, scope="function")):
    session.commit()
    ctx = get_ctx(request)
    if file is None or not file.filename:
        return render(request, "aftersales/import.html", status_code=422, error=_("Choose a file."))
    stored = uploads.save(ctx.settings.data_dir, file.file, file.filename)
    try:
        report = import_aftersale_file(ctx.sessions, shop_id=shop_of(request), path=stored.path, now=ctx.clock.now(),
                                       principal=principal, dry_run=dry_run == "1",
                                       rules=service.deadlines_from(ctx.settings))
    except FileUnreadable as exc:
        return render(request, "aftersales/import.html", status_code=422, error=exc.message)
    finally:
        uploads.delete(ctx.settings.data_dir, stored.upload_id)
    return render(request, "aftersales/import.html", report=report, filename=file.filename)


def order_summary(session: Session, request: Request, order_id: str) -> dict:
    """The order detail's after-sale section: its cases, and whether a pending refund forbids shipping."""
    from ..orders.queries import require_order
    from ..shipping.queries import UNSHIPPED

    ctx = get_ctx(request)
    order = require_order(session, shop_of(request), order_id)
    families = views.families_for(session, order.shop_id, ctx.settings)
    cases = views.order_cases(session, order.id, families, ctx.clock.now())
    blocked = order.status in UNSHIPPED and service.pending_refund_blocker(session, order) is not None
    agreed = blocked and order.order_id in service.refund_pending_orders(session, order.shop_id,
                                                                         [order.order_id]).agreed
    return {"cases": cases, "do_not_ship": blocked, "refund_agreed": agreed,  # agreed: nothing to reject (QA 10, D13)
            "labels": labels, "countdown": countdown_text,
            "refund_types": REFUND_TYPES}  # a 补寄 / 换货 / 维修 case shows no refund amount here either


def _settings_page(request: Request, session: Session, *, error: DomainError | None = None, saved: str | None = None,
                   status_code: int = 200):
    ctx = get_ctx(request)
    shop_id = shop_of(request)
    rules = service.deadlines_from(ctx.settings)
    return render(request, "aftersales/settings.html", status_code=status_code, error=error, saved=saved,
                  rows=reason_families.mapping_rows(session, shop_id, ctx.settings), labels=labels,
                  changes=reason_families.recent_changes(session, shop_id), rules=rules,
                  due_soon_hours=int(domain.DUE_SOON.total_seconds() // 3600))


@router.get("/settings/aftersales")
def settings_page(request: Request, principal: Principal = Depends(require("settings.manage")),
                  session: Session = Depends(db, scope="function")):
    return _settings_page(request, session, saved=notices.read(request, "saved"))


@router.post("/settings/aftersales/families")
def save_family(request: Request, reason_text: str = Form(""), family: str = Form(""),
                principal: Principal = Depends(require("settings.manage")),
                session: Session = Depends(db, scope="function")):
    ctx = get_ctx(request)
    try:
        reason_families.set_family(session, shop_id=shop_of(request), reason_text=reason_text, family=family,
                                   principal=principal, now=ctx.clock.now(), settings=ctx.settings)
    except DomainError as exc:
        session.rollback()
        return _settings_page(request, session, error=exc, status_code=exc.http_status)
    session.commit()
    notice = urlencode(notices.signed(request, "saved", reason_text.strip()[:100]))
    return RedirectResponse("/settings/aftersales?" + notice, status_code=303)
