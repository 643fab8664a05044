"""QA pass 10, D24: a quality-rate link with a window that is not one (abc, 45) shows the default window with a
short note in the page's language, instead of an English 422 page."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.mark.parametrize("window", ["abc", "45", "１４"])
def test_a_window_not_understood_shows_the_default_with_a_chinese_note(owner_client, window):
    page = owner_client.get("/quality-rate", params={"window": window})
    assert page.status_code == 200
    assert "链接中的统计周期" in page.text and window in page.text
    assert 'data-window="30" class="active"' in page.text
    assert "Input should be" not in page.text


def test_a_good_window_and_no_window_say_nothing(owner_client):
    for params in ({"window": "14"}, {}):
        page = owner_client.get("/quality-rate", params=params)
        assert page.status_code == 200 and "unknown-window" not in page.text
    assert 'data-window="14" class="active"' in owner_client.get("/quality-rate?window=14").text


def test_a_garbled_all_products_flag_is_not_a_422(owner_client):
    assert owner_client.get("/quality-rate", params={"all_products": "yes"}).status_code == 200
