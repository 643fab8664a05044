"""Every link of the shipping sub-navigation opens for the role that sees it, as the main navigation's do
(test_nav_links.py): QA #11 found customer service shown 批量发货, which answers it 403."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from ..conftest import login

SUBNAV = re.compile(r'<nav[^>]*class="[^"]*\bsubnav\b[^"]*"[^>]*>(.*?)</nav>', re.S)
HREF = re.compile(r'href="(/[^"#?]*)"')


def _subnav_links(page: str) -> set[str]:
    found = SUBNAV.search(page)
    assert found, "the page has no shipping sub-navigation"
    return set(HREF.findall(found.group(1)))


@pytest.mark.parametrize("role", ["owner", "cs", "warehouse"])
def test_every_shipping_subnav_link_opens_for_the_role_that_sees_it(app, users, role):
    with TestClient(app) as client:
        login(client, role)
        seen, todo = set(), ["/shipping"]
        while todo:  # each sub-nav page's own sub-nav, so a link shown only on one page is checked too
            link = todo.pop()
            page = client.get(link)
            assert page.status_code == 200, (link, page.status_code)
            seen.add(link)
            todo += sorted(_subnav_links(page.text) - seen - set(todo))
    assert {"/shipping", "/shipping/reminders", "/shipping/forecast", "/shipping/health"} <= seen
    assert ("/shipping/bulk" in seen) == (role != "cs")
