"""Anomaly detectors: each kind at its thresholds (defaults are assumptions), the evidence text, the next check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from xiaodian.logistics.domain import AnomalyKind, ParcelState, Severity
from xiaodian.logistics.rules import ParcelFacts, Thresholds, detect, evidence_text, next_check

SHIPPED = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
H = timedelta(hours=1)


def kinds(facts, now, th=Thresholds()):
    return {(f.kind, f.severity) for f in detect(facts, now, th)}


def unpicked():
    return ParcelFacts(SHIPPED, ParcelState.PENDING, None, False, None)


@pytest.mark.parametrize("hours,severity", [(19.9, None), (20, Severity.WARNING), (24, Severity.TIMEOUT),
                                            (47.9, Severity.TIMEOUT), (48, Severity.SERIOUS)])
def test_pickup_timeout_is_graded_20_24_48_hours_after_shipping(hours, severity):
    found = kinds(unpicked(), SHIPPED + hours * H)
    assert found == ({(AnomalyKind.PICKUP_TIMEOUT, severity)} if severity else set())


def moving(last: datetime, state=ParcelState.IN_TRANSIT, code=0, context="到达【廊坊转运中心】"):
    return ParcelFacts(SHIPPED, state, last, True, last, code, context, "廊坊转运中心")


@pytest.mark.parametrize("hours,severity", [(35.9, None), (36, Severity.WARNING), (48, Severity.TIMEOUT),
                                            (72, Severity.SERIOUS)])
def test_stalled_is_graded_36_48_72_hours_after_the_last_scan(hours, severity):
    last = SHIPPED + 5 * H
    found = kinds(moving(last), last + hours * H)
    assert found == ({(AnomalyKind.STALLED, severity)} if severity else set())


def test_seven_days_without_a_scan_is_suspected_lost_and_serious():
    last = SHIPPED + 5 * H
    found = kinds(moving(last), last + 7 * 24 * H)
    assert (AnomalyKind.SUSPECTED_LOST, Severity.SERIOUS) in found
    assert (AnomalyKind.SUSPECTED_LOST, Severity.SERIOUS) not in kinds(moving(last), last + 7 * 24 * H - H)


def test_a_parcel_at_a_locker_48_hours_is_uncollected_and_not_stalled():
    last = SHIPPED + 30 * H
    facts = moving(last, ParcelState.AT_LOCKER, 501, "已放入菜鸟驿站，请及时取件")
    assert kinds(facts, last + 47 * H) == set()
    assert kinds(facts, last + 48 * H) == {(AnomalyKind.LOCKER_UNCOLLECTED, Severity.TIMEOUT)}


@pytest.mark.parametrize("state,code,context,kind,severity", [
    (ParcelState.PROBLEM, 2, "地址不详", AnomalyKind.PROBLEM, Severity.SOON),
    (ParcelState.PROBLEM, 208, "快件滞留", AnomalyKind.PROBLEM, Severity.SOON),
    (ParcelState.PROBLEM, 204, "派件异常", AnomalyKind.DELIVERY_FAILED, Severity.SOON),
    (ParcelState.PROBLEM, None, "派送不成功，电话无人接听", AnomalyKind.DELIVERY_FAILED, Severity.SOON),
    (ParcelState.REFUSED, 14, "客户拒签", AnomalyKind.REFUSED, Severity.URGENT),
    (ParcelState.REFUSED, 203, "拒收", AnomalyKind.REFUSED, Severity.URGENT),
    (ParcelState.RETURNING, 6, "退回中", AnomalyKind.RETURNED, Severity.URGENT),
    (ParcelState.RETURNED, 4, "已退签", AnomalyKind.RETURNED, Severity.URGENT),
])
def test_carrier_reported_anomalies_are_raised_immediately(state, code, context, kind, severity):
    last = SHIPPED + 30 * H
    assert kinds(moving(last, state, code, context), last + timedelta(minutes=1)) == {(kind, severity)}


def test_signed_parcels_and_completed_orders_raise_nothing():
    last = SHIPPED + 30 * H
    assert kinds(moving(last, ParcelState.SIGNED, 3, "已签收"), last + 900 * H) == set()
    done = ParcelFacts(SHIPPED, ParcelState.PENDING, None, False, None, order_done=True)
    assert kinds(done, SHIPPED + 900 * H) == set()


def test_thresholds_are_configurable():
    assert kinds(unpicked(), SHIPPED + 11 * H, Thresholds(pickup=(10, 12, 14))) == {
        (AnomalyKind.PICKUP_TIMEOUT, Severity.WARNING)}
    with pytest.raises(ValueError):
        Thresholds(pickup=(30, 20, 10))


def test_next_check_is_the_next_threshold_still_ahead():
    assert next_check(unpicked(), SHIPPED + 21 * H) == SHIPPED + 24 * H
    last = SHIPPED + 5 * H
    assert next_check(moving(last), last + 50 * H) == last + 72 * H
    assert next_check(moving(last, ParcelState.SIGNED, 3, "已签收"), last) is None


def test_evidence_names_the_last_scan_its_age_place_and_state():
    last = SHIPPED + 5 * H
    finding = detect(moving(last), last + 52 * H)[0]
    text = evidence_text(finding.kind, finding.evidence, "zh")
    assert text.startswith("最后一条轨迹 52 小时前 · 廊坊转运中心 · 运输中")
    assert "last scan 52 h ago" in evidence_text(finding.kind, finding.evidence, "en")


def test_a_parcel_never_scanned_for_seven_days_is_suspected_lost_beside_its_pickup_case():
    """QA: a clerk resolved the pickup case ("the courier will collect it") and the parcel stayed unscanned for 12
    days without any new case. A week with no scan at all is a case of its own, so a resolved one cannot hide it."""
    assert kinds(unpicked(), SHIPPED + 7 * 24 * H - H) == {(AnomalyKind.PICKUP_TIMEOUT, Severity.SERIOUS)}
    found = detect(unpicked(), SHIPPED + 12 * 24 * H)
    assert {(f.kind, f.severity) for f in found} == {(AnomalyKind.PICKUP_TIMEOUT, Severity.SERIOUS),
                                                     (AnomalyKind.SUSPECTED_LOST, Severity.SERIOUS)}
    lost = next(f for f in found if f.kind is AnomalyKind.SUSPECTED_LOST)
    assert lost.basis_at == SHIPPED
    assert evidence_text(lost.kind, lost.evidence) == ("发货 288 小时仍无任何物流扫描（发货于 11-20 10:00）："
                                                       "包裹可能丢失或未交给快递")
    assert next_check(unpicked(), SHIPPED + 50 * H) == SHIPPED + 7 * 24 * H  # the scan looks again then
