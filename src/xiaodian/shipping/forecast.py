"""Forecast of misses: pack every awaiting order earliest-deadline-first at the shop's pace within its working
hours and see which ones finish after their ship_by. Pure (stdlib only) and exact for that model.

The model: packing happens only inside the daily working window [start, end) in shop time, at ``capacity``
orders per hour, one order after another in ship-by order (ties by order id). Order *k* (1-based) is finished
at the instant when the working time elapsed since ``now`` reaches k × 3600 / capacity seconds. It misses when
that instant is after its ship_by. All arithmetic is in integer "capacity-seconds" (seconds × capacity), so
there is no rounding anywhere; ship_by times are taken to the whole second.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, tzinfo

from .domain import SHOP_TZ

DAY = 86400


@dataclass(frozen=True)
class WorkingHours:
    """Daily packing window in shop time, minutes after midnight (default 09:00–18:00 every day)."""

    start_minute: int = 9 * 60
    end_minute: int = 18 * 60

    def __post_init__(self) -> None:
        if not 0 <= self.start_minute < self.end_minute <= 24 * 60:
            raise ValueError("working hours must start before they end, within one day")

    @property
    def seconds_per_day(self) -> int:
        return (self.end_minute - self.start_minute) * 60


@dataclass(frozen=True)
class Planned:
    order_id: str
    ship_by: datetime
    done_at: datetime  # when packing of this order finishes (rounded up to the second for display)
    misses: bool
    already_overdue: bool


@dataclass
class Plan:
    capacity_per_hour: int
    hours: WorkingHours
    now: datetime
    orders: list[Planned] = field(default_factory=list)
    will_miss: int = 0  # deadline still ahead, but packing finishes after it
    already_overdue: int = 0  # ship_by already passed
    earliest_miss: datetime | None = None  # earliest ship_by among the orders that will miss
    extra_hours_today: float | None = None  # packing this much longer today avoids every future miss
    extra_today_possible: bool = True  # False: some misses come before today's window could be extended
    finished_at: datetime | None = None


def _epoch(value: datetime) -> int:
    return int(value.timestamp())


def windows(now: datetime, hours: WorkingHours, tz: tzinfo = SHOP_TZ) -> Iterator[tuple[int, int]]:
    """Working windows as (start, end) epoch seconds, from ``now`` on, forever."""
    day = now.astimezone(tz).date()
    t_now = _epoch(now)
    while True:
        midnight = datetime.combine(day, time(0), tzinfo=tz)
        start = _epoch(midnight + timedelta(minutes=hours.start_minute))
        end = _epoch(midnight + timedelta(minutes=hours.end_minute))
        if end > t_now:
            yield max(start, t_now), end
        day += timedelta(days=1)


def plan(orders: list[tuple[str, datetime]], *, now: datetime, capacity_per_hour: int,
         hours: WorkingHours = WorkingHours(), tz: tzinfo = SHOP_TZ) -> Plan:
    """Earliest-deadline-first plan of ``orders`` ((order_id, ship_by) pairs)."""
    if capacity_per_hour < 1:
        raise ValueError("capacity must be at least 1 order per hour")
    c = capacity_per_hour
    result = Plan(capacity_per_hour=c, hours=hours, now=now)
    ordered = sorted(orders, key=lambda pair: (pair[1], pair[0]))
    t_now = _epoch(now)
    wins = windows(now, hours, tz)
    w_start, w_end = next(wins)
    win_base = 0  # cumulative capacity-seconds available before the current window
    # For "how much longer today": the first window that lies today is the one that can be extended.
    today = now.astimezone(tz).date()
    today_end = _epoch(datetime.combine(today, time(0), tzinfo=tz) + timedelta(minutes=hours.end_minute))
    extend_from = max(today_end, t_now)
    midnight_next = _epoch(datetime.combine(today + timedelta(days=1), time(0), tzinfo=tz))
    # Working time (capacity-seconds) from now to a deadline, for the extra-hours computation (sorted deadlines).
    dl_wins = windows(now, hours, tz)
    d_start, d_end = next(dl_wins)
    d_base = 0
    need_extra = 0
    for index, (order_id, ship_by) in enumerate(ordered, start=1):
        used = index * 3600  # capacity-seconds needed to finish orders 1..index
        while win_base + (w_end - w_start) * c < used:
            win_base += (w_end - w_start) * c
            w_start, w_end = next(wins)
        # done instant = w_start + (used - win_base) / c, exactly; compare as integers.
        done_num = w_start * c + (used - win_base)
        deadline = _epoch(ship_by)
        overdue = deadline < t_now
        misses = done_num > deadline * c
        done_at = datetime.fromtimestamp(-(-done_num // c), UTC)
        result.orders.append(Planned(order_id, ship_by, done_at, misses, overdue))
        if overdue:
            result.already_overdue += 1
            continue
        if not misses:
            continue
        result.will_miss += 1
        if result.earliest_miss is None or ship_by < result.earliest_miss:
            result.earliest_miss = ship_by
        # Working capacity-seconds between now and the deadline.
        while d_end <= deadline:
            d_base += (d_end - d_start) * c
            d_start, d_end = next(dl_wins)
        available = d_base + max(0, deadline - d_start) * c
        shortfall = used - available  # capacity-seconds missing by the deadline
        reachable = max(0, min(deadline, midnight_next) - extend_from) * c
        if shortfall > reachable:
            result.extra_today_possible = False
        need_extra = max(need_extra, shortfall)
    if result.will_miss:
        seconds = -(-need_extra // c)
        tenths = -(-seconds // 360)  # rounded up to a tenth of an hour: the advice must be enough
        result.extra_hours_today = tenths / 10 if result.extra_today_possible else None
    if result.orders:
        result.finished_at = result.orders[-1].done_at
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


def summary(result: Plan, lang: str = "zh", tz: tzinfo = SHOP_TZ) -> str:
    """One sentence, e.g. "按每小时120单，将有37单超时，最早 17:40；今天多打包1.5小时可避免"."""
    zh = lang == "zh"
    c = result.capacity_per_hour
    head = f"按每小时{c}单，" if zh else f"At {c} orders per hour, "
    parts = []
    if result.already_overdue:
        parts.append(f"已有{result.already_overdue}单超时" if zh else f"{result.already_overdue} already overdue")
    if result.will_miss:
        first = _when(result.earliest_miss, result.now, tz, lang)
        parts.append(f"将有{result.will_miss}单超时，最早 {first}" if zh
                     else f"{result.will_miss} will miss their ship-by, the first at {first}")
        if result.extra_hours_today is not None:
            hours = f"{result.extra_hours_today:g}"
            parts.append(f"今天多打包{hours}小时可避免" if zh else f"packing {hours} h longer today avoids them")
        else:
            parts.append("仅延长今天的工作时间无法避免，需提高产能" if zh
                         else "working longer today is not enough; more packing capacity is needed")
    elif result.orders:
        done = _when(result.finished_at, result.now, tz, lang)
        rest = len(result.orders) - result.already_overdue
        if rest:
            word = ("其余" if result.already_overdue else "全部") if zh else ("the other" if result.already_overdue else "all")
            parts.append(f"{word}{rest}单都能按时发出，预计 {done} 打包完" if zh
                         else f"{word} {rest} ship on time, all packed by {done}")
    else:
        parts.append("没有待发货订单" if zh else "no orders are waiting to ship")
    return head + ("；" if zh else "; ").join(parts)
