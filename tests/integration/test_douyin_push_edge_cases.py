"""Push messages at the edges of the contract (QA pass 2), through the ASGI app and the local fake Open Platform
(SQLite and PostgreSQL): an order message without p_id is a problem for the owner, not an unused tag."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from xiaodian.channels.douyin import service
from xiaodian.channels.douyin.models import DouyinInbox
from xiaodian.db import transaction

from ..conftest import NOW
from ..fakes.douyin import APP_KEY, APP_SECRET, SHOP_ID, FakeDouyin, platform_order

OID = "4900000000000000102"


@pytest.fixture
def fake():
    server = FakeDouyin(now=NOW - timedelta(minutes=30))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def connected(ctx, shop_id, fake):
    ctx.settings = ctx.settings.model_copy(update={"douyin_gateway": fake.url})
    with transaction(ctx.sessions) as session:
        service.connect(session, shop_id=shop_id, platform_shop_id=SHOP_ID, app_key=APP_KEY, app_secret=APP_SECRET,
                        cipher=ctx.cipher, principal=service.SYNC, now=NOW)
    return ctx


@pytest.fixture
def http(connected, app):
    with TestClient(app) as client:
        yield client


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
