"""QA pass 9, #10: each cause's buyer message, in Chinese and English, says only what is true of that cause; the
case's one finding is the parcel's most telling cause, graded with its worst severity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from xiaodian.logistics.domain import AnomalyKind, ParcelState, Severity
from xiaodian.logistics.messages import OrderFacts, buyer_messages
from xiaodian.logistics.rules import PRECEDENCE, ParcelFacts, case_finding, detect

NOW = datetime(2026, 11, 29, 3, 56, tzinfo=UTC)
H = timedelta(hours=1)
FACTS = OrderFacts(product="五常稻花香 礼盒装", product_en="Wuchang rice gift box", ordered_at=NOW - 36 * 24 * H,
                   tracking_no="351105338975518", carrier_code="yunda",
                   last_scan="11-23 02:43 东莞南城街道营业部 快件已从【东莞南城街道营业部】发出，退回中")
HURRY_ZH, HURRY_EN = "加急", "act quickly"
SILENT_ZH, SILENT_EN = "没有更新", "has not updated"
KINDS = [k.value for k in AnomalyKind]


def messages(kind, status="open", contacted=False, **extra):
    return buyer_messages(kind, status, FACTS, carrier_contacted=contacted, **extra)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("contacted", [False, True])
def test_only_a_stuck_parcels_message_says_the_carrier_was_asked_to_hurry(kind, contacted):
    text = messages(kind, "contacted_carrier" if contacted else "open", contacted)
    hurried = kind in ("pickup_timeout", "stalled", "problem") and contacted  # waiting on the carrier alone
    assert (HURRY_ZH in text["zh"], HURRY_EN in text["en"]) == (hurried, hurried), text


@pytest.mark.parametrize("kind", KINDS)
def test_only_silence_kinds_say_the_tracking_has_not_updated(kind):
    text = messages(kind)
    silent = kind in ("stalled", "suspected_lost")
    assert (SILENT_ZH in text["zh"], SILENT_EN in text["en"]) == (silent, silent), text


def test_a_returning_parcel_says_it_is_coming_back_and_a_returned_one_that_it_is_back():
    returning = messages("returned", parcel_state="returning")
    assert "正在退回" in returning["zh"] and "on its way back to us" in returning["en"]
    assert "正在退回/已退回" not in returning["zh"]  # the state is said once
    back = messages("returned", parcel_state="returned")
    assert "已退回" in back["zh"] and "正在退回" not in back["zh"] and "has been returned to us" in back["en"]
    called = messages("returned", "contacted_carrier", True, parcel_state="returning")
    assert "核实退回原因" in called["zh"] and "why it is being returned" in called["en"]
    refused = messages("refused", "contacted_carrier", True)
    assert "核实拒收情况" in refused["zh"] and "check the refusal" in refused["en"]


def test_suspected_lost_counts_the_days_it_has_been_silent_not_a_fixed_seven():
    last = NOW - 12 * 24 * H - 3 * H
    text = messages("suspected_lost", evidence={"hours": 168, "at": last.isoformat()}, now=NOW)
    assert "12天没有更新" in text["zh"] and "for 12 days" in text["en"] and "7天" not in text["zh"]
    never = messages("suspected_lost", evidence={"hours": 170, "at": (NOW - 9 * 24 * H).isoformat(),
                                                 "never_scanned": True}, now=NOW)
    assert "发出已有9天" in never["zh"] and "没有任何物流记录" in never["zh"] and "9 days ago" in never["en"]
    assert SILENT_ZH not in never["zh"]


def test_precedence_lists_every_kind_once_most_telling_first():
    assert sorted(k.value for k in PRECEDENCE) == sorted(KINDS)
    assert PRECEDENCE[0] is AnomalyKind.RETURNED and PRECEDENCE[-1] is AnomalyKind.PICKUP_TIMEOUT


def test_the_cases_finding_for_a_refused_then_returning_parcel_is_returned_and_urgent():
    facts = ParcelFacts(shipped_at=NOW - 230 * H, state=ParcelState.RETURNING, state_since=NOW - 153 * H,
                        picked_up=True, last_event_at=NOW - 153 * H, last_code=6, last_context="退回中")
    found = detect(facts, NOW)
    assert {f.kind for f in found} == {AnomalyKind.RETURNED, AnomalyKind.STALLED}
    top = case_finding(found)
    # stalled for 153 h is serious too, but at the same level the returned kind keeps its own grade (QA 13, #8)
    assert (top.kind, top.severity, top.basis_at) == (AnomalyKind.RETURNED, Severity.URGENT, NOW - 153 * H)


def test_the_cases_finding_takes_the_worst_severity_of_all_findings():
    facts = ParcelFacts(shipped_at=NOW - 100 * H, state=ParcelState.PROBLEM, state_since=NOW - 80 * H,
                        picked_up=True, last_event_at=NOW - 80 * H, last_code=2, last_context="疑难件")
    top = case_finding(detect(facts, NOW))
    assert (top.kind, top.severity) == (AnomalyKind.PROBLEM, Severity.SERIOUS)  # problem is soon; 80 h silent
    assert case_finding([]) is None
