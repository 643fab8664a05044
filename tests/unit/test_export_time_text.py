"""The export's time column cuts the shop-time ISO text instead of parsing it: the same text as parsing, for every
instant and every offset the text may carry."""

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from xiaodian.channels.douyin.orders_export import _time
from xiaodian.clock import SHOP_TZ, iso


def parsed(text: str) -> str:
    return datetime.fromisoformat(text).astimezone(SHOP_TZ).strftime("%Y-%m-%d %H:%M:%S")


@given(st.datetimes(min_value=datetime(1980, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
       st.integers(min_value=-12 * 60, max_value=14 * 60))
def test_cut_equals_parsed(instant, offset_minutes):
    for text in (iso(instant), instant.astimezone(timezone(timedelta(minutes=offset_minutes))).isoformat()):
        assert _time(text) == parsed(text)


def test_examples():
    assert _time("2026-11-24T18:00:00+08:00") == "2026-11-24 18:00:00"
    assert _time("2026-11-24T18:00:00.123456+08:00") == "2026-11-24 18:00:00"
    assert _time("2026-11-24T10:00:00+00:00") == "2026-11-24 18:00:00"
    assert _time(None) == "" and _time("") == ""
