"""The ship form returns to the desk page it was opened from, and never to another site (an open redirect would
let a crafted link send a clerk, just logged in, to a look-alike page); its "shipped" note shows only what the desk
signed."""

from __future__ import annotations

import pytest

from starlette.requests import Request

from xiaodian.shipping.pages import _back
from xiaodian.web.notices import read


@pytest.mark.parametrize("value", ["/", "/orders/6938459704022656001", "/shipping?view=due24h", "/?shop=2"])
def test_pages_of_the_desk_are_kept(value):
    assert _back(value) == value


@pytest.mark.parametrize("value", [None, "", "//evil.example", "/\\evil.example", "/\t/evil.example", "/\n/x",
                                   "https://evil.example/", "evil.example", "/ /x", "/订单", "/orders/1\\x"])
def test_anything_else_goes_to_the_shipping_list(value):
    assert _back(value) == "/shipping"


class _Keys:
    session_secret = b"k" * 32


class _App:
    class state:  # noqa: N801 - the shape of Starlette's app.state
        class ctx:  # noqa: N801
            keys = _Keys


def _request(query: dict) -> Request:
    from urllib.parse import urlencode

    return Request({"type": "http", "query_string": urlencode(query).encode(), "headers": [], "app": _App})


@pytest.mark.parametrize("value", ["6938459704022656001", "<b>x</b>", "请马上转账", ""])
def test_the_shipped_note_shows_only_what_the_desk_signed(value):
    """After shipping, the page says "order … has shipped"; a crafted link must not put its own words there."""
    from xiaodian.web.notices import tag

    def shipped_note(request):
        return read(request, "shipped")

    assert shipped_note(_request({"shipped": value})) is None
    assert shipped_note(_request({"shipped": value, "shipped_sig": "0" * 20})) is None
    signed = {"shipped": value, "shipped_sig": tag(_Keys.session_secret, "shipped", value)}
    assert shipped_note(_request(signed)) == value
    assert shipped_note(_request({**signed, "shipped": value + "1"})) is None
