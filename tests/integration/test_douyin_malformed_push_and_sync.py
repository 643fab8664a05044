"""One malformed platform order or after-sale does not block the shop's pushes or sync (QA pass 2, D2), against the
local fake Open Platform (SQLite and PostgreSQL): the bad message is set aside at once as a problem naming the field
(on the owner's status page), the valid ones behind it are applied, the sync cursor moves, nothing is half-written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from xiaodian.aftersales.models import AfterSaleCase
from xiaodian.channels.douyin import push, service, sync
from xiaodian.channels.douyin.aftersales_sync import sync_aftersales
from xiaodian.channels.douyin.models import DouyinConnection, DouyinInbox
from xiaodian.db import transaction
from xiaodian.orders.models import Order, OrderItem

from ..conftest import NOW
from ..fakes.douyin import platform_aftersale, platform_order

BAD, GOOD = "4900000000000000203", "4900000000000000205"


FAKE_NOW = NOW - timedelta(minutes=30)  # the platform's clock (conftest.fake)


def client_of(ctx, shop_id):
    return service.build_client(ctx.sessions, shop_id=shop_id, settings=ctx.settings, cipher=ctx.cipher,
                                clock=ctx.clock, sleep=lambda s: None)


def send(http, fake, messages):
    body = fake.push_body(messages)
    return http.post("/hooks/douyin", content=body, headers=fake.push_headers(body))


def bad_order(fake):
    order = platform_order(BAD, create=NOW - timedelta(hours=2))
    order["sku_order_list"][0]["item_num"] = "two"
    fake.put_order(order)


def inbox(ctx) -> dict:
    with ctx.sessions() as session:
        return {r.msg_id: r for r in session.execute(select(DouyinInbox)).scalars()}


def orders(ctx) -> set:
    with ctx.sessions() as session:
        return set(session.execute(select(Order.order_id)).scalars())


def test_a_malformed_order_push_is_set_aside_naming_the_field_and_the_next_push_is_applied(connected, http, fake,
                                                                                            shop_id):
    bad_order(fake)
    fake.put_order(platform_order(GOOD, create=NOW - timedelta(hours=1)))
    assert send(http, fake, [{"tag": 101, "msg_id": "h1", "data": {"p_id": BAD}}]).status_code == 200
    assert send(http, fake, [{"tag": 101, "msg_id": "h2", "data": {"p_id": GOOD}}]).status_code == 200
    rows = inbox(connected)
    assert rows["h2"].state == "done" and rows["h2"].outcome == "created"
    assert rows["h1"].state == "failed" and "sku_order_list.item_num" in rows["h1"].outcome
    assert "'two'" in rows["h1"].outcome
    assert orders(connected) == {GOOD}
    with connected.sessions() as session:
        status = service.status(session, shop_id=shop_id, now=NOW)
    assert [p["msg_id"] for p in status["problems"]] == ["h1"] and status["inbox"]["failed"] == 1


def test_a_malformed_after_sale_push_is_set_aside_and_the_valid_case_is_applied(connected, http, fake):
    fake.put_order(platform_order(GOOD, create=NOW - timedelta(hours=3)))
    broken = platform_aftersale("7000000000000000001", GOOD, apply=NOW - timedelta(hours=1))
    broken["refund_amount"] = "59.90"
    fake.put_aftersale(broken)
    fake.put_aftersale(platform_aftersale("7000000000000000002", GOOD, apply=NOW - timedelta(hours=1)))
    send(http, fake, [{"tag": 200, "msg_id": "k1", "data": {"aftersale_id": 7000000000000000001, "p_id": GOOD}}])
    send(http, fake, [{"tag": 200, "msg_id": "k2", "data": {"aftersale_id": 7000000000000000002, "p_id": GOOD}}])
    rows = inbox(connected)
    assert rows["k2"].state == "done"
    assert rows["k1"].state == "failed" and "refund_amount" in rows["k1"].outcome and "59.90" in rows["k1"].outcome
    with connected.sessions() as session:
        assert session.execute(select(AfterSaleCase.aftersale_id)).scalars().all() == ["7000000000000000002"]


def test_the_sync_sets_a_malformed_order_aside_moves_its_cursor_and_a_later_fix_clears_the_problem(connected, fake,
                                                                                                    shop_id):
    bad_order(fake)
    fake.put_order(platform_order(GOOD, create=NOW - timedelta(hours=1)))
    client = client_of(connected, shop_id)
    report = sync.sync_orders(connected.sessions, shop_id=shop_id, client=client, cipher=connected.cipher, now=NOW,
                              settings=connected.settings)
    assert report.orders["created"] == 1 and orders(connected) == {GOOD}
    assert report.errors == [{"order_id": BAD, "field": "sku_order_list.item_num",
                              "msg": "sku_order_list.item_num: not a whole number: 'two'"}]
    with connected.sessions() as session:
        assert session.execute(select(DouyinConnection.sync_cursor)).scalar_one() == NOW  # the cursor moved
        assert session.execute(select(OrderItem).join(Order).where(Order.order_id == BAD)).first() is None
        status = service.status(session, shop_id=shop_id, now=NOW)
    (problem,) = status["problems"]
    assert problem["order_id"] == BAD and problem["state"] == "failed" and "item_num" in problem["outcome"]
    assert status["last_push_at"] is None  # a problem set aside by the sync is not a push
    # The same order met again by the next sync's overlap is still one problem; once readable it is cleared.
    sync.sync_orders(connected.sessions, shop_id=shop_id, client=client, cipher=connected.cipher,
                     now=NOW + timedelta(minutes=1), settings=connected.settings)
    assert len(inbox(connected)) == 1
    fake.now = NOW + timedelta(minutes=2)
    fake.put_order(platform_order(BAD, create=NOW - timedelta(hours=2)))
    sync.sync_orders(connected.sessions, shop_id=shop_id, client=client, cipher=connected.cipher,
                     now=NOW + timedelta(minutes=3), settings=connected.settings)
    assert orders(connected) == {GOOD, BAD}
    assert [r.state for r in inbox(connected).values()] == ["done"]


def test_a_set_aside_order_is_fetched_again_by_the_owners_retry(connected, fake, shop_id):
    bad_order(fake)
    client = client_of(connected, shop_id)
    sync.sync_orders(connected.sessions, shop_id=shop_id, client=client, cipher=connected.cipher, now=NOW,
                     settings=connected.settings)
    fake.put_order(platform_order(BAD, create=NOW - timedelta(hours=2)))  # the platform fixed it
    with transaction(connected.sessions) as session:
        assert push.retry_failed(session, shop_id=shop_id, now=NOW) == 1
    report = push.process_pending(connected.sessions, shop_id=shop_id, client=client, cipher=connected.cipher, now=NOW)
    assert report.applied == 1 and orders(connected) == {BAD}


def test_the_after_sale_sync_sets_a_malformed_case_aside_and_takes_the_others(connected, fake, shop_id):
    fake.put_order(platform_order(GOOD, create=NOW - timedelta(hours=3)))
    broken = platform_aftersale("7000000000000000001", GOOD, apply=NOW - timedelta(hours=1))
    broken["aftersale_num"] = "一"
    fake.put_aftersale(broken)
    fake.put_aftersale(platform_aftersale("7000000000000000002", GOOD, apply=NOW - timedelta(hours=1)))
    report = sync_aftersales(connected.sessions, shop_id=shop_id, client=client_of(connected, shop_id),
                             cipher=connected.cipher, now=NOW, settings=connected.settings)
    assert report.created == 1 and report.errors[0]["field"] == "aftersale_num"
    with connected.sessions() as session:
        assert session.execute(select(DouyinConnection.aftersale_cursor)).scalar_one() == NOW
        problems = service.status(session, shop_id=shop_id, now=NOW)["problems"]
    assert len(problems) == 1 and "aftersale_num" in problems[0]["outcome"]


@pytest.mark.parametrize("field,value,named", [
    ("item_num", 10 ** 25, "sku_order_list.item_num"), ("item_num", -3, "sku_order_list.item_num"),
    ("origin_amount", 10 ** 25, "sku_order_list.origin_amount"),
    ("product_name", "米" * 2000, "sku_order_list.product_name"),
    ("order_id", "4900000000000000299" * 3, "sku_order_list.order_id")])
def test_values_the_desk_cannot_store_are_refused_naming_the_field_and_the_rest_syncs(connected, fake, shop_id, field,
                                                                                      value, named):
    order = platform_order(BAD, create=NOW - timedelta(hours=2))
    order["sku_order_list"][0][field] = value
    fake.put_order(order)
    fake.put_order(platform_order(GOOD, create=NOW - timedelta(hours=2)))
    report = sync.sync_orders(connected.sessions, shop_id=shop_id, client=client_of(connected, shop_id),
                              cipher=connected.cipher, now=NOW, settings=connected.settings)
    assert orders(connected) == {GOOD} and [e["field"] for e in report.errors] == [named]


def test_an_order_the_database_refuses_is_set_aside_alone_and_the_page_is_stored(connected, fake, shop_id, monkeypatch):
    """The safety net behind the mapping: a page the desk fails to store is applied order by order."""
    from sqlalchemy.exc import DataError

    real = sync.upsert_orders

    def refusing(session, *, records, **kw):
        if any(r.order_id == BAD for r in records):
            raise DataError("INSERT …", {}, Exception("value too long for type character varying(40)"))
        return real(session, records=records, **kw)

    monkeypatch.setattr(sync, "upsert_orders", refusing)
    fake.put_order(platform_order(BAD, create=NOW - timedelta(hours=2)))
    fake.put_order(platform_order(GOOD, create=NOW - timedelta(hours=2)))
    report = sync.sync_orders(connected.sessions, shop_id=shop_id, client=client_of(connected, shop_id),
                              cipher=connected.cipher, now=NOW, settings=connected.settings)
    assert orders(connected) == {GOOD} and report.orders["created"] == 1
    assert report.errors[0]["order_id"] == BAD and "value too long" in report.errors[0]["msg"]
    with connected.sessions() as session:
        assert session.execute(select(DouyinConnection.sync_cursor)).scalar_one() == NOW
    assert inbox(connected)[f"sync:{BAD}"].state == "failed"


@pytest.mark.parametrize("field,value", [("refund_amount", 10 ** 25), ("aftersale_num", 2 ** 40),
                                         ("refund_post_amount", -5)])
def test_an_after_sale_value_the_desk_cannot_store_is_set_aside_and_the_cursor_moves(connected, fake, shop_id, field,
                                                                                     value):
    fake.put_order(platform_order(GOOD, create=NOW - timedelta(hours=3)))
    broken = platform_aftersale("7000000000000000001", GOOD, apply=NOW - timedelta(hours=1))
    broken[field] = value
    fake.put_aftersale(broken)
    fake.put_aftersale(platform_aftersale("7000000000000000002", GOOD, apply=NOW - timedelta(hours=1)))
    report = sync_aftersales(connected.sessions, shop_id=shop_id, client=client_of(connected, shop_id),
                             cipher=connected.cipher, now=NOW, settings=connected.settings)
    assert report.created == 1 and report.errors[0]["field"] == field
    with connected.sessions() as session:
        assert session.execute(select(DouyinConnection.aftersale_cursor)).scalar_one() == NOW
