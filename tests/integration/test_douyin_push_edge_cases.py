"""Push messages at the edges of the contract (QA pass 2), through the ASGI app and the local fake Open Platform
(SQLite and PostgreSQL): an order message without p_id is a problem for the owner, not an unused tag; a ship-by
moved by the platform (push 126, or a sync) is an event on the order's timeline."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import select

from xiaodian.channels.douyin import service
from xiaodian.channels.douyin.models import DouyinInbox
from xiaodian.db import transaction

from ..conftest import NOW
from ..fakes.douyin import APP_SECRET, platform_order

OID = "4900000000000000102"


FAKE_NOW = NOW - timedelta(minutes=30)  # the platform's clock (conftest.fake)


def send(http, fake, messages):
    body = fake.push_body(messages)
    return http.post("/hooks/douyin", content=body, headers=fake.push_headers(body))


def inbox(ctx) -> dict:
    with ctx.sessions() as session:
        return {r.msg_id: r for r in session.execute(select(DouyinInbox)).scalars()}


def test_an_order_message_without_p_id_is_a_problem_message_not_an_ignored_tag(connected, http, fake, shop_id):
    fake.put_order(platform_order(OID, create=NOW - timedelta(hours=1)))
    send(http, fake, [{"tag": 101, "msg_id": "p1", "data": {"shop_order_id": OID}}])
    row = inbox(connected)["p1"]
    assert row.state == "failed" and "without p_id" in row.outcome and "not used" not in row.outcome
    with connected.sessions() as session:
        status = service.status(session, shop_id=shop_id, now=NOW)
    assert status["inbox"]["failed"] == 1 and status["inbox"]["ignored"] == 0
    assert [p["msg_id"] for p in status["problems"]] == ["p1"]


def test_a_ship_by_moved_by_the_platform_tag_126_adds_a_timeline_event(connected, owner_client, fake, shop_id):
    from xiaodian.orders.models import Order, OrderEvent

    fake.put_order(platform_order(OID, create=NOW - timedelta(hours=1), exp_ship=NOW + timedelta(days=2)))
    send(owner_client, fake, [{"tag": 101, "msg_id": "f0", "data": {"p_id": OID}}])
    fake.put_order(platform_order(OID, create=NOW - timedelta(hours=1), exp_ship=NOW + timedelta(hours=2)))
    send(owner_client, fake, [{"tag": 126, "msg_id": "f1", "data": {"p_id": OID}}])
    send(owner_client, fake, [{"tag": 126, "msg_id": "f2", "data": {"p_id": OID}}])  # the same time again: no event
    with connected.sessions() as session:
        order = session.execute(select(Order).where(Order.order_id == OID)).scalar_one()
        events = session.execute(select(OrderEvent).where(OrderEvent.order_pk == order.id,
                                                          OrderEvent.kind == "ship_by_changed")).scalars().all()
    assert order.ship_by == NOW + timedelta(hours=2)
    (event,) = events
    assert (event.source, event.actor, event.at) == ("sync", "douyin", NOW)
    detail = {k: datetime.fromisoformat(v) for k, v in json.loads(event.detail).items()}
    assert detail == {"previous_ship_by": NOW + timedelta(days=2), "ship_by": NOW + timedelta(hours=2)}
    page = owner_client.get(f"/orders/{OID}").text
    assert "平台修改承诺发货时间" in page and "原承诺发货时间" in page and "2026-11-26 18:00" in page


def test_a_sync_that_brings_a_new_ship_by_adds_the_event_too(connected, fake, shop_id):
    from xiaodian.channels.douyin import sync
    from xiaodian.orders.models import OrderEvent

    fake.put_order(platform_order(OID, create=NOW - timedelta(hours=1), exp_ship=NOW + timedelta(days=2)))
    client = service.build_client(connected.sessions, shop_id=shop_id, settings=connected.settings,
                                  cipher=connected.cipher, clock=connected.clock, sleep=lambda s: None)
    sync.sync_orders(connected.sessions, shop_id=shop_id, client=client, cipher=connected.cipher, now=NOW,
                     settings=connected.settings)
    fake.now = NOW + timedelta(minutes=1)
    fake.put_order(platform_order(OID, create=NOW - timedelta(hours=1), exp_ship=NOW + timedelta(days=1)))
    sync.sync_orders(connected.sessions, shop_id=shop_id, client=client, cipher=connected.cipher,
                     now=NOW + timedelta(minutes=2), settings=connected.settings)
    with connected.sessions() as session:
        kinds = session.execute(select(OrderEvent.kind)).scalars().all()
    assert kinds.count("ship_by_changed") == 1


def test_a_secret_rotated_by_another_process_is_honoured_after_the_cache_ttl_with_a_fixed_desk_clock(
        connected, http, fake, shop_id, monkeypatch):
    """D10: under XIAODIAN_NOW (a FixedClock, as here) the credential cache measured its age with the desk's clock,
    which stands still, so a secret changed by `xiaodian shop connect` in another process was never honoured."""
    from xiaodian.channels.douyin import push
    from xiaodian.channels.douyin.models import DouyinConnection

    ticks = [1000.0]
    monkeypatch.setattr(push, "_monotonic", lambda: ticks[0], raising=False)
    fake.put_order(platform_order(OID, create=NOW - timedelta(hours=1)))
    assert send(http, fake, [{"tag": 101, "msg_id": "r1", "data": {"p_id": OID}}]).status_code == 200  # now cached
    with transaction(connected.sessions) as session:  # what the other process wrote (this one's cache not cleared)
        conn = session.execute(select(DouyinConnection)).scalar_one()
        conn.app_secret_enc = connected.cipher.encrypt("douyin_app_secret", "new-secret-rotated")
    ticks[0] += push.CREDENTIALS_TTL.total_seconds() + 10
    fake.app_secret = "new-secret-rotated"
    body = fake.push_body([{"tag": 101, "msg_id": "r2", "data": {"p_id": OID}}])
    assert http.post("/hooks/douyin", content=body, headers=fake.push_headers(body)).status_code == 200
    fake.app_secret = APP_SECRET  # the old secret: refused now
    body = fake.push_body([{"tag": 101, "msg_id": "r3", "data": {"p_id": OID}}])
    assert http.post("/hooks/douyin", content=body, headers=fake.push_headers(body)).status_code == 403


def test_a_replayed_batch_does_not_store_its_raw_body_again(connected, http, fake):
    """D12: each replay of a captured batch (the signature has no timestamp) added a row with the whole raw body."""
    from xiaodian.channels.douyin.models import DouyinPushBatch

    fake.put_order(platform_order(OID, create=NOW - timedelta(hours=1)))
    for _ in range(5):
        assert send(http, fake, [{"tag": 101, "msg_id": "a1", "data": {"p_id": OID}}]).json() == {"code": 0,
                                                                                                  "msg": "success"}
    send(http, fake, [{"tag": 101, "msg_id": "a1", "data": {"p_id": OID}},
                      {"tag": 105, "msg_id": "a2", "data": {"p_id": OID}}])  # one new message: kept
    with connected.sessions() as session:
        batches = session.execute(select(DouyinPushBatch.new_messages).order_by(DouyinPushBatch.id)).scalars().all()
    assert batches == [1, 1] and len(inbox(connected)) == 2


def test_handled_messages_and_their_batches_are_pruned_after_the_retention_pending_and_failed_are_kept(
        connected, http, fake, shop_id):
    from xiaodian.channels.douyin import push
    from xiaodian.channels.douyin.models import DouyinPushBatch

    fake.put_order(platform_order(OID, create=NOW - timedelta(hours=1)))
    send(http, fake, [{"tag": 101, "msg_id": "old1", "data": {"p_id": OID}},
                      {"tag": 999, "msg_id": "old2", "data": {}}])  # done, ignored
    send(http, fake, [{"tag": 101, "msg_id": "bad", "data": {"shop_order_id": OID}}])  # failed: kept for the owner
    assert push.prune(connected.sessions, shop_id=shop_id, now=NOW + push.PUSH_RETENTION - timedelta(minutes=1)) == 0
    assert set(inbox(connected)) == {"old1", "old2", "bad"}
    assert push.prune(connected.sessions, shop_id=shop_id, now=NOW + push.PUSH_RETENTION + timedelta(minutes=1)) == 1
    assert set(inbox(connected)) == {"bad"}
    with connected.sessions() as session:
        assert session.execute(select(DouyinPushBatch.messages)).scalars().all() == [1]


def test_the_hourly_reconcile_job_prunes(connected, fake, shop_id):
    from xiaodian.channels.douyin import push
    from xiaodian.channels.douyin.jobs import run_reconcile

    with transaction(connected.sessions) as session:
        push.store(session, shop_id=shop_id, now=NOW - push.PUSH_RETENTION - timedelta(hours=1),
                   raw_body=fake.push_body([{"tag": 999, "msg_id": "x", "data": {}}]))
    push.process_pending(connected.sessions, shop_id=shop_id, client=None, cipher=connected.cipher, now=NOW)
    run_reconcile(connected)
    assert inbox(connected) == {}


def test_the_status_page_states_the_retention(connected, owner_client):
    from xiaodian.channels.douyin.push import PUSH_RETENTION

    page = owner_client.get("/settings/douyin").text
    assert f"推送原文和已处理的消息保留 {PUSH_RETENTION.days} 天后删除" in page
