"""Several shops in one desk (issue 8): the order list, its counts and every kind of search show one shop or
all of them; an order id two shops share is never resolved to the wrong shop's order (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from xiaodian.accounts.models import Shop
from xiaodian.db import transaction
from xiaodian.errors import Conflict, NotFound
from xiaodian.orders import service
from xiaodian.orders.domain import ItemRecord, OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.queries import OrderFilter

from ..conftest import NOW
from ..factories import make_record

SHARED_ID = "6938459704022659999"  # an order id both shops hold (ids are unique per shop only)
STATUSES = [OrderStatus.AWAITING_SHIPMENT, OrderStatus.SHIPPED, OrderStatus.COMPLETED, OrderStatus.UNPAID]


def _records(prefix: str, count: int, product: str, phone: str, start_hours: int):
    out = []
    for i in range(count):
        oid = f"69384597040{prefix}{i:04d}"
        status = STATUSES[i % len(STATUSES)]
        extra = {"shipped_at": NOW - timedelta(hours=1)} if status in (OrderStatus.SHIPPED, OrderStatus.COMPLETED) else {}
        out.append(make_record(order_id=oid, status=status, created_at=NOW - timedelta(hours=start_hours + 2 * i),
                               items=[ItemRecord(sku_order_id=oid, product_name=product, quantity=1,
                                                 unit_price_fen=1000, product_id="1")],
                               phone=phone, **extra))
    return out


def two_shops(ctx, shop_id) -> int:
    """The default shop with 12 rice orders, a second shop with 9 oil and rice orders interleaved in time, and
    one order id in both."""
    with transaction(ctx.sessions) as session:
        second = Shop(name="第二家店", platform_shop_id="7654321", created_at=NOW)
        session.add(second)
        session.flush()
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW,
                      records=_records("2261", 12, "五常大米 5kg", "13800000001", 0)
                      + [make_record(order_id=SHARED_ID, created_at=NOW - timedelta(hours=30), phone="13800000001")])
        upsert_orders(session, shop_id=second.id, cipher=ctx.cipher, now=NOW,
                      records=_records("3371", 9, "东北大米 菜籽油", "13800000002", 1)
                      + [make_record(order_id=SHARED_ID, status=OrderStatus.SHIPPED, created_at=NOW - timedelta(hours=5),
                                     phone="13800000002", shipped_at=NOW - timedelta(hours=1))])
        return second.id


def _page(ctx, shop, **flt):
    with ctx.sessions() as session:
        return service.list_orders(session, shop_id=shop, flt=OrderFilter(page_size=200, now=NOW, **flt),
                                   cipher=ctx.cipher)


def test_all_shops_lists_every_shops_orders_newest_first_each_with_its_shop(ctx, shop_id):
    second = two_shops(ctx, shop_id)
    page = _page(ctx, service.ALL_SHOPS)
    assert page.total == len(page.orders) == 13 + 10
    created = [o.created_at for o in page.orders]
    assert created == sorted(created, reverse=True)
    assert {o.shop_id for o in page.orders} == {shop_id, second}
    assert [o.shop_id for o in page.orders if o.order_id == SHARED_ID] == [second, shop_id]
    one = _page(ctx, second)
    assert one.total == 10 and all(o.shop_id is None for o in one.orders)  # one shop: the shop is the one asked for
    assert {o.order_id for o in one.orders} == {o.order_id for o in page.orders if o.shop_id == second}


def test_all_shops_pages_and_status_tabs_come_from_the_merged_list(ctx, shop_id):
    two_shops(ctx, shop_id)
    everything = [(o.order_id, o.shop_id) for o in _page(ctx, service.ALL_SHOPS).orders]
    paged = []
    for number in (1, 2, 3):
        with ctx.sessions() as session:
            page = service.list_orders(session, shop_id=service.ALL_SHOPS, cipher=ctx.cipher,
                                       flt=OrderFilter(page=number, page_size=20, now=NOW))
        paged += [(o.order_id, o.shop_id) for o in page.orders]
    assert paged == everything
    shipped = _page(ctx, service.ALL_SHOPS, tab="shipped")
    assert shipped.total == len(shipped.orders) == 3 + 3 and {o.status for o in shipped.orders} == {"shipped"}


def test_tab_counts_for_all_shops_are_the_sum_of_the_stored_per_shop_counters(ctx, shop_id):
    second = two_shops(ctx, shop_id)
    with ctx.sessions() as session:
        mine = service.tab_counts(session, shop_id=shop_id, flt=OrderFilter(), cipher=ctx.cipher)
        theirs = service.tab_counts(session, shop_id=second, flt=OrderFilter(), cipher=ctx.cipher)
        both = service.tab_counts(session, shop_id=service.ALL_SHOPS, flt=OrderFilter(), cipher=ctx.cipher)
    assert both == {tab: mine[tab] + theirs[tab] for tab in both}
    assert both["all"] == 23 and both["shipped"] == 6
    # Skew one shop's stored counter: the unfiltered "all shops" tabs and total really read the counters.
    with transaction(ctx.sessions) as session:
        session.execute(text("UPDATE order_status_counts SET n = n + 100 WHERE shop_id = :s AND status = 'unpaid'"),
                        {"s": second})
    with ctx.sessions() as session:
        skewed = service.tab_counts(session, shop_id=service.ALL_SHOPS, flt=OrderFilter(), cipher=ctx.cipher)
        total = service.list_orders(session, shop_id=service.ALL_SHOPS, flt=OrderFilter(tab="unpaid"),
                                    cipher=ctx.cipher).total
    assert skewed["unpaid"] == both["unpaid"] + 100 == total


@pytest.mark.parametrize("query, mine, theirs", [
    ("米", 13, 10),            # product text: the index is per shop, the results are merged
    ("大米", 13, 10),
    ("菜籽油", 0, 9),
    ("13800000002", 0, 10),    # a full phone
    ("0001", 13, 0),           # last 4
    (SHARED_ID, 1, 1),         # an order id both shops hold
])
def test_every_kind_of_search_covers_one_shop_or_all(ctx, shop_id, query, mine, theirs):
    second = two_shops(ctx, shop_id)
    assert _page(ctx, shop_id, query=query).total == mine
    assert _page(ctx, second, query=query).total == theirs
    both = _page(ctx, service.ALL_SHOPS, query=query)
    assert both.total == len(both.orders) == mine + theirs
    assert sum(o.shop_id == second for o in both.orders) == theirs
    created = [o.created_at for o in both.orders]
    assert created == sorted(created, reverse=True)
    with ctx.sessions() as session:
        counts = service.tab_counts(session, shop_id=service.ALL_SHOPS, flt=OrderFilter(query=query), cipher=ctx.cipher)
    assert counts["all"] == mine + theirs


def test_text_search_over_all_shops_pages_through_the_merge(ctx, shop_id):
    two_shops(ctx, shop_id)
    everything = [(o.order_id, o.shop_id) for o in _page(ctx, service.ALL_SHOPS, query="米").orders]
    paged = []
    for number in (1, 2, 3):
        with ctx.sessions() as session:
            paged += [(o.order_id, o.shop_id) for o in service.list_orders(
                session, shop_id=service.ALL_SHOPS, cipher=ctx.cipher,
                flt=OrderFilter(query="米", page=number, page_size=20)).orders]
    assert paged == everything and len(paged) == 23


def test_an_order_id_two_shops_hold_is_ambiguous_unless_a_shop_is_named_or_preferred(ctx, shop_id):
    second = two_shops(ctx, shop_id)
    with ctx.sessions() as session:
        with pytest.raises(Conflict) as caught:
            service.order_detail(session, shop_id=service.ALL_SHOPS, order_id=SHARED_ID)
        assert caught.value.code == "order_ambiguous"
        assert caught.value.details == {"order_id": SHARED_ID, "shops": [shop_id, second]}
        # the picked shop's order wins; a named shop is the only one looked in
        assert service.order_detail(session, shop_id=service.ALL_SHOPS, order_id=SHARED_ID, prefer=second).status == "shipped"
        assert service.order_detail(session, shop_id=service.ALL_SHOPS, order_id=SHARED_ID,
                                    prefer=shop_id).status == "awaiting_shipment"
        detail = service.order_detail(session, shop_id=second, order_id=SHARED_ID)
        assert (detail.status, detail.shop_id) == ("shipped", second)
        # an id only one shop holds is found from anywhere, and is not found in the other shop
        only_second = next(o.order_id for o in _page(ctx, second).orders if o.order_id != SHARED_ID)
        assert service.order_detail(session, shop_id=service.ALL_SHOPS, order_id=only_second,
                                    prefer=shop_id).shop_id == second
        with pytest.raises(NotFound):
            service.order_detail(session, shop_id=shop_id, order_id=only_second)


def test_a_note_edit_changes_only_the_named_shops_order(ctx, shop_id):
    from xiaodian.accounts.service import Principal

    second = two_shops(ctx, shop_id)
    owner = Principal(None, "boss", "owner", "web")
    with transaction(ctx.sessions) as session:
        order = service.find_order(session, shop_id=service.ALL_SHOPS, order_id=SHARED_ID, prefer=second)
        service.update_merchant_note(session, owner, shop_id=order.shop_id, order_id=SHARED_ID, note="二店的备注",
                                     flag_colour=None, now=NOW)
    with ctx.sessions() as session:
        assert service.order_detail(session, shop_id=second, order_id=SHARED_ID).merchant_note == "二店的备注"
        assert service.order_detail(session, shop_id=shop_id, order_id=SHARED_ID).merchant_note is None


def test_a_batch_note_over_shops_is_all_or_nothing_and_counts_every_shop(ctx, shop_id):
    from xiaodian.accounts.service import Principal
    from xiaodian.errors import DomainError

    second = two_shops(ctx, shop_id)
    cs = Principal(user_id=None, login="kefu", role="cs", channel="web")
    ours = [o.order_id for o in _page(ctx, shop_id).orders][:2]
    theirs = [o.order_id for o in _page(ctx, second).orders if o.order_id != SHARED_ID][:1]

    def notes(shop, ids):
        return [o.merchant_note for o in _page(ctx, shop).orders if o.order_id in ids]

    with pytest.raises(DomainError) as refused, transaction(ctx.sessions) as session:
        service.update_notes_in_shops(session, cs, {shop_id: ours, second: [*theirs, "6999999999999999999"]},
                                      note="已核对", note_mode="append", now=NOW)
    assert refused.value.code == "orders_not_found"
    assert notes(shop_id, ours) == [None, None]  # the first shop's notes went back with the refusal
    with pytest.raises(DomainError) as too_many, transaction(ctx.sessions) as session:
        service.update_notes_in_shops(session, cs, {shop_id: [str(i) for i in range(150)],
                                                    second: [str(i) for i in range(150)]}, flag_colour=6, now=NOW)
    assert too_many.value.code == "too_many_orders"  # 300 in all, though each shop's part is under 200
    with transaction(ctx.sessions) as session:
        done = service.update_notes_in_shops(session, cs, {shop_id: ours, second: theirs}, note="已核对",
                                             note_mode="append", now=NOW)
    assert sorted(done["updated"]) == sorted(ours + theirs)
    assert notes(shop_id, ours) == ["已核对", "已核对"] and notes(second, theirs) == ["已核对"]
