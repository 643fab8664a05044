"""Several shops in a real browser: the header's switcher changes what the order list counts and shows, 全部店铺
adds the shop column, a detail link opens that shop's order, and a page that shows one shop says so."""

from __future__ import annotations

import re

import pytest

from ..integration.test_orders_several_shops import SHARED_ID, two_shops
from .conftest import DESKTOP, _open_page, log_in, new_desk, serve_desk

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def shops_server(sqlite_template, tmp_path_factory):
    from xiaodian.bootstrap import default_shop_id

    ctx = new_desk(sqlite_template, tmp_path_factory.mktemp("shops"))
    two_shops(ctx, default_shop_id(ctx))
    yield from serve_desk(ctx)


@pytest.fixture
def shops_page(request, browser, shops_server):
    yield from _open_page(request, browser, shops_server, DESKTOP)


def all_count(page) -> int:
    return int(re.sub(r"\D", "", page.locator('.tabs a[data-tab="all"] .count').inner_text()))


def switch(page, label: str) -> None:
    with page.expect_navigation():
        page.select_option(".shop-switch select", label=label)


def test_switching_shops_in_the_header(shops_page):
    page = shops_page
    log_in(page, "owner")
    assert page.locator(".shop-switch select").is_visible()
    assert all_count(page) == 13 and page.locator("th.c-shop").count() == 0

    switch(page, "第二家店")
    assert all_count(page) == 10
    assert page.locator(".shop-switch select option:checked").inner_text() == "第二家店"

    switch(page, "全部店铺")
    assert all_count(page) == 23
    assert page.locator("th.c-shop").is_visible()
    shops_shown = set(page.locator("td.shop").all_inner_texts())
    assert shops_shown == {"我的小店", "第二家店"}

    # The shared order id appears once per shop; the second shop's row opens the second shop's order.
    row = page.locator(f'tbody.order[data-order-id="{SHARED_ID}"]', has=page.locator("td.shop", has_text="第二家店"))
    with page.expect_navigation():
        row.locator(".act a").click()
    assert "第二家店" in page.locator(".order-head").inner_text()
    assert "已发货" in page.locator(".order-head").inner_text()

    # The shipping desk shows one shop at a time: with 全部店铺 picked it shows the default shop and says so.
    page.goto("/shipping")
    assert "我的小店" in page.locator(".shop-fallback").inner_text()
    switch(page, "第二家店")
    assert page.locator(".shop-fallback").count() == 0
    assert not page.js_errors
