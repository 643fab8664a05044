"""A mistyped after-sale re-send (补寄) number is corrected like an order's own (SQLite and PostgreSQL): with a reason,
only before the carrier's first scan, the new number checked as a new re-send's is, audited and on the order's
timeline, its tracking restarted on the new number, and the case names the new number. The order's own shipping
facts (status, shipped_at, tracking list, late-shipment records, Douyin write-back, export columns) do not move,
although the order is completed (a re-send usually goes out on one)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from xiaodian.accounts.models import AuditEntry
from xiaodian.aftersales import service as aftersales
from xiaodian.aftersales.domain import Action, ActionInput, CaseType
from xiaodian.aftersales.models import AfterSaleCase
from xiaodian.db import transaction
from xiaodian.errors import Conflict, Forbidden, ValidationFailed
from xiaodian.logistics.ingest import Scan, record_scans
from xiaodian.logistics.jobs import scan_shop
from xiaodian.logistics.models import Anomaly, Parcel
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import Order, OrderEvent, Shipment
from xiaodian.shipping.corrections import correct_tracking, order_shipment_states
from xiaodian.shipping.models import TrackingCorrection

from ..conftest import NOW, cli_desk, csrf_of, login
from ..factories import make_record
from . import test_aftersale_resend_parcel as resend
from .test_aftersale_resend_parcel import (CASE, CS, ELSEWHERE, H, ORDER, OWN, RESEND, WAREHOUSE, _order_facts,
                                          _reship)

desk = resend.desk  # the fixture: a completed order with a 补寄 case the merchant agreed to
RIGHT = "73123456789099"  # the number the parcel really carries (ZTO-shaped)
OWNER = CS.__class__(None, "boss", "owner", "web")


def _correct(ctx, shop_id, number=RIGHT, reason="单号输错两位", at=NOW + 2 * H, principal=OWNER, **kw):
    with transaction(ctx.sessions) as session:
        return correct_tracking(session, shop_id=shop_id, order_id=ORDER, old_tracking_no=kw.pop("old", RESEND),
                                carrier="zhongtong", tracking_no=number, reason=reason, principal=principal, now=at,
                                **kw)


def test_a_resend_number_is_corrected_without_touching_the_orders_own_shipping(desk, shop_id):
    _reship(desk, shop_id)
    before = _order_facts(desk, shop_id)
    out = _correct(desk, shop_id)
    assert (out["resend_of"], out["before"]["tracking_no"], out["after"]["tracking_no"]) == (CASE, RESEND, RIGHT)
    assert out["platform_upload"] is None
    assert _order_facts(desk, shop_id) == before  # status, shipped_at, tracking, violations, outbox, export
    scan_shop(desk.sessions, shop_id, NOW + 27 * H, full=True)  # watched under the new number: its pickup is late
    with desk.sessions() as session:
        assert [tuple(r) for r in session.execute(select(Anomaly.kind, Parcel.tracking_no).join(
            Parcel, Parcel.shipment_id == Anomaly.shipment_id))] == [("pickup_timeout", RIGHT)]
    with desk.sessions() as session:
        shipment = session.execute(select(Shipment).where(Shipment.kind == "resend")).scalar_one()
        assert (shipment.tracking_no, shipment.aftersale_case_id) == (RIGHT, session.execute(
            select(AfterSaleCase.id).where(AfterSaleCase.aftersale_id == CASE)).scalar_one())
        case = session.execute(select(AfterSaleCase).where(AfterSaleCase.aftersale_id == CASE)).scalar_one()
        assert (case.reship_carrier, case.reship_tracking_no) == ("zhongtong", RIGHT)
        parcel = session.execute(select(Parcel).where(Parcel.shipment_id == shipment.id)).scalar_one()
        assert (parcel.tracking_no, parcel.watch, parcel.event_count) == (RIGHT, True, 0)  # watched afresh
        fixed = session.execute(select(TrackingCorrection)).scalar_one()
        assert (fixed.old_tracking_no, fixed.new_tracking_no, fixed.reason) == (RESEND, RIGHT, "单号输错两位")
        event = session.execute(select(OrderEvent).where(OrderEvent.kind == "tracking_edited")).scalar_one()
        assert json.loads(event.detail)["resend_of"] == CASE
        audit = session.execute(select(AuditEntry).where(AuditEntry.action == "shipping.correct_tracking")).scalar_one()
        assert (audit.target_id, json.loads(audit.detail)["resend_of"]) == (ORDER, CASE)
        order = session.execute(select(Order).where(Order.order_id == ORDER)).scalar_one()
        _order, states = order_shipment_states(session, shop_id=shop_id, order_id=ORDER, now=NOW + 3 * H)
        assert [(s.tracking_no, s.resend_of, s.correctable) for s in states] == [
            (OWN, None, False), (RIGHT, CASE, True)]  # the completed order's own parcel stays uncorrectable
        assert order.status == "completed"


def test_a_resend_number_is_refused_as_a_new_resend_number_would_be(desk, shop_id):
    _reship(desk, shop_id)
    for number, code in ((ELSEWHERE, "tracking_in_use"), (OWN, "tracking_already_on_order")):
        with pytest.raises(Conflict) as refused:
            _correct(desk, shop_id, number=number)
        assert refused.value.code == code
    with pytest.raises(ValidationFailed) as no_reason:
        _correct(desk, shop_id, reason=" ")
    assert no_reason.value.code == "reason_required"
    with desk.sessions() as session:
        assert session.execute(select(Shipment.tracking_no).where(Shipment.kind == "resend")).scalar_one() == RESEND


def test_a_resend_the_carrier_has_scanned_cannot_be_corrected(desk, shop_id):
    _reship(desk, shop_id)
    with transaction(desk.sessions) as session:
        parcel = session.execute(select(Parcel).where(Parcel.tracking_no == RESEND)).scalar_one()
        record_scans(session, parcel, [Scan(at=NOW + H, context="【杭州】已揽收", code=1, location="杭州")],
                     now=NOW + H, source="file")
    with pytest.raises(Conflict) as refused:
        _correct(desk, shop_id)
    assert (refused.value.code, refused.value.details["reason_code"]) == ("correction_refused", "parcel_picked_up")


def test_a_finished_cases_resend_cannot_be_corrected(desk, shop_id):
    _reship(desk, shop_id)
    with transaction(desk.sessions) as session:
        session.execute(AfterSaleCase.__table__.update().values(finished_at=NOW + H, status="closed"))
    with pytest.raises(Conflict) as refused:
        _correct(desk, shop_id)
    assert refused.value.details["reason_code"] == "case_finished"


def test_the_page_and_the_api_correct_a_resend(desk, shop_id, owner_client):
    _reship(desk, shop_id)
    order_page = owner_client.get(f"/orders/{ORDER}").text
    assert f'href="/shipping/orders/{ORDER}/tracking"' in order_page  # a completed order: its re-send's number
    assert f'/shipping/orders/{ORDER}/tracking"' in owner_client.get(f"/aftersales/{CASE}").text
    page = owner_client.get(f"/shipping/orders/{ORDER}/tracking").text
    package = page.split(f'data-resend-of="{CASE}"', 1)[1].split("</section>", 1)[0]
    assert f"<code>{RESEND}</code>" in package and "/correct" in package
    listed = owner_client.get(f"/api/v1/orders/{ORDER}/shipments").json()["shipments"]
    assert [(s["tracking_no"], s["resend_of"], s["correctable"]) for s in listed] == [
        (OWN, None, False), (RESEND, CASE, True)]
    sid = listed[1]["shipment_id"]
    posted = owner_client.post(f"/shipping/orders/{ORDER}/shipments/{sid}/correct", data={
        "carrier": "zhongtong", "tracking_no": RIGHT, "reason": "输错", "csrf_token": csrf_of(owner_client)},
        follow_redirects=False)
    assert posted.status_code == 303
    again = owner_client.patch(f"/api/v1/orders/{ORDER}/shipments/{sid}", headers={
        "x-csrf-token": csrf_of(owner_client)}, json={"carrier": "zhongtong", "tracking_no": RESEND, "reason": "改回"})
    assert again.status_code == 200, again.text
    assert (again.json()["resend_of"], again.json()["after"]["tracking_no"]) == (CASE, RESEND)
    assert again.json()["platform_upload"] is None
    timeline = owner_client.get(f"/orders/{ORDER}").text.split('class="card timeline"', 1)[1]
    fixed = timeline.split('class="ev-tracking_edited"')[2].split("</li>", 1)[0]  # the page's correction
    assert f'<span class="muted">补寄:</span> {CASE}</div>' in fixed and f"中通快递 {RIGHT}</div>" in fixed


def test_customer_service_corrects_the_resend_it_recorded_but_not_the_orders_own_parcel(desk, shop_id):
    """cs records a re-send with the case (aftersales.decide): it may correct that number itself instead of asking
    the warehouse; an order's own parcel stays the warehouse's and the owner's (shipping.ship)."""
    _reship(desk, shop_id)
    with transaction(desk.sessions) as session:
        own = session.execute(select(Shipment.id).where(Shipment.tracking_no == OWN)).scalar_one()
        session.execute(Order.__table__.update().where(Order.order_id == ORDER).values(status="shipped",
                                                                                       completed_at=None))
        with pytest.raises(Forbidden) as refused:
            correct_tracking(session, shop_id=shop_id, order_id=ORDER, shipment_id=own, carrier="zhongtong",
                             tracking_no=RIGHT, reason="输错", principal=CS, now=NOW + 2 * H)
        assert refused.value.details["permission"] == "shipping.ship"
    out = _correct(desk, shop_id, principal=CS)
    assert out["after"]["tracking_no"] == RIGHT
    with transaction(desk.sessions) as session:  # the warehouse still corrects re-sends too
        correct_tracking(session, shop_id=shop_id, order_id=ORDER, old_tracking_no=RIGHT, carrier="zhongtong",
                         tracking_no=RESEND, reason="改回", principal=WAREHOUSE, now=NOW + 2 * H)


def test_the_cases_own_history_records_the_correction(desk, shop_id, owner_client):
    _reship(desk, shop_id)
    _correct(desk, shop_id, principal=CS, reason="单号输错两位")
    history = owner_client.get(f"/api/v1/aftersales/{CASE}").json()["history"]
    [fixed] = [e for e in history if e["action"] == "resend_corrected"]
    assert json.loads(fixed["detail"]) == {"carrier": "zhongtong", "tracking_no": RIGHT, "old_tracking_no": RESEND,
                                           "reason": "单号输错两位"}
    assert (fixed["actor"], fixed["from_status"], fixed["to_status"]) == ("kefu1", None, None)  # no status change
    page = owner_client.get(f"/aftersales/{CASE}").text.split('class="card timeline"', 1)[1]
    assert "补寄单号已更正" in page and f"<code>{RIGHT}</code>" in page
    assert f"（原单号 {RESEND}；原因：单号输错两位）" in page


def test_a_cs_user_gets_the_correction_form_for_the_resend_only(desk, shop_id, app, users):
    from fastapi.testclient import TestClient

    _reship(desk, shop_id)
    with transaction(desk.sessions) as session:  # the order's own parcel still correctable (by the warehouse)
        session.execute(Order.__table__.update().where(Order.order_id == ORDER).values(
            status="shipped", completed_at=None, shipped_at=NOW - H))
        session.execute(Shipment.__table__.update().where(Shipment.tracking_no == OWN).values(shipped_at=NOW - H))
    with TestClient(app) as cs:
        login(cs, "cs")
        assert f'/shipping/orders/{ORDER}/tracking"' in cs.get(f"/aftersales/{CASE}").text
        assert f'href="/shipping/orders/{ORDER}/tracking"' in cs.get(f"/orders/{ORDER}").text
        page = cs.get(f"/shipping/orders/{ORDER}/tracking")
        assert page.status_code == 200
        own_card = page.text.split(f"<code>{OWN}</code>", 1)[1].split("</section>", 1)[0]
        assert "/correct" not in own_card and "not-yours" in own_card
        resend_card = page.text.split(f'data-resend-of="{CASE}"', 1)[1].split("</section>", 1)[0]
        assert "/correct" in resend_card
        listed = cs.get(f"/api/v1/orders/{ORDER}/shipments").json()["shipments"]
        by_no = {s["tracking_no"]: s["shipment_id"] for s in listed}
        refused = cs.patch(f"/api/v1/orders/{ORDER}/shipments/{by_no[OWN]}", headers={"x-csrf-token": csrf_of(cs)},
                           json={"carrier": "zhongtong", "tracking_no": RIGHT, "reason": "输错"})
        assert refused.status_code == 403
        posted = cs.post(f"/shipping/orders/{ORDER}/shipments/{by_no[RESEND]}/correct", data={
            "carrier": "zhongtong", "tracking_no": RIGHT, "reason": "输错", "csrf_token": csrf_of(cs)},
            follow_redirects=False)
        assert posted.status_code == 303


def _seed(ctx, shop_id):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record(
            order_id=ORDER, status=OrderStatus.COMPLETED, shipped_at=NOW - 120 * H, completed_at=NOW - 24 * H,
            carrier="中通快递", tracking_no=OWN)])
        aftersales.open_case(session, shop_id=shop_id, aftersale_id=CASE, order_id=ORDER, sku_order_id=None,
                             case_type=CaseType.RESEND, applied_at=NOW - 4 * H, now=NOW, source="sync",
                             principal=None, reason=aftersales.BuyerReason("少件/漏发"), refund_fen=0)
        for action, given in ((Action.AGREE, ActionInput()),
                              (Action.RESHIP, ActionInput(carrier="zhongtong", tracking_no=RESEND))):
            aftersales.merchant_action(session, shop_id=shop_id, aftersale_id=CASE, action=action, now=NOW,
                                       given=given, principal=CS)


def test_the_cli_corrects_a_resend_by_its_old_number(tmp_path):
    run = cli_desk(tmp_path, _seed)
    ok = run("correct-tracking", ORDER, "--old", RESEND, "--carrier", "zhongtong", "--tracking", RIGHT,
             "--reason", "输错两位", "--json")
    assert ok.exit_code == 0, ok.output
    out = json.loads(ok.stdout)
    assert (out["resend_of"], out["after"]["tracking_no"]) == (CASE, RIGHT)
    shown = json.loads(run("orders", "show", ORDER, "--json").stdout)
    assert [t["tracking_no"] for t in shown["tracking"]] == [OWN]  # the order's own tracking list


def test_a_parcel_no_source_reported_on_reads_no_tracking_information_not_awaiting_pickup(desk, shop_id, owner_client):
    """QA pass 6, #20: the completed order's own parcel, never scanned and no longer watched, read 物流: 待揽收 on the
    correction page while the order page said 无物流信息."""
    page = owner_client.get(f"/shipping/orders/{ORDER}/tracking").text
    own = page.split(f"<code>{OWN}</code>", 1)[1].split("</section>", 1)[0]
    assert "无物流信息" in own and "待揽收" not in own
    listed = owner_client.get(f"/api/v1/orders/{ORDER}/shipments").json()["shipments"]
    assert [s["parcel_state"] for s in listed if s["tracking_no"] == OWN] == [None]
