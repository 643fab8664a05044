"""A product-text search inside a deadline view keeps the view's order (most urgent first, or placed first), in one
shop and across shops, page by page: the warehouse searching 大米 in 24h需发货 still sees the next deadline first."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from xiaodian.accounts.models import Shop
from xiaodian.db import transaction
from xiaodian.orders import service
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders import queries
from xiaodian.orders.queries import OrderFilter

from ..conftest import NOW
from ..factories import make_record
from ..sqlite_plans import plans_of

RICE, OIL = "五常大米 稻花香2号 5kg", "东北 菜籽油 5L"


def _orders(prefix: str, count: int, rng: random.Random, hour: int) -> list:
    """Placing order and urgency differ (random ship-by within two days, some passed); every third is oil. Each
    shop's orders are placed at their own hours, so order time alone orders them."""
    out = []
    for i in range(count):
        status = OrderStatus.AWAITING_SHIPMENT if i % 5 else OrderStatus.COMPLETED
        extra = {"shipped_at": NOW - timedelta(hours=1)} if status is OrderStatus.COMPLETED else {}
        out.append(make_record(f"693845970411{prefix}{i:05d}", status=status, product=OIL if i % 3 == 0 else RICE,
                               created_at=NOW - timedelta(hours=3 * i + hour),
                               ship_by=NOW + timedelta(minutes=rng.randrange(-600, 2880)), **extra))
    return out


def _seed(ctx, shop_id: int) -> tuple[int, list]:
    rng = random.Random(4)
    with transaction(ctx.sessions) as session:
        second = Shop(name="第二家店", platform_shop_id="7654322", created_at=NOW)
        session.add(second)
        session.flush()
        first, other = _orders("11", 30, rng, 1), _orders("22", 25, rng, 2)
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=first)
        upsert_orders(session, shop_id=second.id, cipher=ctx.cipher, now=NOW, records=other)
    return second.id, [(shop_id, r) for r in first] + [(second.id, r) for r in other]


def _expected(records: list, shops: set[int], sort: str) -> list[str]:
    chosen = [r for shop, r in records if shop in shops and r.status is OrderStatus.AWAITING_SHIPMENT
              and "大米" in r.items[0].product_name]
    key = (lambda r: r.created_at) if sort == "created" else (lambda r: r.ship_by)
    return [r.order_id for r in sorted(chosen, key=key)]


def _pages(ctx, shops, sort: str, page_size: int, query: str = "大米") -> tuple[int, list[str]]:
    """Every page of a search in the 备货中 view, read one after another."""
    seen, page, total = [], 1, None
    with ctx.sessions() as session:
        while True:
            data = service.list_data(session, shop_id=shops, cipher=ctx.cipher, flt=OrderFilter(
                query=query, view="awaiting", view_sort=sort, now=NOW, page=page, page_size=page_size))
            total = data.total
            if not data.orders:
                return total, seen
            seen += [o["order_id"] for o in data.orders]
            page += 1


@pytest.mark.parametrize("scan_limit", [queries.FEW_ORDERS, 0], ids=["view-drives", "matches-drive"])
def test_a_text_search_in_a_view_keeps_the_views_order(ctx, shop_id, scan_limit, monkeypatch):
    """Both ways of reading it: from the view's orders (a small view) and from the text's matches (a large one)."""
    monkeypatch.setattr(queries, "FEW_ORDERS", scan_limit)
    second, records = _seed(ctx, shop_id)
    for sort in ("ship_by", "created"):
        expected = _expected(records, {shop_id}, sort)
        assert len(expected) > 10 and expected != sorted(expected)  # not simply newest first (ids rise with age)
        assert _pages(ctx, shop_id, sort, 50) == (len(expected), expected)
        assert _pages(ctx, shop_id, sort, 4) == (len(expected), expected)  # the pages follow on from each other
        both = _expected(records, {shop_id, second}, sort)
        assert _pages(ctx, service.ALL_SHOPS, sort, 50) == (len(both), both)
        assert _pages(ctx, service.ALL_SHOPS, sort, 7) == (len(both), both)
        assert _pages(ctx, service.ALL_SHOPS, sort, 50, "大米' OR 1=1; --") == (0, [])  # bound, never SQL
        assert _pages(ctx, shop_id, sort, 50, "稻花香2号 5KG") == _pages(ctx, shop_id, sort, 50)  # every term, NFKC


@pytest.mark.parametrize("scan_limit", [queries.FEW_ORDERS, 0], ids=["tab-drives", "matches-drive"])
def test_a_text_search_in_a_status_tab_is_the_same_read_either_way(ctx, shop_id, scan_limit, monkeypatch):
    """A small status tab is read from its orders, a large one from the text's matches: the same orders, newest
    first, with the same total, page by page and across shops."""
    monkeypatch.setattr(queries, "FEW_ORDERS", scan_limit)
    second, records = _seed(ctx, shop_id)
    for tab, status in (("awaiting_shipment", OrderStatus.AWAITING_SHIPMENT), ("completed", OrderStatus.COMPLETED)):
        for shops, in_shops in ((shop_id, {shop_id}), (service.ALL_SHOPS, {shop_id, second})):
            expected = [r.order_id for shop, r in sorted(records, key=lambda sr: sr[1].created_at, reverse=True)
                        if shop in in_shops and r.status is status and "大米" in r.items[0].product_name]
            assert expected
            for size in (50, 4):
                seen, page = [], 1
                with ctx.sessions() as session:
                    while data := service.list_data(session, shop_id=shops, cipher=ctx.cipher, flt=OrderFilter(
                            query="大米", tab=tab, now=NOW, page=page, page_size=size)).orders:
                        seen += [o["order_id"] for o in data]
                        page += 1
                    total = service.list_data(session, shop_id=shops, cipher=ctx.cipher,
                                              flt=OrderFilter(query="大米", tab=tab, now=NOW)).total
                assert (total, seen) == (len(expected), expected), (tab, shops, size)


def _tab_page(ctx, shop_id) -> None:
    with ctx.sessions() as session:
        service.list_data(session, shop_id=shop_id, cipher=ctx.cipher,
                          flt=OrderFilter(query="大米", tab="awaiting_shipment", now=NOW))


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("index", ["ix_orders_unshipped_by_ship_by", "ix_orders_shop_status_sort"], ids=["view", "tab"])
def test_a_small_view_or_tab_is_read_from_its_orders_not_from_the_texts_matches(ctx, shop_id, index):
    """The view's (or tab's) orders drive, from their own index, each order's text found by its key: never every
    match of 大米."""
    _seed(ctx, shop_id)
    read = (lambda: _pages(ctx, shop_id, "ship_by", 50)) if index.endswith("by") else (lambda: _tab_page(ctx, shop_id))
    plans = plans_of(ctx.engine, "instr(order_search_text.body", read)
    assert plans, "the orders were not read first"
    # 待发货 is two statuses (备货中, 部分发货): the partial index of unshipped orders (0029) holds exactly them
    indexes = (index,)
    for _statement, plan in plans:
        driver = min((plan.index(f"INDEX {name} ") for name in indexes if f"INDEX {name} " in plan), default=None)
        assert driver is not None and driver < plan.index("order_search_text USING INTEGER PRIMARY KEY"), plan
        assert "order_search VIRTUAL" not in plan, plan
