"""A shop with no source of carrier scans (no Kuaidi100, no tracking file ever imported) gets no case about a
parcel's missing pickup scan: the desk knows nothing about any parcel, and such a case drafted a buyer message saying
the parcel "还在等待快递揽收" (QA pass 6, #4: by day 3 every parcel of an export-only shop was a 揽收超时 case). Once a
tracking file brings scans, the shop is tracked and a parcel still without a pickup scan is a case again."""

from __future__ import annotations

from xiaodian.logistics import rules
from xiaodian.logistics.domain import ParcelState
from xiaodian.logistics.jobs import scan_shop
from xiaodian.logistics.service import live_tracking
from xiaodian.settings import Settings

from ..conftest import NOW
from .test_logistics_scan import H, cases, scans, ship

WEEK = 7 * 24 * H


def test_the_rules_raise_nothing_about_a_missing_scan_when_the_shop_is_untracked():
    never = rules.ParcelFacts(shipped_at=NOW - 2 * WEEK, state=ParcelState.PENDING, state_since=None,
                              picked_up=False, last_event_at=None)
    assert {f.kind.value for f in rules.detect(never, NOW)} == {"pickup_timeout", "suspected_lost"}
    assert rules.detect(never, NOW, untracked=True) == []


def test_an_untracked_shop_gets_no_pickup_case_until_a_tracking_file_brings_scans(ctx, shop_id):
    quiet = ship(ctx, shop_id, order_id="6938459704022656101", tracking="73100000000001", shipped_at=NOW - 40 * H)
    moving = ship(ctx, shop_id, order_id="6938459704022656102", tracking="73100000000002", shipped_at=NOW - 40 * H)
    report = scan_shop(ctx.sessions, shop_id, NOW, full=True, tracked=None)
    assert report.adopted == 2 and report.raised == 0 and cases(ctx) == []
    assert scan_shop(ctx.sessions, shop_id, NOW + WEEK, full=True, tracked=None).raised == 0  # not "lost" either

    scans(ctx, shop_id, moving, (NOW - 30 * H, 1, "【五常市】中通快递 已揽收", "五常市"))  # a tracking file arrives
    assert scan_shop(ctx.sessions, shop_id, NOW + H, full=True, tracked=None).raised == 1
    [case] = cases(ctx, kind="pickup_timeout")  # the parcel the file did not scan: now a real finding
    with ctx.sessions() as session:
        from xiaodian.logistics.models import Parcel

        assert session.get(Parcel, case.shipment_id).tracking_no == quiet


def test_false_cases_raised_before_close_themselves_once_the_shop_is_known_to_be_untracked(ctx, shop_id):
    ship(ctx, shop_id, shipped_at=NOW - 40 * H)
    assert scan_shop(ctx.sessions, shop_id, NOW, full=True).raised == 1  # the old behaviour (tracked assumed)
    assert scan_shop(ctx.sessions, shop_id, NOW + H, full=True, tracked=None).resolved == 1
    assert [c.status for c in cases(ctx)] == ["resolved"]


def test_live_tracking_is_kuaidi100_or_the_demo_carrier_else_decided_per_shop(tmp_path):
    base = {"data_dir": tmp_path}
    assert live_tracking(Settings(**base)) is None
    assert live_tracking(Settings(**base, demo=True)) is True
    assert live_tracking(Settings(**base, kuaidi100_customer="C", kuaidi100_key="K")) is True
