"""Changing one's own password (设置 → 修改密码, PUT /api/v1/me/password): the current password is asked for, the
new one follows the policy, the session in use stays and every other one ends; wrong current passwords count as
failed logins, so neither a forgotten-open session nor a leaked token can be used to guess it."""

from __future__ import annotations

import re
from html import unescape

import pytest
from fastapi.testclient import TestClient

from ..conftest import NOW, PASSWORD, csrf_of, login

NEW = "Cangku-2026-new-pass"
NOW_SHOWN = NOW.strftime("%Y-%m-%d %H:%M")  # NOW is in shop time


def _change(client, current, new, again=None):
    return client.post("/settings/password", follow_redirects=False,
                       data={"csrf_token": csrf_of(client, "/settings/password"), "current_password": current,
                             "password": new, "password_again": new if again is None else again})


def _alert(html: str) -> tuple[str, str]:
    found = re.search(r'<p class="alert error" role="alert" data-code="([^"]*)"[^>]*>([^<]*)</p>', html)
    return found.group(1), unescape(found.group(2))


def _can_log_in(app, password: str) -> bool:
    with TestClient(app) as fresh:
        page = fresh.get("/login")
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        return fresh.post("/login", data={"login": "warehouse", "password": password, "csrf_token": token},
                          follow_redirects=False).status_code == 303


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_a_clerk_changes_their_password_keeping_this_session_and_ending_the_others(app, users, ctx):
    with TestClient(app) as desk, TestClient(app) as phone:
        login(desk, "warehouse")
        login(phone, "warehouse")
        assert 'href="/settings/password"' in desk.get("/shipping").text  # in the settings menu of every role
        refusals = [(_change(desk, "not-my-password-1", NEW), "wrong_password", "当前密码不正确。"),
                    (_change(desk, PASSWORD, NEW, again=NEW + "x"), "passwords_differ", "两次输入的新密码不一致。"),
                    (_change(desk, PASSWORD, "short1"), "weak_password", "密码不符合要求"),
                    (_change(desk, PASSWORD, "warehouse-2026"), "weak_password", "不能包含登录名"),
                    (_change(desk, PASSWORD, PASSWORD), "same_password", "新密码不能与当前密码相同。")]
        for response, code, words in refusals:
            assert response.status_code == 422
            shown_code, text = _alert(response.text)
            assert shown_code == code and words in text, (code, text)
        assert _can_log_in(app, PASSWORD)  # nothing was changed by the refusals
        done = _change(desk, PASSWORD, NEW)
        assert done.status_code == 303 and "done_sig=" in done.headers["location"]
        assert "密码已修改" in desk.get(done.headers["location"]).text
        assert desk.get("/shipping", follow_redirects=False).status_code == 200  # this session stays
        assert phone.get("/shipping", follow_redirects=False).status_code == 303  # the other one ended
    assert not _can_log_in(app, PASSWORD) and _can_log_in(app, NEW)
    with TestClient(app) as owner:
        login(owner, "owner")
        audit = owner.get("/api/v1/audit", params={"action": "user.password_change"}).json()
        entries = audit["entries"] if isinstance(audit, dict) else audit
        assert [(e["login"], e["target_id"]) for e in entries] == [("warehouse", "warehouse")]
        refused = owner.get("/api/v1/audit", params={"action": "user.password_change_refused"}).json()
        refused = refused["entries"] if isinstance(refused, dict) else refused
        assert [(e["login"], e["detail"]) for e in refused] == [("warehouse", {"reason": "wrong_password"})]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_api_needs_the_current_password_and_wrong_ones_lead_to_the_lockout(app, users, ctx):
    with TestClient(app) as client:
        login(client, "cs")
        csrf = csrf_of(client)
        token = client.post("/api/v1/tokens", json={"name": "script"}, headers={"x-csrf-token": csrf}).json()["token"]
    bearer = {"authorization": f"Bearer {token}"}
    with TestClient(app) as api:
        wrong = api.put("/api/v1/me/password", headers=bearer,
                        json={"current_password": "not-my-password-1", "new_password": NEW})
        assert wrong.status_code == 422
        assert wrong.json()["error"]["code"] == "wrong_password"
        assert wrong.json()["error"]["details"]["field"] == "current_password"
        for _ in range(ctx.settings.login_max_failures - 1):
            api.put("/api/v1/me/password", headers=bearer,
                    json={"current_password": "guess-123456", "new_password": NEW})
        locked = api.put("/api/v1/me/password", headers=bearer,
                         json={"current_password": PASSWORD, "new_password": NEW})
        assert locked.status_code == 429 and locked.json()["error"]["code"] == "login_locked"
        assert api.get("/api/v1/me", headers=bearer).json()["login"] == "cs"  # the token itself still works


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_the_users_page_shows_each_persons_last_login_and_live_sessions(app, users, ctx):
    """An owner sees who is still logged in somewhere: two live sessions of the warehouse clerk, none once the
    clerk is disabled; a person who never logged in says so."""
    with TestClient(app) as owner, TestClient(app) as pda, TestClient(app) as phone:
        login(owner, "owner")
        login(pda, "warehouse")
        login(phone, "warehouse")

        def row(login_name):
            html = owner.get("/settings/users").text
            cells = html.split(f'<tr data-login="{login_name}">', 1)[1].split("</tr>", 1)[0]
            last = re.search(r'<td class="last-login">([^<]*)</td>', cells).group(1)
            return last, int(re.search(r'<td class="num live-sessions">(\d+)</td>', cells).group(1))

        assert row("warehouse") == (NOW_SHOWN, 2) and row("cs") == ("从未", 0)
        owner.post("/settings/users/warehouse/disable", data={"csrf_token": csrf_of(owner, "/settings/users")})
        assert row("warehouse") == (NOW_SHOWN, 0)
        listed = {u["login"]: u for u in owner.get("/api/v1/users").json()}
        assert listed["warehouse"]["live_sessions"] == 0 and listed["owner"]["live_sessions"] == 1
        assert listed["warehouse"]["last_login_at"] == NOW.isoformat() and listed["cs"]["last_login_at"] is None
