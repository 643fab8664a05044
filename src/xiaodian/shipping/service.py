"""Shipping use cases: ship an order (whole or by item), derive missing ship-by times, record violations, and
the owner's settings (correcting a tracking number: corrections.py). The only API that web, CLI, jobs and bulk
files call.

Concurrency: a shipment changes the order through one conditional UPDATE on (status, modified_at), the
order's version. Two clerks shipping the same order at once both read version v; the first UPDATE moves it
to v+1, the second matches no row and is refused with ``concurrent_change`` (PostgreSQL: the second UPDATE
waits for the first's row lock, then re-checks the condition; SQLite: the second writer is refused when the
first has committed since it read). SKU orders are unique in shipment_items, so an item never ships twice.

A tracking number belongs to one order, but no unique index says so (merged parcels may one day share one): every
writer of a number first locks it (``lock_tracking_numbers``), then checks who owns it, then writes, all in one
transaction, so two clerks giving one number to two orders at once cannot both pass the check.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from ..accounts import audit
from ..accounts.permissions import check
from ..accounts.service import Principal
from ..clock import version_after
from ..db import hold_locks, insert_ignore
from ..errors import Conflict, DomainError, ValidationFailed
from ..orders.domain import PLATFORM_CODE, OrderStatus, can_transition
from ..orders.models import Order, OrderEvent, Product, Shipment
from ..orders.queries import require_order
from . import domain
from .models import ShipmentItem, ShippingSettings, Violation
from .queries import get_settings, late_rules


class ShipRefused(DomainError):
    """The order may not ship now (its status, a pending refund); ``code`` says why."""

    http_status = 409
    code = "ship_refused"


class ConfirmationRequired(DomainError):
    """The number looks unusual for the carrier: allowed, but only when the person confirms."""

    http_status = 409
    code = "confirmation_required"


def unusual_number(carrier: domain.Carrier, number: str, warnings: list[str], then: str = "ship anyway"
                   ) -> ConfirmationRequired:
    """The refusal of a number unusual for its carrier until confirmed, as shipping, a tracking correction and an
    after-sale's re-send all give it: what the carrier's numbers look like and whose this one looks like (message,
    and ``usual`` / ``looks_like`` in the details, QA pass 13, #12). ``then``: what confirming does."""
    return ConfirmationRequired(
        f"{domain.shape_mismatch_message(carrier, number)}; check it and confirm to {then}",
        details={"warnings": warnings, "tracking_no": number, "carrier": carrier.code,
                 **domain.shape_hint(carrier, number)})


REFUSED_STATUS = {
    OrderStatus.UNPAID: ("order_unpaid", "the order is not paid yet; it cannot ship"),
    OrderStatus.PAID_PENDING: ("order_held_for_review", "the order is paid but held for risk review (风控审核中); "
                                                         "it must not ship until the platform releases it"),
    OrderStatus.CANCELLED: ("order_cancelled", "the order is cancelled; it cannot ship"),
    OrderStatus.SHIPPED: ("already_shipped", "every item of the order has already shipped"),
    OrderStatus.COMPLETED: ("already_shipped", "the order is completed; it has already shipped"),
}

# A pending refund on an unshipped order blocks shipping (domain.md §4). After-sales is another capability;
# until it exists the export's 售后状态 text stands in. Other capabilities register their own check here.
ShipBlocker = Callable[[Session, Order], tuple[str, str] | None]
PENDING_REFUND_TEXTS = frozenset({"待商家处理", "待商家同意", "退款中", "待退款", "申请退款", "售后中", "买家申请退款"})
# Of these, the texts of a refund the shop has agreed already (to be paid): still held, but nothing left to decide.
AGREED_REFUND_TEXTS = frozenset({"退款中", "待退款"})


def _pending_refund_from_export(_session: Session, order: Order) -> tuple[str, str] | None:
    if (order.after_sale_status or "").strip() in PENDING_REFUND_TEXTS:
        return ("refund_pending", f"the buyer has asked for a refund ({order.after_sale_status}); reject the refund "
                                  "request before shipping")
    return None


def _pending_refund_case(session: Session, order: Order) -> tuple[str, str] | None:
    """After-sales (issue 6) owns the rule: an open refund case blocks until the merchant rejects it; orders
    without any case fall back to the export text above."""
    from ..aftersales.service import pending_refund_blocker

    return pending_refund_blocker(session, order)


_BLOCKERS: list[ShipBlocker] = [_pending_refund_case]


def register_ship_blocker(blocker: ShipBlocker) -> None:
    """Let another capability (after-sales) refuse shipping: the blocker returns (code, message) or None."""
    if blocker not in _BLOCKERS:
        _BLOCKERS.append(blocker)


@dataclass
class ShipRequest:
    order_id: str
    carrier: str
    tracking_no: str
    items: list[str] | None = None  # SKU order ids; None = everything not yet shipped
    confirm_warnings: bool = False
    # The buyer changed the delivery address after the order came in: the person shipping confirms the label has the
    # new one (ship_order asks before anything is written)
    confirm_address_change: bool = False


@dataclass
class ShipPlan:
    """A checked request: everything needed to write it, decided before anything is written."""

    order: Order
    carrier: domain.Carrier
    tracking_no: str
    items: list[str]
    target: OrderStatus
    warnings: list[str] = field(default_factory=list)


@dataclass
class ShipResult:
    order_id: str
    status: str
    carrier_code: str
    tracking_no: str
    items: list[str]
    warnings: list[str]
    violation: dict | None

    def as_json(self) -> dict:
        return self.__dict__.copy()


def shipped_skus(session: Session, order_pk: int) -> set[str]:
    return set(session.execute(select(ShipmentItem.sku_order_id).where(ShipmentItem.order_pk == order_pk)).scalars())


def shipped_items_of(session: Session, shop_id: int, orders) -> dict[str, set[str]]:
    """Order id → its SKU orders already in a parcel, for the partly shipped orders among ``orders`` (rows with
    ``order_id`` and ``status``): a deadline card lists every item of the order, and a packer working from it must
    see which ones already left (QA pass 6, #10)."""
    partly = [o.order_id for o in orders if o.status == OrderStatus.PARTIALLY_SHIPPED.value]
    if not partly:
        return {}
    found: dict[str, set[str]] = {}
    for order_id, sku in session.execute(
            select(Order.order_id, ShipmentItem.sku_order_id).join(ShipmentItem, ShipmentItem.order_pk == Order.id)
            .where(Order.shop_id == shop_id, Order.order_id.in_(partly))):
        found.setdefault(order_id, set()).add(sku)
    return found


def refunded_skus(session: Session, order_pks: list[int]) -> dict[int, set[str]]:
    """The SKU orders refunded in full before shipping, per order row id: never to be packed or shipped."""
    from ..aftersales.order_close import refunded_unshipped_skus  # after-sales owns the cases

    return refunded_unshipped_skus(session, order_pks)


def check_carrier_and_number(carrier_value: str, tracking_value: str) -> tuple[domain.Carrier, str, list[str]]:
    carrier = domain.find_carrier(carrier_value)
    if carrier is None:
        raise ValidationFailed(f"unknown carrier {carrier_value!r}; use a code such as "
                               + ", ".join(c.code for c in domain.CARRIERS), code="carrier_unknown",
                               details={"field": "carrier"})
    number = domain.normalise_tracking(tracking_value)
    problem = domain.tracking_problem(number)
    if problem is domain.TrackingProblem.EMPTY:
        raise ValidationFailed("the tracking number is empty", code=problem.value, details={"field": "tracking_no"})
    if problem is not None:
        raise ValidationFailed(f"{tracking_value!r} is not a tracking number (letters and digits, 8–32 long)",
                               code=problem.value, details={"field": "tracking_no"})
    warning = domain.shape_warning(carrier, number)
    return carrier, number, [warning] if warning else []


def lock_tracking_numbers(session: Session, shop_id: int, numbers: Iterable[str]) -> None:
    """Hold these numbers until the transaction ends, before checking who owns them (``tracking_owner``).

    Why: the check is a read; without a lock two clerks (or a bulk file and a clerk) both find a number free and
    both write it, and one parcel ends up on two orders (QA #1; domain.md counts a reused number as 虚假发货).
    PostgreSQL: a transaction-scoped advisory lock per (shop, number), taken in key order so that two files
    sharing numbers cannot deadlock; a waiter reads the winner's shipment once it commits (READ COMMITTED).
    SQLite has one writer at a time: taking its write lock now (claim_writer) serialises the check with it."""
    hold_locks(session, (f"tracking:{shop_id}:{n}" for n in numbers))


def _refuse_owned_numbers(session: Session, shop_id: int, plans: list[ShipPlan]) -> None:
    """Lock the plans' numbers and check them again: another writer may have taken one since the plan was made."""
    lock_tracking_numbers(session, shop_id, [p.tracking_no for p in plans])
    owners = dict(session.execute(
        select(Shipment.tracking_no, Order.order_id).join(Order, Order.id == Shipment.order_pk)
        .where(Shipment.shop_id == shop_id, Shipment.tracking_no.in_(sorted({p.tracking_no for p in plans})))).all())
    for plan in plans:
        refuse_if_owned(plan.tracking_no, owners.get(plan.tracking_no), plan.order.order_id)


def refuse_if_owned(number: str, owner: str | None, order_id: str) -> None:
    """A number already on an order (this one or another) cannot go on a new parcel of ``order_id``."""
    if owner == order_id:
        raise Conflict(f"{number} is already on this order", code="tracking_already_on_order",
                       details={"tracking_no": number})
    if owner:
        raise Conflict(f"{number} is already used on order {owner}", code="tracking_in_use",
                       details={"tracking_no": number, "order_id": owner})


def tracking_owner(session: Session, shop_id: int, number: str) -> str | None:
    """The order that already carries this number, if any (a number belongs to one parcel, one order)."""
    return session.execute(select(Order.order_id).join(Shipment, Shipment.order_pk == Order.id)
                           .where(Shipment.shop_id == shop_id, Shipment.tracking_no == number).limit(1)).scalar()


def blocker_of(session: Session, order: Order) -> tuple[str, str] | None:
    """(code, message) of what stops this order from shipping now (its status, a pending refund…), or None: the
    ship form says it before anyone packs, check_order refuses with it."""
    refused = REFUSED_STATUS.get(OrderStatus(order.status))
    if refused:
        return refused
    for blocker in _BLOCKERS:
        found = blocker(session, order)
        if found:
            return found
    return None


def check_order(session: Session, order: Order) -> None:
    found = blocker_of(session, order)
    if found:
        details = {"order_id": order.order_id}
        if OrderStatus(order.status) in REFUSED_STATUS:
            details["status"] = order.status
        if found[0] == "refund_pending":
            details["refund_agreed"] = refund_agreed(session, order)
        raise ShipRefused(found[1], code=found[0], details=details)


def refund_agreed(session: Session, order: Order) -> bool:
    """Whether the refund that holds this order is one the shop has agreed already (it closes when paid): the pages
    then say 已同意退款，不要发货, never "reject the refund first", which is no longer an option (QA pass 13, #2: the
    bulk preview still advised 拒绝退款). The code stays refund_pending for API clients; ``refund_agreed`` tells."""
    from ..aftersales.service import refund_pending_orders  # after-sales owns the rule

    return order.order_id in refund_pending_orders(session, order.shop_id, [order.order_id]).agreed


def refund_held_counts(session: Session, shop_id: int, now: datetime) -> dict[str, int]:
    """Of each deadline view's orders (queries.VIEWS), how many a refund stops from shipping: the tabs count them,
    the forecast leaves them out (另有 n 单买家已申请退款), so the page says 其中 n 单退款中 next to each count and the
    screens agree (QA pass 13, #7). Read from the few orders with an after-sale case or a pending 售后状态 text, not
    from every unshipped order; after-sales' own rule then decides which of them are held."""
    from ..aftersales.models import AfterSaleCase
    from ..aftersales.service import refund_pending_unshipped
    from .queries import DUE_WINDOW, VIEWS, unshipped

    table, cases = Order.__table__.c, AfterSaleCase.__table__.c
    with_case = (select(table.id, table.ship_by).join(AfterSaleCase.__table__, cases.order_pk == table.id)
                 .where(table.shop_id == shop_id, cases.shop_id == shop_id, unshipped(table.status)))
    by_text = select(table.id, table.ship_by).where(table.shop_id == shop_id, unshipped(table.status),
                                                    table.after_sale_status.in_(sorted(PENDING_REFUND_TEXTS)))
    ship_by = dict(session.execute(with_case.union(by_text)).all())
    held = [ship_by[pk] for pk in refund_pending_unshipped(session, shop_id, set(ship_by))]
    counts = {"awaiting": len(held), "due24h": sum(1 for at in held if at and now <= at <= now + DUE_WINDOW),
              "overdue": sum(1 for at in held if at and at < now)}
    return {view: counts[view] for view in VIEWS}


def plan_shipment(session: Session, shop_id: int, req: ShipRequest, *, order: Order | None = None,
                  already: set[str] | None = None, owner_of: str | None | bool = False,
                  refunded: set[str] | None = None) -> ShipPlan:
    """Every check, nothing written. Raises a DomainError with a stable code when the request is refused."""
    order = order or require_order(session, shop_id, req.order_id.strip())
    check_order(session, order)
    carrier, number, warnings = check_carrier_and_number(req.carrier, req.tracking_no)
    refuse_if_owned(number, tracking_owner(session, shop_id, number) if owner_of is False else owner_of,
                    order.order_id)
    done = shipped_skus(session, order.id) if already is None else already
    refunded = refunded_skus(session, [order.id]).get(order.id, set()) if refunded is None else refunded
    remaining = [i.sku_order_id for i in order.items if i.sku_order_id not in done and i.sku_order_id not in refunded]
    if req.items is not None:  # a list given (even an empty one) means "only these", never "everything"
        wanted = list(dict.fromkeys(s.strip() for s in req.items if s.strip()))
        if not wanted:
            raise ValidationFailed("items: give at least one SKU order id, or leave items out to ship everything "
                                   "left", code="items_empty", details={"field": "items"})
        known = {i.sku_order_id for i in order.items}
        for sku in wanted:
            if sku not in known:
                raise ValidationFailed(f"SKU order {sku} is not part of order {order.order_id}",
                                       code="item_not_in_order", details={"field": "items", "sku_order_id": sku})
            if sku in done:
                raise Conflict(f"SKU order {sku} has already shipped", code="item_already_shipped",
                               details={"sku_order_id": sku})
            if sku in refunded:
                raise Conflict(f"SKU order {sku} was refunded before shipping; do not ship it", code="item_refunded",
                               details={"sku_order_id": sku})
    else:
        wanted = remaining
    if not wanted:
        raise ShipRefused("nothing is left to ship on this order", code="already_shipped")
    target = OrderStatus.SHIPPED if set(wanted) >= set(remaining) else OrderStatus.PARTIALLY_SHIPPED
    return ShipPlan(order, carrier, number, wanted, target, warnings)



def apply_plans(session: Session, shop_id: int, plans: list[ShipPlan], *, principal: Principal, now: datetime,
                source: str, settings: ShippingSettings | None = None, audit_each: bool = True) -> list[ShipResult]:
    """Write checked plans: conditional status update, shipment and its items, timeline events, violation,
    audit. Raises Conflict(concurrent_change) when another writer changed an order since it was read, and
    Conflict(tracking_in_use) when another writer took one of the numbers since (checked under its lock).

    A bulk-ship file applies hundreds of plans at once, so each kind of row is written in one statement for
    the whole list (Core executemany), not one ORM object at a time; what is written is the same."""
    check(principal.role, "shipping.ship")
    rules = late_rules(settings or get_settings(session, shop_id))
    if not plans:
        return []
    try:
        _refuse_owned_numbers(session, shop_id, plans)
        session.flush()  # pending ORM changes (e.g. a derived ship_by) go first, as they did before
        _update_orders(session, plans, now)
        conn = session.connection()
        shipment_ids = list(conn.execute(
            insert(Shipment.__table__).returning(Shipment.__table__.c.id, sort_by_parameter_order=True),
            [{"shop_id": shop_id, "order_pk": p.order.id, "carrier_code": p.carrier.code,
              "carrier_name": p.carrier.name, "tracking_no": p.tracking_no, "shipped_at": now, "recorded_at": now,
              "source": source} for p in plans]).scalars())
        conn.execute(insert(ShipmentItem.__table__),
                     [{"shop_id": shop_id, "shipment_id": sid, "order_pk": p.order.id, "sku_order_id": sku}
                      for p, sid in zip(plans, shipment_ids, strict=True) for sku in p.items])
        events, results, late = [], [], []
        for plan in plans:
            results.append(_record(session, shop_id, plan, principal, now, source, rules, audit_each, events, late))
        conn.execute(insert(OrderEvent.__table__), events)
        _queue_platform_upload(session, shop_id, plans, shipment_ids, now)
        if late:
            _record_violations(session, shop_id, late, now, source, principal.login)
        session.flush()
    except OperationalError as exc:
        if "locked" in str(exc).lower():
            raise Conflict("another clerk is shipping at this moment; reload and check before shipping",
                           code="concurrent_change") from None
        raise
    except IntegrityError:
        raise Conflict("these items were shipped by someone else just now; reload the order",
                       code="concurrent_change") from None
    return results


def _queue_platform_upload(session: Session, shop_id: int, plans: list[ShipPlan], shipment_ids: list[int],
                           now: datetime) -> None:
    """Douyin write-back (issue 8): an outbox row per shipment when the shop's write switch is on; a job sends it."""
    from ..channels.douyin.outbox import queue_logistics_upload

    queue_logistics_upload(session, shop_id=shop_id, now=now, uploads=[
        (sid, p.order.order_id, p.carrier.code, p.tracking_no) for p, sid in zip(plans, shipment_ids, strict=True)])


def _update_orders(session: Session, plans: list[ShipPlan], now: datetime) -> None:
    """One conditional UPDATE per order on (status, modified_at), its version, sent as one executemany; every
    one of them must match its row, else someone else changed an order since it was read."""
    table = Order.__table__
    rows = []
    for plan in plans:
        order = plan.order
        current = OrderStatus(order.status)
        if plan.target != current and not can_transition(current, plan.target):
            raise Conflict(f"order {order.order_id} cannot move from {current} to {plan.target}",
                           code="invalid_transition")
        rows.append({"b_id": order.id, "b_status": order.status, "b_version": order.modified_at,
                     "status": plan.target.value, "platform_status_code": PLATFORM_CODE[plan.target],
                     "modified_at": version_after(order.modified_at, now),
                     "shipped_at": now if plan.target is OrderStatus.SHIPPED or order.shipped_at is None
                     else order.shipped_at})
    stmt = (update(table).where(table.c.id == bindparam("b_id"), table.c.status == bindparam("b_status"),
                                table.c.modified_at == bindparam("b_version"))
            .values(status=bindparam("status"), platform_status_code=bindparam("platform_status_code"),
                    modified_at=bindparam("modified_at"), shipped_at=bindparam("shipped_at")))
    conn = session.connection()
    if len(rows) > 1 and conn.dialect.supports_sane_multi_rowcount:
        if conn.execute(stmt, rows).rowcount == len(rows):
            return
        changed = [None]  # some order matched no row: find which, for the message
    else:
        changed = [conn.execute(stmt, row).rowcount for row in rows]
        if all(n == 1 for n in changed):
            return
    stale = next((p.order for p, n in zip(plans, changed) if n != 1), plans[0].order)
    raise Conflict(f"order {stale.order_id} was changed by someone else just now; reload and check before shipping",
                   code="concurrent_change", details={"order_id": stale.order_id})


def _record(session, shop_id, plan: ShipPlan, principal, now, source, rules, audit_each, events: list,
            late: list) -> ShipResult:
    order = plan.order
    before = order.status
    detail = {"carrier": plan.carrier.name, "carrier_code": plan.carrier.code, "tracking_no": plan.tracking_no,
              "items": plan.items}
    if plan.warnings:
        detail["confirmed_warnings"] = plan.warnings
    events.append(_event_row(shop_id, order.id, now, "tracking_added", source, principal.login,
                             detail=json.dumps(detail, ensure_ascii=False)))
    if plan.target.value != before:
        events.append(_event_row(shop_id, order.id, now, "status_changed", source, principal.login,
                                 from_status=before, to_status=plan.target.value))
    violation = None
    if plan.target is OrderStatus.SHIPPED:
        found = domain.violation_for(order.ship_by, now, now, order.pay_amount_fen, rules)
        if found:
            late.append((order.id, found, order.ship_by, now))
            violation = {"kind": found.kind.value, "late_by_seconds": found.late_by_seconds, "points": found.points,
                         "compensation_fen": found.compensation_fen}
    if audit_each:
        audit.record(session, principal=principal, action="shipping.ship", now=now, shop_id=shop_id,
                     target_type="order", target_id=order.order_id, before={"status": before},
                     after={"status": plan.target.value, **detail})
    return ShipResult(order.order_id, plan.target.value, plan.carrier.code, plan.tracking_no, plan.items,
                      plan.warnings, violation)


def _event_row(shop_id: int, order_pk: int, now: datetime, kind: str, source: str, actor: str | None, *,
               detail: str | None = None, from_status: str | None = None, to_status: str | None = None) -> dict:
    return {"shop_id": shop_id, "order_pk": order_pk, "at": now, "recorded_at": now, "kind": kind,
            "from_status": from_status, "to_status": to_status, "source": source, "actor": actor, "detail": detail}


def ship_order(session: Session, *, shop_id: int, req: ShipRequest, principal: Principal, now: datetime,
               source: str | None = None) -> ShipResult:
    """Ship one order (or some of its items) with one tracking number, in the caller's transaction."""
    check(principal.role, "shipping.ship")
    plan = plan_shipment(session, shop_id, req)
    moved = plan.order.address_changed_at
    if moved is not None and not req.confirm_address_change:
        # A label printed before the buyer's change goes to the old address (推送 105): shown on the ship form, and
        # asked here so that no channel (API, CLI) ships past it unseen. A bulk file says so in its preview instead.
        when = domain.shop_month_day_time(moved)
        raise ConfirmationRequired(
            f"the buyer changed the delivery address on {when}: check that the label has the new address, then "
            "confirm the address change to ship", code="address_change_unconfirmed",
            details={"order_id": plan.order.order_id, "when": when})
    if plan.warnings and not req.confirm_warnings:
        raise unusual_number(plan.carrier, plan.tracking_no, plan.warnings)
    if moved is not None:
        plan.warnings = ["address_changed", *plan.warnings]  # the timeline keeps what was confirmed
    if plan.order.ship_by is None:
        derive_ship_by(session, shop_id, [plan.order], now)
    return apply_plans(session, shop_id, [plan], principal=principal, now=now, source=source or principal.channel)[0]


def record_violation(session: Session, shop_id: int, order_pk: int, found: domain.Violation, ship_by: datetime,
                     shipped_at: datetime | None, now: datetime, source: str, actor: str | None) -> bool:
    """Insert the order's one violation unless it exists (INSERT … ON CONFLICT DO NOTHING, so two scanners
    racing record it once). A later late shipment turns an overdue record into a late-shipment one with the
    final lateness. Returns True when a new violation was recorded."""
    return bool(_record_violations(session, shop_id, [(order_pk, found, ship_by, shipped_at)], now, source, actor))


def _record_violations(session: Session, shop_id: int, found: list[tuple[int, domain.Violation, datetime,
                                                                           datetime | None]],
                       now: datetime, source: str, actor: str | None) -> int:
    """record_violation for many orders: one INSERT … ON CONFLICT DO NOTHING per 500, one executemany for the
    overdue records that become late shipments. Returns how many were new."""
    inserted: set[int] = set()
    for start in range(0, len(found), 500):
        inserted.update(insert_ignore(session, Violation.__table__, [{
            "shop_id": shop_id, "order_pk": pk, "kind": v.kind.value, "ship_by": ship_by, "shipped_at": shipped_at,
            "late_by_seconds": v.late_by_seconds, "points": v.points, "compensation_fen": v.compensation_fen,
            "detected_at": now, "source": source} for pk, v, ship_by, shipped_at in found[start:start + 500]],
            ["order_pk"]))
    events = [_event_row(shop_id, pk, now, "violation_recorded", source, actor, detail=json.dumps(
        {"kind": v.kind.value, "late_by_seconds": v.late_by_seconds, "points": v.points,
         "compensation_fen": v.compensation_fen})) for pk, v, _ship_by, _at in found if pk in inserted]
    if events:
        session.connection().execute(insert(OrderEvent.__table__), events)
    upgrades = [{"b_pk": pk, "shipped_at": shipped_at, "late_by_seconds": v.late_by_seconds}
                for pk, v, _ship_by, shipped_at in found if pk not in inserted and shipped_at is not None]
    if upgrades:
        table = Violation.__table__
        session.connection().execute(
            update(table).where(table.c.order_pk == bindparam("b_pk"),
                                table.c.kind == domain.ViolationKind.OVERDUE_UNSHIPPED.value)
            .values(kind=domain.ViolationKind.LATE_SHIPMENT.value, shipped_at=bindparam("shipped_at"),
                    late_by_seconds=bindparam("late_by_seconds")), upgrades)
    return len(inserted)


def derive_ship_by(session: Session, shop_id: int, orders: list[Order], now: datetime) -> int:
    """Orders without a platform ship-by get one from their products' promises (the strictest binds) or the
    shop default, with source ``promise``/``presale``. Done by the deadline scan and before shipping."""
    if not orders:
        return 0
    default = domain.parse_promise(get_settings(session, shop_id).default_promise)
    product_ids = {i.product_id for o in orders for i in o.items if i.product_id}
    promises: dict[str, domain.Promise] = {}
    if product_ids:
        for pid, text in session.execute(select(Product.product_id, Product.ship_promise)
                                         .where(Product.shop_id == shop_id, Product.product_id.in_(product_ids))):
            try:
                promises[pid] = domain.parse_promise(text) if text else default
            except ValueError:
                promises[pid] = default
    count = 0
    for order in orders:
        if order.ship_by is not None or order.paid_at is None:
            continue
        chosen, due = domain.strictest([promises.get(i.product_id, default) for i in order.items], order.paid_at)
        order.ship_by, order.ship_by_source, order.ship_promise = due, chosen.source, chosen.text()
        session.add(OrderEvent(shop_id=shop_id, order_pk=order.id, at=now, recorded_at=now, kind="ship_by_derived",
                               source="job", actor=None, detail=json.dumps(
                                   {"promise": chosen.text(), "ship_by": due.isoformat()})))
        count += 1
    session.flush()
    return count


__all__ = ["ShipRequest", "ShipResult", "ShipRefused", "ConfirmationRequired", "ship_order",
           "register_ship_blocker", "apply_plans", "plan_shipment", "derive_ship_by", "record_violation"]
