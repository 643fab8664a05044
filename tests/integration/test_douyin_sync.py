"""Order sync and reconciliation against the local fake Open Platform over real HTTP (SQLite and PostgreSQL):
paged windows by update_time, details for short list rows, the idempotent upsert, a sync killed half-way that
loses and duplicates nothing when run again, and a reconciliation that reports what pushes missed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from xiaodian.accounts.models import AuditEntry
from xiaodian.channels.douyin import service, sync
from xiaodian.channels.douyin.client import DouyinError
from xiaodian.db import transaction
from xiaodian.orders.models import Order, OrderItem

from ..conftest import NOW
from ..fakes.douyin import APP_KEY, APP_SECRET, SHOP_ID, FakeDouyin, platform_order

N = 230  # three pages in the window that holds them


def oid(i: int) -> str:
    return str(4907538423936500000 + i)


@pytest.fixture
def fake():
    server = FakeDouyin(now=NOW - timedelta(hours=2))
    server.start()
    for i in range(N):
        server.put_order(platform_order(oid(i), status=2, create=NOW - timedelta(hours=3), amount_fen=1000 + i,
                                        exp_ship=NOW + timedelta(days=1)))
    yield server
    server.stop()


@pytest.fixture
def client(ctx, shop_id, fake):
    ctx.settings = ctx.settings.model_copy(update={"douyin_gateway": fake.url})
    with transaction(ctx.sessions) as session:
        service.connect(session, shop_id=shop_id, platform_shop_id=SHOP_ID, app_key=APP_KEY, app_secret=APP_SECRET,
                        cipher=ctx.cipher, principal=service.SYNC, now=NOW)
    return service.build_client(ctx.sessions, shop_id=shop_id, settings=ctx.settings, cipher=ctx.cipher,
                                clock=ctx.clock, sleep=lambda s: None)


def run(ctx, shop_id, client, **kw):
    return sync.sync_orders(ctx.sessions, shop_id=shop_id, client=client, cipher=ctx.cipher,
                            now=kw.pop("now", NOW), settings=ctx.settings, **kw)


def desk(ctx, shop_id) -> dict:
    with ctx.sessions() as session:
        return dict(session.execute(select(Order.order_id, Order.status).where(Order.shop_id == shop_id)).all())


def test_first_sync_mirrors_every_order_in_pages_of_100_within_the_window_limit(ctx, shop_id, client, fake):
    report = run(ctx, shop_id, client)
    assert report.orders == {"created": N, "updated": 0, "unchanged": 0} and report.errors == []
    searches = [r["params"] for r in fake.requests if r["method"] == "order.searchList"]
    assert all(p["size"] == 100 for p in searches)
    assert all(p["update_time_end"] - p["update_time_start"] <= 24 * 3600 for p in searches)
    assert sorted(p["page"] for p in searches if p["page"] > 0) == [1, 2]
    mirrored = desk(ctx, shop_id)
    assert len(mirrored) == N and set(mirrored.values()) == {"awaiting_shipment"}
    with ctx.sessions() as session:
        conn = service.require_connection(session, shop_id)
        order = session.execute(select(Order).where(Order.order_id == oid(7))).scalar_one()
    assert conn.sync_cursor == NOW and conn.last_sync_at == NOW
    assert order.pay_amount_fen == 1007 and order.ship_by_source == "platform"


def test_a_second_sync_reads_only_the_overlap_and_changes_nothing(ctx, shop_id, client, fake):
    run(ctx, shop_id, client)
    fake.requests.clear()
    report = run(ctx, shop_id, client, now=NOW + timedelta(minutes=5))
    assert report.orders["created"] == report.orders["updated"] == 0
    searches = [r["params"] for r in fake.requests if r["method"] == "order.searchList"]
    assert searches[0]["update_time_start"] == int((NOW - timedelta(minutes=10)).timestamp())


def test_status_changes_are_found_by_update_time(ctx, shop_id, client, fake):
    run(ctx, shop_id, client)
    fake.now = NOW + timedelta(minutes=1)
    changed = platform_order(oid(3), status=4, create=NOW - timedelta(hours=3))
    changed["finish_time"] = int(fake.now.timestamp())
    fake.put_order(changed)
    report = run(ctx, shop_id, client, now=NOW + timedelta(minutes=2))
    assert report.orders["updated"] == 1
    assert report.repaired == [{"order_id": oid(3), "from": "awaiting_shipment", "to": "cancelled"}]
    assert desk(ctx, shop_id)[oid(3)] == "cancelled"


def test_rows_the_list_leaves_short_are_completed_from_the_order_detail(ctx, shop_id, client, fake):
    fake.list_omits = {"sku_order_list", "post_addr"}
    report = run(ctx, shop_id, client)
    assert report.details == N and report.orders["created"] == N
    with ctx.sessions() as session:
        assert session.execute(select(func.count()).select_from(OrderItem)).scalar_one() == N


class DiesAfter:
    """A client that stops answering after ``calls`` searches, as a killed process would."""

    def __init__(self, inner, calls):
        self.inner, self.left = inner, calls

    def call(self, method, params=None):
        if method == "order.searchList":
            self.left -= 1
            if self.left < 0:
                raise DouyinError(method, None, "killed")
        return self.inner.call(method, params)


def test_a_sync_killed_half_way_loses_and_duplicates_nothing_when_run_again(ctx, shop_id, client, fake):
    fake.now = NOW - timedelta(days=2)
    for i in range(N, N + 50):  # a second, older window
        fake.put_order(platform_order(oid(i), create=NOW - timedelta(days=2)))
    report = run(ctx, shop_id, DiesAfter(client, 6))
    assert report.errors and report.errors[0]["msg"] == "killed"
    partial = len(desk(ctx, shop_id))
    assert 0 < partial < N + 50
    with ctx.sessions() as session:
        cursor = service.require_connection(session, shop_id).sync_cursor
        assert service.status(session, shop_id=shop_id, now=NOW)["last_error"]["msg"] == "killed"
    assert cursor is not None and cursor < NOW  # only whole windows count
    report = run(ctx, shop_id, client)
    assert report.errors == []
    assert report.orders["created"] == N + 50 - partial
    mirrored = desk(ctx, shop_id)
    assert len(mirrored) == N + 50
    with ctx.sessions() as session:
        assert session.execute(select(func.count()).select_from(OrderItem)).scalar_one() == N + 50


def test_an_unreadable_order_is_reported_by_field_and_the_rest_still_synced(ctx, shop_id, client, fake):
    bad = platform_order(oid(0), create=NOW - timedelta(hours=3))
    bad["order_status"] = 77
    fake.put_order(bad)
    report = run(ctx, shop_id, client)
    assert report.orders["created"] == N - 1
    assert report.errors == [{"order_id": oid(0), "field": "order_status", "msg": "order_status: unknown status code 77"}]


def test_reconciliation_repairs_what_pushes_missed_and_reports_it_without_moving_the_cursor(ctx, shop_id, client, fake):
    run(ctx, shop_id, client)
    fake.now = NOW + timedelta(minutes=30)
    fake.put_order(platform_order(oid(N + 1), create=NOW + timedelta(minutes=20)))  # a push that never came
    shipped = platform_order(oid(5), status=3, create=NOW - timedelta(hours=3))
    shipped["logistics_info"] = [{"company_name": "圆通速递", "tracking_no": "YT5", "ship_time": int(fake.now.timestamp())}]
    fake.put_order(shipped)
    later = NOW + timedelta(hours=1)
    report = sync.reconcile(ctx.sessions, shop_id=shop_id, client=client, cipher=ctx.cipher, now=later,
                            settings=ctx.settings, days=1)
    assert sorted(report.repaired, key=lambda r: r["order_id"]) == [
        {"order_id": oid(5), "from": "awaiting_shipment", "to": "shipped"},
        {"order_id": oid(N + 1), "from": None, "to": "awaiting_shipment"}]
    with ctx.sessions() as session:
        assert service.require_connection(session, shop_id).sync_cursor == NOW
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "douyin.reconcile")).scalar_one()
    assert entry.channel == "sync" and '"repaired": 2' in entry.detail
