"""QA pass 9, #17: the default ship promise chosen in words becomes the same stored code the desk always kept, and
the form shows a stored code as the choice it stands for; a choice lacking its hour, days or date is refused naming
that field."""

from __future__ import annotations

import pytest

from xiaodian.errors import ValidationFailed
from xiaodian.shipping.domain import parse_promise
from xiaodian.shipping.promise_choice import KINDS, choice_of, promise_from_choice


@pytest.mark.parametrize("kind,extra,stored", [
    ("48h", {}, "48h"), ("next_day", {}, "next_day"), ("same_day", {"cutoff": "15"}, "same_day:15"),
    ("same_day", {"cutoff": "１６"}, "same_day:16"), ("days", {"days": "5"}, "days:5"),
    ("presale_days", {"days": "20"}, "presale:20"), ("presale_date", {"on": "2026-12-12"}, "presale:2026-12-12")])
def test_a_choice_is_stored_as_the_code_and_shown_as_the_same_choice(kind, extra, stored):
    assert promise_from_choice(kind, **extra) == stored
    assert parse_promise(stored).text() == stored  # what the rest of the desk reads
    shown = choice_of(stored)
    assert shown["promise_kind"] == kind
    assert promise_from_choice(shown["promise_kind"], cutoff=shown["promise_cutoff"], days=shown["promise_days"],
                               on=shown["promise_date"]) == stored


def test_every_choice_the_form_lists_is_understood():
    for kind in KINDS:
        assert promise_from_choice(kind, cutoff="16", days="3", on="2026-12-01")


@pytest.mark.parametrize("kind,extra,field,code", [
    ("same_day", {"cutoff": ""}, "promise_cutoff", "value_missing"),
    ("same_day", {"cutoff": "25"}, "promise_cutoff", "setting_out_of_range"),
    ("days", {"days": "abc"}, "promise_days", "number_invalid"),
    ("presale_days", {"days": "0"}, "promise_days", "setting_out_of_range"),
    ("presale_date", {"on": ""}, "promise_date", "value_missing"),
    ("presale_date", {"on": "2026-13-01"}, "promise_date", "day_invalid"),
    ("whenever", {}, "promise_kind", "promise_unknown")])
def test_a_choice_without_what_it_needs_is_refused_naming_the_field(kind, extra, field, code):
    with pytest.raises(ValidationFailed) as info:
        promise_from_choice(kind, **extra)
    assert (info.value.details["field"], info.value.code) == (field, code)


def test_an_unreadable_stored_promise_shows_as_the_platform_default():
    assert choice_of("nonsense")["promise_kind"] == "48h" and choice_of(None)["promise_kind"] == "48h"

