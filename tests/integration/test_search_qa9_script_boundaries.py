"""QA pass 9, #16: "五常2.5kg" finds what "五常 2.5kg" finds. A search term is split where a CJK character meets a
Latin letter or digit, and each part stays an exact substring test (the result equals a plain substring scan of
those parts)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from xiaodian.db import transaction
from xiaodian.orders.domain import ItemRecord
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.queries import OrderFilter, search_page
from xiaodian.orders.search_index import normalise, normalised_terms, script_terms
from xiaodian.orders.search_query import classify

from ..conftest import NOW
from ..factories import make_record

TITLES = [("五常大米 稻花香2号 新米", "2.5kg"), ("五常大米 稻花香2号 新米", "5kg"), ("东北大米 珍珠米", "2.5kg"),
          ("五常大米2.5kg装", None), ("iPhone 15 手机壳", "黑色"), ("小米14 充电器", "67W"), ("316不锈钢保温杯", None),
          ("【顺丰包邮】五常大米", "10斤")]


@pytest.mark.parametrize("typed,terms", [
    ("五常2.5kg", ("五常", "2.5kg")), ("2.5kg五常", ("2.5kg", "五常")), ("五常 2.5kg", ("五常", "2.5kg")),
    ("五常２．５ｋｇ", ("五常", "2.5kg")), ("小米14充电器", ("小米", "14", "充电器")), ("316不锈钢", ("316", "不锈钢")),
    ("iphone15", ("iphone15",)), ("【顺丰包邮】五常", ("【顺丰包邮】五常",)), ("1.8l*2", ("1.8l*2",)),
    ("五常大米", ("五常大米",)),
    # QA pass 11, #4: a number keeps the Chinese unit after it (1斤 is not 1 + 斤, which found 10斤)
    ("长粒香1斤", ("长粒香", "1斤")), ("米 2斤", ("米", "2斤")), ("稻花香2号", ("稻花香", "2号")),
    ("2袋装五常", ("2袋装五常",)), ("5公斤", ("5公斤",)), ("500g*2袋", ("500g*2袋",)), ("xl码", ("xl", "码")),
])
def test_terms_split_where_cjk_meets_latin_or_digits(typed, terms):
    q = classify(typed)
    assert q.kind == "text" and tuple(t.lower() for t in q.terms) == terms
    assert tuple(normalised_terms([typed])) == terms


def test_punctuation_and_other_scripts_are_no_boundary():
    assert script_terms("【官方】五常") == ["【官方】五常"]
    assert script_terms("五常.2") == ["五常.2"]
    assert script_terms("café米") == ["café米"]  # é is not an ASCII letter: no boundary there
    assert script_terms("") == []


def _text(rec) -> str:
    return normalise(" ".join(f"{i.product_name} {i.spec or ''}" for i in rec.items))


@pytest.fixture
def records(ctx, shop_id):
    out = []
    for k in range(40):
        title, spec = TITLES[k % len(TITLES)]
        oid = f"69384597040227{k:05d}"
        out.append(make_record(order_id=oid, created_at=NOW - timedelta(hours=k), items=[
            ItemRecord(sku_order_id=oid, product_name=title, spec=spec, quantity=1, unit_price_fen=1000,
                       product_id=f"35120000000000{k % len(TITLES):03d}")]))
    with transaction(ctx.sessions) as session:
        assert not upsert_orders(session, shop_id=shop_id, records=out, cipher=ctx.cipher, now=NOW).rejected
    return out


def _found(ctx, shop_id, query: str) -> set[str]:
    with ctx.sessions() as session:
        page = search_page(session, shop_id, OrderFilter(query=query, page_size=200), ctx.cipher)
    return {o.order_id for o in page.orders}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("typed,spaced", [("五常2.5kg", "五常 2.5kg"), ("2.5kg五常", "2.5kg 五常"),
                                          ("五常２．５ｋｇ", "五常 2.5kg"), ("小米14充电器", "小米 14 充电器"),
                                          ("稻花香2号", "稻花香 2号"), ("大米10斤", "大米 10斤")])
def test_the_unspaced_query_finds_what_the_spaced_one_finds(ctx, shop_id, records, typed, spaced):
    got = _found(ctx, shop_id, typed)
    assert got and got == _found(ctx, shop_id, spaced)
    terms = normalised_terms([typed])
    assert got == {r.order_id for r in records if all(t in _text(r) for t in terms)}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_each_part_stays_an_exact_substring(ctx, shop_id, records):
    # 五常 with 2.5kg: the 五常 5kg orders and the 东北大米 2.5kg orders are not found
    got = _found(ctx, shop_id, "五常2.5kg")
    texts = {r.order_id: _text(r) for r in records}
    assert got and all("五常" in texts[o] and "2.5kg" in texts[o] for o in got)
    assert not any(o in got for o, t in texts.items() if "东北大米" in t or t.endswith(" 5kg"))


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_number_keeps_its_chinese_unit(ctx, shop_id, records):
    """`米 1斤` found the 10斤 orders (1 and 斤 anywhere in the item); now 1斤 is one exact term: none of these
    titles holds it. `大米 10斤` finds the 10斤 order only."""
    assert _found(ctx, shop_id, "米 1斤") == set()
    texts = {r.order_id: _text(r) for r in records}
    got = _found(ctx, shop_id, "大米10斤")
    assert got and got == {o for o, t in texts.items() if "10斤" in t and "大米" in t}
