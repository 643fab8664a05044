"""The owner's anomaly thresholds per shop, on SQLite and PostgreSQL: stored, validated naming the field, audited
before → after, reset to the defaults; the scan applies a shop's stored thresholds (environment settings as the
fallback), and a change makes the next run a full scan so every watched parcel is judged by the new numbers.
And logistics.service.forget_parcel, which shipping calls when a tracking number is corrected."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from xiaodian.accounts.models import AuditEntry
from xiaodian.accounts.service import Principal
from xiaodian.db import transaction
from xiaodian.errors import Forbidden, ValidationFailed
from xiaodian.logistics import rules, service
from xiaodian.logistics import thresholds as th
from xiaodian.logistics.jobs import JOB, last_scan, scan_shop
from xiaodian.logistics.models import Anomaly, AnomalyAction, Parcel, TrackingEvent
from xiaodian.orders.models import OrderEvent

from ..conftest import NOW
from .test_logistics_scan import cases, scans, ship

H = timedelta(hours=1)
M = timedelta(minutes=1)
OWNER = Principal(user_id=None, login="boss", role="owner", channel="web")
CLERK = Principal(user_id=None, login="kefu1", role="cs", channel="web")


def change(ctx, shop_id, principal=OWNER, now=NOW, **changes):
    with transaction(ctx.sessions) as session:
        return th.update_thresholds(session, shop_id=shop_id, changes=changes, principal=principal, now=now,
                                    settings=ctx.settings)


def test_defaults_are_the_environment_settings_until_the_owner_sets_the_shops_own(ctx, shop_id):
    with ctx.sessions() as session:
        view = th.view(session, shop_id, ctx.settings)
        assert not view.custom and view.values == view.defaults
        assert view.values["pickup_warning"] == 20 and view.values["suspected_lost"] == 168
        assert th.for_shop(session, shop_id) == rules.DEFAULT_THRESHOLDS
    view = change(ctx, shop_id, pickup_warning="12", pickup_timeout=16, stalled_serious=80.5)
    assert view.custom and view.updated_by == "boss"
    assert (view.values["pickup_warning"], view.values["pickup_timeout"], view.values["stalled_serious"]) == (
        12, 16, 80.5)
    with ctx.sessions() as session:
        got = th.for_shop(session, shop_id)
    assert got.pickup == (12, 16, 48) and got.stalled == (36, 48, 80.5) and got.lost == 168
    with ctx.sessions() as session:
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "logistics.thresholds")).scalar_one()
    before, after = json.loads(entry.before), json.loads(entry.after)
    assert (before["pickup_warning"], after["pickup_warning"]) == (20, 12)
    assert (before["custom"], after["custom"]) == (False, True)
    assert entry.login == "boss" and entry.shop_id == shop_id


@pytest.mark.parametrize("changes, field, code", [
    ({"pickup_warning": 0}, "pickup_warning", "threshold_out_of_range"),
    ({"pickup_warning": -3}, "pickup_warning", "threshold_out_of_range"),
    ({"stalled_serious": 100000}, "stalled_serious", "threshold_out_of_range"),
    ({"pickup_timeout": 19}, "pickup_timeout", "threshold_not_increasing"),
    ({"stalled_serious": 48}, "stalled_serious", "threshold_not_increasing"),
    ({"suspected_lost": 50}, "suspected_lost", "threshold_not_increasing"),
    ({"locker_uncollected": "two days"}, "locker_uncollected", "threshold_not_a_number"),
    ({"locker_uncollected": "nan"}, "locker_uncollected", "threshold_not_a_number"),
    ({"lost": 100}, "lost", "threshold_unknown"),
])
def test_bad_values_are_refused_naming_the_field_and_nothing_is_saved(ctx, shop_id, changes, field, code):
    with pytest.raises(ValidationFailed) as refused:
        change(ctx, shop_id, **changes)
    assert refused.value.details["field"] == field and refused.value.code == code
    assert field in refused.value.message
    with ctx.sessions() as session:
        assert not th.view(session, shop_id, ctx.settings).custom
        assert session.execute(select(func.count()).select_from(AuditEntry)
                               .where(AuditEntry.action == "logistics.thresholds")).scalar() == 0


def test_only_owners_change_them_an_unchanged_save_writes_nothing_and_reset_goes_back_to_the_defaults(ctx, shop_id):
    with pytest.raises(Forbidden):
        change(ctx, shop_id, principal=CLERK, pickup_warning=10)
    change(ctx, shop_id, pickup_warning=20)  # the default as it is: nothing to store
    change(ctx, shop_id, locker_uncollected=24)
    change(ctx, shop_id, locker_uncollected=24)  # unchanged
    with transaction(ctx.sessions) as session:
        with pytest.raises(Forbidden):
            th.reset_thresholds(session, shop_id=shop_id, principal=CLERK, now=NOW, settings=ctx.settings)
    with transaction(ctx.sessions) as session:
        view = th.reset_thresholds(session, shop_id=shop_id, principal=OWNER, now=NOW + H, settings=ctx.settings)
    assert not view.custom and view.values["locker_uncollected"] == 48
    with ctx.sessions() as session:
        entries = list(session.execute(select(AuditEntry).where(AuditEntry.action == "logistics.thresholds")
                                       .order_by(AuditEntry.id)).scalars())
        assert th.for_shop(session, shop_id) == rules.DEFAULT_THRESHOLDS
        changes = th.recent_changes(session, shop_id)
    assert len(entries) == 2  # one change, one reset
    assert json.loads(entries[1].detail) == {"reset": True}
    assert json.loads(entries[1].before)["locker_uncollected"] == 24
    assert json.loads(entries[1].after)["locker_uncollected"] == 48
    assert len(changes) == 2


def test_the_environment_settings_stay_the_fallback(ctx, shop_id):
    settings = ctx.settings.model_copy(update={"logistics_pickup_hours": (10, 12, 30)})
    with ctx.sessions() as session:
        view = th.view(session, shop_id, settings)
    assert not view.custom and view.values["pickup_warning"] == 10 and view.defaults["pickup_serious"] == 30
    with ctx.sessions() as session:
        assert th.for_shop(session, shop_id, service.thresholds_from(settings)).pickup == (10, 12, 30)


def test_the_scan_uses_the_shops_thresholds_and_a_change_is_applied_to_every_parcel_at_the_next_run(ctx, shop_id):
    ship(ctx, shop_id, shipped_at=NOW - 10 * H)  # 10 h after shipping: nothing by the defaults (20 h)
    first = scan_shop(ctx.sessions, shop_id, NOW, full=None)
    assert first.full and first.raised == 0
    quiet = scan_shop(ctx.sessions, shop_id, NOW + 20 * M, full=None)
    assert not quiet.full and quiet.raised == 0  # incremental; the next check is 20 h after shipping
    change(ctx, shop_id, now=NOW + 21 * M, pickup_warning=8, pickup_timeout=9,
           pickup_serious=40)
    with ctx.sessions() as session:
        assert last_scan(session, shop_id).full_asks == 1  # the change asks for a full scan
    after = scan_shop(ctx.sessions, shop_id, NOW + 25 * M, full=None)
    assert after.full and after.parcels == 1 and after.raised == 1
    [case] = cases(ctx)
    assert (case.kind, case.severity) == ("pickup_timeout", "timeout")  # 10 h ≥ the shop's 9 h timeout
    with ctx.sessions() as session:
        parcel = session.execute(select(Parcel)).scalar_one()
    assert parcel.next_check_at == parcel.shipped_at + 40 * H  # the next threshold is the shop's serious one
    # the environment thresholds given by the job are only the fallback: the stored ones win
    again = scan_shop(ctx.sessions, shop_id, NOW + H, full=True, thresholds=rules.Thresholds(pickup=(30, 40, 50)))
    assert again.resolved == 0 and cases(ctx)[0].open_kind == "pickup_timeout"


def test_a_change_during_a_running_scan_still_makes_the_next_one_full(ctx, shop_id):
    ship(ctx, shop_id, shipped_at=NOW - 10 * H)
    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    change(ctx, shop_id, now=NOW + H, pickup_warning=8, pickup_timeout=9)
    # a full scan that had started before the change finishes after it and records its (older) start time
    with transaction(ctx.sessions) as session:
        from xiaodian.shipping.models import JobLease

        session.get(JobLease, (shop_id, JOB)).last_full_at = NOW + H - timedelta(minutes=1)
    assert scan_shop(ctx.sessions, shop_id, NOW + H + timedelta(minutes=2), full=None).full


def test_forget_parcel_drops_the_parcel_and_its_scans_and_closes_cases_of_the_old_number_with_a_note(ctx, shop_id):
    tracking = ship(ctx, shop_id, shipped_at=NOW - 40 * H)
    scans(ctx, shop_id, tracking, (NOW - 39 * H, 2, "快件异常：地址不详，无法派送", "廊坊"))
    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    found = {c.kind for c in cases(ctx)}
    assert "problem" in found or "delivery_failed" in found
    with ctx.sessions() as session:
        shipment_id = session.execute(select(Parcel.shipment_id)).scalar_one()
    with transaction(ctx.sessions) as session:
        report = service.forget_parcel(session, shipment_id, now=NOW + H, note="tracking number corrected: A → B",
                                       actor="boss", source="web")
    assert report.parcel and report.scans == 1 and report.closed == len(found) and report.kept == 0
    with ctx.sessions() as session:
        assert session.execute(select(func.count()).select_from(Parcel)).scalar() == 0
        assert session.execute(select(func.count()).select_from(TrackingEvent)).scalar() == 0
        closed = list(session.execute(select(Anomaly)).scalars())
        actions = list(session.execute(select(AnomalyAction).where(AnomalyAction.action == "tracking_corrected"))
                       .scalars())
        events = [json.loads(e.detail) for e in session.execute(
            select(OrderEvent).where(OrderEvent.kind == "logistics_anomaly_resolved")).scalars()]
    assert all(c.status == "resolved" and c.open_kind is None and c.closed_by == "boss" and "A → B" in c.note
               for c in closed)
    assert len(actions) == len(found) and all(a.actor == "boss" and a.to_status == "resolved" for a in actions)
    assert len(events) == len(found) and all("A → B" in e["reason"] for e in events)
    with transaction(ctx.sessions) as session:  # nothing left: forgetting again changes nothing
        again = service.forget_parcel(session, shipment_id, now=NOW + 2 * H, note="again")
    assert (again.parcel, again.scans, again.closed, again.kept) == (False, 0, 0, 0)


def test_forget_parcel_keeps_a_pickup_overdue_case_open_with_the_note_and_the_scan_resolves_it_later(ctx, shop_id):
    from xiaodian.logistics.ingest import adopt_shipments

    ship(ctx, shop_id, shipped_at=NOW - 30 * H)
    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    [case] = cases(ctx)
    assert case.kind == "pickup_timeout"
    with ctx.sessions() as session:
        shipment_id, order_pk = session.execute(select(Parcel.shipment_id, Parcel.order_pk)).one()
    with transaction(ctx.sessions) as session:
        report = service.forget_parcel(session, shipment_id, now=NOW + H, note="tracking number corrected: A → B")
        adopt_shipments(session, shop_id, NOW + H, order_pk=order_pk)
    assert report.kept == 1 and report.closed == 0
    [case] = cases(ctx)
    assert case.status == "open" and case.open_kind == "pickup_timeout"  # still not picked up under any number
    with ctx.sessions() as session:
        [noted] = session.execute(select(AnomalyAction).where(AnomalyAction.action == "tracking_corrected_kept")
                                  ).scalars()
    assert noted.note == "tracking number corrected: A → B" and noted.to_status == "open"
    assert scan_shop(ctx.sessions, shop_id, NOW + 2 * H, full=True).raised == 0  # the same case, not a second one
    with ctx.sessions() as session:
        tracking = session.execute(select(Parcel.tracking_no)).scalar_one()
    scans(ctx, shop_id, tracking, (NOW + 2 * H, 1, "【五常市】已揽收", "五常市"), now=NOW + 2 * H)
    assert scan_shop(ctx.sessions, shop_id, NOW + 3 * H, full=False).resolved == 1


def test_each_shop_is_scanned_with_its_own_thresholds(ctx, shop_id):
    from xiaodian.accounts.models import Shop
    from xiaodian.logistics.jobs import scan_all_shops
    from xiaodian.orders.domain import OrderStatus
    from xiaodian.orders.intake import upsert_orders

    from ..factories import make_record

    with transaction(ctx.sessions) as session:
        second = Shop(name="第二家店", platform_shop_id="7654321", created_at=NOW)
        session.add(second)
        session.flush()
        other = second.id
        for shop in (shop_id, other):
            upsert_orders(session, shop_id=shop, cipher=ctx.cipher, now=NOW, records=[make_record(
                order_id="6938459704022656901", status=OrderStatus.SHIPPED, carrier="中通快递",
                tracking_no=f"7310000000090{shop}", shipped_at=NOW - 14 * H)])
    change(ctx, other, pickup_warning=10, pickup_timeout=12)
    reports = scan_all_shops(ctx.sessions, NOW, thresholds=service.thresholds_from(ctx.settings))
    assert {r.shop_id: r.raised for r in reports} == {shop_id: 0, other: 1}
    [case] = cases(ctx)
    assert (case.shop_id, case.severity) == (other, "timeout")
