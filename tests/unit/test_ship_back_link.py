"""The ship form returns to the desk page it was opened from, and never to another site (an open redirect would
let a crafted link send a clerk, just logged in, to a look-alike page)."""

from __future__ import annotations

import pytest

from starlette.requests import Request

from xiaodian.shipping.pages import _back, shipped_note


@pytest.mark.parametrize("value", ["/", "/orders/6938459704022656001", "/shipping?view=due24h", "/?shop=2"])
def test_pages_of_the_desk_are_kept(value):
    assert _back(value) == value


@pytest.mark.parametrize("value", [None, "", "//evil.example", "/\\evil.example", "/\t/evil.example", "/\n/x",
                                   "https://evil.example/", "evil.example", "/ /x", "/订单", "/orders/1\\x"])
def test_anything_else_goes_to_the_shipping_list(value):
    assert _back(value) == "/shipping"


@pytest.mark.parametrize(("value", "shown"), [("6938459704022656001", "6938459704022656001"), ("<b>x</b>", None),
                                              ("请马上转账", None), ("１２３", None), ("1" * 33, None), ("", None)])
def test_the_shipped_note_shows_only_an_order_id(value, shown):
    """After shipping, the page says "order … has shipped"; a crafted link must not put its own words there."""
    from urllib.parse import urlencode

    request = Request({"type": "http", "query_string": urlencode({"shipped": value}).encode(), "headers": []})
    assert shipped_note(request) == shown
