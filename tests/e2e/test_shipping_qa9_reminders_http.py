"""QA pass 9, #9 through the page, the API and the CLI: one line per order at its most pressing reminder, the count
counts orders, and acknowledging the order closes its earlier reminders too."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from xiaodian.db import transaction
from xiaodian.orders.intake import upsert_orders
from xiaodian.shipping import cli as shipping_cli
from xiaodian.shipping.jobs import scan_shop

from ..conftest import NOW, cli_desk, csrf_of, login
from ..factories import make_record

H = timedelta(hours=1)
LATE, SOON = "6938459704022699101", "6938459704022699102"


def seed(ctx, shop_id):
    """LATE earns its 6 h, 2 h and overdue reminders; SOON only its 6 h one."""
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(LATE, ship_by=NOW + 5 * H), make_record(SOON, ship_by=NOW + 9 * H)])
    for at in (NOW, NOW + 4 * H, NOW + 6 * H):
        scan_shop(ctx.sessions, shop_id, at, full=True)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_page_and_the_api_list_orders_once(ctx, shop_id, app, users):
    seed(ctx, shop_id)
    with TestClient(app) as client:
        login(client, "warehouse")
        data = client.get("/api/v1/shipping/reminders").json()
        assert data["open"] == 2
        assert [(r["order_id"], r["kind"], r["superseded"]) for r in data["reminders"]] == [
            (LATE, "overdue", 2), (SOON, "due_soon", 0)]
        page = client.get("/shipping/reminders").text
        assert page.count("data-reminder-id=") == 2 and page.count(f'data-order-id="{LATE}"') == 1
        assert re.search(r'<span class="count"[^>]*>2</span>', page)  # the title counts orders, not 4 reminders
        assert "另含 2 条较早的提醒" in page
        csrf = csrf_of(client)
        late = data["reminders"][0]["id"]
        out = client.post(f"/api/v1/shipping/reminders/{late}/ack", headers={"x-csrf-token": csrf})
        assert out.status_code == 200 and len(out.json()["also_acknowledged"]) == 2
        after = client.get("/api/v1/shipping/reminders").json()
        assert after["open"] == 1 and [r["order_id"] for r in after["reminders"]] == [SOON]
        page = client.get("/shipping/reminders").text
        assert f'data-order-id="{LATE}"' not in page.split("<section")[0]


def test_the_cli_lists_orders_once_and_acknowledges_the_earlier_ones(tmp_path, monkeypatch):
    monkeypatch.setattr(shipping_cli.out, "width", 200)
    run = cli_desk(tmp_path, seed)
    listed = json.loads(run("reminders", "list", "--json").stdout)
    assert listed["open"] == 2 and [r["superseded"] for r in listed["reminders"]] == [2, 0]
    table = run("reminders", "list").stdout
    assert "2 orders with open reminders" in table and table.count(LATE) == 1
    first = listed["reminders"][0]["id"]
    done = run("reminders", "ack", str(first))
    assert done.exit_code == 0 and "with 2 earlier" in done.stdout
    assert json.loads(run("reminders", "list", "--json").stdout)["open"] == 1
