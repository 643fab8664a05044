"""抖店连接 on a desk of two shops (QA pass 8): a page opened as ?shop=2 acts on shop 2, not on the default shop, and
a Douyin shop id already connected to another desk shop is refused with a reason, not a 500."""

from __future__ import annotations

import pytest

from xiaodian.accounts import shops
from xiaodian.channels.douyin.models import DouyinConnection
from xiaodian.db import transaction
from xiaodian.demo.shop import DEMO_PRINCIPAL

from ..conftest import NOW, csrf_of


@pytest.fixture
def two_shops(ctx, shop_id, owner_client):
    with transaction(ctx.sessions) as session:
        second = shops.add_shop(session, name="二号店", principal=DEMO_PRINCIPAL, now=NOW).id
    headers = {"x-csrf-token": csrf_of(owner_client, "/settings/douyin")}
    for shop, platform_id, key in ((shop_id, "88990011", "7000000000000000001"),
                                   (second, "88990022", "7000000000000000002")):
        answer = owner_client.put("/api/v1/douyin/connection", params={"shop": shop}, headers=headers,
                                  json={"shop_id": platform_id, "app_key": key, "app_secret": "s"})
        assert answer.status_code == 200, answer.text
    return shop_id, second


def _switches(ctx) -> dict:
    with ctx.sessions() as session:
        return {c.shop_id: c.write_enabled for c in session.query(DouyinConnection)}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_page_of_shop_2_switches_and_saves_shop_2(ctx, owner_client, two_shops):
    first, second = two_shops
    page = owner_client.get("/settings/douyin", params={"shop": second}).text
    for action in ("/settings/douyin/writes", "/settings/douyin"):  # (retry shows only with failed messages)
        assert f'action="{action}?shop={second}"' in page, action
    csrf = csrf_of(owner_client, "/settings/douyin")
    done = owner_client.post(f"/settings/douyin/writes?shop={second}", data={"enabled": "1", "csrf_token": csrf},
                             follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/settings/douyin?shop={second}"
    assert _switches(ctx) == {first: False, second: True}  # shop 1's switch untouched


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_a_douyin_shop_already_connected_elsewhere_is_refused_with_a_reason(ctx, owner_client, two_shops):
    first, second = two_shops
    headers = {"x-csrf-token": csrf_of(owner_client, "/settings/douyin")}
    refused = owner_client.put("/api/v1/douyin/connection", params={"shop": second}, headers=headers,
                               json={"shop_id": "88990011", "app_key": "7000000000000000003", "app_secret": "s"})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "platform_shop_taken"
    assert refused.json()["error"]["details"] == {"field": "shop_id", "shop": first}
    page = owner_client.post(f"/settings/douyin?shop={second}", data={
        "shop_id": "88990011", "app_key": "7000000000000000003", "app_secret": "s",
        "csrf_token": csrf_of(owner_client, "/settings/douyin")})
    assert page.status_code == 422 and f"这个抖店店铺已连接到本系统的店铺 {first}" in page.text
    with ctx.sessions() as session:
        kept = {c.shop_id: c.platform_shop_id for c in session.query(DouyinConnection)}
    assert kept == {first: "88990011", second: "88990022"}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_replacing_the_connection_clears_the_platform_error_of_the_old_one(ctx, owner_client, two_shops):
    """QA pass 8, #4: after a wrong shop id was corrected, "平台最近错误" kept the old connection's token.create error."""
    first, _second = two_shops
    with transaction(ctx.sessions) as session:
        conn = session.query(DouyinConnection).filter_by(shop_id=first).one()
        conn.last_error, conn.last_error_at = '{"method": "token.create", "msg": "shop_id 与应用不匹配"}', NOW
    headers = {"x-csrf-token": csrf_of(owner_client, "/settings/douyin")}
    status = owner_client.put("/api/v1/douyin/connection", params={"shop": first}, headers=headers,
                              json={"shop_id": "88990033", "app_key": "7000000000000000001", "app_secret": "s2"})
    # the old error is gone; what stands now is at most the new connection's own check (credentials.py: this test's
    # gateway is closed, so the reason the platform could not be asked)
    assert status.status_code == 200 and (status.json()["last_error"] or {}).get("msg") != "shop_id 与应用不匹配"
