"""QA pass 13, #3: `五常 5kg` also lists 2.5kg orders, as the search's contract (an exact substring of one item, checked
against a substring scan) says it must. The list now says so beside a term that starts with a digit, so the
warehouse is not surprised by 2.5kg or 15kg rows; other searches show no such note."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def test_a_term_starting_with_a_digit_is_explained(owner_client):
    page = owner_client.get("/orders", params={"q": "五常 5kg"}).text
    hint = page.split('class="muted number-hint">', 1)[1].split("</small>", 1)[0]
    assert "「5kg」按包含查找，也会找到「15kg」这样更长的数字" in hint
    assert "number-hint" not in owner_client.get("/orders", params={"q": "五常大米"}).text
    assert "number-hint" not in owner_client.get("/orders", params={"q": "iphone15"}).text  # starts with a letter
