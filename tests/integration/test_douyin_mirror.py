"""End to end against the local fake (SQLite and PostgreSQL): a shop of 5,000 orders and their after-sales, changing
over time, with throttling now and then and a sync killed half-way, ends up exactly mirrored in the desk; pushes
delivered twice and out of order afterwards leave the same state."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from xiaodian.aftersales.models import AfterSaleCase
from xiaodian.channels.douyin import aftersales_sync, push, service, sync
from xiaodian.channels.douyin.client import DouyinError
from xiaodian.db import transaction
from xiaodian.orders.domain import STATUS_BY_CODE
from xiaodian.orders.models import Order, OrderItem

from ..conftest import NOW
from ..fakes.douyin import APP_KEY, APP_SECRET, SHOP_ID, FakeDouyin, platform_aftersale, platform_order

N, CASES = 5000, 300
AS_STATUS = {6: "waiting_merchant", 7: "waiting_buyer_return", 11: "waiting_receipt", 12: "succeeded"}


def oid(i):
    return str(4907538423900000000 + i)


@pytest.fixture
def fake():
    rng = random.Random(8)
    server = FakeDouyin(now=NOW - timedelta(days=3))
    server.start()
    for i in range(N):
        server.now = NOW - timedelta(days=3) + timedelta(seconds=i * 40)
        server.put_order(platform_order(oid(i), status=rng.choice([1, 105, 2, 2, 2, 3]), create=server.now,
                                        amount_fen=rng.randint(100, 99999)))
    yield server
    server.stop()


class Flaky:
    """Throttles now and then (the client backs off and retries) and can die after some searches."""

    def __init__(self, inner, fake, rng, die_after=None):
        self.inner, self.fake, self.rng, self.left = inner, fake, rng, die_after

    def call(self, method, params=None):
        if self.left is not None and method in ("order.searchList", "afterSale.List"):
            self.left -= 1
            if self.left < 0:
                raise DouyinError(method, None, "killed")
        if self.rng.random() < 0.05:
            self.fake.throttle.append(self.rng.choice(["code", "503"]))
        return self.inner.call(method, params)


def sync_all(ctx, shop_id, client, now):
    orders = sync.sync_orders(ctx.sessions, shop_id=shop_id, client=client, cipher=ctx.cipher, now=now,
                              settings=ctx.settings)
    cases = aftersales_sync.sync_aftersales(ctx.sessions, shop_id=shop_id, client=client, cipher=ctx.cipher, now=now,
                                            settings=ctx.settings)
    return orders, cases


def assert_mirrored(ctx, shop_id, fake):
    with ctx.sessions() as session:
        desk = dict(session.execute(select(Order.order_id, Order.status).where(Order.shop_id == shop_id)).all())
        items = session.execute(select(func.count()).select_from(OrderItem)).scalar_one()
        cases = dict(session.execute(select(AfterSaleCase.aftersale_id, AfterSaleCase.status)).all())
    assert desk == {k: STATUS_BY_CODE[o["order_status"]].value for k, o in fake.orders.items()}
    assert items == len(fake.orders)
    assert cases == {k: AS_STATUS[c["aftersale_status"]] for k, c in fake.aftersales.items()}


def test_a_changing_shop_ends_up_exactly_mirrored_despite_throttling_a_kill_and_replayed_pushes(ctx, shop_id, fake):
    rng = random.Random(26)
    ctx.settings = ctx.settings.model_copy(update={"douyin_gateway": fake.url})
    with transaction(ctx.sessions) as session:
        service.connect(session, shop_id=shop_id, platform_shop_id=SHOP_ID, app_key=APP_KEY, app_secret=APP_SECRET,
                        cipher=ctx.cipher, principal=service.SYNC, now=NOW)
    inner = service.build_client(ctx.sessions, shop_id=shop_id, settings=ctx.settings, cipher=ctx.cipher,
                                 clock=ctx.clock, sleep=lambda s: None)
    # killed half-way through the first sync, then run again
    first, _ = sync_all(ctx, shop_id, Flaky(inner, fake, rng, die_after=10), NOW)
    assert first.errors and 0 < first.orders["created"] < N
    orders, _ = sync_all(ctx, shop_id, Flaky(inner, fake, rng), NOW)
    assert orders.errors == [] and first.orders["created"] + orders.orders["created"] == N
    assert_mirrored(ctx, shop_id, fake)

    # the shop moves on: payments, shipments, completions, cancellations, after-sales opening and progressing
    fake.now = NOW + timedelta(minutes=5)
    paid_or_later = [k for k, o in fake.orders.items() if o["order_status"] in (2, 3)]
    forward = {1: [2, 4], 105: [2], 2: [3, 4], 3: [5], 5: [5], 4: [4]}
    for key in rng.sample(sorted(fake.orders), 800):
        order = dict(fake.orders[key])
        order["order_status"] = rng.choice(forward[order["order_status"]])
        fake.put_order(order)
    for n, key in enumerate(rng.sample(sorted(paid_or_later), CASES)):
        fake.put_aftersale(platform_aftersale(str(7000000000000000000 + n), key, kind=0,
                                              apply=fake.now - timedelta(minutes=1)))
    later = NOW + timedelta(minutes=10)
    sync_all(ctx, shop_id, Flaky(inner, fake, rng), later)
    fake.now = NOW + timedelta(minutes=15)
    for key in rng.sample(sorted(fake.aftersales), 120):
        case = dict(fake.aftersales[key])
        case["aftersale_status"] = rng.choice([7, 11, 12])
        fake.put_aftersale(case)
    latest = NOW + timedelta(minutes=20)
    _, cases = sync_all(ctx, shop_id, Flaky(inner, fake, rng), latest)
    assert cases.errors == []
    assert_mirrored(ctx, shop_id, fake)

    # pushes for what already happened, twice and in any order: nothing changes
    messages = [{"tag": "102", "msg_id": f"p{i}", "data": {"p_id": int(k)}} for i, k in enumerate(rng.sample(sorted(fake.orders), 50))]
    messages += [{"tag": "201", "msg_id": f"a{i}", "data": {"aftersale_id": int(k)}}
                 for i, k in enumerate(rng.sample(sorted(fake.aftersales), 20))]
    for batch in (messages, list(reversed(messages)), rng.sample(messages, len(messages))):
        body = fake.push_body(batch)
        push.receive(ctx.sessions, app_id=APP_KEY, sign=fake.push_headers(body)["event-sign"], raw_body=body,
                     cipher=ctx.cipher, now=latest)
        push.process_pending(ctx.sessions, shop_id=shop_id, client=inner, cipher=ctx.cipher, now=latest,
                             settings=ctx.settings, limit=1000)
    assert_mirrored(ctx, shop_id, fake)
