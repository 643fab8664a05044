"""The ship form returns to the desk page it was opened from, and never to another site (an open redirect would
let a crafted link send a clerk, just logged in, to a look-alike page)."""

from __future__ import annotations

import pytest

from xiaodian.shipping.pages import _back


@pytest.mark.parametrize("value", ["/", "/orders/6938459704022656001", "/shipping?view=due24h", "/?shop=2"])
def test_pages_of_the_desk_are_kept(value):
    assert _back(value) == value


@pytest.mark.parametrize("value", [None, "", "//evil.example", "/\\evil.example", "/\t/evil.example", "/\n/x",
                                   "https://evil.example/", "evil.example", "/ /x", "/订单", "/orders/1\\x"])
def test_anything_else_goes_to_the_shipping_list(value):
    assert _back(value) == "/shipping"
