"""Shipping in the desk writes the waybill back with order.logisticsAdd through an outbox, against the local fake
(SQLite and PostgreSQL): nothing is queued while the shop's write switch is off (the default); with it on, one
row per shipment, sent once and never again; the platform's refusal is kept with its message and can be retried."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from xiaodian.accounts.service import Principal
from xiaodian.channels.douyin import outbox, service
from xiaodian.channels.douyin.models import DouyinOutbox
from xiaodian.db import transaction
from xiaodian.orders.intake import upsert_orders
from xiaodian.shipping import service as shipping
from xiaodian.shipping.service import ShipRequest

from ..conftest import NOW
from ..factories import make_record
from ..fakes.douyin import APP_KEY, APP_SECRET, SHOP_ID, FakeDouyin, platform_order

OID = "4907538423936588900"
CLERK = Principal(None, "warehouse", "warehouse", "web")


@pytest.fixture
def fake():
    server = FakeDouyin(now=NOW)
    server.start()
    server.put_order(platform_order(OID, create=NOW - timedelta(hours=5)))
    yield server
    server.stop()


@pytest.fixture
def client(ctx, shop_id, fake):
    ctx.settings = ctx.settings.model_copy(update={"douyin_gateway": fake.url})
    with transaction(ctx.sessions) as session:
        service.connect(session, shop_id=shop_id, platform_shop_id=SHOP_ID, app_key=APP_KEY, app_secret=APP_SECRET,
                        cipher=ctx.cipher, principal=service.SYNC, now=NOW)
        upsert_orders(session, shop_id=shop_id, records=[make_record(OID, ship_by=NOW + timedelta(hours=5))],
                      cipher=ctx.cipher, now=NOW)
    return service.build_client(ctx.sessions, shop_id=shop_id, settings=ctx.settings, cipher=ctx.cipher,
                                clock=ctx.clock, sleep=lambda s: None)


def writes(ctx, shop_id, on: bool):
    with transaction(ctx.sessions) as session:
        service.set_write_enabled(session, shop_id=shop_id, enabled=on, principal=service.SYNC, now=NOW)


def ship(ctx, shop_id, number="73100000000001"):
    with transaction(ctx.sessions) as session:
        return shipping.ship_order(session, shop_id=shop_id, req=ShipRequest(OID, "中通快递", number),
                                   principal=CLERK, now=NOW)


def rows(ctx):
    with ctx.sessions() as session:
        return session.execute(select(DouyinOutbox)).scalars().all()


def send(ctx, shop_id, client):
    return outbox.send_pending(ctx.sessions, shop_id=shop_id, client=client, now=NOW)


def test_with_writes_off_shipping_queues_nothing(ctx, shop_id, client, fake):
    ship(ctx, shop_id)
    assert rows(ctx) == [] and send(ctx, shop_id, client).sent == 0 and fake.logistics == {}


def test_with_writes_on_the_waybill_is_uploaded_once_however_often_the_job_runs(ctx, shop_id, client, fake):
    writes(ctx, shop_id, True)
    ship(ctx, shop_id)
    assert send(ctx, shop_id, client).sent == 1
    assert fake.logistics[OID] == {"order_id": OID, "company_code": "zhongtong", "logistics_code": "73100000000001"}
    assert send(ctx, shop_id, client).sent == 0
    assert [r["method"] for r in fake.requests].count("order.logisticsAdd") == 1
    (row,) = rows(ctx)
    assert row.state == "sent" and row.sent_at == NOW
    with ctx.sessions() as session:
        assert service.status(session, shop_id=shop_id, now=NOW)["outbox"]["sent"] == 1


def test_a_refusal_keeps_the_platform_message_and_the_owner_can_retry(ctx, shop_id, client, fake):
    writes(ctx, shop_id, True)
    del fake.orders[OID]
    ship(ctx, shop_id)
    report = send(ctx, shop_id, client)
    assert report.failed == 1
    (row,) = rows(ctx)
    assert row.state == "failed" and "订单不存在" in row.last_error
    fake.put_order(platform_order(OID, create=NOW - timedelta(hours=5)))
    with transaction(ctx.sessions) as session:
        assert outbox.retry_failed_uploads(session, shop_id=shop_id) == 1
    assert send(ctx, shop_id, client).sent == 1 and OID in fake.logistics


def test_throttling_leaves_the_row_pending_for_the_next_run(ctx, shop_id, client, fake):
    writes(ctx, shop_id, True)
    ship(ctx, shop_id)
    client.token = None
    client.create_token()
    fake.throttle = ["code"] * 4
    assert send(ctx, shop_id, client).retry == 1
    assert rows(ctx)[0].state == "pending"
    assert send(ctx, shop_id, client).sent == 1


def test_a_waybill_already_on_the_platform_counts_as_sent_not_as_an_error(ctx, shop_id, client, fake):
    writes(ctx, shop_id, True)
    fake._ship(OID, [OID], "zhongtong", "73100000000001")  # this very waybill, entered on the platform by hand
    ship(ctx, shop_id)
    assert send(ctx, shop_id, client).sent == 1
    assert "already on the platform" in rows(ctx)[0].last_error


def test_a_corrected_number_replaces_the_waiting_upload_and_a_sent_one_is_reported_not_resent(ctx, shop_id, client):
    """The platform must never receive the mistyped number: a waiting upload is rewritten; once sent, the desk says
    the platform still shows the old number (no documented edit method) instead of uploading a second waybill."""
    from xiaodian.shipping.corrections import correct_tracking

    writes(ctx, shop_id, True)
    shipped = ship(ctx, shop_id, "73100000000001")
    shipment_id = shipped.shipments[-1].shipment_id if hasattr(shipped, "shipments") else None
    with transaction(ctx.sessions) as session:
        result = correct_tracking(session, shop_id=shop_id, order_id=OID, carrier="中通快递",
                                  tracking_no="73100000000002", reason="单号输错一位", principal=CLERK,
                                  now=NOW + timedelta(minutes=5), old_tracking_no="73100000000001")
    assert result["platform_upload"] == "amended"
    [row] = rows(ctx)
    assert (row.state, json.loads(row.payload)["logistics_code"]) == ("pending", "73100000000002")
    assert shipment_id is None or row.ref == str(shipment_id)
    report = outbox.send_pending(ctx.sessions, shop_id=shop_id, client=client, now=NOW + timedelta(minutes=6))
    assert report.sent == 1
    with transaction(ctx.sessions) as session:
        again = correct_tracking(session, shop_id=shop_id, order_id=OID, carrier="中通快递",
                                 tracking_no="73100000000003", reason="又输错了", principal=CLERK,
                                 now=NOW + timedelta(minutes=7), old_tracking_no="73100000000002")
    assert again["platform_upload"] == "already_sent"
    [row] = rows(ctx)
    assert (row.state, json.loads(row.payload)["logistics_code"]) == ("sent", "73100000000002")
