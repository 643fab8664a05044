"""QA pass 9, #17: GET /settings answered 404. It is now the index of the settings pages the role may open: every
link it shows opens for that role, and a page the role may not open is not linked."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from ..conftest import login

ALL = {"/shipping/forecast#settings", "/settings/aftersales", "/settings/logistics", "/settings/douyin",
       "/settings/users", "/exports", "/audit", "/settings/tokens", "/settings/password"}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("role,expected", [
    ("owner", ALL),
    ("cs", {"/exports", "/settings/tokens", "/settings/password"}),
    ("warehouse", {"/exports", "/settings/tokens", "/settings/password"})])
def test_the_settings_index_links_what_the_role_may_open(app, users, role, expected):
    with TestClient(app) as client:
        login(client, role)
        page = client.get("/settings")
        assert page.status_code == 200
        body = page.text.split('<ul class="settings-index">', 1)[1].split("</ul>", 1)[0]
        links = set(re.findall(r'<a href="([^"]+)"', body))
        assert links == expected
        for href in links:
            assert client.get(href.split("#", 1)[0]).status_code == 200, href
        assert "<h1>设置</h1>" in page.text and "API 令牌" in body


def test_the_settings_index_needs_a_login(app):
    with TestClient(app) as client:
        assert client.get("/settings", follow_redirects=False).status_code in (302, 303, 401)
