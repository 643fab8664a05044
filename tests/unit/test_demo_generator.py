"""The demo shop generator: deterministic, every status, consistent times and money, real-looking ids."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, timedelta

import pytest

from xiaodian.clock import SHOP_TZ
from xiaodian.demo.catalogue import PRODUCTS, WUCHANG_PRESALE
from xiaodian.demo.generator import generate_shop
from xiaodian.demo.people import REGIONS
from xiaodian.demo.scenarios import question_day
from xiaodian.orders.domain import OrderStatus

from ..conftest import NOW

# Shapes from domain.md §3, written out here independently of the generator's own table.
TRACKING_SHAPES = {
    "顺丰速运": r"SF\d{13}",
    "圆通速递": r"YT\d{13}",
    "极兔速递": r"JT\d{13}",
    "中通快递": r"7[3-8]\d{12}",
    "申通快递": r"(77|43)\d{12,15}",
    "韵达快递": r"[34]\d{14}|5\d{12}",
    "京东快递": r"JD[0-9A-Z]{2}\d{11}",
    "邮政快递包裹": r"9\d{12}",
}
MOBILE = re.compile(r"1[3-9]\d{9}")


@pytest.fixture(scope="module")
def shop():
    return generate_shop(NOW, orders=3000)


@pytest.fixture(scope="module")
def small_shop():
    return generate_shop(NOW, orders=500)


def _by_label(data):
    found = {}
    for s in data.scenarios:
        found.setdefault(s.label, []).append(next(r for r in data.orders if r.order_id == s.order_id))
    return found


def test_same_now_and_seed_give_identical_orders_ids_and_phones(small_shop):
    again = generate_shop(NOW, orders=500)
    assert again.orders == small_shop.orders
    assert again.flags == small_shop.flags and again.scenarios == small_shop.scenarios


def test_a_different_now_or_seed_gives_a_different_shop(small_shop):
    later = generate_shop(NOW + timedelta(hours=1), orders=500)
    other_seed = generate_shop(NOW, orders=500, seed=7)
    ids = {r.order_id for r in small_shop.orders}
    assert not ids & {r.order_id for r in later.orders}
    assert [r.buyer_phone for r in other_seed.orders] != [r.buyer_phone for r in small_shop.orders]


@pytest.mark.parametrize("fixture", ["shop", "small_shop"])
def test_every_status_is_present(fixture, request):
    data = request.getfixturevalue(fixture)
    assert {r.status for r in data.orders} == set(OrderStatus)


def test_proportions_look_like_a_real_shop(shop):
    counts = Counter(r.status for r in shop.orders)
    n = len(shop.orders)
    assert n == 3000
    assert counts[OrderStatus.COMPLETED] > n * 0.55
    assert n * 0.08 < counts[OrderStatus.CANCELLED] < n * 0.25
    timeouts = sum(1 for r in shop.orders if r.cancel_reason == "超时未支付")
    assert n * 0.05 < timeouts < n * 0.12
    assert counts[OrderStatus.UNPAID] < n * 0.01 and counts[OrderStatus.PAID_PENDING] < n * 0.01
    open_cases = [r for r in shop.orders if r.after_sale_status]
    assert 3 <= len(open_cases) < n * 0.02


def test_times_are_utc_and_follow_the_order_life(shop):
    now = shop.now
    for r in shop.orders:
        stamps = [t for t in (r.created_at, r.paid_at, r.shipped_at, r.completed_at, r.cancelled_at) if t]
        assert all(t.utcoffset() == timedelta(0) and t <= now for t in stamps), r.order_id
        assert now - r.created_at <= timedelta(days=60)
        if r.paid_at:
            assert r.paid_at >= r.created_at and r.ship_by is not None and r.ship_by > r.paid_at
        else:
            assert r.ship_by is None and r.shipped_at is None
        if r.shipped_at:
            assert r.paid_at and r.shipped_at >= r.paid_at and r.tracking_no and r.carrier
        if r.completed_at:
            assert r.shipped_at and r.completed_at >= r.shipped_at
        if r.cancelled_at:
            assert r.cancelled_at >= (r.paid_at or r.created_at)


def test_each_status_has_the_facts_it_implies(shop):
    now = shop.now
    for r in shop.orders:
        s = r.status
        if s is OrderStatus.UNPAID:
            assert r.paid_at is None and now - r.created_at < timedelta(minutes=30)
        elif s is OrderStatus.PAID_PENDING:
            assert r.paid_at and not r.shipped_at
        elif s is OrderStatus.AWAITING_SHIPMENT:
            assert r.paid_at and not r.shipped_at and not r.tracking_no
        elif s is OrderStatus.PARTIALLY_SHIPPED:
            assert r.shipped_at and r.tracking_no and len(r.items) >= 2
        elif s is OrderStatus.SHIPPED:
            assert r.shipped_at and not r.completed_at
        elif s is OrderStatus.COMPLETED:
            assert r.completed_at
        else:
            assert r.cancelled_at and r.cancel_reason
            if r.cancel_reason == "超时未支付":
                assert r.paid_at is None and r.cancelled_at - r.created_at == timedelta(minutes=30)


def test_money_is_integer_fen_and_adds_up(shop):
    for r in shop.orders:
        assert isinstance(r.pay_amount_fen, int) and isinstance(r.post_amount_fen, int) and r.post_amount_fen >= 0
        for item in r.items:
            assert isinstance(item.unit_price_fen, int) and item.unit_price_fen > 0 and 1 <= item.quantity <= 5
            assert item.amount_fen == item.unit_price_fen * item.quantity
        assert r.pay_amount_fen == sum(i.amount_fen for i in r.items) + r.post_amount_fen
        assert 1 <= len(r.items) <= 3


def test_order_ids_are_unique_19_digit_text_like_douyin(shop):
    ids = [r.order_id for r in shop.orders]
    sku_ids = [i.sku_order_id for r in shop.orders for i in r.items]
    assert all(isinstance(i, str) and re.fullmatch(r"69\d{17}", i) for i in ids)
    assert all(re.fullmatch(r"\d{19}", i) for i in sku_ids)
    assert len(set(ids)) == len(ids) and len(set(sku_ids)) == len(sku_ids)
    children = {i.sku_order_id for r in shop.orders if len(r.items) > 1 for i in r.items}
    assert children and not children & set(ids)
    for r in shop.orders:
        if len(r.items) == 1:
            assert r.items[0].sku_order_id == r.order_id
        else:
            assert r.order_id not in {i.sku_order_id for i in r.items}


def test_tracking_numbers_fit_their_carrier_and_are_unique(shop):
    numbers = []
    for r in shop.orders:
        if not r.tracking_no:
            continue
        for number in r.tracking_no.split(","):
            assert re.fullmatch(TRACKING_SHAPES[r.carrier], number), (r.carrier, number)
            numbers.append(number)
    assert len(numbers) == len(set(numbers)) > 1000
    assert len({r.carrier for r in shop.orders if r.carrier}) >= 6


def test_buyers_look_real_and_some_come_back(shop):
    for r in shop.orders:
        assert MOBILE.fullmatch(r.buyer_phone)
        assert 2 <= len(r.buyer_name) <= 4 and all("\u4e00" <= ch <= "\u9fff" for ch in r.buyer_name)
        assert r.city in REGIONS[r.province][1] and r.district in REGIONS[r.province][1][r.city]
        assert r.address
    per_phone = Counter(r.buyer_phone for r in shop.orders)
    assert sum(1 for c in per_phone.values() if c >= 3) >= 5
    assert 0.05 < sum(1 for r in shop.orders if r.buyer_note) / len(shop.orders) < 0.2
    assert shop.flags and any(r.merchant_note for r in shop.orders)


def test_deadline_cases_exist_overdue_due_soon_presale(small_shop):
    now = small_shop.now
    waiting = [r for r in small_shop.orders
               if r.status in (OrderStatus.AWAITING_SHIPMENT, OrderStatus.PARTIALLY_SHIPPED)]
    assert any(r.ship_by < now for r in waiting)
    assert any(now < r.ship_by <= now + timedelta(hours=24) for r in waiting)
    assert any(r.order_type == "预售订单" and r.ship_by > now + timedelta(days=3) for r in waiting)
    assert any(r.shipped_at and r.shipped_at > r.ship_by for r in small_shop.orders)


def test_buyer_question_orders_exist_on_the_20th(small_shop):
    cases = _by_label(small_shop)
    assert small_shop.question_day == date(2026, 11, 20)
    asked = cases["question_awaiting_within_promise"][0]
    assert asked.created_at.astimezone(SHOP_TZ).date() == date(2026, 11, 20)
    assert asked.status is OrderStatus.AWAITING_SHIPMENT and asked.paid_at and asked.ship_by > small_shop.now
    assert "五常大米" in asked.items[0].product_name and asked.items[0].quantity == 2
    closed = cases["question_unpaid_closed"][0]
    assert closed.status is OrderStatus.CANCELLED and closed.cancel_reason == "超时未支付"
    assert cases["question_paid_pending_review"][0].status is OrderStatus.PAID_PENDING
    refunded = cases["question_cancelled_refunded"][0]
    assert refunded.status is OrderStatus.CANCELLED and refunded.paid_at is not None
    assert cases["question_presale"][0].items[0].product_id == WUCHANG_PRESALE
    for label in ("question_unpaid_closed", "question_paid_pending_review", "question_cancelled_refunded"):
        record = cases[label][0]
        assert record.created_at.astimezone(SHOP_TZ).day == 20 and record.items[0].quantity == 2
        assert "五常大米" in record.items[0].product_name
    assert {r.buyer_phone for r in cases["question_buyer_earlier_order"]} == {asked.buyer_phone}


@pytest.mark.parametrize("now_text", [
    "2026-11-20T10:00:00+08:00", "2026-11-21T08:00:00+08:00", "2026-11-29T23:00:00+08:00",
    "2026-12-19T23:59:00+08:00", "2027-01-05T12:00:00+08:00",
])
def test_asking_buyers_order_is_within_its_promise_whatever_the_day(now_text):
    now = datetime.fromisoformat(now_text)
    data = generate_shop(now, orders=40)
    asked = _by_label(data)["question_awaiting_within_promise"][0]
    assert asked.created_at.astimezone(SHOP_TZ).date() == data.question_day
    assert asked.status is OrderStatus.AWAITING_SHIPMENT and asked.ship_by > data.now
    assert len(data.orders) == 40


@pytest.mark.parametrize(("now_text", "expected"), [
    ("2026-11-24T18:00:00+08:00", date(2026, 11, 20)),
    ("2026-11-20T21:00:00+08:00", date(2026, 11, 20)),
    ("2026-11-20T08:30:00+08:00", date(2026, 10, 20)),  # the day has barely begun: last month's
    ("2026-11-19T23:00:00+08:00", date(2026, 10, 20)),
    ("2026-01-03T09:00:00+08:00", date(2025, 12, 20)),
    ("2026-11-19T17:00:00+00:00", date(2026, 10, 20)),  # already 01:00 on the 20th in Shanghai, but too early
    ("2026-11-20T02:00:00+00:00", date(2026, 11, 20)),  # 10:00 in Shanghai
])
def test_question_day_is_this_months_20th_unless_still_ahead(now_text, expected):
    assert question_day(datetime.fromisoformat(now_text)) == expected


def test_catalogue_has_english_names_aliases_and_fen_prices():
    assert 15 <= len(PRODUCTS) <= 25
    assert len({p.product_id for p in PRODUCTS}) == len(PRODUCTS)
    assert all(re.fullmatch(r"\d{19}", p.product_id) for p in PRODUCTS)
    codes = [s.code for p in PRODUCTS for s in p.skus]
    assert len(set(codes)) == len(codes)
    for p in PRODUCTS:
        assert p.name_en and p.aliases and all(isinstance(s.price_fen, int) and s.price_fen > 0 for s in p.skus)
        assert re.fullmatch(r"48h|next_day|same_day:\d+|days:\d+|presale:\d+", p.ship_promise)
    wuchang = [p for p in PRODUCTS if p.short == "五常大米"]
    assert wuchang and all("Wuchang rice" in p.aliases or p.name_en.startswith("Wuchang rice") for p in wuchang)
    assert any("wuchang dami" in p.aliases for p in wuchang)
    assert {p.category for p in PRODUCTS} >= {"大米", "小米", "杂粮", "面粉", "食用油", "茶叶"}


def test_a_tiny_demo_keeps_the_question_orders_first():
    data = generate_shop(NOW, orders=3)
    assert len(data.orders) == 3
    assert [s.label for s in data.scenarios] == ["question_buyer_earlier_order", "question_awaiting_within_promise",
                                                 "question_unpaid_closed"]
    assert generate_shop(NOW, orders=0).orders == []
