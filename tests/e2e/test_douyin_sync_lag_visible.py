"""A failing or stale Douyin sync is visible to everyone working the desk, and the inquiry assistant does not tell a
buyer there is no such order while the desk's own order data is behind (QA pass 2, D6; domain.md §6: the desk's sync
lag is a cause to check). SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from xiaodian.accounts.service import Principal
from xiaodian.channels.douyin import service as douyin
from xiaodian.channels.douyin.client import DouyinError
from xiaodian.db import transaction
from xiaodian.inquiries import service as inquiries
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, login
from ..factories import make_record
from ..fakes.douyin import APP_KEY, APP_SECRET, SHOP_ID

KEFU = Principal(None, "cs", "cs", "web")
QUESTION = "我今天拍了五常大米，也付款了，怎么还没有订单信息？"


def connect(ctx, shop_id, *, synced_up_to=None, failing=False):
    with transaction(ctx.sessions) as session:
        conn = douyin.connect(session, shop_id=shop_id, platform_shop_id=SHOP_ID, app_key=APP_KEY,
                              app_secret=APP_SECRET, cipher=ctx.cipher, principal=douyin.SYNC, now=NOW)
        conn.sync_cursor = conn.last_sync_at = synced_up_to
        upsert_orders(session, shop_id=shop_id, records=[make_record("4907538423936588900", phone="13900001111")],
                      cipher=ctx.cipher, now=NOW)
    if failing:
        douyin.record_error(ctx.sessions, shop_id=shop_id, now=NOW - timedelta(minutes=1),
                            error=DouyinError("order.searchList", 20000, "服务不可用", "isp.service-error", "服务繁忙"))


@pytest.fixture
def pages(app, users):
    def get(role, path):
        with TestClient(app) as client:
            login(client, role)
            return client.get(path)
    return get


@pytest.mark.parametrize("role", ["cs", "warehouse", "owner"])
def test_a_stale_sync_is_shown_with_how_stale_on_the_home_page_and_the_order_list(ctx, shop_id, pages, role):
    connect(ctx, shop_id, synced_up_to=NOW - timedelta(hours=9, minutes=5))
    for path in ("/", "/orders"):
        page = pages(role, path)
        assert page.status_code == 200
        assert page.text.count('data-testid="douyin-sync-warning"') == 1, path
        assert "2026-11-24 08:55" in page.text and "9 小时 5 分钟" in page.text  # shop time, and how far behind
        assert ('href="/settings/douyin"' in page.text.split('data-testid="douyin-sync-warning"', 1)[1]
                .split("</div>", 1)[0]) == (role == "owner")  # the settings link only for who can open it


def test_a_failing_sync_is_shown_and_a_current_one_is_not(ctx, shop_id, pages):
    connect(ctx, shop_id, synced_up_to=NOW - timedelta(minutes=2), failing=True)
    assert "抖店订单同步出错" in pages("cs", "/").text
    with transaction(ctx.sessions) as session:
        douyin.get_connection(session, shop_id).last_sync_at = NOW  # a later sync went through
    assert 'data-testid="douyin-sync-warning"' not in pages("cs", "/").text
    assert 'data-testid="douyin-sync-warning"' not in pages("warehouse", "/orders").text


def test_a_desk_without_a_douyin_connection_shows_no_warning(ctx, shop_id, pages):
    assert 'data-testid="douyin-sync-warning"' not in pages("cs", "/").text


def ask(ctx, shop_id, message=QUESTION, **kw):
    with transaction(ctx.sessions) as session:
        return inquiries.answer(session, KEFU, shop_id=shop_id, message=message, now=NOW, cipher=ctx.cipher, **kw)


def test_the_assistant_says_the_desk_is_behind_instead_of_no_such_order(ctx, shop_id):
    connect(ctx, shop_id, synced_up_to=NOW - timedelta(hours=9))
    found = ask(ctx, shop_id, phone="13800001111")
    assert found.diagnosis.code == "not_found_with_details"
    assert found.diagnosis.facts["douyin_sync_behind"] is True
    assert found.diagnosis.facts["douyin_synced_up_to"].startswith("2026-11-24T09:00")
    assert "只同步到11月24日 09:00" in found.reply and "其他抖音账号" not in found.reply
    english = ask(ctx, shop_id, "I paid for Wuchang rice today, why is there no order?", phone="13800001111")
    assert "only up to date as of Nov 24, 09:00" in english.reply and "another Douyin account" not in english.reply
    unsure = ask(ctx, shop_id)  # no phone: not enough to go on; asks, and says the data is behind
    assert unsure.diagnosis.code.startswith("not_found") and "只同步到" in unsure.reply


def test_a_current_sync_or_a_day_the_desk_has_in_full_keeps_the_usual_answer(ctx, shop_id):
    connect(ctx, shop_id, synced_up_to=NOW - timedelta(minutes=1))
    current = ask(ctx, shop_id, phone="13800001111")
    assert "douyin_sync_behind" not in current.diagnosis.facts and "其他抖音账号" in current.reply
    with transaction(ctx.sessions) as session:
        douyin.get_connection(session, shop_id).sync_cursor = NOW - timedelta(hours=9)
    earlier = ask(ctx, shop_id, "我11月20号拍了五常大米，也付款了，怎么还没有订单信息？", phone="13800001111")
    assert "douyin_sync_behind" not in earlier.diagnosis.facts  # the desk has every order of the 20th
    assert json.dumps(earlier.diagnosis.facts)  # still plain JSON for the API
