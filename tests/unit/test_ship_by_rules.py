"""Ship-by derivation from product promises (shop time), the explanation line, carriers and tracking shapes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xiaodian.shipping.domain import (
    CARRIERS, SHOP_TZ, Promise, PromiseKind, explain, find_carrier, normalise_tracking, parse_promise, shape_warning,
    ship_by_for, strictest, tracking_problem,
)


def shop(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHOP_TZ)


@pytest.mark.parametrize("text,kind,extra", [
    ("", PromiseKind.H48, {}), ("48h", PromiseKind.H48, {}), ("next_day", PromiseKind.NEXT_DAY, {}),
    ("same_day", PromiseKind.SAME_DAY, {"cutoff_hour": 16}), ("same_day:14", PromiseKind.SAME_DAY, {"cutoff_hour": 14}),
    ("days:15", PromiseKind.DAYS, {"days": 15}), ("presale:45", PromiseKind.PRESALE, {"days": 45}),
    ("presale:2026-12-10", PromiseKind.PRESALE, {"on": date(2026, 12, 10)}),
])
def test_promise_strings_of_the_catalogue_parse(text, kind, extra):
    promise = parse_promise(text)
    assert promise.kind is kind
    for key, value in extra.items():
        assert getattr(promise, key) == value
    assert parse_promise(promise.text()) == promise


@pytest.mark.parametrize("text", ["days:0", "days:x", "same_day:25", "presale:2026-13-01", "tomorrow", "next_day:3"])
def test_unknown_or_out_of_range_promises_are_refused(text):
    with pytest.raises(ValueError):
        parse_promise(text)


def test_order_paid_at_2310_with_48h_must_ship_two_days_later_same_minute():
    assert ship_by_for(parse_promise("48h"), shop("2026-11-20 23:10")) == shop("2026-11-22 23:10").astimezone(UTC)


def test_next_day_means_end_of_the_next_shop_calendar_day():
    # 01:30 shop time is still the previous day in UTC: the shop's calendar decides.
    assert ship_by_for(parse_promise("next_day"), shop("2026-11-20 01:30")) == shop("2026-11-21 23:59:59")


@pytest.mark.parametrize("paid,due", [
    ("2026-11-20 15:59:59", "2026-11-20 23:59:59"),  # before the cut-off: same day
    ("2026-11-20 16:00:00", "2026-11-21 23:59:59"),  # at the cut-off: next day
    ("2026-11-30 17:00:00", "2026-12-01 23:59:59"),  # month end
    ("2026-12-31 16:30:00", "2027-01-01 23:59:59"),  # year end
])
def test_same_day_cutoff_edges(paid, due):
    assert ship_by_for(parse_promise("same_day:16"), shop(paid)) == shop(due)


def test_presale_fixed_date_is_the_end_of_that_day_and_n_days_is_after_payment():
    paid = shop("2026-11-20 10:00")
    assert ship_by_for(parse_promise("presale:2026-12-10"), paid) == shop("2026-12-10 23:59:59")
    assert ship_by_for(parse_promise("presale:45"), paid) == paid + timedelta(days=45)


def test_presale_bought_after_its_date_falls_back_to_48h():
    paid = shop("2026-12-11 10:00")
    assert ship_by_for(parse_promise("presale:2026-12-10"), paid) == paid + timedelta(hours=48)


moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31)).map(
    lambda d: d.replace(tzinfo=SHOP_TZ))


@given(paid=moments, cutoff=st.integers(1, 24))
def test_same_day_is_end_of_today_before_cutoff_else_end_of_tomorrow(paid, cutoff):
    due = ship_by_for(Promise(PromiseKind.SAME_DAY, cutoff_hour=cutoff), paid).astimezone(SHOP_TZ)
    expected_day = paid.date() + timedelta(days=0 if paid.hour < cutoff else 1)
    assert (due.date(), due.time().isoformat()) == (expected_day, "23:59:59")
    assert due > paid


@given(paid=moments)
def test_next_day_crosses_month_and_year_ends(paid):
    due = ship_by_for(parse_promise("next_day"), paid).astimezone(SHOP_TZ)
    assert due.date() == paid.date() + timedelta(days=1) and due.time().isoformat() == "23:59:59"
    assert timedelta(hours=24) < due - paid < timedelta(hours=48)


@given(paid=moments, days=st.integers(1, 365))
def test_days_and_presale_days_are_exact_multiples_of_24h(paid, days):
    for promise in (Promise(PromiseKind.DAYS, days=days), Promise(PromiseKind.PRESALE, days=days)):
        assert ship_by_for(promise, paid) - paid == timedelta(days=days)


@given(paid=moments, on=st.dates(min_value=date(2020, 1, 1), max_value=date(2036, 12, 31)))
def test_presale_date_is_never_before_payment(paid, on):
    due = ship_by_for(Promise(PromiseKind.PRESALE, on=on), paid)
    assert due >= paid
    if on >= paid.date():
        assert due.astimezone(SHOP_TZ) == datetime.combine(on, datetime.min.time(), SHOP_TZ).replace(
            hour=23, minute=59, second=59)


def test_the_strictest_promise_of_an_order_binds():
    paid = shop("2026-11-20 10:00")
    promise, due = strictest([parse_promise("days:15"), parse_promise("next_day"), parse_promise("48h")], paid)
    assert promise.kind is PromiseKind.NEXT_DAY and due == shop("2026-11-21 23:59:59")


def test_explanations_in_chinese_and_english():
    paid, due = shop("2026-11-20 23:10"), shop("2026-11-22 23:10")
    assert explain("promise", "48h", paid, due, "zh") == "支付于 11-20 23:10，承诺48小时发货 → 11-22 23:10 前发货"
    assert explain("promise", "48h", paid, due, "en") == \
        "paid 11-20 23:10, promised shipping within 48 hours → ship before 11-22 23:10"
    assert explain("platform", None, paid, due, "zh") == "平台承诺发货时间 → 11-22 23:10 前发货"
    assert "预售" in explain("presale", "presale:45", paid, due, "zh")
    assert explain(None, None, None, None) is None


def test_carriers_of_domain_md_with_codes_and_names():
    codes = {c.code for c in CARRIERS}
    assert {"zhongtong", "yuantong", "shentong", "yunda", "shunfeng", "jtexpress", "ems", "youzhengguonei", "jd",
            "debangkuaidi", "qita"} == codes
    assert find_carrier("顺丰速运").code == "shunfeng" and find_carrier("SHUNFENG").code == "shunfeng"
    assert find_carrier("中通").code == "zhongtong" and find_carrier("nobody") is None


@pytest.mark.parametrize("code,number", [
    ("shunfeng", "SF1234567890123"), ("yuantong", "YT1234567890123"), ("jtexpress", "JT1234567890123"),
    ("zhongtong", "73123456789012"), ("zhongtong", "78123456789012"), ("shentong", "77123456789012"),
    ("shentong", "43123456789012345"), ("yunda", "312345678901234"), ("yunda", "5123456789012"),
    ("jd", "JDAB12345678901"), ("ems", "1234567890123"),
])
def test_numbers_of_the_usual_shape_give_no_warning(code, number):
    carrier = find_carrier(code)
    assert tracking_problem(number) is None and shape_warning(carrier, number) is None


@pytest.mark.parametrize("code,number", [
    ("shunfeng", "YT1234567890123"), ("zhongtong", "79123456789012"), ("yunda", "612345678901234"),
    ("jd", "JD1234567890"),
])
def test_unusual_shapes_warn(code, number):
    assert shape_warning(find_carrier(code), number) == "tracking_shape_mismatch"


@pytest.mark.parametrize("raw,problem", [("", "tracking_empty"), ("   ", "tracking_empty"), ("SF12", "tracking_malformed"),
                                         ("SF1234567890123;drop", "tracking_malformed"), ("单号1234567890", "tracking_malformed")])
def test_empty_and_malformed_numbers_are_refused(raw, problem):
    assert tracking_problem(normalise_tracking(raw)) == problem


def test_numbers_copied_with_spaces_and_lower_case_are_normalised():
    assert normalise_tracking(" sf 1234-5678-90123 ") == "SF1234567890123"


def test_full_width_numbers_typed_in_a_chinese_ime_are_made_plain():
    """QA pass 6, #13: ＳＦ４９２３６４９３４９９７１ (全角) was refused as malformed while search understood it."""
    assert normalise_tracking("ＳＦ４９２３６４９３４９９７１") == "SF4923649349971"
    assert normalise_tracking("SF100000000000２\u3000") == "SF1000000000002"  # and the ideographic space
    assert tracking_problem(normalise_tracking("７５３９９９９９９９９１")) is None
