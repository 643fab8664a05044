"""The 品退率 formula of rate.py against a brute-force count of its definition, and its window edges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from xiaodian.aftersales.rate import SHOP, CaseFact, PaidSku, in_window, quality_rates

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
PRODUCTS = ["p1", "p2", None]


def brute_force(paid, cases, days, product, which):
    """Straight from the sentence on screen, one product at a time."""
    start = NOW - timedelta(days=days)
    denominator = {p.sku_order_id for p in paid if (product == "SHOP" or p.product_id == product)
                   and start < p.paid_at <= NOW}
    numerator = set()
    for c in cases:
        if product != "SHOP" and c.product_id != product:
            continue
        quality = c.first_quality if which == "first" else c.current_quality
        if quality and not c.cancelled_by_buyer and start < c.applied_at <= NOW:
            numerator.add(c.sku_order_id)
    return len(numerator), len(denominator)


offsets = st.integers(min_value=-40 * 24, max_value=2).map(lambda h: NOW + timedelta(hours=h))
skus = st.integers(min_value=1, max_value=25).map(lambda i: f"sku{i}")


@st.composite
def shops(draw):
    product_of = {f"sku{i}": draw(st.sampled_from(PRODUCTS)) for i in range(1, 26)}
    paid = [PaidSku(s, product_of[s], draw(offsets)) for s in draw(st.lists(skus, unique=True, max_size=25))]
    cases = [CaseFact(s, product_of[s], draw(offsets), draw(st.booleans()), draw(st.booleans()), draw(st.booleans()))
             for s in draw(st.lists(skus, max_size=30))]
    return paid, cases


@given(shop=shops(), days=st.sampled_from([14, 30]))
@settings(max_examples=300, deadline=None)
def test_quality_rate_equals_a_brute_force_count_of_its_definition(shop, days):
    paid, cases = shop
    rows = quality_rates(paid, cases, NOW, days)
    for key in ["SHOP", *PRODUCTS]:
        row = rows.get(SHOP if key == "SHOP" else key)
        for which in ("first", "current"):
            numerator, denominator = brute_force(paid, cases, days, key, which)
            got = (row.quality_first if which == "first" else row.quality_current) if row else 0
            assert got == numerator
            assert (row.paid if row else 0) == denominator


def test_window_is_open_at_the_start_and_closed_at_now():
    assert in_window(NOW, NOW, 14)
    assert not in_window(NOW - timedelta(days=14), NOW, 14)
    assert in_window(NOW - timedelta(days=14) + timedelta(seconds=1), NOW, 14)
    assert not in_window(NOW + timedelta(seconds=1), NOW, 14)


def test_a_changed_reason_and_a_cancelled_case_count_as_the_formula_says():
    paid = [PaidSku(f"s{i}", "p1", NOW - timedelta(days=1)) for i in range(4)]
    cases = [CaseFact("s0", "p1", NOW - timedelta(hours=5), True, False, False),  # quality, then changed away
             CaseFact("s1", "p1", NOW - timedelta(hours=5), False, True, False),  # changed to quality
             CaseFact("s2", "p1", NOW - timedelta(hours=5), True, True, True),  # cancelled by the buyer
             CaseFact("s3", "p1", NOW - timedelta(hours=5), True, True, False),  # two cases, one SKU order
             CaseFact("s3", "p1", NOW - timedelta(hours=2), True, True, False)]
    row = quality_rates(paid, cases, NOW, 14)["p1"]
    assert (row.paid, row.quality_first, row.quality_current) == (4, 2, 2)
    assert row.rate_first == 0.5 and row.small_sample


@given(shop=shops(), days=st.sampled_from([14, 30]),
       minutes=st.integers(min_value=0, max_value=24 * 60 - 1))
@settings(max_examples=300, deadline=None)
def test_the_trend_counts_each_day_as_the_definition_says(shop, days, minutes):
    """daily_series (difference array over each SKU order's runs of days) against the definition evaluated at
    the end of every day: distinct SKU orders with a quality, uncancelled case applied in (end − days, end]."""
    from zoneinfo import ZoneInfo

    from xiaodian.aftersales.rate import daily_series

    tz = ZoneInfo("Asia/Shanghai")
    _paid, cases = shop
    cases = [CaseFact(c.sku_order_id, c.product_id, c.applied_at + timedelta(minutes=minutes), c.first_quality,
                      c.current_quality, c.cancelled_by_buyer) for c in cases]
    today = NOW.astimezone(tz).date()
    ends = [today - timedelta(days=29 - i) for i in range(30)]
    series = daily_series({today: 3}, cases, ends, days, tz)
    for point in series:
        end = datetime.combine(point["day"] + timedelta(days=1), datetime.min.time(), tzinfo=tz) - timedelta(microseconds=1)
        for key, flag in (("first", "first_quality"), ("current", "current_quality")):
            expected = {c.sku_order_id for c in cases if getattr(c, flag) and not c.cancelled_by_buyer
                        and in_window(c.applied_at, end, days)}
            assert point[key] == len(expected), (point["day"], key)
    assert series[-1]["paid"] == 3 and series[0]["paid"] == 0  # today is inside only the last windows


def test_trend_chart_labels_the_latest_day_weekly_back_and_never_two_labels_side_by_side():
    from datetime import date, timedelta

    from xiaodian.aftersales.rate import chart

    for days in (1, 2, 8, 14, 15, 30, 31):
        series = [{"day": date(2026, 11, 26) - timedelta(days=days - 1 - i), "rate_first": 0.01, "rate_current": 0.01}
                  for i in range(days)]
        labels = chart(series)["labels"]
        assert labels[-1]["text"] == "11-26"
        xs = [label["x"] for label in labels]
        gaps = [b - a for a, b in zip(xs, xs[1:], strict=False)]
        step = (640 - 40 - 8) / max(days - 1, 1)
        assert all(gap >= 7 * step - 0.2 for gap in gaps), (days, xs)
    assert chart([])["labels"] == []
