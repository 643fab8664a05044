"""The order list's 旗标 filter: any flagged order, or one colour, combined with the search, the tabs and the dates;
on both databases, through the partial index of flagged orders."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest

from xiaodian.accounts.service import Principal
from xiaodian.db import transaction
from xiaodian.orders import service
from xiaodian.orders.domain import FLAG_COLOURS, ItemRecord, OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.queries import OrderFilter, search_page, tab_counts

from ..conftest import NOW, cli_desk
from ..factories import make_record

CS = Principal(user_id=None, login="kefu", role="cs", channel="web")
TITLES = ["五常大米 稻花香2号 5kg", "东北大米 珍珠米", "iPhone 15 手机壳", "西湖龙井 明前"]


def _seed(ctx, shop_id, n: int = 80, seed: int = 3) -> dict[str, tuple]:
    """n orders, about a third flagged with a random colour; returns order id → (status, flag, title, created)."""
    rng = random.Random(seed)
    records, truth = [], {}
    for k in range(n):
        oid = f"69384597040227{k:05d}"
        title = rng.choice(TITLES)
        created = NOW - timedelta(days=rng.randrange(20), minutes=rng.randrange(1440))
        status = rng.choice(list(OrderStatus))
        records.append(make_record(order_id=oid, status=status, created_at=created, items=[
            ItemRecord(sku_order_id=oid, product_name=title, quantity=1, unit_price_fen=1000)]))
        truth[oid] = (status.value, 0, title, created)
    with transaction(ctx.sessions) as session:
        assert not upsert_orders(session, shop_id=shop_id, records=records, cipher=ctx.cipher, now=NOW).rejected
        for oid in rng.sample(sorted(truth), n // 3):
            colour = rng.randrange(1, len(FLAG_COLOURS))
            service.update_merchant_note(session, CS, shop_id=shop_id, order_id=oid, note=None, flag_colour=colour,
                                         now=NOW)
            truth[oid] = (truth[oid][0], colour, *truth[oid][2:])
    return truth


def _expected(truth, flt: OrderFilter) -> list[str]:
    def keep(status, colour, title):
        return ((flt.flag == "any" and colour > 0) or (flt.flag != "any" and FLAG_COLOURS[colour] == flt.flag)) \
            and (flt.tab == "all" or status == flt.tab) and (flt.query in ("13812345678", "5678")  # every phone
                                                              or all(t in title.lower() for t in (flt.query or "").split()))
    hits = [(created, oid) for oid, (status, colour, title, created) in truth.items() if keep(status, colour, title)]
    return [oid for _created, oid in sorted(hits, reverse=True)]


@pytest.mark.parametrize("query", [None, "大米", "iphone 15", "13812345678", "5678"])
def test_the_flag_filter_equals_a_plain_scan_with_search_and_tabs(ctx, shop_id, query):
    truth = _seed(ctx, shop_id)
    with ctx.sessions() as session:
        for flag in ("any", *FLAG_COLOURS[1:]):
            for tab in ("all", "awaiting_shipment", "completed"):
                flt = OrderFilter(query=query, tab=tab, flag=flag, page_size=200)
                expected = _expected(truth, flt)
                result = search_page(session, shop_id, flt, ctx.cipher)
                assert [o.order_id for o in result.orders] == expected, (flag, tab)
                assert result.total == len(expected)
            counts = tab_counts(session, shop_id, OrderFilter(query=query, flag=flag), ctx.cipher)
            for tab in ("awaiting_shipment", "completed", "cancelled"):
                assert counts[tab] == len(_expected(truth, OrderFilter(query=query, tab=tab, flag=flag))), (flag, tab)
            assert counts["all"] == len(_expected(truth, OrderFilter(query=query, flag=flag)))
    assert any(colour for _s, colour, *_rest in truth.values())


def test_sqlite_reads_flagged_orders_from_their_own_index(ctx, shop_id):
    """The list's count and page statements under "any flag" in a tab, as the list runs them, planned by SQLite
    without statistics (a desk's file has none): each reads ix_orders_shop_flag, none walks the tab's orders."""
    if ctx.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query plan")
    _seed(ctx, shop_id, n=40)
    from xiaodian.orders.listing import list_data

    from ..sqlite_plans import plans_of

    def run():
        with ctx.sessions() as session:
            for flag in ("any", "red"):
                flt = OrderFilter(flag=flag, tab="awaiting_shipment")
                list_data(session, shop_id, flt, cipher=ctx.cipher)
                tab_counts(session, shop_id, flt, ctx.cipher)

    plans = plans_of(ctx.engine, "flag_colour != 0", run)
    assert len(plans) >= 5  # count and page of each, and the tab counts
    for statement, plan in plans:
        assert "ix_orders_shop_flag" in plan and "ix_orders_shop_status_sort" not in plan, (statement, plan)


def test_the_cli_filters_by_flag_and_refuses_an_unknown_colour(tmp_path):
    truth = {}
    run = cli_desk(tmp_path, seed=lambda ctx, shop: truth.update(_seed(ctx, shop, n=30)))
    done = run("orders", "search", "--flag", "red", "--limit", "200", "--json")
    assert done.exit_code == 0, done.output
    got = json.loads(done.output)
    assert [o["order_id"] for o in got["orders"]] == _expected(truth, OrderFilter(flag="red"))
    refused = run("orders", "search", "--flag", "pink")
    assert refused.exit_code == 2 and "--flag must be one of any, grey" in refused.output
