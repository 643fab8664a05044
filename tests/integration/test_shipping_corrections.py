"""Correcting a mistyped tracking number on SQLite and PostgreSQL: the same checks as shipping, a reason, the
timeline, the audit log and the correction history; the package's tracking starts afresh under the new number; and
a clear refusal once the parcel is picked up or signed, the order is done, or the desk's limits have passed."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from xiaodian.accounts.models import AuditEntry
from xiaodian.accounts.service import Principal
from xiaodian.db import transaction
from xiaodian.errors import DomainError
from xiaodian.logistics.ingest import Scan, find_parcels, record_scans
from xiaodian.logistics.models import Parcel, TrackingEvent
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import OrderEvent, Shipment
from xiaodian.shipping import service
from xiaodian.shipping.corrections import correct_tracking, order_shipment_states
from xiaodian.shipping.models import ShipmentItem, TrackingCorrection
from xiaodian.shipping.service import ShipRequest

from ..conftest import NOW
from ..factories import make_record

CLERK = Principal(None, "cangku", "warehouse", "web")
CS = Principal(None, "kefu", "cs", "web")
OID = "6938459704022656025"
OTHER = "6938459704022656026"
WRONG, RIGHT = "SF1234567890123", "SF1234567890132"
M = timedelta(minutes=1)


def seed_and_ship(ctx, shop_id, number=WRONG, carrier="shunfeng"):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=[make_record(OID, ship_by=NOW + timedelta(hours=5)),
                                                         make_record(OTHER, ship_by=NOW + timedelta(hours=5))],
                      cipher=ctx.cipher, now=NOW)
        service.ship_order(session, shop_id=shop_id, principal=CLERK, now=NOW,
                           req=ShipRequest(OID, carrier, number, confirm_warnings=True))


def correct(ctx, shop_id, *, now=NOW + 10 * M, principal=CLERK, **kw):
    args = {"old_tracking_no": WRONG, "carrier": "shunfeng", "tracking_no": RIGHT, "reason": "单号输错一位"} | kw
    with transaction(ctx.sessions) as session:
        return correct_tracking(session, shop_id=shop_id, order_id=OID, principal=principal, now=now, **args)


def refusal(ctx, shop_id, **kw) -> DomainError:
    with pytest.raises(DomainError) as info:
        correct(ctx, shop_id, **kw)
    return info.value


def scans(ctx, shop_id, number, *items):
    with transaction(ctx.sessions) as session:
        parcel = find_parcels(session, shop_id, number, NOW)[0]
        record_scans(session, parcel, [Scan(at, text, code) for at, code, text in items], source="file", now=NOW)


def test_a_corrected_number_replaces_the_wrong_one_with_reason_timeline_audit_and_history(ctx, shop_id):
    seed_and_ship(ctx, shop_id)
    out = correct(ctx, shop_id)
    assert (out["before"]["tracking_no"], out["after"]["tracking_no"], out["corrections"]) == (WRONG, RIGHT, 1)
    with ctx.sessions() as session:
        shipment = session.execute(select(Shipment)).scalar_one()
        assert (shipment.carrier_code, shipment.tracking_no) == ("shunfeng", RIGHT)
        assert session.execute(select(ShipmentItem.shipment_id)).scalars().all() == [shipment.id]  # items stay
        event = session.execute(select(OrderEvent).where(OrderEvent.kind == "tracking_edited")).scalar_one()
        detail = json.loads(event.detail)
        assert (detail["before"]["tracking_no"], detail["after"]["tracking_no"], detail["reason"]) == (
            WRONG, RIGHT, "单号输错一位")
        assert (event.actor, event.source) == ("cangku", "web")
        audit = session.execute(select(AuditEntry).where(AuditEntry.action == "shipping.correct_tracking")
                                ).scalar_one()
        assert audit.target_id == OID and RIGHT in audit.after and "单号输错一位" in audit.detail
        row = session.execute(select(TrackingCorrection)).scalar_one()
        assert (row.old_tracking_no, row.new_tracking_no, row.reason, row.actor) == (WRONG, RIGHT, "单号输错一位",
                                                                                    "cangku")


def test_the_tracking_picture_of_the_wrong_number_is_dropped_and_the_package_tracked_under_the_new_one(ctx, shop_id):
    seed_and_ship(ctx, shop_id)
    scans(ctx, shop_id, WRONG, (NOW + M, 101, "已下单"))  # a pre-pickup event of the wrong number
    correct(ctx, shop_id)
    with ctx.sessions() as session:
        [parcel] = session.execute(select(Parcel)).scalars().all()
        assert (parcel.tracking_no, parcel.carrier_code, parcel.state) == (RIGHT, "shunfeng", "pending")
        assert session.execute(select(func.count()).select_from(TrackingEvent)).scalar_one() == 0


def test_the_same_checks_as_shipping_apply(ctx, shop_id):
    seed_and_ship(ctx, shop_id)
    with transaction(ctx.sessions) as session:
        service.ship_order(session, shop_id=shop_id, principal=CLERK, now=NOW,
                           req=ShipRequest(OTHER, "shunfeng", "SF9999999999999"))
    assert refusal(ctx, shop_id, tracking_no="").code == "tracking_empty"
    assert refusal(ctx, shop_id, tracking_no="SF-12").code == "tracking_malformed"
    assert refusal(ctx, shop_id, carrier="飞鸽快运").code == "carrier_unknown"
    assert refusal(ctx, shop_id, tracking_no="SF9999999999999").code == "tracking_in_use"
    assert refusal(ctx, shop_id, tracking_no=WRONG).code == "correction_unchanged"
    warned = refusal(ctx, shop_id, carrier="zhongtong", tracking_no="12345678")
    assert warned.code == "confirmation_required"
    assert "ZTO Express numbers are usually" in warned.message and warned.details["usual"]  # QA pass 13, #12
    assert correct(ctx, shop_id, carrier="zhongtong", tracking_no="12345678", confirm_warnings=True)["warnings"]


def test_a_reason_is_required_and_the_role_must_be_allowed_to_ship(ctx, shop_id):
    seed_and_ship(ctx, shop_id)
    assert refusal(ctx, shop_id, reason="  ").code == "reason_required"
    assert refusal(ctx, shop_id, principal=CS).code == "forbidden"
    assert refusal(ctx, shop_id, old_tracking_no="SF0000000000000").code == "shipment_not_found"


def test_refused_once_the_carrier_has_picked_the_parcel_up(ctx, shop_id):
    seed_and_ship(ctx, shop_id)
    scans(ctx, shop_id, WRONG, (NOW + M, 1, "【五常市】顺丰速运 已揽收"))
    refused = refusal(ctx, shop_id)
    assert (refused.code, refused.http_status, refused.details["reason_code"]) == (
        "correction_refused", 409, "parcel_picked_up")
    assert "揽收" in refused.message


def test_refused_once_the_parcel_is_signed_for(ctx, shop_id):
    seed_and_ship(ctx, shop_id)
    scans(ctx, shop_id, WRONG, (NOW + M, 3, "已签收"))
    assert refusal(ctx, shop_id).details["reason_code"] == "parcel_delivered"


def test_refused_after_the_window_and_after_the_limit(ctx, shop_id):
    seed_and_ship(ctx, shop_id)
    assert refusal(ctx, shop_id, now=NOW + timedelta(hours=24, minutes=1)).details["reason_code"] == (
        "correction_window_passed")
    correct(ctx, shop_id)
    correct(ctx, shop_id, old_tracking_no=RIGHT, tracking_no="SF1234567890134")
    refused = refusal(ctx, shop_id, old_tracking_no="SF1234567890134", tracking_no="SF1234567890135")
    assert refused.details["reason_code"] == "correction_limit_reached"
    with ctx.sessions() as session:
        _order, [state] = order_shipment_states(session, shop_id=shop_id, order_id=OID, now=NOW + 20 * M)
    assert (state.correctable, state.corrections, state.refusal_code) == (False, 2, "correction_limit_reached")


def test_refused_for_a_completed_order(ctx, shop_id):
    from xiaodian.orders.domain import OrderStatus

    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record(
            OID, status=OrderStatus.COMPLETED, carrier="顺丰速运", tracking_no=WRONG, shipped_at=NOW - 10 * M,
            completed_at=NOW - 5 * M)])
    assert refusal(ctx, shop_id).details["reason_code"] == "order_completed"
