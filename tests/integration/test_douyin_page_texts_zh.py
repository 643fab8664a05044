"""The Chinese 抖店连接 page after each kind of outcome the desk writes itself (a sync that cannot reach the platform,
a push that fails to apply and its retry, an unreadable push, a write held for the previous shop, a reconcile that
fails): no English sentence of the desk's remains; the platform's and the network library's own words may."""

from __future__ import annotations

import html
import re
import socket
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from xiaodian.channels.douyin import service
from xiaodian.channels.douyin.jobs import run_reconcile, sync_shop
from xiaodian.channels.douyin.outbox import queue_logistics_upload
from xiaodian.db import transaction

from ..conftest import NOW, csrf_of, login
from ..fakes.douyin import APP_KEY, APP_SECRET, SHOP_ID, FakeDouyin

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
# Three English words in a row, outside <code>: a sentence someone wrote in English. Words of the library's own
# message ("Connection refused") are two; a gettext'd text in Chinese has none.
ENGLISH = re.compile(r"[A-Za-z][a-z']+(?:[ ,]+[A-Za-z][a-z']+){2,}")


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def _english_in(page: str) -> list[str]:
    main = page.split("<main", 1)[-1].split("</main>", 1)[0]
    main = re.sub(r"<code>.*?</code>|<script.*?</script>|<style.*?</style>", " ", main, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", main))
    text = re.sub(r"\[Errno \d+\][^<\n]*|https?://\S+", " ", text)  # the OS's words and the gateway address
    return ENGLISH.findall(text)


@pytest.fixture
def client(ctx, app, users, shop_id):
    ctx.settings = ctx.settings.model_copy(update={"douyin_gateway": _closed_port()})
    with transaction(ctx.sessions) as session:
        service.connect(session, shop_id=shop_id, platform_shop_id=SHOP_ID, app_key=APP_KEY, app_secret=APP_SECRET,
                        cipher=ctx.cipher, principal=service.SYNC, now=NOW)
    with TestClient(app) as http:
        login(http, "owner")
        yield http


def _page(client) -> str:
    page = client.get("/settings/douyin", headers={"accept-language": "zh-CN"})
    assert page.status_code == 200 and "抖店" in page.text
    return page.text


@SQLITE
def test_a_sync_that_cannot_reach_the_platform_reads_in_chinese(ctx, client, shop_id):
    sync_shop(ctx, shop_id)
    page = _page(client)
    assert "网络错误" in page and _english_in(page) == []


@SQLITE
def test_a_push_that_fails_to_apply_and_its_retry_read_in_chinese(ctx, client, shop_id):
    fake = FakeDouyin(now=NOW)  # only to build a signed push; the platform itself stays unreachable
    body = fake.push_body([{"tag": "101", "msg_id": "m-1", "data": {"p_id": "4907538423936588900", "order_status": 2}}])
    assert client.post("/hooks/douyin", content=body, headers=fake.push_headers(body)).status_code == 200
    page = _page(client)
    assert "m-1" in page and "出错" in page and _english_in(page) == []
    sync_shop(ctx, shop_id)
    done = client.post("/settings/douyin/retry", data={"csrf_token": csrf_of(client, "/settings/douyin")})
    assert done.status_code == 200
    page = _page(client)
    assert _english_in(page) == []


@SQLITE
def test_an_unreadable_push_reads_in_chinese(client):
    fake = FakeDouyin(now=NOW)
    body = b"this is not json"
    assert client.post("/hooks/douyin", content=body, headers=fake.push_headers(body)).status_code == 200
    page = _page(client)
    assert "不是 JSON" in page and _english_in(page) == []


@SQLITE
def test_a_write_held_for_the_previous_shop_and_a_failed_reconcile_read_in_chinese(ctx, client, shop_id):
    with transaction(ctx.sessions) as session:
        service.set_write_enabled(session, shop_id=shop_id, enabled=True, principal=service.SYNC, now=NOW)
    with transaction(ctx.sessions) as session:
        queue_logistics_upload(session, shop_id=shop_id, uploads=[(1, "4907538423936588900", "zhongtong",
                                                                   "73100000000001")], now=NOW)
    with transaction(ctx.sessions) as session:
        service.connect(session, shop_id=shop_id, platform_shop_id="88990099", app_key=APP_KEY,
                        app_secret=APP_SECRET, cipher=ctx.cipher, principal=service.SYNC,
                        now=NOW + timedelta(minutes=1))
    run_reconcile(ctx, days=1)
    page = _page(client)
    assert "88990099" in page and "之前连接的抖店" in page and _english_in(page) == []
