"""Request bodies are bounded by what each kind of route takes (web.body_limits), and an anonymous caller gets the
401 before anything of their body is judged (QA D4, D7). Before, three anonymous 200 MB POSTs to the Douyin push
hook took the server from 150 MB to 1.43 GB, and a malformed JSON body answered 422 "1: JSON decode error" to a
caller who had not signed in."""

from __future__ import annotations

from fastapi.testclient import TestClient

from xiaodian.accounts import service as accounts
from xiaodian.db import transaction
from xiaodian.web import body_limits

from ..conftest import NOW


def _token(ctx, login: str = "owner") -> str:
    with transaction(ctx.sessions) as session:
        _row, secret = accounts.create_token(session, accounts.require_user(session, login), "limits", NOW)
    return secret


def test_a_push_larger_than_a_push_can_be_is_refused_unread(app, users):
    body = b"[" + b" " * (body_limits.PUSH + 10) + b"]"
    with TestClient(app) as client:
        for hook in ("/hooks/douyin", "/hooks/kuaidi100"):
            answer = client.post(hook, content=body, headers={"app-id": "x", "content-type": "application/json"})
            assert answer.status_code == 413, (hook, answer.status_code, answer.text[:200])
        small = client.post("/hooks/douyin", content=b"[]", headers={"app-id": "x", "event-sign": "0"})
        assert small.status_code != 413  # refused for its signature, not its size


def test_a_json_body_past_the_default_bound_is_refused_signed_in_or_not(app, users, ctx):
    body = b'{"order_ids": [], "merchant_note": "' + b"a" * body_limits.DEFAULT + b'"}'
    with TestClient(app) as client:
        headers = {"content-type": "application/json"}
        assert client.post("/api/v1/orders/notes", content=body, headers=headers).status_code == 413
        headers["Authorization"] = f"Bearer {_token(ctx)}"
        assert client.post("/api/v1/orders/notes", content=body, headers=headers).status_code == 413


def test_a_file_route_still_takes_a_file_past_the_default_bound(app, users, ctx):
    """Export files are large: the import routes keep the upload store's own bound, not the JSON one."""
    junk = b"\x00\x01binary" * (body_limits.DEFAULT // 8 + 1000)
    assert len(junk) > body_limits.DEFAULT
    with TestClient(app) as client:
        answer = client.post("/api/v1/imports/orders", headers={"Authorization": f"Bearer {_token(ctx)}"},
                             files={"file": ("big.csv", junk, "text/csv")}, data={"dry_run": "true"})
    assert answer.status_code == 422 and answer.json()["error"]["code"] != "validation_failed", answer.text[:300]


def test_malformed_json_from_someone_not_signed_in_is_a_401(app, users, ctx):
    with TestClient(app) as client:
        anonymous = client.post("/api/v1/orders/notes", content=b"{bad", headers={"content-type": "application/json"})
        assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "unauthenticated"
        forged = client.post("/api/v1/orders/notes", content=b"[", headers={"content-type": "application/json",
                                                                            "Authorization": "Bearer xdt_nonsense"})
        assert forged.status_code == 401 and forged.json()["error"]["code"] == "invalid_token"
        signed_in = client.post("/api/v1/orders/notes", content=b"{bad", headers={
            "content-type": "application/json", "Authorization": f"Bearer {_token(ctx)}"})
    assert signed_in.status_code == 422
    fields = signed_in.json()["error"]["details"]["fields"]
    assert [f["field"] for f in fields] == ["body"] and "not valid JSON" in fields[0]["message"]


def test_the_api_answers_a_body_too_large_in_its_json_error_shape(app, users):
    with TestClient(app) as client:
        answer = client.post("/api/v1/orders/notes", content=b"x" * (body_limits.DEFAULT + 1),
                             headers={"content-type": "application/json"})
    assert answer.status_code == 413 and answer.headers["content-type"] == "application/json"
    assert answer.json()["error"]["code"] == "body_too_large"
