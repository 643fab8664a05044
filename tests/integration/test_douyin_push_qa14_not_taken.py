"""Pushes the desk does not take, told apart (QA pass 14, #15): a push for an app no shop here is connected with and
a push with a wrong signature are both refused with nothing stored, but logged and counted separately on the owner's
status page (the secret never logged); a signed message whose data.shop_id names another Douyin shop is ignored
(never fetched, never written into this shop), logged and counted. `shop connect --help` names the gateway setting."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from xiaodian.channels.douyin import push, push_refusals
from xiaodian.channels.douyin.models import DouyinInbox, DouyinPushBatch
from xiaodian.orders.models import Order

from ..conftest import NOW
from ..fakes.douyin import APP_SECRET, SHOP_ID, platform_order

OID = "4907538423936588900"
OTHER_SHOP = "11112222"


@pytest.fixture(autouse=True)
def refusals(monkeypatch):
    """A fresh in-memory tally per test (it lives as long as the web process)."""
    fresh = push_refusals.Refusals()
    monkeypatch.setattr(push_refusals, "REFUSALS", fresh)
    monkeypatch.setattr(push, "REFUSALS", fresh)
    return fresh


def send(http, fake, messages, **header_changes):
    body = fake.push_body(messages)
    headers = fake.push_headers(body, forged=header_changes.pop("forged", False))
    headers.update(header_changes)
    return http.post("/hooks/douyin", content=body, headers=headers)


def msg(msg_id, shop=SHOP_ID, tag="101"):
    return {"tag": tag, "msg_id": msg_id, "data": {"p_id": int(OID), "shop_id": int(shop), "biz": 1}}


def stored(ctx, model):
    with ctx.sessions() as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_push_for_another_app_is_logged_and_counted_apart_from_a_bad_signature(connected, http, fake, owner_client,
                                                                                 caplog):
    caplog.set_level(logging.WARNING, logger="xiaodian.douyin.push")
    for n in range(2):
        assert send(http, fake, [msg(f"a{n}")], **{"app-id": "7999000000000000002"}).status_code == 403
    assert send(http, fake, [msg("b1")], forged=True).status_code == 403
    assert stored(connected, DouyinPushBatch) == 0 and stored(connected, DouyinInbox) == 0
    logged = caplog.text
    assert "7999000000000000002" in logged and "not the app key of any shop" in logged
    assert "event-sign does not match" in logged and APP_SECRET not in logged
    assert logged.count("7999000000000000002") == 1  # the second refusal within the minute is counted, not logged
    status = owner_client.get("/api/v1/douyin/status").json()["refused_pushes"]
    assert status["other_app"]["count"] == 2 and status["other_app"]["latest_app_id"] == "7999000000000000002"
    assert status["bad_sign"]["count"] == 1
    page = owner_client.get("/settings/douyin").text
    assert "其他应用的（已拒收） 2" in page and "签名错误（已拒收） 1" in page
    assert "本次启动以来有 2 次推送发给了其他应用（最近一次的应用 ID 为 7999000000000000002" in page
    assert "本次启动以来有 1 次发给本店应用的推送签名错误" in page
    # the card is the connection's status, and says how each count is kept (QA pass 15, #11)
    assert '<h2 id="dy-state">连接状态</h2>' in page and "其他抖店的推送按近 7 天" in page


def test_a_push_without_an_app_id_counts_as_for_another_app(connected, http, fake, owner_client):
    body = fake.push_body([msg("c1")])
    headers = fake.push_headers(body)
    del headers["app-id"]
    assert http.post("/hooks/douyin", content=body, headers=headers).status_code == 403
    page = owner_client.get("/settings/douyin").text
    assert "其他应用的（已拒收） 1" in page and "无（请求头没有 app-id）" in page


def test_a_signed_message_for_another_douyin_shop_is_ignored_logged_and_counted(connected, http, fake, owner_client,
                                                                                caplog):
    caplog.set_level(logging.WARNING, logger="xiaodian.douyin.push")
    fake.put_order(platform_order(OID, status=2, create=NOW - timedelta(hours=1), exp_ship=NOW + timedelta(days=2)))
    assert send(http, fake, [msg("m1", shop=OTHER_SHOP)]).status_code == 200
    with connected.sessions() as session:
        row = session.execute(select(DouyinInbox)).scalar_one()
        order = session.execute(select(Order.order_id).where(Order.order_id == OID)).scalar_one_or_none()
    assert row.state == "ignored" and row.outcome.startswith(push.OTHER_SHOP) and OTHER_SHOP in row.outcome
    assert order is None and not [r for r in fake.requests if r["method"] == "order.orderDetail"]
    assert f"for Douyin shop {OTHER_SHOP} ignored" in caplog.text
    status = owner_client.get("/api/v1/douyin/status").json()["other_shop_pushes"]
    assert status["count"] == 1 and status["latest_at"] is not None
    page = owner_client.get("/settings/douyin").text
    assert "其他抖店的（已忽略） 1" in page
    assert "近 7 天有 1 条已验签的推送消息属于其他抖店" in page
    assert f"属于抖店 {OTHER_SHOP}，不是已连接的抖店 {SHOP_ID}" in page


def test_a_message_for_this_shop_is_still_applied(connected, http, fake):
    fake.put_order(platform_order(OID, status=2, create=NOW - timedelta(hours=1), exp_ship=NOW + timedelta(days=2)))
    assert send(http, fake, [msg("m1")]).status_code == 200
    with connected.sessions() as session:
        assert session.execute(select(DouyinInbox.state)).scalar_one() == "done"


@pytest.mark.parametrize("data, own, expected", [
    ('{"p_id": 1, "shop_id": 88990011}', "88990011", None),
    ('{"p_id": 1, "shop_id": "88990011"}', "88990011", None),
    ('{"p_id": 1}', "88990011", None),  # no shop named: taken as this shop's, as before
    ('{"p_id": 1, "shop_id": ""}', "88990011", None),
    ('not json', "88990011", None),
    ('{"p_id": 1, "shop_id": 11112222}', "88990011", "11112222"),
    ('{"p_id": 1, "shop_id": "1111\\n2222"}', "88990011", "1111?2222"),  # shown and logged printable
    ('{"p_id": 1, "shop_id": 11112222}', None, None),  # no connected shop to compare with
])
def test_other_shop_rule(data, own, expected):
    assert push.other_shop(data, own) == expected


def test_refusal_log_lines_are_throttled_per_app_but_every_push_is_counted(caplog):
    clock = [0.0]
    tally = push_refusals.Refusals(monotonic=lambda: clock[0])
    caplog.set_level(logging.WARNING, logger="xiaodian.douyin.push")
    for _ in range(3):
        tally.for_other_app("123", NOW)
    tally.for_other_app("456", NOW)
    clock[0] = push_refusals.LOG_EVERY_SECONDS
    tally.for_other_app("123", NOW)
    tally.for_bad_sign(1, "789", NOW)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 4 and "(pushes of this kind since the desk started: 5)" in lines[2]
    assert tally.snapshot(1)["other_app"]["count"] == 5 and tally.snapshot(1)["bad_sign"]["count"] == 1
    assert tally.snapshot(2)["bad_sign"]["count"] == 0


def test_shop_connect_help_names_the_gateway_setting(cli_env):
    from typer.testing import CliRunner

    out = CliRunner().invoke(cli_env, ["shop", "connect", "--help"], env={"COLUMNS": "200"}).output
    assert "XIAODIAN_DOUYIN_GATEWAY" in out and "https://openapi-fxg.jinritemai.com" in out
