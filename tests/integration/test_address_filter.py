"""The order list's 改地址 filter: orders whose buyer changed the delivery address, still to ship or at any time,
combined with the search and the tabs, on both databases, read from the partial index of changed orders; the home
page's card and the pick list show the same orders."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from xiaodian.db import transaction
from xiaodian.orders.domain import TO_SHIP, ItemRecord, OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.queries import OrderFilter, address_changed_order_ids, address_changed_to_ship, search_page, \
    tab_counts

from ..conftest import NOW, cli_desk, login
from ..factories import make_record

TITLES = ["五常大米 稻花香2号 5kg", "东北大米 珍珠米", "iPhone 15 手机壳", "西湖龙井 明前"]
LATER = NOW + timedelta(hours=3)


def _seed(ctx, shop_id, n: int = 60, seed: int = 5) -> dict[str, tuple]:
    """n orders in every status; about a third get a later snapshot with another address. Returns order id →
    (status, changed, title, created)."""
    rng = random.Random(seed)
    records, truth = {}, {}
    for k in range(n):
        oid = f"69384597040228{k:05d}"
        title = rng.choice(TITLES)
        created = NOW - timedelta(days=rng.randrange(20), minutes=rng.randrange(1440))
        status = rng.choice(list(OrderStatus))
        records[oid] = dict(order_id=oid, status=status, created_at=created, ship_by=NOW + timedelta(days=1),
                            items=[ItemRecord(sku_order_id=oid, product_name=title, quantity=1, unit_price_fen=1000)])
        truth[oid] = (status.value, False, title, created)
    moved = rng.sample(sorted(truth), n // 3)
    with transaction(ctx.sessions) as session:
        assert not upsert_orders(session, shop_id=shop_id, records=[make_record(**r) for r in records.values()],
                                 cipher=ctx.cipher, now=NOW).rejected
    with transaction(ctx.sessions) as session:  # the buyers' changes arrive later (推送 105, or the next export)
        assert not upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=LATER, records=[
            make_record(**records[oid], address="文三路 90号", district="拱墅区") for oid in moved]).rejected
    for oid in moved:
        truth[oid] = (truth[oid][0], True, *truth[oid][2:])
    return truth


def _expected(truth, flt: OrderFilter) -> list[str]:
    def keep(status, changed, title):
        words = (flt.query or "").split()
        return changed and (flt.address_changed == "any" or status in TO_SHIP) \
            and (flt.tab == "all" or status == flt.tab) \
            and (flt.query in ("13812345678", "5678") or all(t in title.lower() for t in words))  # every phone
    hits = [(created, oid) for oid, (status, changed, title, created) in truth.items() if keep(status, changed, title)]
    return [oid for _created, oid in sorted(hits, reverse=True)]


@pytest.mark.parametrize("query", [None, "大米", "iphone 15", "13812345678", "5678"])
def test_the_address_filter_equals_a_plain_scan_with_search_and_tabs(ctx, shop_id, query):
    truth = _seed(ctx, shop_id)
    with ctx.sessions() as session:
        for which in ("to_ship", "any"):
            for tab in ("all", "awaiting_shipment", "paid_pending", "completed"):
                flt = OrderFilter(query=query, tab=tab, address_changed=which, page_size=200)
                expected = _expected(truth, flt)
                result = search_page(session, shop_id, flt, ctx.cipher)
                assert [o.order_id for o in result.orders] == expected, (which, tab)
                assert result.total == len(expected)
            counts = tab_counts(session, shop_id, OrderFilter(query=query, address_changed=which), ctx.cipher)
            for tab in ("awaiting_shipment", "partially_shipped", "completed", "cancelled"):
                assert counts[tab] == len(_expected(truth, OrderFilter(query=query, tab=tab, address_changed=which)))
            assert counts["all"] == len(_expected(truth, OrderFilter(query=query, address_changed=which)))
        to_ship = _expected(truth, OrderFilter(address_changed="to_ship"))
        assert address_changed_to_ship(session, shop_id) == len(to_ship)
        assert address_changed_order_ids(session, shop_id) == set(to_ship)
    changed = [oid for oid, (_s, moved, *_r) in truth.items() if moved]
    assert to_ship and len(changed) > len(to_ship)  # the seed has both kinds


def test_sqlite_reads_changed_orders_from_their_own_index(ctx, shop_id):
    """The list's count and page statements and the tab counts under the filter, as the list runs them, planned by
    SQLite without statistics (a desk's file has none): each reads ix_orders_shop_address_changed."""
    if ctx.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query plan")
    _seed(ctx, shop_id, n=30)
    from xiaodian.orders.listing import list_data

    from ..sqlite_plans import plans_of

    def run():
        with ctx.sessions() as session:
            for which in ("to_ship", "any"):
                flt = OrderFilter(address_changed=which, tab="awaiting_shipment")
                list_data(session, shop_id, flt, cipher=ctx.cipher)
                tab_counts(session, shop_id, flt, ctx.cipher)
            address_changed_to_ship(session, shop_id)
            address_changed_order_ids(session, shop_id)

    plans = plans_of(ctx.engine, "address_changed_at IS NOT NULL", run)
    assert len(plans) >= 8  # count and page of each, the tab counts, the home card and the pick list's ids
    for statement, plan in plans:
        assert "ix_orders_shop_address_changed" in plan, (statement, plan)
    counting = [plan for statement, plan in plans if "count(*)" in statement and "GROUP BY" not in statement]
    assert counting and all("COVERING INDEX" in plan for plan in counting)  # the counts read the index alone


def test_the_pages_the_api_and_the_pick_list_show_the_same_orders(app, users, ctx, shop_id):
    truth = _seed(ctx, shop_id, n=40)
    to_ship = _expected(truth, OrderFilter(address_changed="to_ship"))
    with TestClient(app) as client:
        login(client, "warehouse")
        home = client.get("/")
        assert 'data-card="address_changed"' in home.text and 'href="/orders?address_changed=to_ship"' in home.text
        card = home.text.split('data-card="address_changed"')[1]
        assert f'<span class="big">{len(to_ship)}</span>' in card and "改地址待发" in card
        listed = client.get("/orders", params={"address_changed": "to_ship", "page_size": 100})
        assert listed.status_code == 200
        assert [oid for oid in truth if f'data-order-id="{oid}"' in listed.text] != []
        shown = sorted(oid for oid in truth if f"/orders/{oid}" in listed.text)
        assert shown == sorted(to_ship)
        assert '<option value="to_ship" selected>改地址未发货</option>' in listed.text
        typo = client.get("/orders", params={"address_changed": "yes"})  # a bad value: named, the list still opens
        assert typo.status_code == 200 and "改地址" in typo.text and "“yes”" in typo.text
        api = client.get("/api/v1/orders", params={"address_changed": "any", "page_size": 200}).json()
        assert [o["order_id"] for o in api["orders"]] == _expected(truth, OrderFilter(address_changed="any"))
        assert all(o["address_changed_at"] for o in api["orders"])
        counts = client.get("/api/v1/orders/counts", params={"address_changed": "to_ship"}).json()["counts"]
        assert counts["all"] == len(to_ship)
        bad = client.get("/api/v1/orders", params={"address_changed": "yes"})
        assert bad.status_code == 422 and "address_changed" in bad.text
        picks = client.get("/shipping/picklist").text
    with TestClient(app) as client:
        login(client, "owner")  # the export: the list's filter carried over (its link on the list page has it)
        assert "address_changed=to_ship" in client.get("/orders", params={"address_changed": "to_ship"}).text
        exported = client.get("/api/v1/exports/orders", params={"address_changed": "to_ship"})
        assert exported.status_code == 200 and exported.headers["x-row-count"] == str(len(to_ship))
        refused = client.get("/api/v1/exports/orders", params={"address_changed": "yes"})
        assert refused.status_code == 422 and refused.json()["error"]["details"]["field"] == "address_changed"
    awaiting = [oid for oid in to_ship if truth[oid][0] == "awaiting_shipment"]
    assert awaiting  # the pick list plans 备货中 orders: each changed one carries the tag
    for oid in awaiting:
        row = picks.split(f"<td>{oid}")[1].split("</tr>")[0]
        assert "address-changed" in row, oid
    unchanged = next(oid for oid, (status, moved, *_r) in truth.items() if status == "awaiting_shipment" and not moved)
    assert "address-changed" not in picks.split(f"<td>{unchanged}")[1].split("</tr>")[0]


def test_the_cli_filters_by_address_change_and_refuses_an_unknown_value(tmp_path):
    truth = {}
    run = cli_desk(tmp_path, seed=lambda ctx, shop: truth.update(_seed(ctx, shop, n=30)))
    done = run("orders", "search", "--address-changed", "to_ship", "--limit", "200", "--json")
    assert done.exit_code == 0, done.output
    assert [o["order_id"] for o in json.loads(done.output)["orders"]] == _expected(
        truth, OrderFilter(address_changed="to_ship"))
    refused = run("orders", "search", "--address-changed", "yes")
    assert refused.exit_code == 2 and "--address-changed must be one of to_ship, any" in refused.output
