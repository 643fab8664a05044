"""QA pass 13, #8: a kind the carrier reported (拒签, 退回, 疑难件, 派件异常) is an event, not a delay, so it is graded
需立即处理 / 尽快处理 instead of 严重超时 / 已超时, at the level it always sorted at; a time-based finding that is
strictly graver still shows (a problem parcel silent for 80 h is 严重超时)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from xiaodian.logistics import labels
from xiaodian.logistics.domain import AnomalyKind, ParcelState, Severity
from xiaodian.logistics.rules import ParcelFacts, case_finding, detect, worst_first_key
from xiaodian.web.i18n import current_language

NOW = datetime(2026, 11, 29, 13, 27, tzinfo=timezone.utc)
H = timedelta(hours=1)


def refused(minutes_ago: float) -> ParcelFacts:
    at = NOW - timedelta(minutes=minutes_ago)
    return ParcelFacts(shipped_at=NOW - 40 * H, state=ParcelState.REFUSED, state_since=at, picked_up=True,
                       last_event_at=at, last_code=14, last_context="客户拒签")


def test_a_refusal_half_an_hour_old_needs_action_now_not_seriously_timed_out():
    top = case_finding(detect(refused(33), NOW))
    assert (top.kind, top.severity) == (AnomalyKind.REFUSED, Severity.URGENT)


def test_a_refusal_silent_for_days_keeps_its_own_grade_at_the_same_level():
    top = case_finding(detect(refused(80 * 60), NOW))  # stalled 80 h would be 严重超时: the same level
    assert top.severity is Severity.URGENT


def test_event_grades_sort_where_the_old_grades_did():
    assert Severity.URGENT.level == Severity.SERIOUS.level > Severity.SOON.level == Severity.TIMEOUT.level
    assert worst_first_key("urgent", NOW) < worst_first_key("timeout", NOW - H)
    assert worst_first_key("serious", NOW - H) < worst_first_key("urgent", NOW)  # then the longest waiting


@pytest.mark.parametrize("code,zh,en", [("urgent", "需立即处理", "Needs action now"),
                                        ("soon", "尽快处理", "Needs action soon")])
def test_the_grades_in_words(code, zh, en):
    for lang, text in (("zh", zh), ("en", en)):
        token = current_language.set(lang)
        try:
            assert labels.severity(code) == text
        finally:
            current_language.reset(token)


def test_an_escalation_note_to_an_event_grade_is_said_in_words():
    token = current_language.set("zh")
    try:
        assert labels.history_note("escalated", "refused urgent") == f"{labels.kind('refused')} · 需立即处理"
    finally:
        current_language.reset(token)
