"""Agree / reject in the after-sales desk written back with afterSale.operate through the outbox, against the local
fake (SQLite and PostgreSQL): nothing is queued while the shop's write switch is off (the default); with it on, one
row per decision, sent once and never again; a reject carries its reason code; the platform's refusal is kept with
its sub_code/sub_msg and can be retried; throttling leaves the row waiting for the next run."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from xiaodian.accounts.service import Principal
from xiaodian.aftersales import service as aftersales
from xiaodian.aftersales.domain import Action, ActionInput, CaseType
from xiaodian.channels.douyin import operate, outbox, service
from xiaodian.channels.douyin.models import DouyinOutbox
from xiaodian.db import transaction
from xiaodian.errors import Forbidden
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW
from ..factories import make_record
from ..fakes.douyin import APP_KEY, APP_SECRET, SHOP_ID, FakeDouyin, platform_aftersale, platform_order

OID, AID = "4907538423936588900", "7100000000000000001"
OWNER = Principal(1, "owner", "owner", "web")
WAREHOUSE = Principal(3, "warehouse", "warehouse", "web")


@pytest.fixture
def fake():
    server = FakeDouyin(now=NOW)
    server.start()
    server.put_order(platform_order(OID, create=NOW - timedelta(days=2)))
    server.put_aftersale(platform_aftersale(AID, OID, apply=NOW - timedelta(hours=1)))
    yield server
    server.stop()


@pytest.fixture
def client(ctx, shop_id, fake):
    ctx.settings = ctx.settings.model_copy(update={"douyin_gateway": fake.url})
    with transaction(ctx.sessions) as session:
        service.connect(session, shop_id=shop_id, platform_shop_id=SHOP_ID, app_key=APP_KEY, app_secret=APP_SECRET,
                        cipher=ctx.cipher, principal=service.SYNC, now=NOW)
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(order_id=OID, status=OrderStatus.SHIPPED, shipped_at=NOW - timedelta(days=1))])
    return service.build_client(ctx.sessions, shop_id=shop_id, settings=ctx.settings, cipher=ctx.cipher,
                                clock=ctx.clock, sleep=lambda s: None)


def open_case(ctx, shop_id, kind=CaseType.REFUND_SHIPPED):
    with transaction(ctx.sessions) as session:
        aftersales.open_case(session, shop_id=shop_id, aftersale_id=AID, order_id=OID, sku_order_id=None,
                             case_type=kind, applied_at=NOW - timedelta(hours=1), now=NOW, source="sync",
                             principal=None, refund_fen=5990)


def decide(ctx, shop_id, action, given=ActionInput(), principal=OWNER):
    with transaction(ctx.sessions) as session:
        return aftersales.merchant_action(session, shop_id=shop_id, aftersale_id=AID, action=action, given=given,
                                          principal=principal, now=NOW).status


def writes(ctx, shop_id, on: bool):
    with transaction(ctx.sessions) as session:
        service.set_write_enabled(session, shop_id=shop_id, enabled=on, principal=service.SYNC, now=NOW)


def rows(ctx):
    with ctx.sessions() as session:
        return session.execute(select(DouyinOutbox).order_by(DouyinOutbox.id)).scalars().all()


def send(ctx, shop_id, client):
    return outbox.send_pending(ctx.sessions, shop_id=shop_id, client=client, now=NOW)


def operate_calls(fake):
    return [r for r in fake.requests if r["method"] == "afterSale.operate"]


def test_with_writes_off_a_decision_queues_nothing(ctx, shop_id, client, fake):
    open_case(ctx, shop_id)
    decide(ctx, shop_id, Action.AGREE)
    assert rows(ctx) == [] and send(ctx, shop_id, client).sent == 0 and operate_calls(fake) == []


def test_with_writes_on_an_agreed_refund_is_sent_once_however_often_the_job_runs(ctx, shop_id, client, fake):
    writes(ctx, shop_id, True)
    open_case(ctx, shop_id)
    decide(ctx, shop_id, Action.AGREE)
    (row,) = rows(ctx)
    assert row.kind == operate.KIND and row.state == "pending" and row.order_id == OID
    assert send(ctx, shop_id, client).sent == 1
    assert fake.operations == [{"type": operate.AGREE_REFUND, "aftersale_id": AID}]
    assert send(ctx, shop_id, client).sent == 0
    (call,) = operate_calls(fake)
    assert call["signed_ok"]
    (row,) = rows(ctx)
    assert row.state == "sent" and row.sent_at == NOW and row.attempts == 1
    with ctx.sessions() as session:
        status = service.status(session, shop_id=shop_id, now=NOW)
    assert status["decisions"] == {"pending": 0, "sent": 1, "failed": 0}
    assert status["outbox"] == {"pending": 0, "sent": 0, "failed": 0}  # tracking uploads are counted apart


def test_a_reject_carries_the_reject_reason_code_and_note(ctx, shop_id, client, fake):
    writes(ctx, shop_id, True)
    open_case(ctx, shop_id)
    decide(ctx, shop_id, Action.REJECT, ActionInput(reject_code="beyond_policy", note="超出售后政策，请联系客服"))
    assert send(ctx, shop_id, client).sent == 1
    assert fake.operations == [{"type": operate.REJECT_REFUND, "aftersale_id": AID,
                                "reject_reason_code": "beyond_policy", "remark": "超出售后政策，请联系客服"}]


def test_the_fake_refuses_a_reject_without_a_reason_code_and_the_message_is_kept(ctx, shop_id, client, fake):
    writes(ctx, shop_id, True)
    open_case(ctx, shop_id)
    decide(ctx, shop_id, Action.REJECT, ActionInput(reject_code="other", note="不符合售后政策"))
    with transaction(ctx.sessions) as session:  # a row damaged on the way: the platform's check must show
        row = session.execute(select(DouyinOutbox)).scalar_one()
        payload = json.loads(row.payload)
        del payload["items"][0]["reject_reason_code"]
        row.payload = json.dumps(payload)
    assert send(ctx, shop_id, client).failed == 1
    error = json.loads(rows(ctx)[0].last_error)
    assert error["sub_code"] == "isv.invalid-param" and "reject_reason_code" in error["sub_msg"]
    assert fake.operations == []


def test_a_refusal_keeps_sub_code_and_sub_msg_and_the_owner_can_retry(ctx, shop_id, client, fake):
    writes(ctx, shop_id, True)
    del fake.aftersales[AID]
    open_case(ctx, shop_id)
    decide(ctx, shop_id, Action.AGREE)
    assert send(ctx, shop_id, client).failed == 1
    (row,) = rows(ctx)
    error = json.loads(row.last_error)
    assert row.state == "failed" and error["sub_code"] == "isv.aftersale-not-exist" and error["sub_msg"] == "售后单不存在"
    with ctx.sessions() as session:
        assert service.status(session, shop_id=shop_id, now=NOW)["decisions"]["failed"] == 1
    fake.put_aftersale(platform_aftersale(AID, OID, apply=NOW - timedelta(hours=1)))
    with transaction(ctx.sessions) as session:
        assert outbox.retry_failed_uploads(session, shop_id=shop_id) == 1
    assert send(ctx, shop_id, client).sent == 1 and len(fake.operations) == 1
    assert send(ctx, shop_id, client).sent == 0 and len(operate_calls(fake)) == 2  # the refused try, then one


def test_throttling_leaves_the_decision_pending_for_the_next_run(ctx, shop_id, client, fake):
    writes(ctx, shop_id, True)
    open_case(ctx, shop_id)
    decide(ctx, shop_id, Action.AGREE)
    client.token = None
    client.create_token()
    fake.throttle = ["code"] * 4
    assert send(ctx, shop_id, client).retry == 1
    assert rows(ctx)[0].state == "pending" and fake.operations == []
    assert send(ctx, shop_id, client).sent == 1 and len(fake.operations) == 1


def test_a_decision_already_on_the_platform_counts_as_sent(ctx, shop_id, client, fake):
    writes(ctx, shop_id, True)
    fake.operations.append({"type": operate.AGREE_REFUND, "aftersale_id": AID})  # agreed there by hand
    open_case(ctx, shop_id)
    decide(ctx, shop_id, Action.AGREE)
    assert send(ctx, shop_id, client).sent == 1
    assert "already on the platform" in rows(ctx)[0].last_error


def test_a_return_walks_first_and_second_review_each_sent_once(ctx, shop_id, client, fake):
    writes(ctx, shop_id, True)
    open_case(ctx, shop_id, kind=CaseType.RETURN_REFUND)
    decide(ctx, shop_id, Action.AGREE)
    with transaction(ctx.sessions) as session:
        case = aftersales.require_case(session, shop_id, AID)
        aftersales.buyer_event(session, case, Action.SHIP_RETURN, now=NOW, source="sync", tracking_no="SF100",
                               carrier="shunfeng")
    decide(ctx, shop_id, Action.RECEIVE, ActionInput(inspection="as_expected"))
    assert [r.state for r in rows(ctx)] == ["pending", "pending"]
    assert send(ctx, shop_id, client).sent == 2 and send(ctx, shop_id, client).sent == 0
    assert [op["type"] for op in fake.operations] == [operate.AGREE_RETURN, operate.AGREE_AFTER_RECEIPT]


def test_a_second_rejection_after_the_buyer_reapplies_is_a_new_decision(ctx, shop_id, client, fake):
    writes(ctx, shop_id, True)
    open_case(ctx, shop_id)
    decide(ctx, shop_id, Action.REJECT, ActionInput(reject_code="other", note="先联系客服"))
    assert send(ctx, shop_id, client).sent == 1
    with transaction(ctx.sessions) as session:
        case = aftersales.require_case(session, shop_id, AID)
        aftersales.buyer_event(session, case, Action.MODIFY, now=NOW + timedelta(minutes=5), source="sync")
    fake.operations.clear()  # the platform opened a new round for the modified request
    decide(ctx, shop_id, Action.AGREE)
    assert len(rows(ctx)) == 2 and send(ctx, shop_id, client).sent == 1
    assert fake.operations == [{"type": operate.AGREE_REFUND, "aftersale_id": AID}]


def test_warehouse_staff_cannot_decide_so_nothing_is_queued(ctx, shop_id, client, fake):
    writes(ctx, shop_id, True)
    open_case(ctx, shop_id)
    with pytest.raises(Forbidden):
        decide(ctx, shop_id, Action.AGREE, principal=WAREHOUSE)
    assert rows(ctx) == []


def test_actions_the_platform_does_not_take_from_operate_are_not_queued():
    assert operate.operate_params(aftersale_id=AID, case_type="return_refund", from_status="refunding",
                                  action="refund") is None
    assert operate.operate_params(aftersale_id=AID, case_type="resend", from_status="waiting_merchant_ship",
                                  action="reship") is None
    assert operate.operate_params(aftersale_id=AID, case_type="resend", from_status="waiting_merchant",
                                  action="agree") == {"type": operate.AGREE_RESEND, "items": [{"aftersale_id": AID}]}
