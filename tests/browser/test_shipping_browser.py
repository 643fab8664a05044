"""Browser: open the 24-hour view, ship an order from it, see it leave the view (own live desk, so the shared
one's counts stay as the other browser tests expect)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ..conftest import NOW
from .conftest import DESKTOP, _open_page, log_in, new_desk, serve_desk

DUE_SOON = "6938459704022657001"
DUE_LATER = "6938459704022657002"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def shipping_server(sqlite_template, tmp_path_factory):
    from xiaodian.bootstrap import default_shop_id
    from xiaodian.db import transaction
    from xiaodian.orders.intake import upsert_orders

    from ..factories import make_record

    ctx = new_desk(sqlite_template, tmp_path_factory.mktemp("ship-live"))
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=default_shop_id(ctx), cipher=ctx.cipher, now=NOW, records=[
            make_record(DUE_SOON, ship_by=NOW + timedelta(hours=3)),
            make_record(DUE_LATER, ship_by=NOW + timedelta(hours=20)),
        ])
    yield from serve_desk(ctx)


@pytest.fixture
def ship_page(request, browser, shipping_server):
    yield from _open_page(request, browser, shipping_server, DESKTOP)


def test_ship_an_order_from_the_24_hour_view_and_it_leaves_the_view(ship_page):
    page = ship_page
    log_in(page, "warehouse", path="/shipping?view=due24h")
    rows = page.locator("table.shiplist tbody tr")
    assert rows.count() == 2
    first = page.locator(f'tr[data-order-id="{DUE_SOON}"]')
    assert "cd-urgent" in first.locator(".countdown").get_attribute("class")
    assert page.locator('a[data-view="due24h"] .count').inner_text() == "2"
    first.locator("a.ship").click()
    page.wait_for_url("**/ship?**")
    page.select_option("select[name=carrier]", "shunfeng")
    page.fill("input[name=tracking_no]", "SF1234567890123")
    with page.expect_navigation():
        page.click("form.shipform button[type=submit]")
    assert "shipped=" in page.url and "view=due24h" in page.url
    assert page.locator(".alert.ok").is_visible()
    assert page.locator(f'tr[data-order-id="{DUE_SOON}"]').count() == 0
    assert page.locator(f'tr[data-order-id="{DUE_LATER}"]').count() == 1
    assert page.locator('a[data-view="due24h"] .count').inner_text() == "1"
    assert not page.js_errors, page.js_errors
