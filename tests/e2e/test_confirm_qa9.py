"""QA pass 9, #18: forms that move money, send a refusal or lock someone out carry the question the page asks before
sending them (data-confirm, read by app.js; the browser test of after-sales answers it)."""

from __future__ import annotations


def test_disabling_a_user_asks_first_and_enabling_does_not(owner_client, users):
    page = owner_client.get("/settings/users").text
    disable = page.split('/disable"', 1)[1].split(">", 1)[0]
    assert "data-confirm=" in disable and "确认停用" in disable and "API 令牌立即失效" in disable
    assert page.count("data-confirm=") == page.count('/disable"')  # only the disable forms ask
