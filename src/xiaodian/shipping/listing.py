"""The deadline views' list (备货中 / 24小时内需发货 / 已超时) read lean, for the page a warehouse keeps open and
reloads all day. At 1M orders the SQL of the 24-hour view's first page + count takes under 1 ms, while building 50
ORM orders and validating their ORDER JSON took ~5 ms more (benchmarks/RESULTS-shipping.md). So here:

- statements built once with bind parameters (building and compiling one cost more than its index search);
- only the columns the ORDER JSON needs, times read as stored (SQLite text / PostgreSQL datetime) and converted
  once to shop time;
- a page's items, shipments, violations and parcel states in one query each;
- each order a named tuple with exactly OrderOut's fields (read from the pydantic model, so a field added there
  appears here with its default), nested tuples for items, buyer, tracking and violation.

``as_json()`` gives the ORDER JSON; a test checks it equals orders.service.list_orders with the same view, field for
field, page by page, in both languages.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ..clock import SHOP_TZ
from ..db import stored_time, stored_time_iso
from ..orders.listing import PAGE_ITEMS, PAGE_TRACKING
from ..orders.models import Order
from ..orders.queries import PAGE_SIZES
from ..orders.schemas import BuyerOut, ItemOut, OrderOut, TrackingOut, ViolationOut
from ..web.i18n import words_language
from . import domain
from .queries import UNSHIPPED, VIEW_SORTS, VIEW_WHERE, VIEWS, page_violations, view_order, view_params, view_total

_O = Order.__table__


# Times as the driver hands them back (db.stored_time: SQLite text, PostgreSQL datetimes), converted once below.
_COLUMNS = (_O.c.id, _O.c.order_id, _O.c.status, _O.c.platform_status_code, stored_time(_O.c.created_at),
            stored_time(_O.c.paid_at), stored_time(_O.c.ship_by), stored_time(_O.c.shipped_at),
            stored_time(_O.c.completed_at), stored_time(_O.c.cancelled_at), _O.c.pay_amount_fen,
            _O.c.post_amount_fen, _O.c.phone_masked, _O.c.buyer_name_masked, _O.c.province, _O.c.city,
            _O.c.district, _O.c.address_masked, _O.c.buyer_note, _O.c.merchant_note, _O.c.flag_colour,
            _O.c.after_sale_status, _O.c.cancel_reason, _O.c.ship_by_source, _O.c.ship_promise,
            stored_time(_O.c.address_changed_at))
_PAGE = {(view, sort): select(*_COLUMNS).where(VIEW_WHERE[view]).order_by(*view_order(sort))
         .limit(bindparam("limit")).offset(bindparam("offset")) for view in VIEWS for sort in VIEW_SORTS}
# The first unshipped orders of one status by ship-by (ix_orders_shop_ship_by walked in order, stopping at the limit).
_FIRST_DUE = (select(*_COLUMNS)
              .where(_O.c.shop_id == bindparam("shop_id"), _O.c.status == bindparam("status"),
                     _O.c.ship_by.is_not(None))
              .order_by(_O.c.ship_by.asc(), _O.c.id.asc()).limit(bindparam("limit")))


_SHIPPED_STATUSES = frozenset({"partially_shipped", "shipped", "completed"})  # logistics.views.SHIPPED_STATUSES
_OVERDUE_KIND = domain.ViolationKind.OVERDUE_UNSHIPPED.value


def _json(value):
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {k: _json(v) for k, v in value._asdict().items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value


def _shape(name: str, model):
    """A named tuple with the pydantic model's fields, in order, defaulting as the model does."""
    fields = model.model_fields
    shape = namedtuple(name, list(fields), defaults=[f.default if f.default is not ... else None
                                                     for f in fields.values()])
    shape.as_json = _json
    return shape


OrderRow = _shape("OrderRow", OrderOut)
ItemRow = _shape("ItemRow", ItemOut)
BuyerRow = _shape("BuyerRow", BuyerOut)
TrackingRow = _shape("TrackingRow", TrackingOut)
ViolationRow = _shape("ViolationRow", ViolationOut)


@dataclass
class ViewPage:
    """One page of a deadline view: the fields of orders.schemas.OrderPage, orders as OrderRow tuples."""

    total: int
    page: int
    page_size: int
    orders: list
    total_is_capped: bool = False

    def as_json(self) -> dict:
        return {"total": self.total, "total_is_capped": self.total_is_capped, "page": self.page,
                "page_size": self.page_size, "orders": [o.as_json() for o in self.orders]}


def _shop_time(value) -> datetime | None:
    """A stored time (SQLite: naive-UTC text; PostgreSQL: a datetime) in shop time."""
    if value is None:
        return None
    if value.__class__ is str:
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(SHOP_TZ)


def view_page(session: Session, shop_id: int, view: str, now: datetime, page: int = 1, page_size: int = 50,
              total: int | None = None, sort: str = "ship_by") -> ViewPage:
    """One page of a deadline view, most urgent first (ship_by, then row id) or, with ``sort="created"``, in the
    order the orders were placed, with the view's exact total (``total``: already counted by the caller, e.g. the
    page's tab counts)."""
    page_size = page_size if page_size in PAGE_SIZES else 50
    page = max(page, 1)
    if total is None:
        total = view_total(session, shop_id, view, now)
    params = view_params(shop_id, now)
    params["limit"], params["offset"] = page_size, (page - 1) * page_size
    rows = session.connection().execute(_PAGE[view, sort], params).all() if total else []
    return ViewPage(total=total, page=page, page_size=page_size, orders=orders_out(session, rows, now))


def most_urgent(session: Session, shop_id: int, now: datetime, n: int = 5) -> list:
    """The ``n`` unshipped orders (备货中 and 部分发货: a partly shipped order still owes its parcel by the same
    deadline) whose ship-by comes first, overdue ones first of all: the head of the queue as the warehouse would
    work it, for the home page. One index walk per status, merged here, rather than an IN that SQLite would sort."""
    conn = session.connection()
    rows = [row for status in UNSHIPPED
            for row in conn.execute(_FIRST_DUE, {"shop_id": shop_id, "status": status, "limit": n}).all()]
    rows.sort(key=lambda r: (_shop_time(r.ship_by), r.id))
    return orders_out(session, rows[:n], now)


def orders_out(session: Session, rows: list, now: datetime | None) -> list:
    """ORDER JSON (as OrderRow tuples) for rows of the page statement: what orders.schemas.order_out makes of
    ORM orders, without them."""
    if not rows:
        return []
    conn = session.connection()  # Core statements: the session's ORM execution path is not needed
    pks = [r[0] for r in rows]
    items: dict[int, list] = {pk: [] for pk in pks}
    for pk, *values in conn.execute(PAGE_ITEMS, {"pks": pks}).all():
        items[pk].append(ItemRow(*values))
    tracking: dict[int, list] = {pk: [] for pk in pks}
    for pk, code, name, number in conn.execute(PAGE_TRACKING, {"pks": pks}).all():
        tracking[pk].append(TrackingRow(name or code, number))
    violations = page_violations(session, pks)
    shipped = [r[0] for r in rows if r[2] in _SHIPPED_STATUSES]
    logistics = {}
    if shipped:
        from ..logistics.queries import orders_logistics  # the logistics capability owns these fields

        logistics = orders_logistics(session, shipped)
    lang = words_language()
    explain = domain.explain
    out = []
    for (pk, order_id, status, code, created_at, paid_at, ship_by, shipped_at, completed_at, cancelled_at, pay, post,
         phone, name, province, city, district, address, buyer_note, merchant_note, flag, after_sale, cancel_reason,
         source, promise, address_changed_at) in rows:
        paid_at, ship_by = _shop_time(paid_at), _shop_time(ship_by)
        violation = None
        found = violations.get(pk)
        if found is not None:
            _pk, kind, late, points, compensation, v_ship_by = found
            if kind == _OVERDUE_KIND and now is not None:
                late = max(late, int((now - _shop_time(v_ship_by)).total_seconds()))  # still growing while unshipped
            violation = ViolationRow(kind, late, points, compensation)
        parcels = logistics.get(pk) if status in _SHIPPED_STATUSES else None
        out.append(OrderRow(
            order_id=order_id, status=status, platform_status_code=code,
            created_at=stored_time_iso(created_at),
            paid_at=paid_at and paid_at.isoformat(), ship_by=ship_by and ship_by.isoformat(),
            shipped_at=stored_time_iso(shipped_at), completed_at=stored_time_iso(completed_at),
            cancelled_at=stored_time_iso(cancelled_at), pay_amount_fen=pay,
            post_amount_fen=post, items=items[pk], buyer=BuyerRow(phone, name, province, city, district, address),
            tracking=tracking[pk], buyer_note=buyer_note, merchant_note=merchant_note, flag_colour=flag,
            after_sale_status=after_sale, cancel_reason=cancel_reason, ship_by_source=source,
            ship_by_explanation=explain(source, promise, paid_at, ship_by, lang),
            overdue=bool(now and ship_by and status in UNSHIPPED and ship_by < now), violation=violation,
            logistics_state=parcels["logistics_state"] if parcels else None,
            anomaly=parcels["anomaly"] if parcels else None,
            address_changed_at=stored_time_iso(address_changed_at)))
    return out
