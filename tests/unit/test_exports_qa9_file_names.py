"""QA pass 9, #19: an export's file name says what it holds (tab or 筛选, layout), when to the second, and which job;
the Content-Disposition header carries a Chinese name as RFC 5987 filename* with an ASCII filename beside it."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from urllib.parse import unquote

import pytest

from xiaodian.exports.domain import download_name, is_filtered
from xiaodian.exports.file_names import attachment, content_disposition, local_name
from xiaodian.web.i18n import current_language

AT = datetime(2026, 11, 29, 4, 15, 30, tzinfo=timezone.utc)  # 12:15:30 in Shanghai


@pytest.fixture
def zh():
    token = current_language.set("zh")
    yield
    current_language.reset(token)


def test_the_ascii_name_says_tab_filter_layout_second_and_job():
    assert download_name(AT, 17, "csv", per="order", status="awaiting_shipment") == (
        "orders-awaiting-shipment-per-order-20261129-121530-17.csv")
    assert download_name(AT, None, "xlsx", per="sku", status="all", filtered=True) == (
        "orders-all-filtered-per-sku-20261129-121530.xlsx")
    assert download_name(AT, 17, "csv") != download_name(AT, 18, "csv")  # two jobs in one second
    assert download_name(AT, None, "csv", per="sku") != download_name(AT, None, "csv", per="order")


def test_the_chinese_name_is_in_words(zh):
    assert local_name(AT, 17, "csv", per="order", status="awaiting_shipment") == "订单-备货中-每单一行-20261129-121530-17.csv"
    assert local_name(AT, None, "xlsx", per="sku", status="all", filtered=True) == (
        "订单-全部-筛选-每个商品一行-20261129-121530.xlsx")


def test_an_english_reader_gets_the_ascii_name():
    token = current_language.set("en")
    try:
        assert local_name(AT, 3, "csv", per="order", status="shipped") == download_name(
            AT, 3, "csv", per="order", status="shipped")
        assert attachment(AT, 3, "csv", status="shipped")["content-disposition"] == (
            'attachment; filename="orders-shipped-per-sku-20261129-121530-3.csv"')
    finally:
        current_language.reset(token)


def test_the_header_carries_the_chinese_name_encoded_with_an_ascii_fallback(zh):
    header = attachment(AT, 17, "csv", per="order", status="awaiting_shipment")["content-disposition"]
    header.encode("ascii")  # a header is ASCII: the Chinese name travels percent-encoded
    plain = re.search(r'; filename="([^"]+)"', header).group(1)
    encoded = re.search(r"; filename\*=UTF-8''([^;\s]+)$", header).group(1)
    assert plain == "orders-awaiting-shipment-per-order-20261129-121530-17.csv"
    assert unquote(encoded, encoding="utf-8") == "订单-备货中-每单一行-20261129-121530-17.csv"
    assert header.startswith("attachment; ")


def test_a_fallback_never_breaks_the_header():
    header = content_disposition('订单"x.csv', 'bad"name\\.csv')
    plain = re.search(r'; filename="([^"]+)"', header).group(1)
    assert plain == "bad_name_.csv" and "%22" in header


def test_what_counts_as_filtered():
    assert not is_filtered({"status": "awaiting_shipment"}) and not is_filtered({"q": None, "flag": ""})
    assert is_filtered({"status": "all", "q": "五常"}) and is_filtered({"created_from": "2026-11-01"})
