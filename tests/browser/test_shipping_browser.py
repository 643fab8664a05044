"""Browser: open the 24-hour view, ship an order from it, see it leave the view; acknowledge a deadline reminder;
correct a mistyped tracking number from the order page (own live desk, so the shared one's counts stay as the
other browser tests expect)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ..conftest import NOW
from .conftest import DESKTOP, _open_page, log_in, new_desk, serve_desk

DUE_SOON = "6938459704022657001"
DUE_LATER = "6938459704022657002"
URGENT = "6938459704022657003"  # due within 2 h: two reminders (6 h and 2 h)
MISTYPED = "6938459704022657004"  # shipped with a wrong number
WRONG, RIGHT = "SF7654321098765", "SF7654321098756"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def shipping_server(sqlite_template, tmp_path_factory):
    from xiaodian.bootstrap import default_shop_id
    from xiaodian.db import transaction
    from xiaodian.orders.intake import upsert_orders

    from ..factories import make_record

    from xiaodian.accounts.service import Principal
    from xiaodian.shipping import service
    from xiaodian.shipping.jobs import scan_shop

    ctx = new_desk(sqlite_template, tmp_path_factory.mktemp("ship-live"))
    shop_id = default_shop_id(ctx)
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(DUE_SOON, ship_by=NOW + timedelta(hours=3)),
            make_record(DUE_LATER, ship_by=NOW + timedelta(hours=20)),
            make_record(URGENT, ship_by=NOW + timedelta(hours=1)),
            make_record(MISTYPED, ship_by=NOW + timedelta(hours=30)),
        ])
        service.ship_order(session, shop_id=shop_id, now=NOW, req=service.ShipRequest(MISTYPED, "shunfeng", WRONG),
                           principal=Principal(None, "warehouse", "warehouse", "web"))
    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    yield from serve_desk(ctx)


@pytest.fixture
def ship_page(request, browser, shipping_server):
    yield from _open_page(request, browser, shipping_server, DESKTOP)


def test_ship_an_order_from_the_24_hour_view_and_it_leaves_the_view(ship_page):
    page = ship_page
    log_in(page, "warehouse", path="/shipping?view=due24h")
    rows = page.locator("table.shiplist tbody tr")
    assert rows.count() == 3
    first = page.locator(f'tr[data-order-id="{DUE_SOON}"]')
    assert "cd-urgent" in first.locator(".countdown").get_attribute("class")
    assert page.locator('a[data-view="due24h"] .count').inner_text() == "3"
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
    assert page.locator('a[data-view="due24h"] .count').inner_text() == "2"
    assert not page.js_errors, page.js_errors


def test_acknowledge_a_deadline_reminder_and_it_leaves_the_list(ship_page):
    page = ship_page
    log_in(page, "warehouse", path="/shipping/reminders")
    urgent = page.locator(f'tr[data-order-id="{URGENT}"]')
    assert urgent.count() == 1  # one line per order, at its 2-hour reminder, standing for the 6-hour one (QA 9, #9)
    assert urgent.get_attribute("class") == "rk-due_urgent" and urgent.get_attribute("data-superseded") == "1"
    with page.expect_navigation():
        urgent.locator("button.ack").click()
    assert page.locator(".alert.ok").is_visible()
    assert page.locator(f'tr[data-order-id="{URGENT}"]').count() == 0  # its 6-hour reminder went with it
    assert not page.js_errors, page.js_errors


def test_correct_a_mistyped_tracking_number_from_the_order_page(ship_page):
    page = ship_page
    log_in(page, "warehouse", path=f"/orders/{MISTYPED}")
    page.click("a.correct-tracking")
    page.wait_for_url("**/tracking")
    page.fill("input[name=tracking_no]", RIGHT)
    page.fill("input[name=reason]", "单号输错一位")
    with page.expect_navigation():
        page.click("form.shipform button[type=submit]")
    assert page.locator(".alert.ok").is_visible()
    assert RIGHT in page.locator("section.package h2").inner_text()
    assert "单号输错一位" in page.locator("body").inner_text()
    page.goto(page.url.split("/shipping/")[0] + f"/orders/{MISTYPED}")
    assert RIGHT in page.locator("ul.tracking").inner_text()
    assert not page.js_errors, page.js_errors


@pytest.fixture
def ship_phone(request, browser, shipping_server):
    from .conftest import PHONE

    yield from _open_page(request, browser, shipping_server, PHONE)


@pytest.mark.parametrize("path", ["/shipping?view=awaiting", "/"])
def test_on_a_phone_each_order_to_ship_is_a_card_with_its_button_on_screen(ship_phone, path):
    """The warehouse works from a phone or a PDA: the deadline rows were a table wider than the screen, with the
    countdown and 发货 off to the right."""
    page = ship_phone
    log_in(page, "warehouse", path=path)
    width = page.evaluate("window.innerWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    rows = page.locator("table.shiplist tbody tr")
    assert rows.count() >= 2
    for i in range(rows.count()):
        row = rows.nth(i)
        box, button = row.bounding_box(), row.locator("a.ship").bounding_box()
        countdown = row.locator(".countdown").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        assert button["x"] + button["width"] <= width and countdown["x"] + countdown["width"] <= width
        assert countdown["y"] < button["y"]  # the countdown at the top of the card, 发货 at its foot
    assert not page.js_errors, page.js_errors
