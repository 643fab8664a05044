"""Partial shipments written back to Douyin (QA pass 2, D1), against the local fake Open Platform (SQLite and
PostgreSQL): a parcel holding only some SKU orders is uploaded with order.logisticsAddSinglePack naming exactly
those SKU orders (the platform ships them and nothing else), every parcel's waybill reaches the platform, and a
refusal ("already shipped" with another waybill) is recorded as failed with the platform's reason, never as sent."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from xiaodian.accounts.service import Principal
from xiaodian.channels.douyin import outbox, service
from xiaodian.channels.douyin.models import DouyinOutbox
from xiaodian.db import transaction
from xiaodian.orders.domain import ItemRecord
from xiaodian.orders.intake import upsert_orders
from xiaodian.shipping import service as shipping
from xiaodian.shipping.service import ShipRequest

from ..conftest import NOW
from ..factories import make_record
from ..fakes.douyin import APP_KEY, APP_SECRET, SHOP_ID, FakeDouyin, platform_order

OID, SKU_A, SKU_B = "4900000000000000103", "4900000000000000104", "4900000000000000105"
CLERK = Principal(None, "warehouse", "warehouse", "web")


def two_sku_platform_order() -> dict:
    order = platform_order(OID, create=NOW - timedelta(hours=5), sku=SKU_A, qty=2)
    second = dict(order["sku_order_list"][0], order_id=SKU_B, product_name="东北小米 2kg", item_num=1)
    order["sku_order_list"].append(second)
    return order


@pytest.fixture
def fake():
    server = FakeDouyin(now=NOW)
    server.start()
    server.put_order(two_sku_platform_order())
    yield server
    server.stop()


@pytest.fixture
def client(ctx, shop_id, fake):
    ctx.settings = ctx.settings.model_copy(update={"douyin_gateway": fake.url})
    items = [ItemRecord(sku_order_id=SKU_A, product_name="五常大米 5kg", quantity=2, unit_price_fen=2995),
             ItemRecord(sku_order_id=SKU_B, product_name="东北小米 2kg", quantity=1, unit_price_fen=1990)]
    with transaction(ctx.sessions) as session:
        service.connect(session, shop_id=shop_id, platform_shop_id=SHOP_ID, app_key=APP_KEY, app_secret=APP_SECRET,
                        cipher=ctx.cipher, principal=service.SYNC, now=NOW)
        service.set_write_enabled(session, shop_id=shop_id, enabled=True, principal=service.SYNC, now=NOW)
        upsert_orders(session, shop_id=shop_id, records=[make_record(OID, items=items,
                                                                     ship_by=NOW + timedelta(hours=5))],
                      cipher=ctx.cipher, now=NOW)
    return service.build_client(ctx.sessions, shop_id=shop_id, settings=ctx.settings, cipher=ctx.cipher,
                                clock=ctx.clock, sleep=lambda s: None)


def ship(ctx, shop_id, carrier, number, items=None):
    with transaction(ctx.sessions) as session:
        return shipping.ship_order(session, shop_id=shop_id, req=ShipRequest(OID, carrier, number, items=items),
                                   principal=CLERK, now=NOW)


def send(ctx, shop_id, client):
    return outbox.send_pending(ctx.sessions, shop_id=shop_id, client=client, now=NOW)


def rows(ctx):
    with ctx.sessions() as session:
        return session.execute(select(DouyinOutbox).order_by(DouyinOutbox.id)).scalars().all()


def outbox_status(ctx, shop_id):
    with ctx.sessions() as session:
        return service.status(session, shop_id=shop_id, now=NOW)["outbox"]


def test_each_parcel_of_a_split_order_reaches_the_platform_with_exactly_its_sku_orders(ctx, shop_id, client, fake):
    ship(ctx, shop_id, "顺丰速运", "SF1111111111111", items=[SKU_A])
    assert send(ctx, shop_id, client).sent == 1
    assert fake.orders[OID]["order_status"] == 101  # partly shipped on the platform, not closed
    ship(ctx, shop_id, "中通快递", "73111111111111")
    assert send(ctx, shop_id, client).sent == 1
    assert fake.waybills == [
        {"order_id": OID, "logistics_code": "SF1111111111111", "company_code": "shunfeng", "skus": [SKU_A]},
        {"order_id": OID, "logistics_code": "73111111111111", "company_code": "zhongtong", "skus": [SKU_B]}]
    assert fake.orders[OID]["order_status"] == 3
    first, second = rows(ctx)
    assert (first.kind, first.state, second.kind, second.state) == ("logistics_pack", "sent", "logistics_pack", "sent")
    sent = [r["params"] for r in fake.requests if r["method"] == "order.logisticsAddSinglePack"]
    assert sent[0]["order_id_list"] == [OID]
    assert sent[0]["shipped_order_info"] == [{"shipped_order_id": SKU_A, "shipped_num": 2}]
    assert sent[1]["shipped_order_info"] == [{"shipped_order_id": SKU_B, "shipped_num": 1}]
    assert sent[0]["request_id"] != sent[1]["request_id"]
    assert not any(r["method"] == "order.logisticsAdd" for r in fake.requests)
    assert outbox_status(ctx, shop_id) == {"pending": 0, "sent": 2, "failed": 0}
    # The next sync reads the platform's order (both waybills, all shipped) back without a parcel more or less.
    from xiaodian.channels.douyin.sync import sync_orders
    from xiaodian.orders.models import Order, Shipment

    report = sync_orders(ctx.sessions, shop_id=shop_id, client=client, cipher=ctx.cipher,
                         now=NOW + timedelta(minutes=5), settings=ctx.settings)
    assert report.errors == []
    with ctx.sessions() as session:
        numbers = session.execute(select(Shipment.tracking_no).order_by(Shipment.id)).scalars().all()
        assert session.execute(select(Order.status)).scalar_one() == "shipped"
    assert numbers == ["SF1111111111111", "73111111111111"]


def test_a_parcel_holding_the_whole_order_is_uploaded_as_the_whole_order(ctx, shop_id, client, fake):
    ship(ctx, shop_id, "中通快递", "73111111111111")
    assert send(ctx, shop_id, client).sent == 1
    assert fake.logistics[OID] == {"order_id": OID, "company_code": "zhongtong", "logistics_code": "73111111111111"}
    assert fake.waybills[0]["skus"] == [SKU_A, SKU_B] and fake.orders[OID]["order_status"] == 3


def test_a_refusal_for_an_order_shipped_with_another_waybill_is_failed_with_the_platform_reason(ctx, shop_id, client,
                                                                                                 fake):
    fake._ship(OID, [SKU_A, SKU_B], "yunda", "4300000000001")  # shipped on the platform by hand, other waybill
    ship(ctx, shop_id, "中通快递", "73111111111111")
    report = send(ctx, shop_id, client)
    assert (report.sent, report.failed) == (0, 1)
    (row,) = rows(ctx)
    error = json.loads(row.last_error)
    assert row.state == "failed" and row.sent_at is None
    assert error["sub_code"] == "isv.order-already-shipped" and "不能重复发货" in error["sub_msg"]
    assert "does not hold this waybill" in error["desk_note"]
    assert outbox_status(ctx, shop_id) == {"pending": 0, "sent": 0, "failed": 1}


def test_a_refused_partial_parcel_is_failed_not_sent(ctx, shop_id, client, fake):
    fake._ship(OID, [SKU_A], "yunda", "4300000000001")  # this SKU order already left with another waybill
    ship(ctx, shop_id, "顺丰速运", "SF1111111111111", items=[SKU_A])
    assert send(ctx, shop_id, client).failed == 1
    assert rows(ctx)[0].state == "failed" and len(fake.waybills) == 1


def test_a_lost_answer_resent_ships_nothing_twice(ctx, shop_id, client, fake):
    ship(ctx, shop_id, "顺丰速运", "SF1111111111111", items=[SKU_A])
    assert send(ctx, shop_id, client).sent == 1
    with transaction(ctx.sessions) as session:  # as if the platform's answer had been lost before it was marked
        session.execute(DouyinOutbox.__table__.update().values(state="pending", sent_at=None))
    assert send(ctx, shop_id, client).sent == 1
    assert len(fake.waybills) == 1 and rows(ctx)[0].state == "sent"


def test_reconnecting_to_another_douyin_shop_turns_writes_off_and_holds_uploads_queued_for_the_old_one(
        ctx, shop_id, client, fake):
    """D9: uploads queued for the old shop must not be sent with the new connection's credentials."""
    ship(ctx, shop_id, "中通快递", "73111111111111")
    with transaction(ctx.sessions) as session:  # a new secret for the same app and shop: nothing changes
        conn = service.connect(session, shop_id=shop_id, platform_shop_id=SHOP_ID, app_key=APP_KEY,
                               app_secret="rotated-secret", cipher=ctx.cipher, principal=service.SYNC, now=NOW)
        assert conn.write_enabled
    assert [r.state for r in rows(ctx)] == ["pending"]
    with transaction(ctx.sessions) as session:
        conn = service.connect(session, shop_id=shop_id, platform_shop_id="88990022", app_key=APP_KEY,
                               app_secret=APP_SECRET, cipher=ctx.cipher, principal=service.SYNC, now=NOW)
        assert not conn.write_enabled
    (row,) = rows(ctx)
    assert row.state == "failed" and "previous Douyin shop 88990011" in json.loads(row.last_error)["msg"]
    assert send(ctx, shop_id, client).sent == 0 and fake.waybills == []


def test_the_owner_sees_each_refused_upload_with_the_platform_reason(ctx, shop_id, client, fake, owner_client):
    fake._ship(OID, [SKU_A, SKU_B], "yunda", "4300000000001")
    ship(ctx, shop_id, "中通快递", "73111111111111")
    send(ctx, shop_id, client)
    with ctx.sessions() as session:
        (refused,) = service.status(session, shop_id=shop_id, now=NOW)["failed_writes"]
    assert refused["order_id"] == OID and refused["tracking_no"] == "73111111111111"
    assert "isv.order-already-shipped" in refused["reason"] and "不能重复发货" in refused["reason"]
    page = owner_client.get("/settings/douyin").text
    table = page.split('data-testid="dy-failed-writes"', 1)[1].split("</table>", 1)[0]
    assert "73111111111111" in table and "不能重复发货" in table
