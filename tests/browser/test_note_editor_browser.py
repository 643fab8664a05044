"""The order page's note editor in a real browser: a note of several lines saves again and again (the form sends
back the note it showed, line breaks as the browser sends them), and a save over a note another tab changed
meanwhile is refused, keeping the other text (QA pass 5, E2), and the clerk's own typed text stays in the editor to
save again knowingly."""

from __future__ import annotations

import re

import pytest

from . import shop
from .conftest import log_in

pytestmark = pytest.mark.browser


def save(page, note: str):
    page.fill("textarea[name=merchant_note]", note)
    with page.expect_navigation() as nav:
        page.click(".note-form button[type=submit]")
    return nav.value


def test_a_note_saves_again_but_not_over_another_tabs_change(page):
    log_in(page)
    page.goto(f"/orders/{shop.NOTE_ORDER}")
    assert save(page, "第一行\n第二行").status == 200 and re.search(r"saved=1", page.url)
    assert save(page, "第一行\n第二行\n第三行").status == 200 and re.search(r"saved=1", page.url)
    other = page.context.new_page()  # another clerk's tab, opened after this one loaded the note
    other.goto(f"/orders/{shop.NOTE_ORDER}")
    assert save(other, "别人改的").status == 200
    refused = save(page, "我的")
    assert refused.status == 409
    assert page.locator(".note-conflict .current-note").inner_text() == "别人改的"
    assert page.input_value("textarea[name=merchant_note]") == "我的"  # nothing typed is lost
    other.goto(f"/orders/{shop.NOTE_ORDER}")
    assert other.input_value("textarea[name=merchant_note]") == "别人改的"
    assert save(page, "我的，看过别人的").status == 200 and re.search(r"saved=1", page.url)
    other.goto(f"/orders/{shop.NOTE_ORDER}")
    assert other.input_value("textarea[name=merchant_note]") == "我的，看过别人的"
    assert not page.js_errors
