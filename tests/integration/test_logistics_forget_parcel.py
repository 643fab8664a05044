"""Shipping's tracking-number correction goes through logistics.service.forget_parcel (SQLite and PostgreSQL): the
old number's parcel and scans go, the package is tracked afresh under the new number, and its open pickup-overdue
case is kept with the correction noted on it (who, old → new, why), then resolves itself once the new number
shows a pickup scan."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from xiaodian.db import transaction
from xiaodian.logistics.jobs import scan_shop
from xiaodian.logistics.models import Anomaly, AnomalyAction, Parcel, TrackingEvent

from ..conftest import NOW
from .test_shipping_corrections import RIGHT, WRONG, correct, scans, seed_and_ship

H = timedelta(hours=1)


def test_a_corrected_number_keeps_the_pickup_case_with_a_note_and_tracks_the_new_number(ctx, shop_id):
    seed_and_ship(ctx, shop_id)
    scans(ctx, shop_id, WRONG, (NOW + H, 101, "已下单"))  # a pre-pickup event of the wrong number
    assert scan_shop(ctx.sessions, shop_id, NOW + 21 * H, full=True).raised == 1  # 21 h: pickup warning
    correct(ctx, shop_id, now=NOW + 22 * H)
    with ctx.sessions() as session:
        [parcel] = session.execute(select(Parcel)).scalars().all()
        assert parcel.tracking_no == RIGHT and parcel.state == "pending"
        assert session.execute(select(func.count()).select_from(TrackingEvent)).scalar_one() == 0
        [case] = session.execute(select(Anomaly)).scalars().all()
        [noted] = session.execute(select(AnomalyAction).where(AnomalyAction.action == "tracking_corrected_kept")
                                  ).scalars()
    assert (case.kind, case.status, case.open_kind) == ("pickup_timeout", "open", "pickup_timeout")
    assert noted.actor == "cangku" and noted.channel == "web"
    assert f"{WRONG} → {RIGHT}" in noted.note and "单号输错一位" in noted.note
    report = scan_shop(ctx.sessions, shop_id, NOW + 25 * H, full=True)
    assert report.raised == 0 and report.escalated == 1  # the same case grows (25 h ≥ 24 h), no second case
    with transaction(ctx.sessions) as session:
        from xiaodian.logistics.ingest import Scan, find_parcels, record_scans

        parcel = find_parcels(session, shop_id, RIGHT, NOW + 26 * H)[0]
        record_scans(session, parcel, [Scan(NOW + 26 * H, "【深圳】顺丰速运 已收取快件", 1, "深圳")], source="file",
                     now=NOW + 26 * H)
    assert scan_shop(ctx.sessions, shop_id, NOW + 27 * H, full=False).resolved == 1
