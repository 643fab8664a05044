"""Every list page takes any page number a link may carry (mistyped, negative, past the end, longer than the database
can hold) and answers with a page, never a server error: past MAX_PAGE it is the (empty) page MAX_PAGE."""

from __future__ import annotations

import pytest

from xiaodian.web.paging import MAX_PAGE, page_number

PAGES = ["/orders", "/orders?q=米", "/shipping", "/shipping?view=awaiting&q=米", "/aftersales", "/audit", "/logistics",
         "/shipping/reminders"]
NUMBERS = ["1000000000000000000000", "9" * 5000, "-5", "0", "abc", "1e9", "", "２", str(MAX_PAGE + 1)]


def test_page_number_rule():
    assert [page_number(v) for v in ("3", " 7 ", None, "", "0", "-1", "x", "1.5", "٣", "２")] == [3, 7] + [1] * 8
    assert page_number(str(MAX_PAGE)) == MAX_PAGE and page_number(str(MAX_PAGE + 1)) == MAX_PAGE
    assert page_number("1" * 5000) == MAX_PAGE  # longer than Python would turn into an int: still a page


@pytest.mark.parametrize("path", PAGES)
def test_list_pages_answer_any_page_number(owner_client, path):
    joiner = "&" if "?" in path else "?"
    for number in NUMBERS:
        reply = owner_client.get(f"{path}{joiner}page={number}")
        assert reply.status_code == 200, (path, number[:30], reply.text[:300])
