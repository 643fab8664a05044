"""QA pass 9, #10 on SQLite and PostgreSQL: one parcel, one open anomaly case, of its most telling cause. A parcel
refused by the buyer and now returning has one 退回 case (it had a 退回 and a 物流停滞 case, with buyer messages that
contradicted each other); a stalled case becomes the returned one when the parcel starts back, keeping its history;
the migration merges the duplicates a parcel already had; the database refuses a second active case."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from xiaodian.accounts.service import Principal
from xiaodian.db import transaction
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
CLERK = Principal(user_id=None, login="kefu", role="cs", channel="web")
ORDER, NUMBER = "6979282630590629135", "351105338975518"


def ship(ctx, shop_id, order_id=ORDER, tracking=NUMBER, shipped_at=NOW - 230 * H):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record(
            order_id=order_id, status=OrderStatus.SHIPPED, carrier="韵达快递", tracking_no=tracking,
            shipped_at=shipped_at)])
    return tracking


def scans(ctx, shop_id, tracking, *items, now=NOW):
    with transaction(ctx.sessions) as session:
        parcel = find_parcels(session, shop_id, tracking, now)[0]
        record_scans(session, parcel, [Scan(at, text, code, place) for at, code, text, place in items],
                     source="file", now=now)


def refused_then_returning(ctx, shop_id, tracking=NUMBER):
    """The report's parcel: picked up, in transit, out for delivery, 拒签, then 退回中 153 h ago and silent since."""
    scans(ctx, shop_id, tracking,
          (NOW - 225 * H, 1, "【哈尔滨市】五常营业部 已揽收", "五常市"),
          (NOW - 180 * H, 0, "快件已到达【东莞南城街道营业部】", "东莞南城街道营业部"),
          (NOW - 170 * H, 5, "【东莞南城街道营业部】快递员杨师傅正在派件", "东莞南城街道营业部"),
          (NOW - 162 * H, 14, "收件人拒收，快件将退回寄件人", "东莞南城街道营业部"),
          (NOW - 153 * H, 6, "快件已从【东莞南城街道营业部】发出，退回中", "东莞南城街道营业部"))


def cases(ctx, **where):
    with ctx.sessions() as session:
        q = select(Anomaly)
        for k, v in where.items():
            q = q.where(getattr(Anomaly, k) == v)
        return list(session.execute(q.order_by(Anomaly.id)).scalars())


def history(ctx, case_id):
    with ctx.sessions() as session:
        return [(a.action, a.actor, a.from_status, a.to_status, a.note) for a in session.execute(
            select(AnomalyAction).where(AnomalyAction.anomaly_id == case_id).order_by(AnomalyAction.id)).scalars()]


def active(ctx):
    return [c for c in cases(ctx) if c.open_kind is not None]


def test_a_refused_parcel_now_returning_has_one_returned_case_and_no_stalled_one(ctx, shop_id):
    ship(ctx, shop_id)
    refused_then_returning(ctx, shop_id)
    report = scan_shop(ctx.sessions, shop_id, NOW, full=True)
    [case] = cases(ctx)
    assert (case.kind, case.severity, case.status) == ("returned", "urgent", "open")
    assert report.raised == 1
    assert json.loads(case.evidence)["state"] == "returning"
    # rescans, full and incremental, change nothing (no second case, no new history line)
    for later, full in ((NOW, True), (NOW + 24 * H, False), (NOW + 48 * H, True)):
        again = scan_shop(ctx.sessions, shop_id, later, full=full)
        assert (again.raised, again.escalated, again.resolved) == (0, 0, 0)
    assert [(c.id, c.kind) for c in cases(ctx)] == [(case.id, "returned")]
    assert [h[0] for h in history(ctx, case.id)] == ["detected"]


def test_a_stalled_case_becomes_returned_when_the_parcel_starts_back_and_keeps_its_history(ctx, shop_id):
    tracking = ship(ctx, shop_id, shipped_at=NOW - 100 * H)
    scans(ctx, shop_id, tracking, (NOW - 99 * H, 1, "已揽收", "五常市"),
          (NOW - 80 * H, 0, "快件已到达【廊坊转运中心】", "廊坊转运中心"))
    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    [stalled] = cases(ctx)
    assert (stalled.kind, stalled.severity) == ("stalled", "serious")
    with transaction(ctx.sessions) as session:
        service.act(session, shop_id=shop_id, anomaly_id=stalled.id, action="contacted_carrier", principal=CLERK,
                    now=NOW + H, note="已打95546，快递说明天再派")
    back = NOW + 5 * H
    scans(ctx, shop_id, tracking, (back, 6, "快件退回中", "廊坊转运中心"), now=back)
    report = scan_shop(ctx.sessions, shop_id, back + H, full=False)
    assert (report.raised, report.escalated, report.resolved) == (0, 1, 0)
    [case] = cases(ctx)
    assert case.id == stalled.id  # the same case, not a second one
    assert (case.kind, case.open_kind, case.status, case.severity) == ("returned", "returned", "open", "urgent")
    assert case.basis_at == back and json.loads(case.evidence)["state"] == "returning"
    assert history(ctx, case.id) == [
        ("detected", "system", None, "open", None),
        ("contacted_carrier", "kefu", "open", "contacted_carrier", "已打95546，快递说明天再派"),
        ("cause_changed", "system", "contacted_carrier", "open", "stalled → returned")]
    with ctx.sessions() as session:
        changed = session.execute(select(OrderEvent).where(
            OrderEvent.kind == "logistics_anomaly_cause_changed")).scalar_one()
    assert json.loads(changed.detail)["kind"] == "returned"
    # idempotent, and the returning parcel, silent for days, is never stalled again
    for later in (back + 2 * H, back + 80 * H, back + 9 * 24 * H):
        again = scan_shop(ctx.sessions, shop_id, later, full=True)
        assert (again.raised, again.escalated, again.resolved) == (0, 0, 0)
    assert [(c.id, c.kind) for c in cases(ctx)] == [(stalled.id, "returned")]


def test_an_ignored_case_reopens_when_a_more_telling_cause_appears(ctx, shop_id):
    tracking = ship(ctx, shop_id, shipped_at=NOW - 100 * H)
    scans(ctx, shop_id, tracking, (NOW - 99 * H, 1, "已揽收", "五常市"),
          (NOW - 60 * H, 0, "快件已到达【廊坊转运中心】", "廊坊转运中心"))
    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    [stalled] = cases(ctx)
    with transaction(ctx.sessions) as session:
        service.act(session, shop_id=shop_id, anomaly_id=stalled.id, action="ignored", principal=CLERK, now=NOW,
                    note="快递说在路上")
    refused = NOW + 2 * H
    scans(ctx, shop_id, tracking, (refused, 14, "收件人拒收", "杭州市"), now=refused)
    scan_shop(ctx.sessions, shop_id, refused, full=False)
    [case] = cases(ctx)
    assert (case.id, case.kind, case.status, case.ignored_until) == (stalled.id, "refused", "open", None)
    assert history(ctx, case.id)[-1][0] == "cause_changed"


def test_a_lesser_cause_never_replaces_a_more_telling_open_case(ctx, shop_id):
    """A problem parcel that then stops moving stays 疑难件 (graded by how long it has been silent), not 物流停滞."""
    tracking = ship(ctx, shop_id, shipped_at=NOW - 60 * H)
    scans(ctx, shop_id, tracking, (NOW - 59 * H, 1, "已揽收", "五常市"),
          (NOW - 50 * H, 2, "收件地址不详，疑难件", "杭州市"))
    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    [case] = cases(ctx)
    assert (case.kind, case.severity) == ("problem", "soon")
    scan_shop(ctx.sessions, shop_id, NOW + 30 * H, full=True)  # 80 h silent: stalled would be serious
    [case] = cases(ctx)
    assert (case.kind, case.severity) == ("problem", "serious")


def test_the_database_holds_one_active_case_per_parcel(ctx, shop_id):
    ship(ctx, shop_id)
    refused_then_returning(ctx, shop_id)
    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    [case] = cases(ctx)
    with pytest.raises(IntegrityError), transaction(ctx.sessions) as session:
        session.add(Anomaly(shop_id=shop_id, shipment_id=case.shipment_id, order_pk=case.order_pk, kind="stalled",
                            open_kind="stalled", severity="serious", severity_level=3, status="open",
                            basis_at=case.basis_at, evidence="{}", detected_at=NOW, updated_at=NOW))


def test_the_migration_merges_a_parcels_open_cases_into_its_most_telling_one(ctx, shop_id, settings):
    """Downgraded to 0033, a parcel given the two open cases of the report (退回 open, 物流停滞 worked by kefu), and
    a second parcel with one case; upgraded: the 退回 case stays, says what was merged into it, takes the worse
    severity; the 物流停滞 case is resolved naming it; the other parcel is untouched; a scan then changes nothing."""
    from alembic import command

    from xiaodian.migrate import alembic_config, upgrade

    ship(ctx, shop_id)
    refused_then_returning(ctx, shop_id)
    other = ship(ctx, shop_id, order_id="6979282630590629136", tracking="351105338975519", shipped_at=NOW - 30 * H)
    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    [returned, pickup] = cases(ctx)
    assert (returned.kind, pickup.kind) == ("returned", "pickup_timeout")
    ctx.engine.dispose()
    command.downgrade(alembic_config(settings.database_url), "0033")
    with transaction(ctx.sessions) as session:
        session.execute(Anomaly.__table__.update().where(Anomaly.id == returned.id).values(
            severity="timeout", severity_level=2))  # so the merge's worse severity shows
        stalled = Anomaly(shop_id=shop_id, shipment_id=returned.shipment_id, order_pk=returned.order_pk,
                          kind="stalled", open_kind="stalled", severity="serious", severity_level=3,
                          status="contacted_carrier", basis_at=NOW - 153 * H, evidence="{}", detected_at=NOW,
                          updated_at=NOW)
        session.add(stalled)
        session.flush()
        stalled_id = stalled.id
        session.add(AnomalyAction(shop_id=shop_id, anomaly_id=stalled_id, at=NOW, actor="kefu", channel="web",
                                  action="contacted_carrier", from_status="open", to_status="contacted_carrier",
                                  note="已打95546"))
    upgrade(ctx.engine, settings.database_url)
    by_id = {c.id: c for c in cases(ctx)}
    kept, merged = by_id[returned.id], by_id[stalled_id]
    assert (kept.kind, kept.status, kept.open_kind, kept.severity) == ("returned", "open", "returned", "serious")
    assert (merged.status, merged.open_kind, merged.closed_by) == ("resolved", None, "system")
    assert merged.note == f"merged into case {returned.id} (returned)"
    assert history(ctx, stalled_id)[-1][:4] == ("merged", "system", "contacted_carrier", "resolved")
    assert history(ctx, stalled_id)[0][4] == "已打95546"  # the work recorded on it stays
    assert history(ctx, returned.id)[-1] == ("merged_in", "system", "open", "open",
                                             f"case {stalled_id} (stalled, contacted_carrier) merged in")
    assert (by_id[pickup.id].status, by_id[pickup.id].open_kind) == ("open", "pickup_timeout")
    with ctx.sessions() as session:
        assert session.execute(select(Parcel.tracking_no).where(Parcel.shipment_id == pickup.shipment_id)
                               ).scalar_one() == other
    report = scan_shop(ctx.sessions, shop_id, NOW + H, full=True)
    assert (report.raised, report.escalated, report.resolved) == (0, 0, 0)
    assert sorted((c.id, c.kind) for c in active(ctx)) == sorted([(returned.id, "returned"),
                                                                   (pickup.id, "pickup_timeout")])
