"""The login page says why it is shown when a session ended under the user (QA pass 6, #8): a warehouse clerk whose
session had ended (logged out in another tab, role changed, expired) clicked 发货 and landed on a bare login page,
not told that nothing had been shipped. A first visit says nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from ..conftest import csrf_of, login

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def test_a_form_sent_after_the_session_ended_is_said_not_saved_and_a_page_says_the_session_ended(app, users):
    with TestClient(app) as first_visit:
        bare = first_visit.get("/orders", follow_redirects=False)
        assert bare.headers["location"] == "/login?next=%2Forders"
        assert "login-notice" not in first_visit.get(bare.headers["location"]).text
    with TestClient(app) as clerk, TestClient(app) as other_tab:
        login(clerk, "warehouse")
        token = csrf_of(clerk)
        other_tab.cookies.update(clerk.cookies)
        other_tab.post("/logout", data={"csrf_token": token}, follow_redirects=False)
        sent = clerk.post("/shipping/orders/6938459704022656025/ship", follow_redirects=False,
                          data={"csrf_token": token, "carrier": "zhongtong", "tracking_no": "75399999999991"})
        assert sent.status_code == 303 and sent.headers["location"].endswith("&why=unsaved")
        assert "刚才提交的内容没有保存" in clerk.get(sent.headers["location"]).text
        page = clerk.get("/orders", follow_redirects=False)
        assert page.headers["location"] == "/login?next=%2Forders&why=ended"
        assert "登录已失效（已退出、已过期，或账号被修改）" in clerk.get(page.headers["location"]).text
