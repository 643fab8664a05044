"""Several search terms must meet within one item of an order (QA pass 10): `五常 2.5kg` finds 五常大米 2.5kg, not
an order of 五常大米 5kg beside 小米 2.5kg. On both databases, through the index (全部), through the per-order scan (a
small status tab), in the tab counts, and for orders stored before the items were kept apart (migration 0035)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from xiaodian.db import transaction
from xiaodian.orders.domain import ItemRecord, OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.queries import OrderFilter, search_page, tab_counts
from xiaodian.orders.search_index import holds_all_in_one_item, order_text, terms_within_one_item

from ..conftest import NOW
from ..factories import make_record

MIXED = "6938459704022700001"  # 五常大米 5kg + 小米 2.5kg: both words, in different items
WUCHANG_25 = "6938459704022700002"  # 五常大米 2.5kg
NORTHEAST_25 = "6938459704022700003"  # 东北大米 2.5kg
TWO_OF_A_KIND = "6938459704022700004"  # 东北大米 5kg + 五常大米 2.5kg: the second item holds both


def _order(order_id: str, items: list[tuple[str, str]], hours: int, status=OrderStatus.AWAITING_SHIPMENT):
    return make_record(order_id=order_id, status=status, created_at=NOW - timedelta(hours=hours), items=[
        ItemRecord(sku_order_id=f"5{j}{order_id[2:]}" if j else order_id, product_name=name, spec=spec, quantity=1,
                   unit_price_fen=1000, product_id=f"351200000000000{j:04d}") for j, (name, spec) in enumerate(items)])


@pytest.fixture
def orders(ctx, shop_id):
    records = [_order(MIXED, [("五常大米 稻花香", "5kg"), ("有机黄小米", "2.5kg")], 1),
               _order(WUCHANG_25, [("五常大米 稻花香", "2.5kg")], 2),
               _order(NORTHEAST_25, [("东北大米", "2.5kg")], 3, OrderStatus.COMPLETED),
               _order(TWO_OF_A_KIND, [("东北大米", "5kg"), ("五常大米", "2.5kg")], 4)]
    with transaction(ctx.sessions) as session:
        assert not upsert_orders(session, shop_id=shop_id, records=records, cipher=ctx.cipher, now=NOW).rejected


def _found(ctx, shop_id, query: str, tab: str = "all") -> tuple[int, set[str]]:
    with ctx.sessions() as session:
        page = search_page(session, shop_id, OrderFilter(query=query, tab=tab), ctx.cipher)
    return page.total, {o.order_id for o in page.orders}


def test_the_contract_in_plain_words():
    body = order_text([("五常大米", "5kg"), ("小米", "2.5kg")])
    assert holds_all_in_one_item(body, "五常", "5kg") and not holds_all_in_one_item(body, "五常", "2.5kg")
    assert order_text([("名字\n换行", None)]) == "名字 换行 "  # a line break inside a name cannot split an item
    assert terms_within_one_item(["五常", "五常"]) == [] and terms_within_one_item(["a", "b"]) == ["a", "b"]


@pytest.mark.parametrize("query", ["五常 2.5kg", "五常2.5kg", "2.5KG 五常", "稻花香 2.5"])
@pytest.mark.parametrize("tab", ["all", "awaiting_shipment"])  # the index, and the scan of a small tab
def test_terms_meet_within_one_item(ctx, shop_id, orders, query, tab):
    expected = {WUCHANG_25} if query == "稻花香 2.5" else {WUCHANG_25, TWO_OF_A_KIND}
    assert _found(ctx, shop_id, query, tab) == (len(expected), expected)


def test_one_term_still_finds_any_item_that_holds_it(ctx, shop_id, orders):
    assert _found(ctx, shop_id, "2.5kg") == (4, {MIXED, WUCHANG_25, NORTHEAST_25, TWO_OF_A_KIND})
    assert _found(ctx, shop_id, "五常") == (3, {MIXED, WUCHANG_25, TWO_OF_A_KIND})
    assert _found(ctx, shop_id, "东北 5kg") == (2, {NORTHEAST_25, TWO_OF_A_KIND})  # 5kg is in 2.5kg too


def test_tab_counts_under_a_search_count_the_same_orders(ctx, shop_id, orders):
    with ctx.sessions() as session:
        counts = tab_counts(session, shop_id, OrderFilter(query="大米 2.5kg"), ctx.cipher)
    assert (counts["all"], counts["awaiting_shipment"], counts["completed"]) == (3, 2, 1)


def test_orders_stored_before_the_change_are_rewritten_by_the_migration(ctx, shop_id, orders, settings):
    """Downgraded to 0034 the items share one line again and 五常 2.5kg finds the mixed order; upgraded, it does
    not, and single-item orders keep their text."""
    from alembic import command

    from xiaodian.migrate import alembic_config, upgrade

    table = "order_search_text" if ctx.engine.dialect.name == "sqlite" else "order_search"
    ctx.engine.dispose()
    command.downgrade(alembic_config(settings.database_url), "0034")
    with ctx.sessions() as session:
        bodies = dict(session.execute(text(f"SELECT order_pk, body FROM {table}")).all())
    assert not any("\n" in body for body in bodies.values())
    assert MIXED in _found(ctx, shop_id, "五常 2.5kg")[1]  # the old, per-order match
    upgrade(ctx.engine, settings.database_url)
    with ctx.sessions() as session:
        after = dict(session.execute(text(f"SELECT order_pk, body FROM {table}")).all())
    assert sum("\n" in body for body in after.values()) == 2
    assert {pk: body for pk, body in after.items() if "\n" not in body} == \
           {pk: body for pk, body in bodies.items() if pk not in {k for k, b in after.items() if "\n" in b}}
    assert _found(ctx, shop_id, "五常 2.5kg") == (2, {WUCHANG_25, TWO_OF_A_KIND})


def test_a_term_outside_the_index_is_checked_item_by_item_too(ctx, shop_id):
    """café is tested against the stored text (its é is not among the index's plain characters): with another
    term, both must still be in one item."""
    coffee = "6938459704022700011"
    with transaction(ctx.sessions) as session:
        assert not upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            _order(coffee, [("Café Crème 咖啡豆", "500g"), ("西湖龙井 绿茶", "250g")], 1)]).rejected
    assert _found(ctx, shop_id, "café 500g") == (1, {coffee})
    assert _found(ctx, shop_id, "café 250g") == (0, set())
    assert _found(ctx, shop_id, "café 250g", "awaiting_shipment") == (0, set())


def test_an_order_of_many_items_is_found_by_any_of_them(ctx, shop_id):
    """Items past the index's item slots share the last one: a search for the twelfth item still finds it."""
    many = "6938459704022700012"
    items = [(f"杂粮{k}号", "1kg") for k in range(11)] + [("五常大米", "2.5kg")]
    with transaction(ctx.sessions) as session:
        assert not upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW,
                                 records=[_order(many, items, 1)]).rejected
    assert _found(ctx, shop_id, "五常 2.5kg") == (1, {many})
    assert _found(ctx, shop_id, "杂粮3号 1kg") == (1, {many})
    assert _found(ctx, shop_id, "杂粮3号 2.5kg") == (0, set())
