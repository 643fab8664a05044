"""Reading buyers' messages: dates in shop time relative to the message, quantities, products (五常 is a place),
ids and intents. Table-driven, plus hypothesis properties for the date and number rules."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xiaodian.demo.catalogue import PRODUCTS
from xiaodian.demo.shop import product_row
from xiaodian.inquiries.dates import day_of_month, month_day, parse_date, weekday
from xiaodian.inquiries.numerals import cn_to_int, parse_quantity
from xiaodian.inquiries.products import CatalogueEntry, match_products
from xiaodian.inquiries.understanding import classify_intent, understand

AT = datetime.fromisoformat("2026-11-24T18:00:00+08:00")  # a Tuesday
TODAY = date(2026, 11, 24)
CATALOGUE = [CatalogueEntry.build(p.product_id, product_row(p)["name"], p.name_en,
                                  tuple(json.loads(product_row(p)["aliases"]))) for p in PRODUCTS]
SEED_ZH = "我这个月20号拍了2份五常大米，也付款了，怎么还没有订单信息？"
SEED_EN = ("I placed an order for 2 portions of Wuchang rice on the 20th of this month and paid, but there is still "
           "no order information?")


@pytest.mark.parametrize("text,expected", [
    ("今天拍的", "2026-11-24"), ("昨天下的单", "2026-11-23"), ("前天买的", "2026-11-22"), ("大前天买的", "2026-11-21"),
    ("20号拍的", "2026-11-20"), ("20日买的", "2026-11-20"), ("二十号", "2026-11-20"), ("这个月20号", "2026-11-20"),
    ("本月20日", "2026-11-20"), ("上个月20号", "2026-10-20"), ("11月20日", "2026-11-20"), ("十一月二十日", "2026-11-20"),
    ("周五拍的", "2026-11-20"), ("上周五", "2026-11-20"), ("星期一买的", "2026-11-23"), ("上周一", "2026-11-16"),
    ("2026-11-20", "2026-11-20"), ("2026/11/20", "2026-11-20"), ("11/20", "2026-11-20"), ("3天前", "2026-11-21"),
    ("on the 20th of this month", "2026-11-20"), ("the 20th", "2026-11-20"), ("Nov 20", "2026-11-20"),
    ("november 20th", "2026-11-20"), ("20 nov", "2026-11-20"), ("yesterday", "2026-11-23"),
    ("last friday", "2026-11-20"), ("on the 20th of last month", "2026-10-20"), ("last month on the 20th", "2026-10-20"),
    ("2 days ago", "2026-11-22"),
    # a day of this month still to come means last month; a month-day still to come means last year
    ("28号拍的", "2026-10-28"), ("the 30th", "2026-10-30"), ("12月1日", "2025-12-01"),
])
def test_dates_resolve_in_shop_time_relative_to_the_message(text, expected):
    span = parse_date(text.lower(), TODAY)
    assert span is not None and span.start.isoformat() == expected == span.end.isoformat()


@pytest.mark.parametrize("text", ["今天能发货吗", "9.9元包邮", "2.5kg", "3号楼", "地铁20号线", "the 2 bags", "五常大米"])
def test_no_order_date_where_none_was_said(text):
    assert parse_date(text.lower(), TODAY) is None


@pytest.mark.parametrize("text,first,last", [
    ("上周", "2026-11-16", "2026-11-22"), ("last week", "2026-11-16", "2026-11-22"),
    ("上个月", "2026-10-01", "2026-10-31"), ("this month", "2026-11-01", "2026-11-24"),
])
def test_ranges(text, first, last):
    span = parse_date(text, TODAY)
    assert (span.start.isoformat(), span.end.isoformat()) == (first, last)


@given(st.dates(min_value=date(2001, 1, 1), max_value=date(2099, 12, 31)), st.integers(1, 31))
def test_a_day_of_the_month_is_never_in_the_future_and_within_two_months(today, day):
    found = day_of_month(today, day, None)
    if found is not None:
        assert found <= today and found.day == day and (today - found).days < 62


@given(st.dates(min_value=date(2001, 1, 1), max_value=date(2099, 12, 31)), st.integers(1, 12), st.integers(1, 31))
def test_a_month_day_is_the_latest_one_not_after_today(today, month, day):
    found = month_day(today, month, day)
    if found is not None:
        assert found <= today and (found.month, found.day) == (month, day) and (today - found).days < 366


@given(st.dates(min_value=date(2001, 1, 8), max_value=date(2099, 12, 31)), st.integers(0, 6))
def test_weekdays(today, wd):
    recent, last_week = weekday(today, wd, 0), weekday(today, wd, 1)
    assert recent.weekday() == wd == last_week.weekday()
    assert 0 <= (today - recent).days < 7
    monday = today - timedelta(days=today.weekday())
    assert monday - timedelta(days=7) <= last_week < monday


@given(st.datetimes(min_value=datetime(2010, 1, 1), max_value=datetime(2090, 1, 1)), st.integers(1, 31))
@settings(max_examples=200)
def test_the_seed_question_never_reads_a_future_date(naive, day):
    at = naive.replace(tzinfo=AT.tzinfo)
    u = understand(f"我这个月{day}号拍了2份五常大米，怎么还没有订单信息？", at, CATALOGUE)
    local = at.astimezone(AT.tzinfo).date()
    assert u.quantity == 2 and u.product == "五常大米"
    if u.date_from is not None:
        assert u.date_from <= local and u.date_from.day == day


@pytest.mark.parametrize("text,expected", [("二十", 20), ("十一", 11), ("十", 10), ("两", 2), ("廿三", 23),
                                           ("二十一", 21), ("7", 7), ("十十", None), ("五常", None)])
def test_chinese_numerals(text, expected):
    assert cn_to_int(text) == expected


@given(st.integers(1, 99))
def test_every_number_to_99_round_trips_through_chinese(n):
    digits = "零一二三四五六七八九"
    text = (("" if n // 10 == 1 else digits[n // 10]) + "十" + (digits[n % 10] if n % 10 else "")) if n >= 10 \
        else digits[n]
    assert cn_to_int(text) == n


@pytest.mark.parametrize("text,expected", [
    ("2份", 2), ("两份", 2), ("2袋", 2), ("两箱", 2), ("三盒", 3), ("2 portions", 2), ("two bags", 2), ("a bag of", 1),
    ("x2", 2), ("×3", 3), ("5kg", None), ("10斤", None), ("2袋装", None), ("20号", None), ("五常", None),
])
def test_quantities(text, expected):
    found = parse_quantity(text)
    assert (found[0] if found else None) == expected


@given(st.integers(1, 999), st.sampled_from(["份", "袋", "箱", "盒", "瓶", " portions", " bags", " boxes"]))
def test_any_count_with_a_measure_word_is_read(n, unit):
    assert parse_quantity(f"买了{n}{unit}")[0] == n


@pytest.mark.parametrize("text,canonical,count", [
    ("五常大米", "五常大米", 3), ("五 常 大 米", "五常大米", 3), ("五长大米", "五常大米", 3), ("Wuchang rice", "五常大米", 3),
    ("wuchang", "五常大米", 3), ("Wuchnag rice", "五常大米", 3), ("wuchang dami", "五常大米", 2),
    ("五常大米礼盒", "五常大米", 1), ("Wuchang rice gift box", "五常大米", 1), ("东北大米", "东北大米", 1),
    ("peanut oil", "花生油", 1), ("Longjing", "龙井茶", 1), ("大米", "大米", 6),
])
def test_products_by_name_alias_pinyin_spacing_and_typos(text, canonical, count):
    found = match_products(text.lower(), CATALOGUE)
    assert found is not None and found.canonical == canonical and len(found.product_ids) == count


@pytest.mark.parametrize("text", ["my order is missing", "I bought tea", "好的谢谢", "iphone"])
def test_no_product_where_none_was_named(text):
    assert match_products(text, CATALOGUE) is None


def test_wuchang_is_a_place_not_the_number_five():
    u = understand("五常大米什么时候发货", AT, CATALOGUE)
    assert u.quantity is None and u.date_from is None and u.product == "五常大米"
    assert understand("五常大米五袋", AT, CATALOGUE).quantity == 5
    assert understand("五号买的五常大米", AT, CATALOGUE).date_from == date(2026, 11, 5)


def test_ids_order_phone_and_last4():
    u = understand("订单号4907538423936588900，手机13812345678", AT, CATALOGUE)
    assert (u.order_id, u.phone, u.phone_last4) == ("4907538423936588900", "13812345678", "5678")
    assert understand("手机尾号 1234 的订单", AT, CATALOGUE).phone_last4 == "1234"
    assert understand("last 4 digits of my phone are 4321", AT, CATALOGUE).phone_last4 == "4321"
    assert understand("phone ending in 9876", AT, CATALOGUE).phone_last4 == "9876"
    assert understand("+86 138-1234-5678", AT, CATALOGUE).phone == "13812345678"
    u = understand("4907538423936588900", AT, CATALOGUE)
    assert u.phone is None and u.date_from is None and u.quantity is None


@pytest.mark.parametrize("text,intent", [
    (SEED_ZH, "order_missing"), (SEED_EN, "order_missing"), ("怎么还不发货", "ship_status"),
    ("When will it ship?", "ship_status"), ("快递到哪了", "logistics"), ("my parcel hasn't arrived", "logistics"),
    ("退款什么时候到账", "after_sale_status"), ("where is my refund", "after_sale_status"),
    ("地址填错了，还没发货能改吗", "change_address"), ("change my address please", "change_address"),
    ("不想要了，取消吧", "cancel_order"), ("please cancel my order", "cancel_order"), ("在吗", "other"),
    ("还没收到退款", "after_sale_status"), ("怎么还没有物流信息", "logistics"),
])
def test_intents(text, intent):
    assert classify_intent(text.lower())[0] == intent


def test_the_seed_question_in_both_languages():
    for text, lang in ((SEED_ZH, "zh"), (SEED_EN, "en")):
        u = understand(text, AT, CATALOGUE)
        assert (u.intent, u.language, u.quantity, u.product) == ("order_missing", lang, 2, "五常大米")
        assert u.date_from == u.date_to == date(2026, 11, 20)
        assert set(u.product_ids) == {p.product_id for p in PRODUCTS if p.short == "五常大米"}


@given(st.text(max_size=300))
@settings(max_examples=300)
def test_any_text_is_read_without_error(text):
    u = understand(text or "x", AT, CATALOGUE)
    assert u.intent in ("order_missing", "ship_status", "logistics", "after_sale_status", "change_address",
                        "cancel_order", "other") and u.language in ("zh", "en")
