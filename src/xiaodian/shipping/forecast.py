"""Forecast of misses: pack every awaiting order earliest-deadline-first at the shop's pace within its working
hours and see which ones finish after their ship_by. Pure (stdlib only) and exact for that model.

The model: packing happens only inside the daily working window [start, end) in shop time, at ``capacity``
orders per hour, one order after another in ship-by order (ties by order id). Order *k* (1-based) is finished
at the instant when the working time elapsed since ``now`` reaches k × 3600 / capacity seconds. It misses when
that instant is after its ship_by. All arithmetic is in integer "capacity-seconds" (seconds × capacity), so
there is no rounding anywhere; ship_by times are taken to the whole second. A capacity may have one decimal (0.3
orders an hour: a small shop's real pace, QA pass 6 #12); it is then counted in tenths, and an order costs
36,000 capacity-seconds instead of 3,600.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from fractions import Fraction

from .domain import SHOP_TZ

DAY = 86400


@dataclass(frozen=True)
class WorkingHours:
    """Daily packing window in shop time, minutes after midnight (default 09:00–18:00), and the weekdays the
    warehouse rests (0 = Monday … 6 = Sunday; default none: many small shops pack every day). No packing happens on
    a rest day, while the platform's ship-by clock keeps running through it."""

    start_minute: int = 9 * 60
    end_minute: int = 18 * 60
    rest_days: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if not 0 <= self.start_minute < self.end_minute <= 24 * 60:
            raise ValueError("working hours must start before they end, within one day")
        if not set(self.rest_days) <= set(range(7)) or len(set(self.rest_days)) == 7:
            raise ValueError("rest days are weekdays 0–6, and at least one day of the week must be a working day")

    @property
    def seconds_per_day(self) -> int:
        return (self.end_minute - self.start_minute) * 60

    def works_on(self, day: date) -> bool:
        return day.weekday() not in self.rest_days

    def working_days(self, first: date, days: int) -> int:
        """How many of the ``days`` days from ``first`` on are working days."""
        return sum(1 for i in range(days) if self.works_on(first + timedelta(days=i)))


MIN_CAPACITY, MAX_CAPACITY = Fraction(1, 10), 100_000
Capacity = int | Fraction


def capacity_value(value: int | float | str | Fraction) -> Capacity:
    """A packing capacity as the plan takes it: orders per hour, 0.1–100,000, with at most one decimal (a whole
    number stays an int). Raises ValueError for anything else: 0, -5, 0.25, abc."""
    try:
        exact = Fraction(str(value).strip()) if not isinstance(value, Fraction) else value
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"not a number: {value!r}") from None
    if (exact * 10).denominator != 1:
        raise ValueError("a capacity has at most one decimal")
    if not MIN_CAPACITY <= exact <= MAX_CAPACITY:
        raise ValueError("a capacity is 0.1–100000 orders per hour")
    return int(exact) if exact.denominator == 1 else exact


def capacity_text(value: Capacity) -> str:
    """120, or 0.3: as typed, never 3/10."""
    return f"{int(value):,}" if isinstance(value, int) or value.denominator == 1 else f"{float(value):g}"


def capacity_json(value: Capacity) -> int | float:
    return value if isinstance(value, int) else (int(value) if value.denominator == 1 else float(value))


def _per_order(capacity: Capacity) -> tuple[int, int]:
    """(c, unit): capacity-seconds are seconds × c, and one order costs ``unit`` of them."""
    exact = Fraction(capacity)
    if exact <= 0:
        raise ValueError("capacity must be more than 0 orders per hour")
    return exact.numerator, 3600 * exact.denominator


def pace_per_hour(shipped: int, working_days: int, hours: WorkingHours) -> float:
    """Orders shipped per working hour over ``working_days`` whole working days of the shop's window: the pace the
    warehouse actually kept, in the unit the plan's capacity is given in (what it shipped on a rest day counts
    towards the days it worked)."""
    working_hours = working_days * hours.seconds_per_day / 3600
    return shipped / working_hours if working_hours else 0.0


@dataclass(frozen=True)
class Planned:
    order_id: str
    ship_by: datetime
    done_at: datetime  # when packing of this order finishes (rounded up to the second for display)
    misses: bool
    already_overdue: bool


@dataclass
class Plan:
    capacity_per_hour: Capacity
    hours: WorkingHours
    now: datetime
    orders: list[Planned] = field(default_factory=list)  # every order, or the first ``keep`` when asked
    will_miss: int = 0  # deadline still ahead, but packing finishes after it
    already_overdue: int = 0  # ship_by already passed
    earliest_miss: datetime | None = None  # earliest ship_by among the orders that will miss
    extra_hours_today: float | None = None  # packing this much longer today avoids every future miss
    extra_today_possible: bool = True  # False: some misses come before today's window could be extended
    finished_at: datetime | None = None
    count: int = 0  # orders planned (len(orders) unless only the first ``keep`` were kept)


def _epoch(value: datetime) -> int:
    return int(value.timestamp())


def windows(now: datetime, hours: WorkingHours, tz: tzinfo = SHOP_TZ) -> Iterator[tuple[int, int]]:
    """Working windows as (start, end) epoch seconds, from ``now`` on, forever."""
    day = now.astimezone(tz).date()
    t_now = _epoch(now)
    while True:
        if hours.works_on(day):
            midnight = datetime.combine(day, time(0), tzinfo=tz)
            start = _epoch(midnight + timedelta(minutes=hours.start_minute))
            end = _epoch(midnight + timedelta(minutes=hours.end_minute))
            if end > t_now:
                yield max(start, t_now), end
        day += timedelta(days=1)


@dataclass
class Schedule:
    """The plan in integers, as ``schedule`` computes it: what a Plan reports, without any datetime per order."""

    count: int = 0
    will_miss: int = 0
    already_overdue: int = 0
    first_miss: int | None = None  # position (0-based) of the first order that will miss: the earliest deadline
    need_extra: int = 0  # capacity-seconds missing, at worst, by a deadline that will be missed
    per_second: int = 1  # capacity-seconds in a second (the capacity's numerator)
    extra_today_possible: bool = True
    last_done: int | None = None  # epoch second (rounded up) when the last order is packed
    head: list[tuple[int, bool, bool]] = field(default_factory=list)  # (done epoch, misses, overdue) of the first keep


def schedule(deadlines: list[int], *, now: datetime, capacity_per_hour: Capacity, hours: WorkingHours = WorkingHours(),
             tz: tzinfo = SHOP_TZ, keep: int | None = None) -> Schedule:
    """The plan of orders whose deadlines (epoch seconds) are given in packing order (ascending).

    Orders are packed back to back, so the finishing instants inside one working window form an arithmetic
    progression: the loop walks window by window and decides each order with one integer comparison."""
    c, unit = _per_order(capacity_per_hour)
    n = len(deadlines)
    out = Schedule(count=n, per_second=c)
    keep = n if keep is None else min(keep, n)
    t_now = _epoch(now)
    today = now.astimezone(tz).date()
    today_end = _epoch(datetime.combine(today, time(0), tzinfo=tz) + timedelta(minutes=hours.end_minute))
    # Longer today: after today's window, or from now on a rest day (any packing today is then extra).
    extend_from = max(today_end, t_now) if hours.works_on(today) else t_now
    midnight_next = _epoch(datetime.combine(today + timedelta(days=1), time(0), tzinfo=tz))
    wins = windows(now, hours, tz)
    dl_wins = windows(now, hours, tz)
    d_start, d_end = next(dl_wins)
    d_base = 0
    win_base = 0  # capacity-seconds available before the current window
    need_extra = 0
    head = out.head
    k = 0  # orders packed so far
    done_num = 0
    while k < n:
        w_start, w_end = next(wins)
        capacity_end = win_base + (w_end - w_start) * c
        # Orders k+1 .. last finish inside this window: last * unit <= capacity_end.
        last = min(n, capacity_end // unit)
        offset = w_start * c - win_base  # done numerator of order j (1-based) = offset + j * unit
        for j in range(k + 1, last + 1):
            deadline = deadlines[j - 1]
            done_num = offset + j * unit
            misses = done_num > deadline * c
            overdue = deadline < t_now
            if j <= keep:
                head.append((-(-done_num // c), misses, overdue))
            if overdue:
                out.already_overdue += 1
                continue
            if not misses:
                continue
            out.will_miss += 1
            if out.first_miss is None:
                out.first_miss = j - 1
            while d_end <= deadline:  # working capacity-seconds between now and the deadline
                d_base += (d_end - d_start) * c
                d_start, d_end = next(dl_wins)
            shortfall = j * unit - d_base - (deadline - d_start) * c if deadline > d_start else j * unit - d_base
            reachable = (deadline if deadline < midnight_next else midnight_next) - extend_from
            if shortfall > (reachable * c if reachable > 0 else 0):
                out.extra_today_possible = False
            if shortfall > need_extra:
                need_extra = shortfall
        k = max(k, last)
        win_base = capacity_end
    out.need_extra = need_extra
    if n:
        out.last_done = -(-done_num // c)
    return out


def plan(orders: list[tuple[str, datetime]], *, now: datetime, capacity_per_hour: Capacity,
         hours: WorkingHours = WorkingHours(), tz: tzinfo = SHOP_TZ) -> Plan:
    """Earliest-deadline-first plan of ``orders`` ((order_id, ship_by) pairs)."""
    ordered = sorted(orders, key=lambda pair: (pair[1], pair[0]))
    done = schedule([_epoch(ship_by) for _oid, ship_by in ordered], now=now, capacity_per_hour=capacity_per_hour,
                    hours=hours, tz=tz)
    return to_plan(done, ordered, now=now, capacity_per_hour=capacity_per_hour, hours=hours)


def to_plan(done: Schedule, head: list[tuple[str, datetime]], *, now: datetime, capacity_per_hour: Capacity,
            hours: WorkingHours, first_miss_ship_by: datetime | None = None) -> Plan:
    """A Plan from a schedule and the (order_id, ship_by) of its first orders in packing order (at least up to
    the first miss, unless ``first_miss_ship_by`` is given)."""
    result = Plan(capacity_per_hour=capacity_per_hour, hours=hours, now=now, will_miss=done.will_miss,
                  already_overdue=done.already_overdue, extra_today_possible=done.extra_today_possible,
                  count=done.count)
    result.orders = [Planned(oid, ship_by, datetime.fromtimestamp(at, UTC), misses, overdue)
                     for (oid, ship_by), (at, misses, overdue) in zip(head, done.head)]
    if done.first_miss is not None:
        result.earliest_miss = first_miss_ship_by or head[done.first_miss][1]
    if result.will_miss:
        seconds = -(-done.need_extra // done.per_second)
        tenths = -(-seconds // 360)  # rounded up to a tenth of an hour: the advice must be enough
        result.extra_hours_today = tenths / 10 if result.extra_today_possible else None
    if done.last_done is not None:
        result.finished_at = datetime.fromtimestamp(done.last_done, UTC)
    return result


def _hhmm(value: datetime, tz: tzinfo) -> str:
    local = value.astimezone(tz)
    return local.strftime("%H:%M")


def _when(value: datetime, now: datetime, tz: tzinfo, lang: str) -> str:
    local, today = value.astimezone(tz), now.astimezone(tz).date()
    if local.date() == today:
        return _hhmm(value, tz)
    if local.date() == today + timedelta(days=1):
        return ("明天 " if lang == "zh" else "tomorrow ") + _hhmm(value, tz)
    return local.strftime("%m-%d %H:%M")


def _after_hours(result: Plan, tz: tzinfo) -> bool:
    """Today's working window is over: the extra packing the plan advises can only be done tonight."""
    local = result.now.astimezone(tz)
    return local.hour * 60 + local.minute >= result.hours.end_minute


def _extra_advice(result: Plan, zh: bool, tz: tzinfo) -> str:
    """The way out of the misses by working longer today, said as 今晚 once today's working hours are over:
    「今天多打包」 read at 21:30 left the warehouse asking whether it meant tonight (QA pass 13, #6). The plan only
    extends today, up to midnight."""
    tonight = _after_hours(result, tz)
    if result.extra_hours_today is None:
        if tonight:
            return ("仅靠今晚加班无法避免，需提高产能" if zh
                    else "working tonight is not enough; more packing capacity is needed")
        return ("仅延长今天的工作时间无法避免，需提高产能" if zh
                else "working longer today is not enough; more packing capacity is needed")
    hours = f"{result.extra_hours_today:g}"
    them = "it" if result.will_miss == 1 else "them"
    if tonight:
        return f"今晚加班打包{hours}小时可避免" if zh else f"packing {hours} h tonight avoids {them}"
    return f"今天多打包{hours}小时可避免" if zh else f"packing {hours} h longer today avoids {them}"


def summary(result: Plan, lang: str = "zh", tz: tzinfo = SHOP_TZ, refund_pending: int = 0) -> str:
    """One sentence, e.g. "按每小时120单，将有37单超时，最早 17:40；今天多打包1.5小时可避免". ``refund_pending``: orders
    left out of the plan because their buyer asked for a refund (said last, so nobody packs them meanwhile)."""
    zh = lang == "zh"
    c = capacity_text(result.capacity_per_hour)
    head = f"按每小时{c}单，" if zh else f"At {c} orders per hour, "
    parts = []
    if result.already_overdue:
        parts.append(f"已有{result.already_overdue:,}单超时" if zh else f"{result.already_overdue:,} already overdue")
    if result.will_miss:
        first = _when(result.earliest_miss, result.now, tz, lang)
        parts.append(f"将有{result.will_miss:,}单超时，最早 {first}" if zh
                     else f"{result.will_miss:,} will miss their ship-by, the first at {first}" if result.will_miss > 1
                     else f"1 will miss its ship-by, at {first}")
        parts.append(_extra_advice(result, zh, tz))
    elif result.count:
        done = _when(result.finished_at, result.now, tz, lang)
        rest = result.count - result.already_overdue
        if rest:
            word = ("其余" if result.already_overdue else "全部") if zh else ("the other" if result.already_overdue else "all")
            parts.append(f"{word}{rest:,}单都能按时发出，预计 {done} 打包完" if zh
                         else f"{word} {rest:,} ship on time, all packed by {done}")
    elif not refund_pending:
        parts.append("没有待发货订单" if zh else "no orders are waiting to ship")
    if refund_pending:
        parts.append(f"另有{refund_pending:,}单买家已申请退款，未排入计划，请先在售后处理" if zh
                     else f"{refund_pending:,} more with a pending refund are not planned: decide them in after-sales first")
    # Counts with thousands separators as the page writes them, and an English sentence ends with its full stop
    # (QA pass 7, #14: "the other 1660 ship on time" beside "5,944")
    return head + ("；".join(parts) if zh else "; ".join(parts) + ".")
