"""An order's life as a set of decisions (its *fate*), and where that life stands at a given ``now``.

Why: a demo whose statuses are drawn independently of its times is easy to spot (a 已完成 order paid after it was
completed, an unpaid order from last month still open). Here each order gets a fate drawn once (when the buyer
pays, whether risk review holds it, when each package ships, when the buyer confirms, whether an after-sale
happens), all as offsets from its creation; ``live`` then reads the status off the clock. Every time is therefore
consistent by construction (paid ≥ created, shipped ≥ paid, completed ≥ shipped), and the same fate read at a
later ``now`` shows the order further along, the way the platform would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from ..clock import SHOP_TZ
from ..orders.domain import OrderStatus

UNPAID_TIMEOUT = timedelta(minutes=30)  # the platform closes an unpaid order after about 30 minutes
AUTO_CONFIRM = timedelta(days=10)  # assumption: the platform confirms receipt 10 days after shipping
FAR = timedelta(days=3650)  # "does not happen within the demo's horizon"

TIMEOUT_REASON = "超时未支付"
REVIEW_REJECTED_REASON = "风控审核未通过，已全额退款"


@dataclass(frozen=True)
class PostSale:
    """An after-sale case opened after shipping (domain.md §4)."""

    kind: str  # 退货退款 / 已发货仅退款 / 补寄
    applied_after: timedelta  # after the last package shipped
    resolved_after: timedelta  # after it was applied
    outcome: str  # refunded / closed / resent


@dataclass(frozen=True)
class Fate:
    """Everything that will happen to one order, as offsets from its creation (or from payment)."""

    pay_after: timedelta | None = timedelta(minutes=1)  # None: the buyer never pays
    unpaid_close_after: timedelta = UNPAID_TIMEOUT
    unpaid_close_reason: str = TIMEOUT_REASON
    review: timedelta | None = None  # risk review (风控审核) holding the order after payment
    review_rejected: bool = False
    refund_asked_after: timedelta | None = None  # after payment; only counts if before the first package ships
    refund_reason: str = ""
    refund_done_after: timedelta = timedelta(hours=2)  # after it was asked
    ship_after: tuple[timedelta, ...] = (FAR,)  # per package, after payment
    packages: tuple[tuple[int, ...], ...] = ()  # line indices per package; () = every line in one package
    confirm_after: timedelta = AUTO_CONFIRM  # after the last package shipped
    post_sale: PostSale | None = None


@dataclass
class State:
    """What the platform would report about the order at ``now``."""

    status: OrderStatus
    paid_at: datetime | None = None
    shipped_at: datetime | None = None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    after_sale: str | None = None  # order level: only while a case is open (the 售后中 tab)
    line_after_sale: dict[int, str] = field(default_factory=dict)  # per line, open or finished
    shipped_packages: list[tuple[datetime, tuple[int, ...]]] = field(default_factory=list)


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=SHOP_TZ)


def ship_by_for(promise: str, paid_at: datetime) -> datetime:
    """The promised ship-by time (承诺发货时间) for one product promise, in UTC.

    ``48h`` paid + 48 h; ``next_day`` end of the next calendar day; ``same_day:H`` end of the day when paid before
    H o'clock, else end of the next day; ``days:N`` and ``presale:N`` paid + N days.
    """
    local = paid_at.astimezone(SHOP_TZ)
    kind, _, arg = promise.partition(":")
    if kind == "next_day":
        result = end_of_day(local.date() + timedelta(days=1))
    elif kind == "same_day":
        cutoff = int(arg or 16)
        result = end_of_day(local.date() + timedelta(days=0 if local.hour < cutoff else 1))
    elif kind in ("days", "presale"):
        result = paid_at + timedelta(days=int(arg))
    else:
        result = paid_at + timedelta(hours=48)
    return result.astimezone(paid_at.tzinfo)


def live(created: datetime, fate: Fate, line_count: int, now: datetime) -> State:
    """The order's state at ``now`` given its fate."""
    paid_at = None
    if fate.pay_after is not None and fate.pay_after < fate.unpaid_close_after:
        paid_at = created + fate.pay_after
    if paid_at is None or paid_at > now:
        closes = created + fate.unpaid_close_after
        if paid_at is None and closes <= now:
            return State(OrderStatus.CANCELLED, cancelled_at=closes, cancel_reason=fate.unpaid_close_reason)
        return State(OrderStatus.UNPAID)

    state = State(OrderStatus.PAID_PENDING, paid_at=paid_at)
    if fate.review is not None:
        released = paid_at + fate.review
        if released > now:
            return state
        if fate.review_rejected:
            return _cancel(state, released, REVIEW_REJECTED_REASON, line_count, "退款成功")

    packages = fate.packages or (tuple(range(line_count)),)
    ship_times = [paid_at + after for after in fate.ship_after]
    first_ship = min(ship_times)
    if fate.refund_asked_after is not None and paid_at + fate.refund_asked_after < first_ship:
        asked = paid_at + fate.refund_asked_after
        if asked <= now:
            done = asked + fate.refund_done_after
            if done <= now:
                return _cancel(state, done, fate.refund_reason or "买家申请退款", line_count, "退款成功")
            stage = "待商家处理" if now - asked < timedelta(hours=12) else "退款中"
            state.status = OrderStatus.AWAITING_SHIPMENT
            state.after_sale = stage
            state.line_after_sale = dict.fromkeys(range(line_count), stage)
            return state
        # asked in the future: the order is still waiting to ship (first_ship is later still)

    state.shipped_packages = [(t, lines) for t, lines in sorted(zip(ship_times, packages, strict=True)) if t <= now]
    if not state.shipped_packages:
        state.status = OrderStatus.AWAITING_SHIPMENT
        return state
    if len(state.shipped_packages) < len(packages):
        state.status = OrderStatus.PARTIALLY_SHIPPED
        state.shipped_at = state.shipped_packages[0][0]
        return state
    last_ship = state.shipped_packages[-1][0]
    state.status = OrderStatus.SHIPPED
    state.shipped_at = last_ship
    completed = last_ship + fate.confirm_after
    if completed <= now:
        state.status = OrderStatus.COMPLETED
        state.completed_at = completed
    if fate.post_sale is not None:
        _post_sale(state, fate.post_sale, last_ship, line_count, now)
    return state


def _cancel(state: State, at: datetime, reason: str, line_count: int, line_text: str | None) -> State:
    state.status = OrderStatus.CANCELLED
    state.cancelled_at = at
    state.cancel_reason = reason
    state.after_sale = None
    if line_text:
        state.line_after_sale = dict.fromkeys(range(line_count), line_text)
    return state


def _post_sale(state: State, case: PostSale, last_ship: datetime, line_count: int, now: datetime) -> None:
    applied = last_ship + case.applied_after
    if applied > now:
        return
    if state.completed_at is not None and state.completed_at > applied:
        # the case was opened before the buyer confirmed; the platform pauses auto-confirm while it is open
        state.completed_at = None
        state.status = OrderStatus.SHIPPED
    resolved = applied + case.resolved_after
    if resolved > now:
        stage = _open_stage(case.kind, now - applied)
        state.after_sale = stage
        state.line_after_sale = {0: stage}
        return
    if case.outcome == "refunded":
        if line_count == 1:
            _cancel(state, resolved, f"{case.kind}，退款成功", line_count, "退款成功")
        else:  # one line refunded; the rest of the order stands
            state.line_after_sale = {0: "退款成功"}
        if state.status is not OrderStatus.CANCELLED and state.completed_at is None:
            state.status, state.completed_at = _confirmed_after(state, resolved, now)
    elif case.outcome == "resent":
        state.line_after_sale = {0: "售后完成"}
        state.status, state.completed_at = _confirmed_after(state, resolved, now)
    else:
        state.line_after_sale = {0: "售后关闭"}
        state.status, state.completed_at = _confirmed_after(state, resolved, now)


def _confirmed_after(state: State, resolved: datetime, now: datetime) -> tuple[OrderStatus, datetime | None]:
    """After a case ends the paused confirmation clock runs again (here: the buyer confirms a day later)."""
    if state.completed_at is not None:
        return OrderStatus.COMPLETED, state.completed_at
    confirmed = max(resolved + timedelta(days=1), state.shipped_at or resolved)
    return (OrderStatus.COMPLETED, confirmed) if confirmed <= now else (OrderStatus.SHIPPED, None)


def _open_stage(kind: str, elapsed: timedelta) -> str:
    """The after-sale status text a merchant sees while a case is open."""
    if elapsed < timedelta(hours=24):
        return "待商家处理"
    if kind == "退货退款":
        return "待买家退货" if elapsed < timedelta(days=4) else "待商家收货"
    if kind == "补寄":
        return "待商家发货"
    return "退款中"
