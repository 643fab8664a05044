"""QA 5 E17: GET /api/v1/orders/{id}/shipments gave shipped_at in UTC (+00:00) while every other endpoint gives shop
time (+08:00): both right instants, but a script that prints them raw shows two clocks. The anomaly thresholds'
updated_at did the same (and the CLI's text printed its UTC wall clock as the shop's). Every API time is in shop
time; the sweep reads each GET of the API over a desk with a parcel, reminders and the shop's own thresholds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from xiaodian.accounts.service import Principal
from xiaodian.channels.douyin.models import DouyinConnection
from xiaodian.db import transaction
from xiaodian.orders.intake import upsert_orders
from xiaodian.shipping import service
from xiaodian.shipping.jobs import scan_shop

from ..conftest import NOW, cli_desk, csrf_of
from ..factories import make_record

pytestmark = pytest.mark.both_backends

OID, DUE = "6938459704022656025", "6938459704022656026"
CLERK = Principal(None, "warehouse", "warehouse", "web")


def seed(ctx, shop_id):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(OID, ship_by=NOW + timedelta(hours=5)), make_record(DUE, ship_by=NOW + timedelta(hours=1))])
        service.ship_order(session, shop_id=shop_id, principal=CLERK, now=NOW,
                           req=service.ShipRequest(OID, "shunfeng", "SF1234567890123"))


def test_an_orders_shipments_give_shop_time(owner_client, ctx, shop_id):
    seed(ctx, shop_id)
    [package] = owner_client.get(f"/api/v1/orders/{OID}/shipments").json()["shipments"]
    assert package["shipped_at"] == NOW.isoformat() == "2026-11-24T18:00:00+08:00"
    order = owner_client.get(f"/api/v1/orders/{OID}").json()
    assert order["shipped_at"] == package["shipped_at"]  # one clock for one instant


def test_the_thresholds_say_when_they_were_set_in_shop_time(owner_client):
    changed = owner_client.put("/api/v1/logistics/thresholds", headers={"x-csrf-token": csrf_of(owner_client)},
                               json={"pickup_serious": 40})
    assert changed.status_code == 200 and changed.json()["updated_at"] == "2026-11-24T18:00:00+08:00"
    assert owner_client.get("/api/v1/logistics/thresholds").json()["updated_at"] == "2026-11-24T18:00:00+08:00"


def test_the_thresholds_cli_prints_shop_time(tmp_path):
    run = cli_desk(tmp_path)
    assert run("logistics", "thresholds", "--set", "pickup_serious=40").exit_code == 0
    shown = run("logistics", "thresholds")
    assert "2026-11-24T18:00" in shown.stdout and "T10:00" not in shown.stdout
    assert '"updated_at": "2026-11-24T18:00:00+08:00"' in run("logistics", "thresholds", "--json").stdout


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_no_api_read_gives_a_utc_time(owner_client, ctx, shop_id, app):
    seed(ctx, shop_id)
    scan_shop(ctx.sessions, shop_id, NOW, full=True)  # deadline reminders
    headers = {"x-csrf-token": csrf_of(owner_client)}
    assert owner_client.put("/api/v1/logistics/thresholds", headers=headers,
                            json={"pickup_serious": 40}).status_code == 200
    assert owner_client.put("/api/v1/douyin/connection", headers=headers,
                            json={"shop_id": "88990011", "app_key": "k1", "app_secret": "s1"}).status_code == 200
    with transaction(ctx.sessions) as session:  # a connection that has synced, with a token and an error
        session.execute(update(DouyinConnection).values(
            token_expires_at=NOW + timedelta(days=1), last_sync_at=NOW, sync_cursor=NOW - timedelta(minutes=5),
            last_error='{"code": "x"}', last_error_at=NOW))
    status = owner_client.get("/api/v1/douyin/status").json()
    assert (status["last_sync_at"], status["token_expires_at"]) == (NOW.isoformat(), "2026-11-25T18:00:00+08:00")
    read = []
    for path, operations in app.openapi()["paths"].items():
        url = path.replace("{order_id}", OID)
        if not path.startswith("/api/v1") or "get" not in operations or "{" in url:
            continue
        response = owner_client.get(url)
        assert response.status_code == 200, url
        assert "+00:00" not in response.text, (url, response.text[:2000])
        read.append(url)
    assert {f"/api/v1/orders/{OID}/shipments", "/api/v1/logistics/thresholds", "/api/v1/shipping/reminders",
            f"/api/v1/orders/{OID}", "/api/v1/douyin/status"} <= set(read)
