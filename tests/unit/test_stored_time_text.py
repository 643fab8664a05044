"""The list reads times as stored and writes the shop's ISO text directly (db.stored_time_iso): it must give the
same text as reading an aware datetime and converting it with clock.iso, for any instant the column can hold."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from xiaodian.clock import SHOP_TZ, iso, shop_iso_of_utc
from xiaodian.db import UTCDateTime, stored_time_iso

_COLUMN = UTCDateTime()
instants = st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.just(UTC))


def _as_sqlite_stores(value: datetime) -> str:
    return _COLUMN.process_bind_param(value, sqlite.dialect())


@given(instants)
def test_stored_text_gives_the_same_iso_as_the_aware_datetime(value: datetime) -> None:
    stored = _as_sqlite_stores(value)
    assert stored_time_iso(stored) == iso(_COLUMN.process_result_value(stored, None)) == iso(value)


@given(instants)
def test_naive_utc_gives_the_same_iso_as_zoneinfo(value: datetime) -> None:
    assert shop_iso_of_utc(value.replace(tzinfo=None)) == value.astimezone(SHOP_TZ).isoformat()


def test_shanghai_daylight_saving_years_take_the_zone_rules() -> None:
    # 1986-1991 China kept summer time (+09:00): the fixed +08:00 shortcut must not apply there.
    summer_1990 = datetime(1990, 7, 1, 3, 4, 5, tzinfo=UTC)
    assert stored_time_iso(_as_sqlite_stores(summer_1990)) == "1990-07-01T12:04:05+09:00"
    assert shop_iso_of_utc(datetime(2026, 11, 20, 16, 0)) == "2026-11-21T00:00:00+08:00"  # crosses midnight


def test_other_stored_shapes_and_driver_values() -> None:
    assert stored_time_iso(None) is None
    assert stored_time_iso("2026-11-20 03:04:05.000000") == "2026-11-20T11:04:05+08:00"
    assert stored_time_iso("2026-11-20") == "2026-11-20T08:00:00+08:00"  # a date only, as older rows may hold
    assert stored_time_iso("2026-11-20T11:04:05+08:00") == "2026-11-20T11:04:05+08:00"  # written with an offset
    # PostgreSQL's driver returns aware datetimes, in whatever zone the session has
    aware = datetime(2026, 11, 20, 3, 4, 5, tzinfo=UTC).astimezone(SHOP_TZ)
    assert stored_time_iso(aware) == "2026-11-20T11:04:05+08:00"
