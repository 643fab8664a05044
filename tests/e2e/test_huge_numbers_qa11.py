"""A number too large for the database (QA pass 11, #1, #2): `DELETE /api/v1/tokens/99999999999999999999999` and
`/api/v1/audit?offset=99999999999999999999` answered 500 (SQLite's driver cannot bind an integer past 64 bits),
and the server dropped the connection after it. Now: not found for an id, 422 for a position, on every route."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from xiaodian.accounts import service as accounts
from xiaodian.db import transaction
from xiaodian.web.app import all_routers

from ..conftest import NOW, csrf_of, login

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

HUGE = "99999999999999999999999"


def _token(ctx) -> str:
    with transaction(ctx.sessions) as session:
        _row, secret = accounts.create_token(session, accounts.require_user(session, "owner"), "qa11", NOW)
    return secret


def test_revoking_a_token_of_an_impossible_id_is_not_found_everywhere(app, users, ctx):
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {_token(ctx)}"}
        answer = client.delete(f"/api/v1/tokens/{HUGE}", headers=headers)
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
        assert client.get("/api/v1/orders", headers=headers).status_code == 200  # the connection lives on
        login(client, "owner")
        page = client.post(f"/settings/tokens/{HUGE}/revoke", data={"csrf_token": csrf_of(client, "/settings/tokens")})
        assert page.status_code == 404


def test_an_audit_position_past_any_log_is_refused_naming_it(app, users, ctx):
    with TestClient(app) as client:
        answer = client.get(f"/api/v1/audit?offset={HUGE}", headers={"Authorization": f"Bearer {_token(ctx)}"})
    assert answer.status_code == 422 and "offset" in answer.json()["error"]["message"]


def test_no_api_route_answers_500_to_a_huge_number_in_its_address(app, users, ctx):
    """Every /api/v1 route with a value in its path, that value replaced by a 23-digit number: a 4xx each time."""
    headers = {"Authorization": f"Bearer {_token(ctx)}"}
    tried = []
    with TestClient(app, raise_server_exceptions=False) as client:
        for route in (r for router in all_routers() for r in router.routes):
            path = getattr(route, "path", "")
            if not path.startswith("/api/v1") or "{" not in path:
                continue
            url = re.sub(r"\{[^}]+\}", HUGE, path)
            for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
                answer = client.request(method, url, headers=headers, json={})
                tried.append((method, path))
                assert 400 <= answer.status_code < 500, (method, path, answer.status_code, answer.text[:200])
    assert len(tried) >= 10


def test_the_safety_net_answers_422_for_a_number_no_route_bounds(app, users):
    """A route that passes a huge integer to SQLite anyway gets 422 number_too_large, not 500."""
    from xiaodian.web.deps import db

    @app.get("/api/v1/_qa11_overflow")
    def overflow(session=pytest.importorskip("fastapi").Depends(db)):
        from sqlalchemy import text

        session.execute(text("SELECT :n"), {"n": int(HUGE)})

    with TestClient(app, raise_server_exceptions=False) as client:
        login(client, "owner")
        answer = client.get("/api/v1/_qa11_overflow", headers={"accept": "application/json"})
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "number_too_large"
