"""Late-shipment violations: exactly one for a late order, none for an on-time one; penalties by the rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xiaodian.shipping.domain import LateRules, ViolationKind, violation_for

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("paid,expected", [(100, 500), (5_000, 500), (20_000, 2_000), (49_990, 4_999),
                                           (50_000, 5_000), (1_000_000, 5_000)])
def test_compensation_is_ten_percent_between_5_and_50_yuan(paid, expected):
    assert LateRules().compensation(paid) == expected


def test_shipping_exactly_at_the_deadline_is_on_time():
    assert violation_for(T0, T0, T0 + timedelta(days=1), 10_000) is None


def test_shipped_one_second_late_is_a_late_shipment():
    v = violation_for(T0, T0 + timedelta(seconds=1), T0 + timedelta(days=1), 10_000)
    assert (v.kind, v.late_by_seconds, v.points, v.compensation_fen) == (ViolationKind.LATE_SHIPMENT, 1, 2, 1_000)


def test_unshipped_past_the_deadline_is_overdue_and_not_before():
    assert violation_for(T0, None, T0, 10_000) is None
    v = violation_for(T0, None, T0 + timedelta(hours=3), 10_000)
    assert v.kind is ViolationKind.OVERDUE_UNSHIPPED and v.late_by_seconds == 3 * 3600


def test_rules_are_configurable():
    rules = LateRules(points=3, compensation_pct=30, compensation_min_fen=0, compensation_max_fen=10**9)
    v = violation_for(T0, T0 + timedelta(hours=1), T0, 10_000, rules)
    assert (v.points, v.compensation_fen) == (3, 3_000)


offsets = st.integers(-10 * 86400, 10 * 86400)


@given(ship_by_offset=offsets, shipped_offset=st.one_of(st.none(), offsets), paid=st.integers(0, 10**7))
def test_exactly_one_violation_per_late_order_and_none_for_on_time(ship_by_offset, shipped_offset, paid):
    """Whatever the moment of the check, a late order has one violation (never two kinds at once) and an
    on-time one has none; lateness is positive and the penalty within the bounds."""
    ship_by = T0 + timedelta(seconds=ship_by_offset)
    shipped = None if shipped_offset is None else T0 + timedelta(seconds=shipped_offset)
    now = max(T0 + timedelta(days=11), shipped or T0)
    v = violation_for(ship_by, shipped, now, paid)
    late = (shipped or now) > ship_by
    assert (v is not None) == late
    if v:
        assert v.late_by_seconds > 0 or (shipped or now) - ship_by < timedelta(seconds=1)
        assert v.kind is (ViolationKind.LATE_SHIPMENT if shipped else ViolationKind.OVERDUE_UNSHIPPED)
        assert 500 <= v.compensation_fen <= 5000 and v.points == 2


def test_no_deadline_no_violation():
    assert violation_for(None, None, T0, 100) is None
