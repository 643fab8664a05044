"""The deadline views in either order the platform's list offers: by ship-by (most urgent first, the default) or
by order time (placed first), on the page, the order API (alone, beside a filter and searched by product text) and the
CLI."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest

from xiaodian.db import transaction
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, cli_desk
from ..factories import make_record

# (order id, placed hours ago, ship-by hours from now): the placing order differs from the urgency order
ORDERS = [("6938459704022657201", 50, 20), ("6938459704022657202", 30, 3), ("6938459704022657203", 70, 40),
          ("6938459704022657204", 10, 12), ("6938459704022657205", 60, -2)]
BY_SHIP_BY = [oid for oid, _ago, due in sorted(ORDERS, key=lambda o: o[2])]
BY_PLACED = [oid for oid, _ago, due in sorted(ORDERS, key=lambda o: -o[1])]
DUE24H = [oid for oid in BY_SHIP_BY if 0 < dict((o, d) for o, _a, d in ORDERS)[oid] <= 24]


def seed(ctx, shop_id):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(oid, created_at=NOW - timedelta(hours=ago), ship_by=NOW + timedelta(hours=due))
            for oid, ago, due in ORDERS])


def test_the_views_sort_by_ship_by_or_by_order_time(ctx, shop_id, owner_client):
    seed(ctx, shop_id)
    assert BY_SHIP_BY != BY_PLACED
    client = owner_client

    def api(**params):
        reply = client.get("/api/v1/orders", params=params)
        assert reply.status_code == 200, reply.text
        return [o["order_id"] for o in reply.json()["orders"]]

    assert api(view="awaiting") == BY_SHIP_BY
    assert api(view="awaiting", sort="created") == BY_PLACED
    assert api(view="due24h", sort="created") == [oid for oid in BY_PLACED if oid in DUE24H]
    since = (NOW - timedelta(days=5)).date().isoformat()
    assert api(view="awaiting", sort="created", created_from=since) == BY_PLACED  # beside a filter: the general plan
    assert api(view="awaiting", q="稻花香") == BY_SHIP_BY and api(view="awaiting", q="五常", sort="created") == BY_PLACED
    assert client.get("/api/v1/orders", params={"view": "awaiting", "sort": "newest"}).status_code == 422

    def page(**params):
        html = client.get("/shipping", params=params).text
        return re.findall(r'<tr data-order-id="(\d{19})"', html), html

    shown, html = page(view="awaiting")
    assert shown == BY_SHIP_BY and 'data-sort="ship_by" class="active"' in html
    shown, html = page(view="awaiting", sort="created")
    assert shown == BY_PLACED and 'data-sort="created" class="active"' in html
    # the tabs and the ship buttons keep the order chosen; an unknown order falls back to ship-by
    assert 'href="/shipping?view=due24h&amp;sort=created"' in html or 'href="/shipping?view=due24h&sort=created"' in html
    assert "back=/shipping%3Fview%3Dawaiting%26sort%3Dcreated" in html
    assert page(view="awaiting", sort="<script>")[0] == BY_SHIP_BY


def test_the_shipping_page_searches_within_a_view_in_its_order(ctx, shop_id, owner_client):
    """The warehouse picks one product together: the search box on /shipping finds it within the view, most urgent
    first (or by order time), and the tabs, the order switch, the pages and the ship buttons' way back keep it."""
    seed(ctx, shop_id)
    with transaction(ctx.sessions) as session:  # one order of another product, due first
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record(
            "6938459704022657299", product="东北 菜籽油 5L", created_at=NOW - timedelta(hours=5),
            ship_by=NOW + timedelta(hours=1))])

    def page(**params):
        reply = owner_client.get("/shipping", params=params)
        assert reply.status_code == 200
        return re.findall(r'<tr data-order-id="(\d{19})"', reply.text), reply.text

    shown, html = page(view="awaiting", q="稻花香")
    assert shown == BY_SHIP_BY and 'name="q" value="稻花香"' in html
    assert page(view="awaiting", q="菜籽油")[0] == ["6938459704022657299"]
    # without it, every order: the oil (due in 1 h) after the one 2 h overdue
    assert page(view="awaiting")[0] == [BY_SHIP_BY[0], "6938459704022657299", *BY_SHIP_BY[1:]]
    shown, html = page(view="awaiting", q="五常", sort="created")
    assert shown == BY_PLACED
    kept = "q=%E4%BA%94%E5%B8%B8"
    assert f'href="/shipping?view=due24h&amp;sort=created&amp;{kept}"' in html  # the other views keep both
    assert 'data-sort="ship_by"' in html and f'href="/shipping?view=awaiting&amp;{kept}"' in html
    assert "back=/shipping%3Fview%3Dawaiting%26sort%3Dcreated%26q%3D%25E4%25BA%2594%25E5%25B8%25B8" in html
    # the bulk-ship template of what was found, most urgent first
    assert f'href="/shipping/bulk/template.xlsx?view=awaiting&amp;{kept}"' in html
    assert page(view="due24h", q="稻花香")[0] == DUE24H
    shown, html = page(view="awaiting", q="<script>alert(1)</script>")
    assert shown == [] and "没有匹配的订单" in html and "<script>alert(1)</script>" not in html
    assert page(view="awaiting", q="x" * 500)[0] == []  # cut to the box's 100 characters, no error


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_cli_sorts_a_view_and_refuses_an_unknown_order(tmp_path, backend):
    run = cli_desk(tmp_path, seed=seed)
    done = run("orders", "search", "--view", "awaiting", "--sort", "created", "--json")
    assert done.exit_code == 0, done.output
    assert [o["order_id"] for o in json.loads(done.output)["orders"]] == BY_PLACED
    written = run("ship-template", str(tmp_path / "wuchang.xlsx"), "--view", "awaiting", "--query", "五常")
    assert written.exit_code == 0 and f"{len(BY_SHIP_BY)} orders" in written.output
    assert _sheet_ids((tmp_path / "wuchang.xlsx").read_bytes()) == BY_SHIP_BY
    written = run("ship-template", str(tmp_path / "none.xlsx"), "--view", "awaiting", "--query", "菜籽油")
    assert written.exit_code == 0 and "0 orders" in written.output
    refused = run("orders", "search", "--view", "awaiting", "--sort", "newest")
    assert refused.exit_code == 2 and "--sort must be one of ship_by, created" in refused.output


def _sheet_ids(body: bytes) -> list[str]:
    from openpyxl import load_workbook

    return [row[0].value for row in load_workbook(io.BytesIO(body)).active.iter_rows(min_row=2)]


def test_the_bulk_ship_template_of_a_searched_view(ctx, shop_id, owner_client):
    """The warehouse packs one product together: the template holds only the view's orders the search finds, most
    urgent first (page link, API, and an empty sheet when nothing is found)."""
    seed(ctx, shop_id)
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record(
            "6938459704022657299", product="东北 菜籽油 5L", created_at=NOW - timedelta(hours=5),
            ship_by=NOW + timedelta(hours=1))])
    page = owner_client.get("/shipping/bulk/template.xlsx", params={"view": "awaiting", "q": "稻花香"})
    assert page.status_code == 200 and page.headers["x-row-count"] == str(len(BY_SHIP_BY))
    assert _sheet_ids(page.content) == BY_SHIP_BY
    api = owner_client.get("/api/v1/shipments/template", params={"view": "due24h", "q": "菜籽油"})
    assert api.status_code == 200 and _sheet_ids(api.content) == ["6938459704022657299"]
    whole = owner_client.get("/api/v1/shipments/template", params={"view": "awaiting", "q": "  "})  # blank: the view
    assert whole.headers["x-row-count"] == str(len(BY_SHIP_BY) + 1)
    none = owner_client.get("/api/v1/shipments/template", params={"view": "awaiting", "q": "' OR 1=1 --"})
    assert none.status_code == 200 and none.headers["x-row-count"] == "0" and _sheet_ids(none.content) == []
    too_long = owner_client.get("/api/v1/shipments/template", params={"q": "x" * 101})
    assert too_long.status_code == 422 and [f["field"] for f in too_long.json()["error"]["details"]["fields"]] == ["q"]
