"""The only place that reads the wall clock; everything else is handed a Clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

SHOP_TZ = ZoneInfo("Asia/Shanghai")
# China Standard Time has been a fixed +08:00 since daylight saving ended in September 1991: an instant from 1992 on
# is shown by adding eight hours, which costs half of a zoneinfo conversion (a list page shows hundreds of times).
SHOP_OFFSET = timedelta(hours=8)
SHOP_FIXED_FROM = datetime(1992, 1, 1)
# Dates a person filters on outside these years are typing mistakes (0001-01-01, 9999-12-31), and would overflow time
# zone arithmetic: refused (or ignored on a page) with the field's name instead.
FILTER_YEARS = (2000, 2100)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, tz-aware UTC."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still (or moves only when told): demos, tests and XIAODIAN_NOW."""

    def __init__(self, at: datetime):
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a tz-aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def advance(self, delta: timedelta) -> None:
        self._at += delta


def clock_from_settings(settings) -> Clock:
    return FixedClock(settings.now) if settings.now is not None else SystemClock()


def to_shop_time(value: datetime | None, tz: ZoneInfo = SHOP_TZ) -> datetime | None:
    return value.astimezone(tz) if value is not None else None


def iso(value: datetime | None, tz: ZoneInfo = SHOP_TZ) -> str | None:
    """ISO 8601 with the shop's offset, the form every JSON output uses."""
    return value.astimezone(tz).isoformat() if value is not None else None


def check_filter_range(start_name: str, start, end_name: str, end) -> None:
    """A date range typed the wrong way round finds nothing, and an empty list reads as "nothing there": refused,
    naming the field, instead. Raises ValidationFailed (the CLI reports it as a usage error)."""
    from .errors import ValidationFailed

    if start is not None and end is not None and start > end:
        raise ValidationFailed(f"{end_name}: {end} is before {start_name} {start}", code="date_range_reversed",
                               details={"field": end_name})


def plausible_date(value: date | datetime) -> bool:
    """Whether a date someone filters on lies within ``FILTER_YEARS``."""
    return FILTER_YEARS[0] <= value.year <= FILTER_YEARS[1]


def shop_iso_of_utc(naive_utc: datetime) -> str:
    """``iso`` of a UTC instant given without its zone (as SQLite's stored text parses): the same text, in a third
    of the time from 1992 on."""
    if naive_utc >= SHOP_FIXED_FROM:
        return (naive_utc + SHOP_OFFSET).isoformat() + "+08:00"
    return naive_utc.replace(tzinfo=UTC).astimezone(SHOP_TZ).isoformat()


def version_after(previous: datetime, now: datetime) -> datetime:
    """The next value of a row's modified_at, which doubles as its version for conditional updates: it must change
    on every write, even with a frozen clock (XIAODIAN_NOW) or two writes in one microsecond."""
    return now if now > previous else previous + timedelta(microseconds=1)
