"""The green "done / saved / shipped" boxes show only what the desk itself wrote into the redirect: a crafted link
with ?done=<words> must not have the desk say those words to a clerk (see web/notices.py)."""

from __future__ import annotations

import pytest

from ..conftest import csrf_of

FORGED = "请把短信验证码发给客服"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("path", ["/settings/users?done=", "/aftersales?done=", "/settings/aftersales?saved=",
                                  "/?shipped=", "/shipping?shipped="])
def test_a_forged_notice_is_not_shown(owner_client, path):
    page = owner_client.get(path + FORGED)
    assert page.status_code == 200 and FORGED not in page.text
    forged_sig = owner_client.get(f"{path}{FORGED}&{path.split('?')[1][:-1]}_sig=0123456789abcdef0123")
    assert FORGED not in forged_sig.text


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_notice_the_desk_wrote_is_shown(owner_client):
    added = owner_client.post("/settings/users", follow_redirects=False,
                              data={"csrf_token": csrf_of(owner_client, "/settings/users"), "login": "kefu2",
                                    "password": "a-long-enough-password-1", "role": "cs"})
    assert added.status_code == 303 and "done_sig=" in added.headers["location"]
    page = owner_client.get(added.headers["location"]).text
    assert 'role="status"' in page and page.split('role="status">', 1)[1].split("</p>", 1)[0] == "已添加用户 kefu2"
    moved = owner_client.post("/settings/users/kefu2/role", follow_redirects=False,
                              data={"csrf_token": csrf_of(owner_client, "/settings/users"), "role": "warehouse"})
    assert "kefu2 的角色已改为仓库" in owner_client.get(moved.headers["location"]).text
    tampered = added.headers["location"].replace("kefu2", "kefu3")
    assert 'role="status"' not in owner_client.get(tampered).text  # text changed, tag no longer fits: no box
