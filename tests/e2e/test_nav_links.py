"""Every link of the desk's navigation opens for the role that sees it: a link that answers 403 invites work the
role cannot do (QA found the warehouse shown 导入订单). A refusal a role still meets reads in the page's language."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from ..conftest import login

NAV = re.compile(r'<nav[^>]*class="[^"]*\bmainnav\b[^"]*"[^>]*>(.*?)</nav>', re.S)
HREF = re.compile(r'href="(/[^"#?]*)"')


def _nav_links(page: str) -> list[str]:
    found = NAV.search(page)
    assert found, "the page has no main navigation"
    return sorted(set(HREF.findall(found.group(1))) - {"/logout", "/logout/everywhere"})


@pytest.mark.parametrize("role", ["owner", "cs", "warehouse"])
def test_every_navigation_link_opens_for_the_role_that_sees_it(app, users, role):
    with TestClient(app) as client:
        login(client, role)
        links = _nav_links(client.get("/").text)
        assert "/orders" in links and len(links) >= 5
        refused = [(link, r.status_code) for link in links if (r := client.get(link)).status_code != 200]
    assert refused == []


def test_the_warehouse_sees_no_import_and_a_refusal_reads_in_chinese(app, users):
    with TestClient(app) as client:
        login(client, "warehouse")
        assert "/imports/orders" not in _nav_links(client.get("/").text)
        refused = client.get("/imports/orders")
    assert refused.status_code == 403
    assert "不能进行这项操作" in refused.text and "may not do this" not in refused.text
