"""Product-name search on SQLite (FTS5) and PostgreSQL (GIN): results equal a plain substring scan."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xiaodian.clock import SHOP_TZ
from xiaodian.db import transaction
from xiaodian.orders import queries
from xiaodian.orders.domain import ItemRecord, OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.queries import OrderFilter, day_start, search_page, tab_counts
from xiaodian.orders.search_index import normalise, normalised_terms

from ..conftest import NOW
from ..factories import make_record

TITLES = [
    "【官方旗舰】五常大米 稻花香2号", "东北大米 珍珠米 新米", "有机黄小米 月子米", "iPhone 15 手机壳 磁吸 透明",
    "iPhone 15 Pro 钢化膜 防窥", "小米14 充电器 67W 快充", "Type-C 数据线 1米", "西湖龙井 明前 特级 绿茶",
    "316不锈钢保温杯 大容量", "ＡＢＣ全角 测试米", "Café Crème 咖啡豆", "纯棉T恤 男款 XL", "糯米 包粽子",
]
SPECS = ["5kg", "10斤", "2袋装", "黑色", "500ml", "Pro Max", "", "250g*2", "1.8L/桶"]
STATUSES = list(OrderStatus)


def _text(rec) -> str:
    return normalise(" ".join(f"{i.product_name} {i.spec or ''}" for i in rec.items))


def _holds(rec, terms: list[str]) -> bool:
    """The contract, written plainly: one item's name and spec hold every term."""
    return any(all(t in normalise(f"{i.product_name} {i.spec or ''}") for t in terms) for i in rec.items)


def _corpus(n: int, seed: int = 7) -> list:
    rng = random.Random(seed)
    records = []
    for k in range(n):
        oid = f"69384597040226{k:05d}"
        items = [ItemRecord(sku_order_id=f"5{j}{oid[2:]}" if j else oid, product_name=rng.choice(TITLES),
                            spec=rng.choice(SPECS) or None, quantity=1, unit_price_fen=1000,
                            product_id=f"35120000000000001{j:02d}")
                 for j in range(rng.choice((1, 1, 1, 2)))]
        created = NOW - timedelta(days=rng.randrange(30), minutes=rng.randrange(1440))
        records.append(make_record(order_id=oid, status=rng.choice(STATUSES), created_at=created, items=items,
                                   after_sale_status="售后中" if rng.random() < 0.1 else None))
    return records


def _seed(ctx, shop_id, records) -> None:
    with transaction(ctx.sessions) as session:
        result = upsert_orders(session, shop_id=shop_id, records=records, cipher=ctx.cipher, now=NOW)
    assert not result.rejected


def _expected(records, query: str, flt: OrderFilter | None = None) -> list[str]:
    """Order ids matching by a plain Python substring scan, newest first."""
    terms = normalised_terms([query])  # whitespace runs, split where CJK meets Latin or digits (QA pass 9, #16)
    hits = [r for r in records if _holds(r, terms)]
    if flt is not None:
        if flt.tab not in ("all", "after_sale"):
            hits = [r for r in hits if r.status.value == flt.tab]
        if flt.tab == "after_sale":
            hits = [r for r in hits if r.after_sale_status]
        if flt.created_from:
            hits = [r for r in hits if r.created_at >= day_start(flt.created_from)]
        if flt.created_to:
            hits = [r for r in hits if r.created_at < day_start(flt.created_to + timedelta(days=1))]
        if flt.product_id:
            hits = [r for r in hits if any(i.product_id == flt.product_id for i in r.items)]
    hits.sort(key=lambda r: (int(r.created_at.timestamp()), r.order_id), reverse=True)
    return [r.order_id for r in hits]


def _search(ctx, shop_id, query: str, **flt) -> tuple[int, list[str]]:
    with ctx.sessions() as session:
        result = search_page(session, shop_id, OrderFilter(query=query, page_size=200, **flt), ctx.cipher)
    assert not result.total_is_capped
    return result.total, [o.order_id for o in result.orders]


def _assert_same(ctx, shop_id, records, query, **flt):
    from xiaodian.orders.search_query import classify

    typed = classify(query)  # the search box drops control and private-use characters, reads 4 digits as a phone
    if typed.kind not in ("text", "empty"):
        return
    expected = _expected(records, typed.value, OrderFilter(query=query, **flt))
    total, got = _search(ctx, shop_id, query, **flt)
    assert total == len(expected), query
    assert set(got) == set(expected[:200]), query
    assert len(got) == min(len(expected), 200)


@pytest.fixture
def corpus(ctx, shop_id):
    records = _corpus(160)
    _seed(ctx, shop_id, records)
    return records


QUERIES = ["米", "大米", "五常大米", "稻花香2号", "iPhone 15 壳", "iphone", "IPHONE 15", "ｉｐｈｏｎｅ", "15", "1",
           "【官方旗舰】", "旗舰】五常", "1.8l/桶", "250g*2", "café", "CRÈME", "abc全角", "全角 测试", "米 黑色",
           "T恤 xl", "火星", "米米", "2号 5kg", "钢化膜 防窥 15"]


@pytest.mark.parametrize("query", QUERIES)
def test_search_equals_a_substring_scan(ctx, shop_id, corpus, query):
    _assert_same(ctx, shop_id, corpus, query)


def test_one_character_query_is_exact_and_newest_first(ctx, shop_id, corpus):
    expected = _expected(corpus, "米")
    total, got = _search(ctx, shop_id, "米")
    assert total == len(expected) > 0
    with ctx.sessions() as session:
        page = search_page(session, shop_id, OrderFilter(query="米", page_size=20), ctx.cipher).orders
    keys = [o.sort_key for o in page]
    assert keys == sorted(keys, reverse=True) and len(page) == 20
    assert {o.order_id for o in page} <= set(expected)


@pytest.mark.parametrize("flt", [
    {"tab": "shipped"}, {"tab": "completed"}, {"tab": "after_sale"},
    {"created_from": (NOW - timedelta(days=10)).date()}, {"created_to": (NOW - timedelta(days=20)).date()},
    {"product_id": "3512000000000000101"}, {"tab": "cancelled", "created_from": (NOW - timedelta(days=15)).date()},
])
@pytest.mark.parametrize("query", ["米", "五常大米", "iphone 15", "【官方"])
def test_search_combines_with_tab_dates_and_product(ctx, shop_id, corpus, query, flt):
    _assert_same(ctx, shop_id, corpus, query, **flt)


def test_pages_of_a_search_cover_the_matches_once(ctx, shop_id, corpus):
    seen = []
    with ctx.sessions() as session:
        for page in range(1, 10):
            result = search_page(session, shop_id, OrderFilter(query="米", page=page, page_size=20), ctx.cipher)
            seen += [o.order_id for o in result.orders]
    assert sorted(seen) == sorted(_expected(corpus, "米"))


@pytest.mark.parametrize("flt", [{"tab": "completed"}, {"created_from": (NOW - timedelta(days=20)).date()},
                                 {"created_to": (NOW - timedelta(days=5)).date()}])
def test_pages_of_a_narrowed_search_cover_its_matches_once_newest_first(ctx, shop_id, corpus, flt):
    """PostgreSQL cuts a narrowed search's first pages from the keys its count brought back: every page of every
    size must still be the substring scan's, in order."""
    expected = _expected(corpus, "米", OrderFilter(query="米", **flt))
    assert len(expected) > (0 if "tab" in flt else 20)
    for size in (20, 50):
        seen = []
        with ctx.sessions() as session:
            for page in range(1, len(expected) // size + 2):
                result = search_page(session, shop_id, OrderFilter(query="米", page=page, page_size=size, **flt),
                                     ctx.cipher)
                assert result.total == len(expected)
                seen += [o.order_id for o in result.orders]
        assert seen == expected, size


@pytest.mark.parametrize("query", [None, "米", "五常大米", "【官方", "%"])
def test_tab_counts_under_a_search_equal_a_scan(ctx, shop_id, corpus, query):
    with ctx.sessions() as session:
        counts = tab_counts(session, shop_id, OrderFilter(query=query, tab="shipped"), ctx.cipher)
    hits = set(_expected(corpus, query or ""))
    chosen = [r for r in corpus if r.order_id in hits]
    assert counts["all"] == len(chosen)
    for status in OrderStatus:
        assert counts[status.value] == sum(r.status == status for r in chosen)
    assert counts["after_sale"] == sum(bool(r.after_sale_status) for r in chosen)


HOSTILE = ['"a" OR b*', '"五常" OR 米*', "NEAR(五常 大米)", "米 AND 油", "^米", "uni:米", "bi : 大米", "*", "米*",
           "(", ")", "'", "''", '"', "{uni bi}:米", "%", "%米%", "_", "米_", "\\", "\\%", "a\\_b",
           "米\x00米", "\x1f五常", "米" * 300, "大米 " * 60, "-米", "+米", ":", "\u200b米", "🍚", "1=1; DROP TABLE orders",
           "' OR '1'='1", "<script>", "NOT 米", "米 OR 油", "\u3000米\u3000"]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_strings_are_exact_never_an_error(ctx, shop_id, corpus, query):
    from xiaodian.orders.search_query import classify

    q = classify(query)
    expected_query = q.value if q.kind == "text" else None
    with ctx.sessions() as session:
        result = search_page(session, shop_id, OrderFilter(query=query), ctx.cipher)
        tab_counts(session, shop_id, OrderFilter(query=query), ctx.cipher)
    if expected_query is not None:
        assert result.total == len(_expected(corpus, expected_query))


def test_reindexing_an_order_replaces_its_old_tokens(ctx, shop_id):
    first = make_record(order_id="6938459704022656025", product="五常大米 稻花香2号 5kg")
    _seed(ctx, shop_id, [first])
    assert _search(ctx, shop_id, "稻花香")[0] == 1
    later = make_record(order_id="6938459704022656025", status=OrderStatus.SHIPPED, items=[
        ItemRecord(sku_order_id="6938459704022656025", product_name="有机黄小米", quantity=1, unit_price_fen=100)],
        shipped_at=NOW - timedelta(hours=1))
    _seed(ctx, shop_id, [later])
    assert _search(ctx, shop_id, "黄小米") == (1, ["6938459704022656025"])
    # The stored item was renamed, so its old name is gone from the index as well.
    assert _search(ctx, shop_id, "稻花香") == (0, [])
    assert _search(ctx, shop_id, "米")[0] == 1


def test_another_shops_orders_are_never_found_or_counted(ctx, shop_id):
    from xiaodian.accounts.models import Shop

    with transaction(ctx.sessions) as session:
        other = Shop(name="别的店", timezone="Asia/Shanghai", created_at=NOW)
        session.add(other)
        session.flush()
        other_id = other.id
    _seed(ctx, other_id, [make_record(order_id="6938459704022650001", product="五常大米")])
    _seed(ctx, shop_id, [make_record(order_id="6938459704022650002", product="东北大米")])
    assert _search(ctx, shop_id, "大米") == (1, ["6938459704022650002"])
    assert _search(ctx, other_id, "大米") == (1, ["6938459704022650001"])
    assert _search(ctx, shop_id, "五常") == (0, [])


NAME_CHARS = st.sampled_from(list("五常大米稻花香东北小米油茶龙井壳膜手机号斤袋装") + list("abcIPhone15XL")
                             + list(" 【】/-*%_\"'.（）·ÉéßＡ１\u3000\U000f002e\ue000🍚"))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_names_and_queries_match_a_substring_scan(ctx, shop_id, data):
    """Names drawn from CJK, ASCII, full-width and punctuation; queries drawn as substrings and not."""
    records = test_random_names_and_queries_match_a_substring_scan.__dict__.setdefault(("db", ctx.settings.database_url), [])
    name = st.text(NAME_CHARS, min_size=1, max_size=24).filter(str.strip)
    orders = data.draw(st.lists(st.lists(name, min_size=1, max_size=3), min_size=1, max_size=4))
    base = len(records)
    batch = []
    for k, names in enumerate(orders):
        oid = f"69000000000{ctx.engine.dialect.name == 'sqlite'}{base + k:07d}"
        batch.append(make_record(order_id=oid, created_at=NOW - timedelta(minutes=base + k), items=[
            ItemRecord(sku_order_id=f"5{j}{oid[2:]}" if j else oid, product_name=n, quantity=1, unit_price_fen=100)
            for j, n in enumerate(names)]))
    _seed(ctx, shop_id, batch)
    records.extend(batch)
    source = data.draw(st.sampled_from([_text(r) for r in batch]))
    start = data.draw(st.integers(0, max(len(source) - 1, 0)))
    piece = source[start:start + data.draw(st.integers(1, 8))]
    other = data.draw(st.text(NAME_CHARS, min_size=1, max_size=6))
    # two pieces of one order's text, maybe of two different items: found only where one item holds both
    second = source[data.draw(st.integers(0, max(len(source) - 1, 0))):][:data.draw(st.integers(1, 4))]
    for query in (piece, other, f"{piece} {other}", f"{piece} {second}"):
        if query.strip():
            _assert_same(ctx, shop_id, records, query)


def test_dates_filter_alone_still_counts_every_order(ctx, shop_id, corpus):
    day = date(2026, 11, 20)
    with ctx.sessions() as session:
        result = search_page(session, shop_id, OrderFilter(created_from=day, created_to=day), ctx.cipher)
    assert result.total == len(_expected(corpus, "", OrderFilter(created_from=day, created_to=day)))


def test_point_searches_answer_exactly_as_the_general_plan(ctx, shop_id, monkeypatch):
    """Order id, SKU order id, phone, last 4 and tracking number of one shop take the point plan (statements built
    once, queries._point_page); under every tab, page size and page it must give what the general plan gives."""
    from xiaodian.orders import queries

    rng = random.Random(11)
    phones = ["13812345678", "13912345678", "15000001234", "18600005678"]  # two share the last 4: 5678
    records = []
    for k in range(60):
        oid = f"69384597040230{k:05d}"
        items = [ItemRecord(sku_order_id=f"5{j}{oid[2:]}" if j else oid, product_name=rng.choice(TITLES),
                            quantity=1, unit_price_fen=1000, product_id="3512000000000000101")
                 for j in range(rng.choice((1, 2)))]
        status = rng.choice(STATUSES)
        shipped = status in (OrderStatus.SHIPPED, OrderStatus.COMPLETED)
        records.append(make_record(order_id=oid, status=status, items=items, phone=rng.choice(phones),
                                   created_at=NOW - timedelta(days=rng.randrange(20), minutes=rng.randrange(1440)),
                                   shipped_at=NOW - timedelta(hours=3) if shipped else None,
                                   carrier="顺丰速运" if shipped else None,
                                   tracking_no=f"SF{1400000000000 + k % 7}" if shipped else None))
    _seed(ctx, shop_id, records)
    shipped_nos = sorted({r.tracking_no for r in records if r.tracking_no})
    queries_ = ([records[3].order_id, records[5].items[-1].sku_order_id, "13812345678", "+86 139-1234-5678", "5678",
                 "1234", "0000", "6938459704023099999"] + shipped_nos[:2] + ["SF9999999999999"])

    def both(flt: OrderFilter):
        with transaction(ctx.sessions) as session:
            point = queries.plan_page(session, shop_id, flt, ctx.cipher)
            fast = search_page(session, shop_id, flt, ctx.cipher)
        with monkeypatch.context() as patch, transaction(ctx.sessions) as session:
            patch.setattr(queries, "_point_page", lambda *a: None)
            general = search_page(session, shop_id, flt, ctx.cipher)
        return point, fast, general

    took_point = 0
    for q in queries_:
        for tab in ("all", "awaiting_shipment", "shipped", "completed", "after_sale"):
            for size, page in ((20, 1), (20, 2), (50, 1)):
                point, fast, general = both(OrderFilter(query=q, tab=tab, page=page, page_size=size))
                took_point += point.pks is not None
                assert (fast.total, [o.order_id for o in fast.orders]) == \
                       (general.total, [o.order_id for o in general.orders]), (q, tab, size, page)
    assert took_point > 100  # the point plan did answer most of them (not the after-sales tab, not a missed tracking no.)


def _plans(ctx, shop_id, flt: dict) -> list[list[str]]:
    """SQLite's plan of every statement the list and its tab counts run for ``flt`` (steps that read a table)."""
    from sqlalchemy import event

    from xiaodian.orders.listing import list_data

    if ctx.engine.dialect.name != "sqlite":
        pytest.skip("the plans are SQLite's; PostgreSQL plans from its own statistics")
    seen: list[tuple[str, object]] = []

    def keep(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().upper().startswith("SELECT") and "orders" in statement:
            seen.append((statement, parameters))

    event.listen(ctx.engine, "before_cursor_execute", keep)
    try:
        with ctx.sessions() as session:
            list_data(session, shop_id, OrderFilter(**flt), cipher=ctx.cipher)
            tab_counts(session, shop_id, OrderFilter(**flt), ctx.cipher)
            return [[row[3] for row in session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {s}", p)]
                    for s, p in seen]
    finally:
        event.remove(ctx.engine, "before_cursor_execute", keep)


@pytest.mark.parametrize("flt", [{"tab": "completed"}, {"tab": "awaiting_shipment"},
                                 {"created_from": (NOW - timedelta(days=10)).date()}])
def test_a_narrowed_text_search_reads_the_matches_first(ctx, shop_id, corpus, flt, monkeypatch):
    """With a status tab (or a date) beside the text, SQLite walked every order of that status and probed the
    full-text index for each: 7.3 s for 五常大米 in 已完成 at 1M orders. The matches must drive the join, each
    order found by its sort key. (A tab of few orders is read from its orders instead, queries.FEW_ORDERS: here
    every tab counts as large.)"""
    monkeypatch.setattr(queries, "FEW_ORDERS", 0)
    plans = [p for p in _plans(ctx, shop_id, {"query": "五常大米", **flt}) if any("order_search" in s for s in p)]
    assert len(plans) >= 3  # count, page, tab counts
    for plan in plans:
        steps = [step for step in plan if step.startswith(("SCAN", "SEARCH"))]
        assert "order_search" in steps[0] and "orders" in steps[1], plan


def test_a_product_filter_reads_the_products_orders_once(ctx, shop_id, corpus):
    """As a correlated EXISTS, the items of every order were probed (1.2 s at 1M orders for a rare product); beside
    a text search, each match was looked up once per order of the product (12 s)."""
    for flt in ({"product_id": "3512000000000000101"}, {"product_id": "3512000000000000101", "tab": "completed"},
                {"product_id": "3512000000000000101", "query": "米"}):
        for plan in _plans(ctx, shop_id, flt):
            assert not any("CORRELATED" in step for step in plan), (flt, plan)
            assert not any(step.startswith("SEARCH orders") and "rowid=?" in step and "sort_key=?" in step
                           for step in plan), (flt, plan)


@pytest.mark.parametrize("flt,index", [({"paid_from": (NOW - timedelta(days=7)).date()}, "ix_orders_shop_paid"),
                                       ({"created_from": (NOW - timedelta(days=7)).date(),
                                         "created_to": (NOW - timedelta(days=1)).date()}, "ix_orders_shop_sort")])
def test_a_date_range_is_read_from_its_index_for_the_counts(ctx, shop_id, corpus, flt, index):
    """Grouping by status, SQLite walked the status index through the whole shop (0.5-1 s for a week of payments
    at 1M orders); the order-time range is a range of sort keys (queries.created_range)."""
    counts = [p for p in _plans(ctx, shop_id, flt) if any(s.startswith("SEARCH orders") for s in p)]
    assert counts and any(index in step and (">" in step or "<" in step) for plan in counts for step in plan), counts


def test_a_later_snapshot_keeps_when_the_order_was_placed(ctx, shop_id):
    """The sort key holds the second the order was placed, and the list's date filters read it: a later snapshot
    that names another time (a damaged export) must not leave the two apart."""
    placed = NOW - timedelta(days=3)
    first = make_record(order_id="6938459704022659001", status=OrderStatus.AWAITING_SHIPMENT, created_at=placed)
    later = make_record(order_id="6938459704022659001", status=OrderStatus.SHIPPED, created_at=placed + timedelta(days=1),
                        carrier="中通快递", tracking_no="73100000009001", shipped_at=NOW - timedelta(hours=1))
    _seed(ctx, shop_id, [first])
    _seed(ctx, shop_id, [later])
    day = placed.astimezone(SHOP_TZ).date()
    with ctx.sessions() as session:
        found = search_page(session, shop_id, OrderFilter(created_from=day, created_to=day), ctx.cipher)
        assert [o.order_id for o in found.orders] == ["6938459704022659001"]
        assert found.orders[0].status == "shipped" and found.orders[0].created_at == placed
