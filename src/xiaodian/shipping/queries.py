"""Read side of shipping: the deadline views (awaiting / due within 24 h / overdue) as conditions and counts,
settings, violations, the awaiting orders a forecast plans, and the store-health figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import BigInteger, Date, Integer, and_, bindparam, case, cast, func, literal_column, select
from sqlalchemy.orm import Session

from ..db import in_ids
from ..orders.domain import OrderStatus
from ..orders.models import ORDER_PARCEL, Order, OrderStatusCount, Shipment
from .domain import SHOP_TZ, LateRules
from .forecast import WorkingHours
from .models import ShippingSettings, Violation

VIEWS = ("awaiting", "due24h", "overdue")
VIEW_PATTERN = f"^({'|'.join(VIEWS)})$"  # a query parameter naming one of them
# How a view is ordered, as the platform's own list offers: by 承诺发货时间 (ship-by, most urgent first, the default)
# or by 下单时间 (placed first, packed first: the order a warehouse's printed pick sheets often follow).
VIEW_SORTS = ("ship_by", "created")


def view_order(sort: str) -> tuple:
    """The ORDER BY of a deadline view for a ``VIEW_SORTS`` choice (ship-by ties broken by row id, as ever)."""
    table = Order.__table__
    return (table.c.sort_key.asc(),) if sort == "created" else (table.c.ship_by.asc(), table.c.id.asc())
UNSHIPPED = (OrderStatus.AWAITING_SHIPMENT.value, OrderStatus.PARTIALLY_SHIPPED.value)
DUE_WINDOW = timedelta(hours=24)
# The predicate of ix_orders_unshipped_by_ship_by (migration 0029), word for word.
UNSHIPPED_PREDICATE = "status IN ('awaiting_shipment', 'partially_shipped')"


def unshipped(status_column):
    """``status IN ('awaiting_shipment', 'partially_shipped')`` with the two statuses written into the SQL as
    constants, not bound: only then can a planner see that the query implies the partial index's predicate and walk
    ix_orders_unshipped_by_ship_by in ship-by order. With bound values PostgreSQL sorted all 130,000 unshipped orders
    of a 1M-order shop to give the first 50 (a generic plan cannot prove the predicate; SQLite needs the same term).
    The values are this module's constants, never input."""
    return status_column.in_([literal_column(f"'{status}'") for status in UNSHIPPED])


def view_condition(view: str, now: datetime):
    """The three views of issue 4 as conditions on Order (served by ix_orders_unshipped_by_ship_by):
    ``awaiting`` 待发货, every order with items still to ship: 备货中 and 部分发货 (domain.md §1: a partly shipped
    order still owes a parcel by its ship-by; QA #4 found it in 24h需发货 and 超时未发货 but not here, so the three
    counts did not nest and the forecast planned more orders than the tab showed); ``due24h`` unshipped, ship_by
    within the next 24 h and not passed; ``overdue`` unshipped after ship_by. Shipping exactly at ship_by is on time
    (domain.md §2), so the ship_by second itself is still due (due24h), never overdue: the same boundary as the
    order's own ``overdue``."""
    if view == "awaiting":
        return unshipped(Order.status)
    if view == "due24h":
        return and_(unshipped(Order.status), Order.ship_by >= now, Order.ship_by <= now + DUE_WINDOW)
    if view == "overdue":
        return and_(unshipped(Order.status), Order.ship_by < now)
    raise ValueError(f"unknown view {view!r}; use one of {', '.join(VIEWS)}")


def _bound_condition(view: str):
    """view_condition with the times as bind parameters (lo = now, hi = now + 24 h), so the statements below are
    built once: building and compiling a statement cost more than the index search it runs."""
    c = Order.__table__.c  # Core columns: an ORM-enabled statement costs a compile-state step per execution
    if view == "awaiting":
        return unshipped(c.status)
    if view == "due24h":
        return and_(unshipped(c.status), c.ship_by >= bindparam("lo"), c.ship_by <= bindparam("hi"))
    return and_(unshipped(c.status), c.ship_by < bindparam("lo"))


VIEW_WHERE = {view: and_(Order.__table__.c.shop_id == bindparam("shop_id"), _bound_condition(view)) for view in VIEWS}
VIEW_COUNT = {view: select(func.count()).select_from(Order.__table__).where(VIEW_WHERE[view]) for view in VIEWS}
_COUNTS = OrderStatusCount.__table__.c
_AWAITING_STORED = select(func.sum(_COUNTS.n)).where(_COUNTS.shop_id == bindparam("shop_id"),
                                                     _COUNTS.status.in_(UNSHIPPED))


def view_params(shop_id: int, now: datetime) -> dict:
    return {"shop_id": shop_id, "lo": now, "hi": now + DUE_WINDOW}


def view_total(session: Session, shop_id: int, view: str, now: datetime) -> int:
    """One view's count. 待发货 is every order of two statuses (备货中 and 部分发货): the sum of their trigger-kept
    per-status counts (migration 0009), where walking the index took ~9 ms on PostgreSQL at 130,000 unshipped orders
    (benchmarks/RESULTS-shipping.md, 2026-11-28). The other two are index-only counts over
    ix_orders_unshipped_by_ship_by (shop, ship_by, id)."""
    if view not in VIEW_COUNT:
        raise ValueError(f"unknown view {view!r}; use one of {', '.join(VIEWS)}")
    connection = session.connection()
    if view == "awaiting":
        return int(connection.execute(_AWAITING_STORED, {"shop_id": shop_id}).scalar_one_or_none() or 0)
    return connection.execute(VIEW_COUNT[view], view_params(shop_id, now)).scalar_one()


def view_counts(session: Session, shop_id: int, now: datetime) -> dict[str, int]:
    """Tab counts for the shipping page and the home page's to-do cards (see ``view_total``)."""
    return {view: view_total(session, shop_id, view, now) for view in VIEWS}


def get_settings(session: Session, shop_id: int) -> ShippingSettings:
    """The shop's settings, or the documented defaults (not stored until an owner saves them)."""
    row = session.get(ShippingSettings, shop_id)
    if row is None:
        row = ShippingSettings(shop_id=shop_id, capacity_per_hour=100, work_start_minute=9 * 60,
                               work_end_minute=18 * 60, default_promise="48h", late_points=2, compensation_pct=10,
                               compensation_min_fen=500, compensation_max_fen=5000, due_soon_hours=6,
                               urgent_hours=2, correction_window_hours=24, max_corrections=2, rest_weekdays="")
    return row


def late_rules(row: ShippingSettings) -> LateRules:
    return LateRules(points=row.late_points, compensation_pct=row.compensation_pct,
                     compensation_min_fen=row.compensation_min_fen, compensation_max_fen=row.compensation_max_fen)


def rest_days(row: ShippingSettings) -> frozenset[int]:
    """The stored rest weekdays ("56" = Saturday and Sunday; empty or unset: none)."""
    return frozenset(int(ch) for ch in (row.rest_weekdays or "") if ch in "0123456")


def working_hours(row: ShippingSettings) -> WorkingHours:
    return WorkingHours(row.work_start_minute, row.work_end_minute, rest_days(row))


def violations_by_order(session: Session, order_pks: list[int]) -> dict[int, Violation]:
    if not order_pks:
        return {}
    return {v.order_pk: v for v in session.execute(
        select(Violation).where(Violation.order_pk.in_(order_pks))).scalars()}


_V = Violation.__table__
# Built once: the order list and the deadline views run it on every page (ids as one parameter, db.in_ids).
_PAGE_VIOLATIONS = select(_V.c.order_pk, _V.c.kind, _V.c.late_by_seconds, _V.c.points, _V.c.compensation_fen,
                          _V.c.ship_by).where(in_ids(_V.c.order_pk))


def page_violations(session: Session, order_pks: list[int]) -> dict:
    """A list page's violation badges as plain rows (order_pk, kind, late_by_seconds, points, compensation_fen,
    ship_by) by order."""
    if not order_pks:
        return {}
    return {r.order_pk: r for r in session.connection().execute(_PAGE_VIOLATIONS, {"pks": order_pks})}


def corrected_away(session: Session, order_pks: list[int]) -> list[tuple[int, str]]:
    """(order_pk, number) for every tracking number a clerk corrected away on these orders: order intake must not
    bring such a number back from an export or a sync made before the correction."""
    from .models import TrackingCorrection

    if not order_pks:
        return []
    return [(pk, number) for pk, number in session.execute(
        select(TrackingCorrection.order_pk, TrackingCorrection.old_tracking_no)
        .where(TrackingCorrection.order_pk.in_(order_pks)))]


def list_violations(session: Session, shop_id: int, since: datetime | None = None,
                    limit: int = 500) -> tuple[int, list[tuple[Violation, str, int]]]:
    """Newest deadlines first: (total, [(violation, order_id, pay_amount_fen)])."""
    conds = [Violation.shop_id == shop_id]
    if since is not None:
        conds.append(Violation.ship_by >= since)
    total = session.execute(select(func.count()).select_from(Violation).where(*conds)).scalar_one()
    rows = session.execute(
        select(Violation, Order.order_id, Order.pay_amount_fen).join(Order, Order.id == Violation.order_pk)
        .where(*conds).order_by(Violation.ship_by.desc(), Violation.id.desc()).limit(limit)).all()
    return total, [(v, oid, amount) for v, oid, amount in rows]


def first_violation_at(session: Session, shop_id: int) -> datetime | None:
    """The earliest deadline a violation was recorded for: where the whole list on the health page begins, so its
    heading can say its period (QA pass 9, #19: it read like this month's figure, or the 30 days')."""
    return session.execute(select(func.min(Violation.ship_by)).where(Violation.shop_id == shop_id)).scalar_one()


def awaiting_deadlines(session: Session, shop_id: int) -> list[tuple[str, datetime]]:
    """Every unshipped order with a ship-by: what the forecast plans. Read through Core in one pass (the
    forecast runs over tens of thousands of orders)."""
    table = Order.__table__
    rows = session.execute(select(table.c.order_id, table.c.ship_by)
                           .where(table.c.shop_id == shop_id, unshipped(table.c.status),
                                  table.c.ship_by.is_not(None))).all()
    return [(oid, ship_by) for oid, ship_by in rows]


_DEADLINE_KEYS: dict[str, object] = {}


def _deadline_keys_statement(dialect: str):
    """(whole epoch seconds of ship_by, row id) of a shop's unshipped orders with a ship-by, in ship-by order, ties
    by row id: the seconds computed by the database itself (SQLite from its naive-UTC text, PostgreSQL from its
    timestamp), so that no datetime is built per order. Built once per backend."""
    statement = _DEADLINE_KEYS.get(dialect)
    if statement is None:
        table = Order.__table__
        if dialect == "sqlite":
            # whole seconds of the text first: strftime rounds a fraction to the millisecond (.9996 s → the next
            # second), where the deadline's second is the one it falls in
            seconds = cast(func.strftime("%s", func.substr(table.c.ship_by, 1, 19)), Integer)
        else:
            seconds = cast(func.floor(func.extract("epoch", table.c.ship_by)), BigInteger)
        statement = _DEADLINE_KEYS[dialect] = (
            select(seconds, table.c.id)
            .where(table.c.shop_id == bindparam("shop"), unshipped(table.c.status), table.c.ship_by.is_not(None))
            .order_by(table.c.ship_by, table.c.id))
    return statement


def awaiting_deadline_keys(session: Session, shop_id: int) -> tuple[list[int], list[int]]:
    """The forecast's input without one object per order: (epoch-second deadlines, order row ids) of every
    unshipped order with a ship-by, in ship-by order (ties by row id; see ``order_ids_in_plan_order``).
    Only columns of ix_orders_unshipped_by_ship_by are read, so the index alone answers (no row lookups), and the
    seconds and the order come from the database: reading the stored times and turning each into seconds in Python took
    ~330 of a forecast's ~1,000 ms at 130,000 awaiting orders (1M orders); now ~150
    (benchmarks/RESULTS-shipping.md, 2026-11-28 12:25)."""
    connection = session.connection()
    rows = connection.execute(_deadline_keys_statement(connection.dialect.name), {"shop": shop_id}).all()
    return [row[0] for row in rows], [row[1] for row in rows]


def order_ids_in_plan_order(session: Session, pks: list[int], upto: int) -> list[tuple[str, datetime]]:
    """(order_id, ship_by) of the first ``upto`` orders of a plan, in its exact order: ship-by, then order id.
    ``pks`` are in ship-by order with ties by row id, so the orders sharing the ship-by of the last wanted one
    are read too before re-sorting (ties are rare: platform deadlines carry seconds)."""
    table = Order.__table__
    found: dict[int, tuple[str, datetime]] = {}

    def load(chunk: list[int]) -> None:
        for start in range(0, len(chunk), 900):
            found.update((pk, (oid, ship_by)) for pk, oid, ship_by in session.execute(
                select(table.c.id, table.c.order_id, table.c.ship_by).where(table.c.id.in_(chunk[start:start + 900]))))

    end = min(upto, len(pks))
    if end <= 0:
        return []
    load(pks[:end])
    boundary = found[pks[end - 1]][1] if pks[end - 1] in found else None
    while boundary is not None and end < len(pks):
        chunk = pks[end:end + 200]
        load(chunk)
        same = 0
        while same < len(chunk) and chunk[same] in found and found[chunk[same]][1] == boundary:
            same += 1
        end += same
        if same < len(chunk):
            break
    rows = sorted((found[pk] for pk in pks[:end] if pk in found), key=lambda pair: (pair[1], pair[0]))
    return rows[:upto]


@dataclass
class DayRate:
    day: date
    due: int
    on_time: int

    @property
    def rate(self) -> float | None:
        return self.on_time / self.due if self.due else None


def daily_on_time(session: Session, shop_id: int, now: datetime, days: int = 30) -> list[DayRate]:
    """On-time shipping per shop day, over orders whose ship_by fell on that day and has passed: on time
    means fully shipped no later than ship_by (cancelled orders do not count). The desk's own formula,
    stated on the page, since the platform's is not public. Counted by the database, day by day: reading every
    order of the 30 days (66,698 at 1M orders) and making datetimes of them took 0.4-0.6 s of the page."""
    today = now.astimezone(SHOP_TZ).date()
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, time(0), tzinfo=SHOP_TZ)
    statuses = (*UNSHIPPED, OrderStatus.SHIPPED.value, OrderStatus.COMPLETED.value)
    table = Order.__table__
    day = _shop_day(session.connection().dialect.name, table.c.ship_by, now)
    on_time = case((and_(table.c.status.not_in(UNSHIPPED), table.c.shipped_at.is_not(None),
                         table.c.shipped_at <= table.c.ship_by), 1), else_=0)
    rows = session.execute(select(day, func.count(), func.sum(on_time))
                           .where(table.c.shop_id == shop_id, table.c.status.in_(statuses),
                                  table.c.ship_by >= start, table.c.ship_by < now).group_by(day)).all()
    counted = {date.fromisoformat(str(shop_day)): (due, int(punctual)) for shop_day, due, punctual in rows}
    return [DayRate(first + timedelta(days=i), *counted.get(first + timedelta(days=i), (0, 0))) for i in range(days)]


def _shop_day(dialect: str, column, now: datetime):
    """The shop's calendar day (Asia/Shanghai) of a stored time, in SQL. SQLite holds naive-UTC text: the shop's
    offset is added to its whole seconds (date() rounds a fraction to the millisecond, which would carry 23:59:59.9999
    into the next day); the zone keeps one offset all year (no daylight saving since 1991)."""
    if dialect == "sqlite":
        minutes = int(now.astimezone(SHOP_TZ).utcoffset().total_seconds() // 60)
        return func.date(func.substr(column, 1, 19), f"{minutes:+d} minutes")
    return cast(func.timezone(SHOP_TZ.key, column), Date)


def rate_over(days: list[DayRate], last: int) -> tuple[int, int, float | None]:
    window = days[-last:]
    due, on_time = sum(d.due for d in window), sum(d.on_time for d in window)
    return due, on_time, (on_time / due if due else None)


def orders_shipped_between(session: Session, shop_id: int, start: datetime, end: datetime) -> int:
    """Orders with a parcel shipped in [start, end) (an order shipped in two parcels counts once), from
    ix_shipments_shop_shipped."""
    return session.execute(select(func.count(func.distinct(Shipment.order_pk))).where(
        Shipment.shop_id == shop_id, Shipment.shipped_at >= start, Shipment.shipped_at < end,
        ORDER_PARCEL)).scalar_one()  # an after-sale re-send ships no order


def violation_totals(session: Session, shop_id: int, since: datetime) -> dict[str, int]:
    row = session.execute(select(func.count(), func.coalesce(func.sum(Violation.points), 0),
                                 func.coalesce(func.sum(Violation.compensation_fen), 0))
                          .where(Violation.shop_id == shop_id, Violation.ship_by >= since)).one()
    return {"violations": row[0], "points": int(row[1]), "compensation_fen": int(row[2])}
