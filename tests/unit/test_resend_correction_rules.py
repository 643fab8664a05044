"""A re-send's (补寄) number is corrected by its case's rules, not its order's: it usually goes out on a completed
order, and a finished case closes it; the parcel's own rules (no scan yet, the window, the count) are the same."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from xiaodian.shipping.domain import CorrectionRules, correction_refusal, resend_correction_refusal

NOW = datetime(2026, 11, 24, 10, tzinfo=timezone.utc)
RULES = CorrectionRules(window_hours=24, max_corrections=2)


def _code(refusal):
    return refusal[0] if refusal else None


@pytest.mark.parametrize(("finished", "state", "picked", "shipped_hours_ago", "made", "code"), [
    (False, "pending", False, 1, 0, None),
    (False, None, False, 1, 0, None),  # not adopted yet
    (True, "pending", False, 1, 0, "case_finished"),
    (False, "in_transit", False, 1, 0, "parcel_picked_up"),
    (False, "pending", True, 1, 0, "parcel_picked_up"),
    (False, "signed", True, 1, 0, "parcel_delivered"),
    (False, "pending", False, 1, 2, "correction_limit_reached"),
    (False, "pending", False, 25, 0, "correction_window_passed"),
])
def test_a_resend_correction_follows_its_case_and_its_parcel(finished, state, picked, shipped_hours_ago, made, code):
    shipped = NOW - timedelta(hours=shipped_hours_ago)
    assert _code(resend_correction_refusal(finished, state, picked, shipped, made, NOW, RULES)) == code


def test_the_completed_order_that_refuses_its_own_parcel_does_not_refuse_its_resend():
    shipped = NOW - timedelta(hours=1)
    assert _code(correction_refusal("completed", "pending", False, shipped, 0, NOW, RULES)) == "order_completed"
    assert resend_correction_refusal(False, "pending", False, shipped, 0, NOW, RULES) is None
