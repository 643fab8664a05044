"""The Kuaidi100 client and poller against the local fake over real HTTP: signed queries, the phone SF/ZTO need,
at most one query per waybill per 30 minutes, back-off after errors, no queries after a final state, the last
successful poll kept, and subscription answers (200, 501 already, 600 key, 701 unknown carrier)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from xiaodian.db import transaction
from xiaodian.logistics import kuaidi100
from xiaodian.logistics.ingest import adopt_shipments
from xiaodian.logistics.models import Parcel
from xiaodian.logistics.tracking import poll_due, subscribe_new
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW
from ..factories import make_record
from ..fakes.kuaidi100 import FakeKuaidi100, Waybill

NUMBER = "73100000000077"


@pytest.fixture
def fake():
    server = FakeKuaidi100()
    url = server.start()
    server.url = url
    yield server
    server.stop()


def client_for(ctx, fake, **extra) -> kuaidi100.Client:
    ctx.settings = ctx.settings.model_copy(update={"kuaidi100_customer": fake.customer, "kuaidi100_key": fake.key,
                                                   "kuaidi100_base_url": fake.url, **extra})
    return kuaidi100.Client(ctx.settings)


def shipped(ctx, shop_id, number=NUMBER, carrier="中通快递"):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record(
            order_id="6938459704022656301", status=OrderStatus.SHIPPED, carrier=carrier, tracking_no=number,
            shipped_at=NOW - timedelta(hours=3), phone="13812345678")])
        adopt_shipments(session, shop_id, NOW)


def parcel(ctx) -> Parcel:
    with ctx.sessions() as session:
        return session.execute(select(Parcel)).scalar_one()


def test_a_signed_query_stores_the_scans_and_the_time_of_the_successful_poll(ctx, shop_id, fake):
    shipped(ctx, shop_id)
    bill = Waybill()
    bill.add("2026-11-24 16:00:00", "【五常市】中通快递 已揽收", 1, "五常市")
    fake.waybills[("zhongtong", NUMBER)] = bill
    report = poll_due(ctx.sessions, client_for(ctx, fake), shop_id=shop_id, now=NOW)
    assert (report.queried, report.new_scans) == (1, 1)
    assert fake.queries[-1]["phone"] == "5678"  # ZTO needs the receiver's phone; the last 4 are enough
    p = parcel(ctx)
    assert p.last_polled_at == NOW and p.state == "picked_up" and p.next_poll_at >= NOW + timedelta(minutes=30)


def test_the_same_waybill_is_not_queried_again_within_30_minutes(ctx, shop_id, fake):
    shipped(ctx, shop_id)
    fake.waybills[("zhongtong", NUMBER)] = Waybill(data=[{"time": "2026-11-24 16:00:00", "ftime": "2026-11-24 16:00:00",
                                                          "context": "已揽收"}])
    client = client_for(ctx, fake)
    poll_due(ctx.sessions, client, shop_id=shop_id, now=NOW)
    report = poll_due(ctx.sessions, client, shop_id=shop_id, now=NOW + timedelta(minutes=29))
    assert report.queried == 0 and len(fake.queries) == 1


def test_the_fake_locks_a_waybill_queried_too_often_and_the_client_reads_the_lock(fake):
    settings = type("S", (), {"kuaidi100_customer": fake.customer, "kuaidi100_key": fake.key,
                              "kuaidi100_salt": None, "kuaidi100_callback_url": None, "kuaidi100_base_url": fake.url})
    client = kuaidi100.Client(settings)
    fake.waybills[("yuantong", "YT1")] = Waybill(data=[{"time": "2026-11-24 16:00:00", "context": "已揽收"}])
    client.query("yuantong", "YT1")
    with pytest.raises(kuaidi100.Kuaidi100Error) as locked:
        client.query("yuantong", "YT1")
    assert locked.value.locked and kuaidi100.backoff(1, True) == timedelta(minutes=30)
    with pytest.raises(kuaidi100.Kuaidi100Error) as unknown:
        client.query("nosuchcarrier", "X1")
    assert unknown.value.code == "400"
    bad = kuaidi100.Client(type("S", (), {**settings.__dict__, "kuaidi100_key": "wrong"}))
    with pytest.raises(kuaidi100.Kuaidi100Error) as sign:
        bad.query("yuantong", "YT2")
    assert sign.value.code == "503"


def test_errors_back_off_longer_each_time(ctx, shop_id, fake):
    shipped(ctx, shop_id)  # the fake knows nothing of this waybill: 查询无结果
    client = client_for(ctx, fake)
    poll_due(ctx.sessions, client, shop_id=shop_id, now=NOW)
    first = parcel(ctx)
    assert first.poll_failures == 1 and first.last_polled_at is None and first.next_poll_at == NOW + timedelta(minutes=30)
    fake.now += timedelta(minutes=31)  # the fake's own 30-minute lock has passed too
    poll_due(ctx.sessions, client, shop_id=shop_id, now=first.next_poll_at)
    second = parcel(ctx)
    assert second.poll_failures == 2 and second.next_poll_at == first.next_poll_at + timedelta(hours=1)


def test_a_signed_parcel_is_never_queried_again(ctx, shop_id, fake):
    shipped(ctx, shop_id)
    bill = Waybill(ischeck=True)
    bill.add("2026-11-24 16:00:00", "已揽收", 1)
    bill.add("2026-11-24 17:00:00", "已签收，签收人：本人", 3)
    fake.waybills[("zhongtong", NUMBER)] = bill
    client = client_for(ctx, fake)
    poll_due(ctx.sessions, client, shop_id=shop_id, now=NOW)
    assert parcel(ctx).state == "signed" and parcel(ctx).next_poll_at is None
    assert poll_due(ctx.sessions, client, shop_id=shop_id, now=NOW + timedelta(days=1)).queried == 0


def test_subscription_answers(ctx, shop_id, fake):
    shipped(ctx, shop_id)
    client = client_for(ctx, fake, kuaidi100_salt="s", kuaidi100_callback_url="http://127.0.0.1:1/hooks/kuaidi100")
    assert subscribe_new(ctx.sessions, client, shop_id=shop_id, now=NOW) == 1
    assert parcel(ctx).subscription == "subscribed"
    assert fake.subscriptions[("zhongtong", NUMBER)]["salt"] == "s"
    assert client.subscribe("zhongtong", NUMBER) == "already"
    with pytest.raises(kuaidi100.Kuaidi100Error) as unknown:
        client.subscribe("nosuchcarrier", "X1")
    assert unknown.value.code == "701"
    wrong = client_for(ctx, fake, kuaidi100_key="wrong-key")
    with pytest.raises(kuaidi100.Kuaidi100Error) as key:
        wrong.subscribe("zhongtong", "73100000000078")
    assert key.value.code == "600"
