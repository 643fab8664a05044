"""The ship promise choices on the forecast page show only the field the chosen kind uses (the cut-off hour for 当日发,
the days for N天内 / 预售 N 天, the date for 预售到某天), and a refused product promise comes back with its message in
view rather than at the bottom of a long page. Nothing is saved here (the shared desk's counts stay as they are)."""

from __future__ import annotations

import pytest

from .conftest import log_in

pytestmark = pytest.mark.browser
FIELDS = ("promise_cutoff", "promise_days", "promise_date")


def _visible(box) -> set[str]:
    return {name for name in FIELDS if box.locator(f"input[name={name}]").is_visible()}


@pytest.mark.parametrize("box", ["table.product-promises tbody tr >> nth=0", "fieldset.promise-choice"])
def test_each_kind_shows_only_the_field_it_uses(page, box):
    log_in(page, "owner", path="/shipping/forecast")
    choice = page.locator(box)
    for kind, shown in (("same_day", {"promise_cutoff"}), ("days", {"promise_days"}),
                        ("presale_days", {"promise_days"}), ("presale_date", {"promise_date"}),
                        ("next_day", set()), ("48h", set())):
        choice.locator("select[name=promise_kind]").select_option(kind)
        assert _visible(choice) == shown, kind
    assert not page.js_errors, page.js_errors


def test_a_refused_product_promise_shows_its_message_in_view(page):
    log_in(page, "owner", path="/shipping/forecast")
    row = page.locator("table.product-promises tbody tr").first
    row.locator("select[name=promise_kind]").select_option("days")
    row.locator("input[name=promise_days]").fill("")
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    alert = page.locator(".product-promise-error")
    assert "天数" in alert.inner_text()
    box, height = alert.bounding_box(), page.viewport_size["height"]
    assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= height, box
    refused = page.locator("table.product-promises tr.refused")
    assert refused.locator("select[name=promise_kind]").input_value() == "days"
    assert _visible(refused) == {"promise_days"}
    assert not page.js_errors, page.js_errors
