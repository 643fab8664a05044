"""The logistics scan on SQLite and PostgreSQL: every anomaly kind is raised, escalated and resolved; rescans are
idempotent; one active case per package and kind; actions are recorded with who did them."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from xiaodian.accounts.models import AuditEntry
from xiaodian.accounts.service import Principal
from xiaodian.db import transaction
from xiaodian.errors import InvalidTransition, ValidationFailed
from xiaodian.logistics import service
from xiaodian.logistics.ingest import Scan, find_parcels, record_scans
from xiaodian.logistics.jobs import scan_shop
from xiaodian.logistics.models import Anomaly, AnomalyAction, Parcel
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import OrderEvent

from ..conftest import NOW
from ..factories import make_record

H = timedelta(hours=1)
SHIPPED = NOW - 30 * H
CLERK = Principal(user_id=None, login="kefu1", role="cs", channel="web")


def ship(ctx, shop_id, order_id="6938459704022656101", tracking="73100000000001", shipped_at=SHIPPED,
         status=OrderStatus.SHIPPED):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record(
            order_id=order_id, status=status, carrier="中通快递", tracking_no=tracking, shipped_at=shipped_at)])
    return tracking


def scans(ctx, shop_id, tracking, *items, now=NOW):
    with transaction(ctx.sessions) as session:
        parcel = find_parcels(session, shop_id, tracking, now)[0]
        return record_scans(session, parcel, [Scan(at, text, code, place) for at, code, text, place in items],
                            source="file", now=now)


def cases(ctx, **where):
    with ctx.sessions() as session:
        q = select(Anomaly)
        for k, v in where.items():
            q = q.where(getattr(Anomaly, k) == v)
        return list(session.execute(q.order_by(Anomaly.id)).scalars())


def test_pickup_timeout_is_raised_once_escalates_and_resolves_when_the_parcel_is_picked_up(ctx, shop_id):
    tracking = ship(ctx, shop_id)
    report = scan_shop(ctx.sessions, shop_id, NOW, full=True)
    assert report.adopted == 1 and report.raised == 1
    [case] = cases(ctx)
    assert (case.kind, case.severity, case.status) == ("pickup_timeout", "timeout", "open")
    again = scan_shop(ctx.sessions, shop_id, NOW, full=True)
    assert again.raised == 0 and len(cases(ctx)) == 1  # idempotent rescan
    later = NOW + 20 * H  # 50 h after shipping
    assert scan_shop(ctx.sessions, shop_id, later, full=False).escalated == 1
    assert cases(ctx)[0].severity == "serious"
    scans(ctx, shop_id, tracking, (later + H, 1, "【五常市】中通快递 已揽收", "五常市"), now=later + H)
    report = scan_shop(ctx.sessions, shop_id, later + 2 * H, full=False)
    assert report.resolved == 1
    [case] = cases(ctx)
    assert case.status == "resolved" and case.open_kind is None and case.closed_by == "system"
    with ctx.sessions() as session:
        kinds = [e.kind for e in session.execute(select(OrderEvent).order_by(OrderEvent.id)).scalars()]
        resolved = session.execute(select(OrderEvent).where(OrderEvent.kind == "logistics_anomaly_resolved")).scalar_one()
    assert kinds.count("logistics_anomaly_detected") == 1 and kinds.count("logistics_anomaly_escalated") == 1
    assert "moved again" in json.loads(resolved.detail)["reason"]


def test_stalled_then_suspected_lost_then_moving_again_resolves_it_and_says_so(ctx, shop_id):
    """QA pass 9, #10: the stalled case becomes the suspected-lost one (one case per parcel), not a second case."""
    tracking = ship(ctx, shop_id, shipped_at=NOW - 100 * H)
    last = NOW - 99 * H
    scans(ctx, shop_id, tracking, (NOW - 99.5 * H, 1, "已揽收", "五常市"), (last, 0, "到达【廊坊转运中心】", "廊坊转运中心"))
    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    [stalled] = cases(ctx)
    assert (stalled.kind, stalled.severity) == ("stalled", "serious")
    report = scan_shop(ctx.sessions, shop_id, last + 7 * 24 * H, full=False)
    assert (report.raised, report.escalated) == (0, 1)
    assert [(c.id, c.kind) for c in cases(ctx, status="open")] == [(stalled.id, "suspected_lost")]
    moved = last + 7 * 24 * H + H
    scans(ctx, shop_id, tracking, (moved, 0, "到达【杭州转运中心】", "杭州转运中心"), now=moved)
    assert scan_shop(ctx.sessions, shop_id, moved, full=False).resolved == 1
    assert {c.status for c in cases(ctx)} == {"resolved"}


@pytest.mark.parametrize("code,text,kind,severity", [
    (2, "收件地址不详，疑难件", "problem", "soon"),
    (204, "派件异常：电话无人接听", "delivery_failed", "soon"),
    (14, "客户拒签", "refused", "urgent"),
    (6, "快件退回中", "returned", "urgent"),
    (501, "已放入菜鸟驿站，请及时取件", "locker_uncollected", "timeout"),
])
def test_each_carrier_reported_kind_is_raised_with_evidence(ctx, shop_id, code, text, kind, severity):
    tracking = ship(ctx, shop_id, shipped_at=NOW - 60 * H)
    at = NOW - 50 * H
    scans(ctx, shop_id, tracking, (NOW - 59 * H, 1, "已揽收", "五常市"), (at, code, text, "杭州市"))
    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    found = {(c.kind, c.severity) for c in cases(ctx)}
    assert (kind, severity) in found
    case = next(c for c in cases(ctx) if c.kind == kind)
    assert json.loads(case.evidence)["context"] == text


def test_only_one_active_case_per_package_and_kind_even_after_a_manual_resolve_on_the_same_facts(ctx, shop_id):
    ship(ctx, shop_id)
    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    [case] = cases(ctx)
    with transaction(ctx.sessions) as session:
        service.act(session, shop_id=shop_id, anomaly_id=case.id, action="resolved", principal=CLERK, now=NOW)
    scan_shop(ctx.sessions, shop_id, NOW + H, full=True)
    assert len(cases(ctx)) == 1  # same facts (same shipping time): not raised again


def test_actions_follow_the_playbook_and_are_recorded_with_who_did_them(ctx, shop_id):
    ship(ctx, shop_id)
    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    [case] = cases(ctx)
    with transaction(ctx.sessions) as session:
        service.act(session, shop_id=shop_id, anomaly_id=case.id, action="contacted_carrier", principal=CLERK,
                    now=NOW, note="95311 工单 123")
        service.act(session, shop_id=shop_id, anomaly_id=case.id, action="told_buyer", principal=CLERK, now=NOW)
        service.act(session, shop_id=shop_id, anomaly_id=case.id, action="resolved", principal=CLERK, now=NOW)
    with pytest.raises(InvalidTransition), transaction(ctx.sessions) as session:  # a resolved case stays resolved
        service.act(session, shop_id=shop_id, anomaly_id=case.id, action="contacted_carrier", principal=CLERK, now=NOW)
    with ctx.sessions() as session:
        actions = list(session.execute(select(AnomalyAction).where(AnomalyAction.anomaly_id == case.id)
                                       .order_by(AnomalyAction.id)).scalars())
        audits = session.execute(select(func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "logistics.anomaly_action")).scalar_one()
    assert [(a.action, a.actor) for a in actions] == [("detected", "system"), ("contacted_carrier", "kefu1"),
                                                      ("told_buyer", "kefu1"), ("resolved", "kefu1")]
    assert audits == 3


def test_ignoring_needs_a_reason_and_an_ignore_until_reopens_the_case_if_still_abnormal(ctx, shop_id):
    ship(ctx, shop_id)
    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    [case] = cases(ctx)
    with pytest.raises(ValidationFailed), transaction(ctx.sessions) as session:
        service.act(session, shop_id=shop_id, anomaly_id=case.id, action="ignored", principal=CLERK, now=NOW)
    with transaction(ctx.sessions) as session:
        service.act(session, shop_id=shop_id, anomaly_id=case.id, action="ignored", principal=CLERK, now=NOW,
                    note="快递说明天揽收", until=NOW + 3 * H)
    assert scan_shop(ctx.sessions, shop_id, NOW + 2 * H, full=False).reopened == 0
    assert scan_shop(ctx.sessions, shop_id, NOW + 3 * H, full=False).reopened == 1
    assert cases(ctx)[0].status == "open"


def test_a_warehouse_user_may_act_and_a_completed_order_is_not_watched(ctx, shop_id):
    ship(ctx, shop_id, order_id="6938459704022656102", tracking="73100000000002", status=OrderStatus.COMPLETED)
    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    assert cases(ctx) == []
    with ctx.sessions() as session:
        assert session.execute(select(Parcel.watch)).scalar_one() is False


def test_a_second_worker_is_kept_out_by_the_lease_and_an_overlapping_scan_records_nothing_twice(ctx, shop_id):
    from xiaodian.logistics.jobs import _take_lease

    ship(ctx, shop_id)
    assert _take_lease(ctx.sessions, shop_id, NOW, "worker-a") is not None  # a holds the lease, mid-scan
    assert scan_shop(ctx.sessions, shop_id, NOW, full=True, holder="worker-b").skipped
    first = scan_shop(ctx.sessions, shop_id, NOW, full=True, holder="worker-a")
    # a's lease expired while it was still writing (a slow batch), and b starts over the same parcels
    second = scan_shop(ctx.sessions, shop_id, NOW + timedelta(minutes=10), full=True, holder="worker-b")
    assert (first.raised, second.raised) == (1, 0) and len(cases(ctx)) == 1


def test_a_resolved_pickup_case_cannot_hide_a_parcel_never_scanned_for_a_week(ctx, shop_id):
    """QA: the clerk closed the pickup case on the courier's word; 12 days later there was still no scan and no case.
    The incremental scan looks again at the week's mark and raises 疑似丢失 on its own basis."""
    ship(ctx, shop_id)
    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    [case] = cases(ctx)
    with transaction(ctx.sessions) as session:
        service.act(session, shop_id=shop_id, anomaly_id=case.id, action="resolved", principal=CLERK, now=NOW,
                    note="快递说已补揽收")
    assert scan_shop(ctx.sessions, shop_id, NOW + 3 * 24 * H, full=False).raised == 0
    report = scan_shop(ctx.sessions, shop_id, SHIPPED + 12 * 24 * H, full=False)
    assert report.raised == 1
    lost = cases(ctx, kind="suspected_lost")
    assert [(c.status, c.severity) for c in lost] == [("open", "serious")]
    assert json.loads(lost[0].evidence)["never_scanned"] is True
    assert [c.status for c in cases(ctx, kind="pickup_timeout")] == ["resolved"]  # the clerk's word stays on record
