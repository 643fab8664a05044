"""Browser at phone size (375 px): no page of the desk is wider than the screen. Wide tables (audit, rates, users,
reminders…) scroll sideways inside themselves; the page itself never does, so the top bar and the buttons stay put."""

from __future__ import annotations

import pytest

from .conftest import log_in

pytestmark = pytest.mark.browser

PAGES = ["/", "/orders", "/orders?tab=shipped", "/shipping", "/shipping/reminders", "/shipping/bulk",
         "/shipping/forecast", "/shipping/health", "/shipping/picklist", "/logistics", "/aftersales", "/quality-rate",
         "/imports/orders", "/inquiries", "/settings/users", "/settings/tokens", "/settings/password", "/audit",
         "/settings/aftersales", "/settings/logistics", "/settings/douyin", "/exports"]


def test_no_page_is_wider_than_a_phone(phone_page):
    page = phone_page
    log_in(page, "owner", path="/")
    wide = {}
    for path in PAGES:
        page.goto(path)
        width, scroll = page.evaluate("[window.innerWidth, document.documentElement.scrollWidth]")
        if scroll > width:
            wide[path] = scroll
    assert not wide, f"wider than {page.viewport_size['width']} px: {wide}"
    page.goto("/audit")
    table = page.locator("table.grid.audit")
    assert table.evaluate("t => t.scrollWidth > t.clientWidth")  # the audit table scrolls inside itself
    assert not page.js_errors, page.js_errors


def test_the_packing_plan_and_the_export_jobs_show_their_times_and_download_on_a_phone(phone_page):
    """The forecast's plan clipped its 'packed by' column at 375 px; the jobs page pushed its download off screen."""
    page = phone_page
    log_in(page, "owner", path="/shipping/forecast")
    if page.locator("table.picks tbody tr").count():
        header = page.locator("table.picks thead th").nth(3)
        header.scroll_into_view_if_needed()
        box = header.bounding_box()
        assert box["x"] + box["width"] <= page.viewport_size["width"], box
        assert page.locator("table.picks tbody td").nth(2).inner_text().count("-") == 1  # 11-29 23:59, no year
    page.goto("/exports")
    assert page.locator("table.export-jobs th").nth(0).is_hidden()  # the id gives way on a phone
    assert page.locator("table.export-jobs th").nth(5).is_visible()  # the state stays
