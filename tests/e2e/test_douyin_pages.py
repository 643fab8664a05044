"""The owner's 抖店连接 page and API through the ASGI app: not connected, connect (secret encrypted, never shown),
status figures, the write switch (off by default), failed push messages with retry; other roles refused."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from xiaodian.accounts.models import AuditEntry
from xiaodian.channels.douyin.models import DouyinConnection

from ..conftest import csrf_of, login


def test_the_page_says_not_connected_then_connects_with_the_secret_encrypted(ctx, app, users, owner_client):
    page = owner_client.get("/settings/douyin")
    assert page.status_code == 200 and "未连接" in page.text and 'href="/settings/douyin"' in page.text
    csrf = csrf_of(owner_client, "/settings/douyin")
    done = owner_client.post("/settings/douyin", data={"shop_id": "88990011", "app_key": "7000000000000000001",
                                                       "app_secret": "very-secret-value", "csrf_token": csrf},
                             follow_redirects=False)
    assert done.status_code == 303
    page = owner_client.get("/settings/douyin")
    assert "已连接" in page.text and "88990011" in page.text and "very-secret-value" not in page.text
    assert "已关闭" in page.text  # writes off until the owner turns them on
    with ctx.sessions() as session:
        conn = session.execute(select(DouyinConnection)).scalar_one()
        entries = session.execute(select(AuditEntry).where(AuditEntry.action == "douyin.connect")).scalars().all()
    assert "very-secret-value" not in conn.app_secret_enc
    assert ctx.cipher.decrypt("douyin_app_secret", conn.app_secret_enc) == "very-secret-value"
    assert len(entries) == 1 and "very-secret-value" not in (entries[0].after or "")


def test_a_bad_shop_id_is_shown_with_the_field_and_nothing_saved(ctx, owner_client):
    csrf = csrf_of(owner_client, "/settings/douyin")
    done = owner_client.post("/settings/douyin", data={"shop_id": "abc", "app_key": "k", "app_secret": "s",
                                                       "csrf_token": csrf})
    assert done.status_code == 422 and "shop_id" in done.text
    with ctx.sessions() as session:
        assert session.execute(select(DouyinConnection)).first() is None


def test_the_api_connects_reports_status_and_switches_writes(owner_client):
    csrf = csrf_of(owner_client, "/settings/douyin")
    headers = {"x-csrf-token": csrf}
    assert owner_client.get("/api/v1/douyin/status").json() == {"connected": False}
    status = owner_client.put("/api/v1/douyin/connection", headers=headers,
                              json={"shop_id": "88990011", "app_key": "k1", "app_secret": "s1"}).json()
    assert status["connected"] and status["write_enabled"] is False and "s1" not in str(status)
    assert status["inbox"] == {"pending": 0, "done": 0, "failed": 0, "deferred": 0, "ignored": 0}
    status = owner_client.put("/api/v1/douyin/write-switch", headers=headers, json={"write_enabled": True}).json()
    assert status["write_enabled"] is True
    page = owner_client.get("/settings/douyin")
    assert "已开启" in page.text


def test_the_write_switch_without_a_connection_is_a_clear_404(owner_client):
    csrf = csrf_of(owner_client, "/settings/douyin")
    response = owner_client.put("/api/v1/douyin/write-switch", headers={"x-csrf-token": csrf},
                                json={"write_enabled": True})
    assert response.status_code == 404 and response.json()["error"]["code"] == "douyin_not_connected"


def test_customer_service_cannot_see_the_connection(app, users):
    with TestClient(app) as client:
        login(client, "cs")
        assert client.get("/settings/douyin", follow_redirects=False).status_code == 403
        assert 'href="/settings/douyin"' not in client.get("/orders").text
