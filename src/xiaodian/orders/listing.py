"""The order list read lean: Core rows of only the columns ORDER JSON needs, a page's items, shipments,
violations and parcel states in one query each, and ORDER JSON built with pydantic's ``model_construct``.

The values come from our own database, already of the right types, so validating them again (and building
50 ORM orders with their identity map entries) only cost CPU: ~5 ms of the ~6 ms a page of 50 took, under
20 concurrent clients the difference between meeting and missing the list's p95 (benchmarks/RESULTS.md).
``orders.schemas.order_out`` stays the one builder from an ORM order (detail, CLI show); a test checks that
both give the same JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from pydantic_core import to_json
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from ..clock import SHOP_TZ
from ..db import in_ids, stored_time, stored_time_iso
from ..privacy.crypto import PiiCipher
from .models import Order, OrderItem, Shipment
from .queries import OrderFilter, Shops, page_bounds, plan_page
from .schemas import BuyerOut, ItemOut, OrderOut, OrderPage, TrackingOut, ViolationOut

_O = Order.__table__
_I = OrderItem.__table__
_S = Shipment.__table__
# The times only shown are read as stored and written as ISO text directly (db.stored_time_iso); paid_at and ship_by
# are also reasoned on (deadline, overdue), so they arrive as datetimes.
COLUMNS = (_O.c.id, _O.c.shop_id, _O.c.order_id, _O.c.status, _O.c.platform_status_code, stored_time(_O.c.created_at),
           _O.c.paid_at, _O.c.ship_by, stored_time(_O.c.shipped_at), stored_time(_O.c.completed_at),
           stored_time(_O.c.cancelled_at), _O.c.pay_amount_fen, _O.c.post_amount_fen, _O.c.phone_masked,
           _O.c.buyer_name_masked, _O.c.province, _O.c.city, _O.c.district, _O.c.address_masked, _O.c.buyer_note,
           _O.c.merchant_note, _O.c.flag_colour, _O.c.after_sale_status, _O.c.cancel_reason, _O.c.ship_by_source,
           _O.c.ship_promise, stored_time(_O.c.address_changed_at))
# Built once: constructing a statement costs more than running it from the compiled cache (the page's pks
# are one parameter, db.in_ids). The deadline views' lean page (shipping.listing) runs the same two.
PAGE_ITEMS = (select(_I.c.order_pk, _I.c.sku_order_id, _I.c.product_id, _I.c.product_name, _I.c.spec, _I.c.quantity,
                 _I.c.unit_price_fen, _I.c.amount_fen).where(in_ids(_I.c.order_pk)).order_by(_I.c.id))
PAGE_TRACKING = (select(_S.c.order_pk, _S.c.carrier_code, _S.c.carrier_name, _S.c.tracking_no)
             .where(in_ids(_S.c.order_pk), _S.c.kind == "order").order_by(_S.c.id))  # not a re-send's
_BY_PK = select(*COLUMNS).where(in_ids(_O.c.id))
# The plain list (one shop, a status tab or none): newest first from ix_orders_shop_sort / ix_orders_shop_status_sort.
_PAGE = (select(*COLUMNS).where(_O.c.shop_id == bindparam("shop")).order_by(_O.c.sort_key.desc())
         .limit(bindparam("limit")).offset(bindparam("offset")))
_STATUS_PAGE = (select(*COLUMNS).where(_O.c.shop_id == bindparam("shop"), _O.c.status == bindparam("status"))
                .order_by(_O.c.sort_key.desc()).limit(bindparam("limit")).offset(bindparam("offset")))


_VIEW_PAGES: dict[tuple[str, str], object] = {}


def _view_page_stmt(view: str, sort: str):
    """A deadline view's page, most urgent first or placed first (``sort``), on shipping's bound view condition (built
    once per view and order)."""
    stmt = _VIEW_PAGES.get((view, sort))
    if stmt is None:
        from ..shipping.queries import VIEW_WHERE, view_order  # the shipping capability owns the deadline views

        stmt = _VIEW_PAGES[view, sort] = (select(*COLUMNS).where(VIEW_WHERE[view]).order_by(*view_order(sort))
                                          .limit(bindparam("limit")).offset(bindparam("offset")))
    return stmt


def _plain_view(shops: Shops, flt: OrderFilter) -> bool:
    """A deadline view of one shop and nothing else (the warehouse's 24-hour list, reloaded all day)."""
    return (bool(flt.view) and flt.now is not None and isinstance(shops, int) and flt.tab == "all"
            and not (flt.query or "").strip() and not (flt.created_from or flt.created_to or flt.paid_from
                                                       or flt.paid_to or flt.product_id or flt.logistics_state
                                                       or flt.anomaly or flt.flag or flt.address_changed))


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(SHOP_TZ).isoformat() if value is not None else None


@dataclass
class ListData:
    """One page as plain data: ``orders`` are ORDER JSON dicts (keys in the order of ``schemas.OrderOut``)."""

    total: int
    total_is_capped: bool
    page: int
    page_size: int
    orders: list[dict]

    def json(self) -> bytes:
        """The OrderPage JSON, written straight from the dicts (no model is built or validated)."""
        # pydantic-core's serialiser (the one model_dump_json uses) on plain data: a quarter of json.dumps's time.
        return to_json({"total": self.total, "total_is_capped": self.total_is_capped, "page": self.page,
                        "page_size": self.page_size, "orders": self.orders})

    def model(self) -> OrderPage:
        """The same page as the OrderPage model every other channel takes (pages, CLI, export)."""
        return OrderPage.model_construct(total=self.total, total_is_capped=self.total_is_capped, page=self.page,
                                         page_size=self.page_size, orders=[order_model(o) for o in self.orders])


def order_model(o: dict) -> OrderOut:
    return OrderOut.model_construct(**{
        **o, "items": [ItemOut.model_construct(**i) for i in o["items"]], "buyer": BuyerOut.model_construct(**o["buyer"]),
        "tracking": [TrackingOut.model_construct(**t) for t in o["tracking"]],
        "violation": ViolationOut.model_construct(**o["violation"]) if o["violation"] is not None else None})


def list_data(session: Session, shops: Shops, flt: OrderFilter, *, cipher: PiiCipher,
              with_shop: bool = False, total: int | None = None) -> ListData:
    """One page of the order list with its total. ``with_shop`` fills each order's ``shop_id`` (a list over
    several shops; a list of one shop leaves it null, the shop is the one asked for). ``total``: the count of
    this filter and tab, already known (queries.plan_page)."""
    if _plain_view(shops, flt):
        # The view's own count and page statements (shipping.queries.view_total), built once:
        # the general plan builds its statements per call, which cost as much as running them.
        from ..shipping.queries import view_params, view_total

        offset, size = page_bounds(flt)
        total = view_total(session, shops, flt.view, flt.now)
        params = {**view_params(shops, flt.now), "limit": size, "offset": offset}
        rows = session.connection().execute(_view_page_stmt(flt.view, flt.view_sort), params).all() if total else []
        return ListData(total, False, flt.page, size, orders_data(session, rows, flt.now, with_shop))
    plan = plan_page(session, shops, flt, cipher, total)
    if plan.pks is not None:
        rows = rows_by_pk(session, plan.pks)
    elif plan.plain is not None:
        shop, status = plan.plain
        params = {"shop": shop, "limit": plan.limit, "offset": plan.offset}
        rows = session.connection().execute(_PAGE if status is None else _STATUS_PAGE, params if status is None else
                                            {**params, "status": status}).all()
    else:
        rows = session.execute(select(*COLUMNS).where(*plan.conds).order_by(*plan.order_by)
                               .offset(plan.offset).limit(plan.limit)).all()
    return ListData(plan.total, plan.capped, flt.page, plan.limit, orders_data(session, rows, flt.now, with_shop))


# Orders one export file takes while its request waits (GET/POST /api/v1/exports/orders): a longer list is refused
# with its size. The platform's own export goes to 1,000,000 as a job; so does the desk's (exports/).
EXPORT_MAX_ORDERS = 200_000
# The order list page downloads a list of up to this many orders at once: ~2 s as CSV and ~6 s as Excel
# (benchmarks/RESULTS-export.md). A longer one is asked for as an export job, whose progress the jobs page shows,
# rather than a download the browser waits on for up to a minute without a word (and a second click starts again).
PAGE_EXPORT_ORDERS = 20_000


def all_pks(session: Session, shops: Shops, flt: OrderFilter, cipher: PiiCipher, limit: int) -> tuple[int, list[int]]:
    """(total, row ids) of the filtered list, newest first (the view's order under a deadline view), up to ``limit``
    ids: an export reads them in one pass and then the orders by id. Paging with OFFSET walked the list again for
    each page (27 s for 86,000 orders at 1M) and let an order arriving meanwhile shift every later page by one, so
    that the file held one order twice."""
    plan = plan_page(session, shops, replace(flt, page=1, every_up_to=limit), cipher)
    if plan.pks is not None:
        return plan.total, plan.pks[:limit]
    return plan.total, list(session.execute(select(Order.id).where(*plan.conds).order_by(*plan.order_by)
                                            .limit(plan.limit)).scalars())


def rows_by_pk(session: Session, pks: list[int]) -> list:
    """The list's columns (``COLUMNS``) of these orders, in the order of ``pks``."""
    found = {r[0]: r for r in session.connection().execute(_BY_PK, {"pks": pks})} if pks else {}
    return [found[pk] for pk in pks if pk in found]


_ITEM_ROWS = select(func.count(), func.count(_I.c.order_pk.distinct())).where(in_ids(_I.c.order_pk))


def item_rows(session: Session, pks: list[int], chunk: int = 5000) -> int:
    """How many rows these orders make one row per item (an order without items still makes one): an Excel
    export is checked against the sheet's limit with it before any row is written. Index-only (ix on
    order_items.order_pk): ~1 s for a million orders."""
    conn = session.connection()
    rows = 0
    for start in range(0, len(pks), chunk):
        part = pks[start:start + chunk]
        items, orders_with_items = conn.execute(_ITEM_ROWS, {"pks": part}).one()
        rows += items + len(part) - orders_with_items
    return rows


_NO_DEADLINES = {"ship_by_source": None, "ship_by_explanation": None, "overdue": None, "violation": None}


def orders_data(session: Session, rows: list, now: datetime | None, with_shop: bool = False,
                deadlines: bool = True) -> list[dict]:
    """ORDER JSON dicts for rows of ``COLUMNS``, field for field what ``schemas.order_out`` makes of an ORM
    order (a test compares them). ``deadlines=False`` leaves out what only a screen shows (the ship-by's
    explanation, overdue, the violation, the parcels' state and anomaly: null), for an export file that has no
    column for them: they were ~7 % of an export's time, in two more queries and a computation per order."""
    if not rows:
        return []
    from ..logistics.queries import orders_logistics  # the logistics capability owns these fields
    from ..logistics.views import SHIPPED_STATUSES
    from ..shipping.queries import page_violations
    from ..shipping.views import shipping_fields  # and shipping these
    from ..web.i18n import words_language

    pks = [r[0] for r in rows]
    conn = session.connection()  # Core statements: the ORM session's execute adds nothing here but CPU
    items: dict[int, list[dict]] = {pk: [] for pk in pks}
    for pk, sku, product_id, name, spec, qty, unit, amount in conn.execute(PAGE_ITEMS, {"pks": pks}).all():
        items[pk].append({"sku_order_id": sku, "product_id": product_id, "product_name": name, "spec": spec,
                          "quantity": qty, "unit_price_fen": unit, "amount_fen": amount})
    tracking: dict[int, list[dict]] = {pk: [] for pk in pks}
    for pk, code, carrier, number in conn.execute(PAGE_TRACKING, {"pks": pks}).all():
        tracking[pk].append({"carrier": carrier or code, "tracking_no": number})
    violations = page_violations(session, pks) if deadlines else {}
    shipped = [r[0] for r in rows if r.status in SHIPPED_STATUSES] if deadlines else []
    logistics = orders_logistics(session, shipped) if shipped else {}
    lang = words_language()
    out = []
    for row in rows:
        (pk, shop_id, order_id, status, code, created_at, paid_at, ship_by, shipped_at, completed_at, cancelled_at,
         pay, post, phone, name, province, city, district, address, buyer_note, merchant_note, flag, after_sale,
         cancel_reason, source, promise, address_changed_at) = row
        shipping = (shipping_fields(status, source, promise, paid_at, ship_by, violations.get(pk), now, lang)
                    if deadlines else _NO_DEADLINES)
        parcels = logistics.get(pk)
        out.append({
            "order_id": order_id, "status": status, "platform_status_code": code,
            "created_at": stored_time_iso(created_at), "paid_at": _iso(paid_at), "ship_by": _iso(ship_by),
            "shipped_at": stored_time_iso(shipped_at), "completed_at": stored_time_iso(completed_at),
            "cancelled_at": stored_time_iso(cancelled_at), "pay_amount_fen": pay,
            "post_amount_fen": post, "items": items[pk],
            "buyer": {"phone_masked": phone, "name_masked": name, "province": province, "city": city,
                      "district": district, "address_masked": address},
            "tracking": tracking[pk], "buyer_note": buyer_note, "merchant_note": merchant_note, "flag_colour": flag,
            "after_sale_status": after_sale, "cancel_reason": cancel_reason,
            "ship_by_source": shipping["ship_by_source"], "ship_by_explanation": shipping["ship_by_explanation"],
            "overdue": shipping["overdue"], "violation": shipping["violation"],
            "logistics_state": parcels["logistics_state"] if parcels else None,
            "anomaly": parcels["anomaly"] if parcels else None,
            "shop_id": shop_id if with_shop else None, "address_changed_at": stored_time_iso(address_changed_at)})
    return out
