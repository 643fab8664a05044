"""QA pass 10, D5 and D17: a refused form comes back as typed. 添加账号 with a weak password keeps the login and the
role (a warehouse clerk retyped as 客服 otherwise), never the password; a refused 忽略 on an anomaly case keeps the
忽略至 time and the note. The field the refusal names is marked invalid."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from xiaodian.logistics.jobs import scan_shop

from ..conftest import NOW, csrf_of
from ..integration.test_logistics_qa9_one_case_per_parcel import scans, ship

H = timedelta(hours=1)
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _input(html: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{name}"[^>]*>', html)[0]


def _selected_role(html: str) -> str:
    form = html[html.index('action="/settings/users" '):]
    return re.search(r'<select name="role"[^>]*>.*?<option value="(\w+)" selected', form, re.DOTALL)[1]


def test_a_refused_new_user_keeps_the_login_and_role_but_not_the_password(owner_client):
    page = owner_client.post("/settings/users", data={"login": "xiaowang", "password": "abc", "role": "warehouse",
                                                      "csrf_token": csrf_of(owner_client, "/settings/users")})
    assert page.status_code == 422
    html = page.text
    assert 'data-code="weak_password"' in html and 'data-field="password"' in html
    assert "密码不符合要求" in html
    form = html[html.index('action="/settings/users" '):]
    assert 'value="xiaowang"' in _input(form, "login") and "aria-invalid" not in _input(form, "login")
    assert "value=" not in _input(form, "password") and 'aria-invalid="true"' in _input(form, "password")
    assert _selected_role(html) == "warehouse"
    assert "xiaowang" not in [u["login"] for u in owner_client.get("/api/v1/users").json()]


def test_a_taken_login_is_the_field_marked(owner_client):
    html = owner_client.post("/settings/users", data={"login": "cs", "password": "Longenough123", "role": "owner",
                                                      "csrf_token": csrf_of(owner_client, "/settings/users")}).text
    form = html[html.index('action="/settings/users" '):]
    assert 'data-field="login"' in html and 'aria-invalid="true"' in _input(form, "login")
    assert _selected_role(html) == "owner"


def test_the_empty_add_form_starts_as_before(owner_client):
    html = owner_client.get("/settings/users").text
    form = html[html.index('action="/settings/users" '):]
    typed = re.search(r'value="([^"]*)"', _input(form, "login"))
    assert (typed is None or typed[1] == "") and _selected_role(html) == "cs" and "aria-invalid" not in form


def _problem_case(ctx, shop_id, owner_client) -> str:
    tracking = ship(ctx, shop_id, shipped_at=NOW - 40 * H)
    scans(ctx, shop_id, tracking, (NOW - 38 * H, 1, "【哈尔滨市】五常营业部 已揽收", "五常市"),
          (NOW - 6 * H, 204, "派送不成功，收件人电话无人接听", "东莞南城街道营业部"))
    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    return owner_client.get("/api/v1/anomalies").json()["anomalies"][0]["id"]


def test_a_refused_ignore_keeps_the_until_time_and_the_note(ctx, shop_id, owner_client):
    case_id = _problem_case(ctx, shop_id, owner_client)
    path = f"/logistics/anomalies/{case_id}"
    page = owner_client.post(f"{path}/act", data={"action": "ignored", "until": "2026-12-01T18:00", "note": "",
                                                  "csrf_token": csrf_of(owner_client, path)})
    assert page.status_code == 422 and "请填写原因后再提交。" in page.text
    assert 'value="2026-12-01T18:00"' in _input(page.text, "until")
    assert 'aria-invalid="true"' in _input(page.text, "note")
    # a note typed with a time already past: both come back
    page = owner_client.post(f"{path}/act", data={"action": "ignored", "until": "2026-11-20T09:00",
                                                  "note": "买家说 <周末> 在家",
                                                  "csrf_token": csrf_of(owner_client, path)})
    assert page.status_code == 422
    assert 'value="买家说 &lt;周末&gt; 在家"' in _input(page.text, "note")
    assert 'value="2026-11-20T09:00"' in _input(page.text, "until") and 'aria-invalid="true"' in _input(page.text,
                                                                                                         "until")
    fresh = owner_client.get(path).text
    assert "value=\"\"" in _input(fresh, "until") and "aria-invalid" not in _input(fresh, "note")


def test_the_worklist_and_case_say_the_carriers_state_in_words(ctx, shop_id, owner_client):
    """D9 through the pages: stored evidence keeps the code (204); the 依据 column and the case page say 派件异常."""
    case_id = _problem_case(ctx, shop_id, owner_client)
    listing = owner_client.get("/logistics").text
    assert "快递反馈（11-24 12:00，派件异常）" in listing and "状态码" not in listing
    assert "快递反馈（11-24 12:00，派件异常）" in owner_client.get(f"/logistics/anomalies/{case_id}").text
    owner_client.get("/lang/en")
    english = owner_client.get("/logistics").text
    assert "carrier reported (11-24 12:00, delivery failed)" in english and "state 204" not in english
    owner_client.get("/lang/zh")
