"""After-sale sync against the local fake (SQLite and PostgreSQL): afterSale.List by update time into the
after-sales desk through its snapshot upsert; statuses move forward, a changed buyer reason is appended as
history; an unreadable case is reported by field; a re-run changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from xiaodian.aftersales.models import AfterSaleCase, AfterSaleReason
from xiaodian.channels.douyin import aftersales_sync, service
from xiaodian.db import transaction

from ..conftest import NOW
from ..fakes.douyin import APP_KEY, APP_SECRET, SHOP_ID, FakeDouyin, platform_aftersale, platform_order

OID, AID = "4907538423936588900", "7000000000000000001"


@pytest.fixture
def fake():
    server = FakeDouyin(now=NOW - timedelta(hours=1))
    server.start()
    server.put_order(platform_order(OID, status=3, create=NOW - timedelta(days=2)))
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


def run(ctx, shop_id, client, now=NOW):
    return aftersales_sync.sync_aftersales(ctx.sessions, shop_id=shop_id, client=client, cipher=ctx.cipher, now=now,
                                           settings=ctx.settings)


def case_and_reasons(ctx):
    with ctx.sessions() as session:
        case = session.execute(select(AfterSaleCase).where(AfterSaleCase.aftersale_id == AID)).scalar_one()
        reasons = session.execute(select(AfterSaleReason.text).where(AfterSaleReason.case_id == case.id)
                                  .order_by(AfterSaleReason.seq)).scalars().all()
    return case, reasons


def test_a_case_and_its_order_come_in_and_a_rerun_changes_nothing(ctx, shop_id, client, fake):
    fake.put_aftersale(platform_aftersale(AID, OID, apply=NOW - timedelta(hours=2), reason="七天无理由"))
    report = run(ctx, shop_id, client)
    assert (report.created, report.errors) == (1, [])
    case, reasons = case_and_reasons(ctx)
    assert case.status == "waiting_merchant" and case.case_type == "refund_shipped" and reasons == ["七天无理由"]
    again = run(ctx, shop_id, client, now=NOW + timedelta(minutes=1))
    assert again.created == again.updated == 0


def test_a_later_status_and_a_changed_reason_are_recorded_as_history(ctx, shop_id, client, fake):
    fake.put_aftersale(platform_aftersale(AID, OID, kind=0, apply=NOW - timedelta(hours=2), reason="七天无理由"))
    run(ctx, shop_id, client)
    fake.now = NOW + timedelta(minutes=5)
    fake.put_aftersale(platform_aftersale(AID, OID, kind=0, status=7, apply=NOW - timedelta(hours=2),
                                          reason="质量问题"))
    report = run(ctx, shop_id, client, now=NOW + timedelta(minutes=10))
    assert report.updated == 1
    case, reasons = case_and_reasons(ctx)
    assert case.status == "waiting_buyer_return" and reasons == ["七天无理由", "质量问题"]


@pytest.mark.parametrize("field,value", [("aftersale_type", 99), ("aftersale_status", 1), ("apply_time", 0)])
def test_an_unreadable_case_is_reported_by_field(ctx, shop_id, client, fake, field, value):
    case = platform_aftersale(AID, OID, apply=NOW - timedelta(hours=2))
    case[field] = value
    fake.put_aftersale(case)
    report = run(ctx, shop_id, client)
    assert report.created == 0 and report.errors[0]["code"] == field
