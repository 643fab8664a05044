"""The error page speaks to the merchant (QA pass 9): what went wrong in words; the machine code, kept for support,
sits folded under 给技术支持的信息 instead of a line of its own (错误码: not_found)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def test_an_unknown_order_page_says_so_in_words_with_the_code_folded(owner_client):
    response = owner_client.get("/orders/1234567890123456789")
    assert response.status_code == 404
    page = response.text
    assert re.search(r'<p class="alert error" role="alert">[^<]*\S', page)
    folded = re.search(r'<details class="error-tech[^"]*"><summary>给技术支持的信息</summary>(.*?)</details>', page, re.S)
    assert folded and "<code>not_found</code>" in folded.group(1)
    assert page.count("not_found") == 1  # only inside the folded part
