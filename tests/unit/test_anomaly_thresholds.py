"""The owner's anomaly thresholds, validated as a whole (pure): a set is accepted exactly when every field is in
range and the grades increase; a refusal names the first wrong field; accepted values round-trip to the rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xiaodian.errors import ValidationFailed
from xiaodian.logistics import rules
from xiaodian.logistics import thresholds as th

DEFAULTS = th.as_values(rules.DEFAULT_THRESHOLDS)
hours = st.floats(min_value=-10, max_value=2000, allow_nan=False)


def acceptable(v: dict) -> bool:
    in_range = all(th.MIN_HOURS <= v[f] <= th.MAX_HOURS[f] for f in th.FIELDS)
    increasing = all(v[a] < v[b] for a, b in th.ORDERED) and v["suspected_lost"] > v["stalled_serious"]
    return in_range and increasing


def test_the_defaults_are_valid_and_round_trip():
    assert th.validate(dict(DEFAULTS)) == rules.DEFAULT_THRESHOLDS
    assert th.as_values(th.of_values(DEFAULTS)) == DEFAULTS


@given(st.fixed_dictionaries({f: hours for f in th.FIELDS}))
def test_accepted_exactly_when_in_range_and_increasing(values):
    if acceptable(values):
        got = th.validate(values)
        assert th.as_values(got) == values
        assert got.pickup == tuple(sorted(got.pickup)) and got.stalled == tuple(sorted(got.stalled))
    else:
        with pytest.raises(ValidationFailed) as refused:
            th.validate(values)
        field = refused.value.details["field"]
        assert field in th.FIELDS and refused.value.message.startswith(field + ":")


@given(st.sampled_from(list(th.FIELDS)), st.sampled_from(["", "  ", None]))
def test_empty_inputs_keep_the_current_value(field, empty):
    assert th.parse({field: empty}) == {}


@pytest.mark.parametrize("raw", ["abc", "1e", "nan", "inf", True, [1]])
def test_non_numbers_are_refused_naming_the_field(raw):
    with pytest.raises(ValidationFailed) as refused:
        th.parse({"locker_uncollected": raw})
    assert refused.value.details["field"] == "locker_uncollected" and refused.value.code == "threshold_not_a_number"


@st.composite
def increasing_sets(draw):
    pickup = sorted(draw(st.lists(st.floats(0.5, 240), min_size=3, max_size=3, unique=True)))
    stalled = sorted(draw(st.lists(st.floats(0.5, 700), min_size=3, max_size=3, unique=True)))
    lost = draw(st.floats(min_value=stalled[2], max_value=1440, exclude_min=True))
    locker = draw(st.floats(0.5, 720))
    return {"pickup_warning": pickup[0], "pickup_timeout": pickup[1], "pickup_serious": pickup[2],
            "stalled_warning": stalled[0], "stalled_timeout": stalled[1], "stalled_serious": stalled[2],
            "suspected_lost": lost, "locker_uncollected": locker}


@given(increasing_sets(), st.sampled_from([a for a, _b in th.ORDERED]))
def test_any_increasing_set_is_accepted_and_swapping_a_grade_pair_is_refused_naming_the_later(values, earlier):
    assert th.as_values(th.validate(values)) == values
    later = dict(th.ORDERED)[earlier]
    swapped = {**values, earlier: values[later], later: values[earlier]}
    with pytest.raises(ValidationFailed) as refused:
        th.validate(swapped)
    assert refused.value.code == "threshold_not_increasing" and refused.value.details["field"] in th.FIELDS
