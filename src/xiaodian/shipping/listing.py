"""The deadline views' list (备货中 / 24小时内需发货 / 已超时) read lean: Core rows of only the columns the ORDER
JSON needs, a page's items, shipments, violations and parcel states in one query each, and the ORDER JSON built
with pydantic's ``model_construct`` (the values come from our own database, already of the right types).

The same ``OrderPage`` as ``orders.service.list_orders`` with the view filter and nothing else, field for field
(a test compares both on a fixture): the 24-hour view is the page a warehouse keeps open and reloads all day, and
at 1M orders building 50 ORM orders and validating their JSON cost ~5 ms of the 5.4 ms a page took, the SQL
under 1 ms (benchmarks/RESULTS-shipping.md).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..clock import SHOP_TZ
from ..orders.models import Order, OrderItem, Shipment
from ..orders.queries import PAGE_SIZES
from ..orders.schemas import BuyerOut, ItemOut, OrderOut, OrderPage, TrackingOut, ViolationOut
from ..web.i18n import current_language
from . import domain
from .models import Violation
from .queries import UNSHIPPED, view_condition

_O = Order.__table__
_COLUMNS = (_O.c.id, _O.c.order_id, _O.c.status, _O.c.platform_status_code, _O.c.created_at, _O.c.paid_at,
            _O.c.ship_by, _O.c.shipped_at, _O.c.completed_at, _O.c.cancelled_at, _O.c.pay_amount_fen,
            _O.c.post_amount_fen, _O.c.phone_masked, _O.c.buyer_name_masked, _O.c.province, _O.c.city, _O.c.district,
            _O.c.address_masked, _O.c.buyer_note, _O.c.merchant_note, _O.c.flag_colour, _O.c.after_sale_status,
            _O.c.cancel_reason, _O.c.ship_by_source, _O.c.ship_promise)
_I = OrderItem.__table__
_S = Shipment.__table__
_V = Violation.__table__
_SHIPPED_STATUSES = frozenset({"partially_shipped", "shipped", "completed"})  # logistics.views.SHIPPED_STATUSES
_OVERDUE_KIND = domain.ViolationKind.OVERDUE_UNSHIPPED.value
_construct_item = ItemOut.model_construct
_construct_order = OrderOut.model_construct


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(SHOP_TZ).isoformat() if value is not None else None


def view_total(session: Session, shop_id: int, view: str, now: datetime) -> int:
    """The view's count, answered from ix_orders_shop_ship_by (shop, status, ship_by) alone."""
    return session.execute(select(func.count()).select_from(_O).where(_O.c.shop_id == shop_id,
                                                                       view_condition(view, now))).scalar_one()


def view_page(session: Session, shop_id: int, view: str, now: datetime, page: int = 1, page_size: int = 50,
              total: int | None = None) -> OrderPage:
    """One page of a deadline view, most urgent first (ship_by, then row id), with the view's exact total
    (``total``: already counted by the caller, e.g. the page's tab counts)."""
    page_size = page_size if page_size in PAGE_SIZES else 50
    page = max(page, 1)
    if total is None:
        total = view_total(session, shop_id, view, now)
    rows = session.execute(select(*_COLUMNS).where(_O.c.shop_id == shop_id, view_condition(view, now))
                           .order_by(_O.c.ship_by.asc(), _O.c.id.asc())
                           .offset((page - 1) * page_size).limit(page_size)).all()
    return OrderPage.model_construct(total=total, total_is_capped=False, page=page, page_size=page_size,
                                     orders=orders_out(session, rows, now))


def orders_out(session: Session, rows: list, now: datetime | None) -> list[OrderOut]:
    """ORDER JSON for rows of ``_COLUMNS``, exactly as orders.schemas.order_out builds it from ORM objects."""
    if not rows:
        return []
    pks = [r[0] for r in rows]
    items: dict[int, list[ItemOut]] = {pk: [] for pk in pks}
    for pk, sku, product_id, name, spec, qty, unit, amount in session.execute(
            select(_I.c.order_pk, _I.c.sku_order_id, _I.c.product_id, _I.c.product_name, _I.c.spec, _I.c.quantity,
                   _I.c.unit_price_fen, _I.c.amount_fen).where(_I.c.order_pk.in_(pks)).order_by(_I.c.id)):
        items[pk].append(_construct_item(sku_order_id=sku, product_id=product_id, product_name=name, spec=spec,
                                         quantity=qty, unit_price_fen=unit, amount_fen=amount))
    tracking: dict[int, list[TrackingOut]] = {pk: [] for pk in pks}
    for pk, code, name, number in session.execute(
            select(_S.c.order_pk, _S.c.carrier_code, _S.c.carrier_name, _S.c.tracking_no)
            .where(_S.c.order_pk.in_(pks)).order_by(_S.c.id)):
        tracking[pk].append(TrackingOut.model_construct(carrier=name or code, tracking_no=number))
    violations = {r[0]: r[1:] for r in session.execute(
        select(_V.c.order_pk, _V.c.kind, _V.c.late_by_seconds, _V.c.points, _V.c.compensation_fen, _V.c.ship_by)
        .where(_V.c.order_pk.in_(pks)))}
    shipped = [r[0] for r in rows if r[2] in _SHIPPED_STATUSES]
    logistics = {}
    if shipped:
        from ..logistics.queries import orders_logistics  # the logistics capability owns these fields

        logistics = orders_logistics(session, shipped)
    lang = "zh" if current_language.get() == "zh" else "en"
    out = []
    for (pk, order_id, status, code, created_at, paid_at, ship_by, shipped_at, completed_at, cancelled_at, pay, post,
         phone, name, province, city, district, address, buyer_note, merchant_note, flag, after_sale, cancel_reason,
         source, promise) in rows:
        violation = None
        found = violations.get(pk)
        if found is not None:
            kind, late, points, compensation, v_ship_by = found
            if kind == _OVERDUE_KIND and now is not None:
                late = max(late, int((now - v_ship_by).total_seconds()))  # still growing while unshipped
            violation = ViolationOut.model_construct(kind=kind, late_by_seconds=late, points=points,
                                                     compensation_fen=compensation)
        parcels = logistics.get(pk) if status in _SHIPPED_STATUSES else None
        out.append(_construct_order(
            order_id=order_id, status=status, platform_status_code=code, created_at=_iso(created_at),
            paid_at=_iso(paid_at), ship_by=_iso(ship_by), shipped_at=_iso(shipped_at),
            completed_at=_iso(completed_at), cancelled_at=_iso(cancelled_at), pay_amount_fen=pay,
            post_amount_fen=post, items=items[pk],
            buyer=BuyerOut.model_construct(phone_masked=phone, name_masked=name, province=province, city=city,
                                           district=district, address_masked=address),
            tracking=tracking[pk], buyer_note=buyer_note, merchant_note=merchant_note, flag_colour=flag,
            after_sale_status=after_sale, cancel_reason=cancel_reason, ship_by_source=source,
            ship_by_explanation=domain.explain(source, promise, paid_at, ship_by, lang),
            overdue=bool(now and ship_by and status in UNSHIPPED and ship_by < now), violation=violation,
            logistics_state=parcels["logistics_state"] if parcels else None,
            anomaly=parcels["anomaly"] if parcels else None))
    return out
