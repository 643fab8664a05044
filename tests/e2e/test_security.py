"""Web security: CSRF, session cookies, expiry, logout everywhere, login throttling, headers, error hygiene."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from xiaodian.db import transaction
from xiaodian.orders.intake import upsert_orders
from xiaodian.web.deps import SESSION_COOKIE

from ..conftest import NOW, PASSWORD, csrf_of, login
from ..factories import make_record

pytestmark = [pytest.mark.usefixtures("users"), pytest.mark.both_backends]

INJECTIONS = [
    "'; DROP TABLE orders; --",
    "<img src=x onerror=alert(1)>",
    "\"><script>alert('x')</script>",
    "../../../../etc/passwd",
    "%00%27%22\\\\",
    "A" * 400,
    "控制\u0007字符\u200b混合 mixed Ελληνικά العربية",
    "{{7*7}} ${7*7} #{7*7}",
]


def _seed(ctx, shop_id, **kw):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=[make_record(**kw)], cipher=ctx.cipher, now=NOW)


def _attempt(client, password):
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    return client.post("/login", data={"login": "cs", "password": password, "csrf_token": token},
                       follow_redirects=False)


def test_login_form_without_its_csrf_token_is_refused(app):
    with TestClient(app) as client:
        response = client.post("/login", data={"login": "owner", "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 400 and SESSION_COOKIE not in response.cookies


def test_cookie_authenticated_api_write_needs_the_csrf_header_but_bearer_does_not(owner_client, ctx, shop_id):
    _seed(ctx, shop_id)
    url = "/api/v1/orders/6938459704022656025/note"
    refused = owner_client.patch(url, json={"merchant_note": "x"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
    ok = owner_client.patch(url, json={"merchant_note": "x"}, headers={"x-csrf-token": csrf_of(owner_client)})
    assert ok.status_code == 200
    token = owner_client.post("/api/v1/tokens", json={"name": "t"},
                              headers={"x-csrf-token": csrf_of(owner_client)}).json()["token"]
    with TestClient(owner_client.app) as bare:
        via_bearer = bare.patch(url, json={"merchant_note": "y"}, headers={"authorization": f"Bearer {token}"})
    assert via_bearer.status_code == 200


def test_tampered_session_cookie_is_refused(app):
    with TestClient(app) as client:
        login(client, "owner")
        value = client.cookies.get(SESSION_COOKIE)
        client.cookies.set(SESSION_COOKIE, value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1])
        assert client.get("/orders", follow_redirects=False).status_code == 303
        assert client.get("/api/v1/orders").status_code == 401


def test_session_expires_after_the_configured_hours(app, ctx):
    with TestClient(app) as client:
        login(client, "owner")
        assert client.get("/api/v1/orders").status_code == 200
        ctx.clock.advance(timedelta(hours=ctx.settings.session_hours, seconds=1))
        assert client.get("/api/v1/orders").status_code == 401


def test_logout_everywhere_ends_other_sessions_of_that_user(app):
    with TestClient(app) as phone, TestClient(app) as laptop:
        login(phone, "owner")
        login(laptop, "owner")
        laptop.post("/logout/everywhere", headers={"x-csrf-token": csrf_of(laptop)})
        assert phone.get("/api/v1/orders").status_code == 401


def test_brute_force_is_throttled_and_the_right_password_waits_for_the_lockout(app, ctx):
    limit = ctx.settings.login_max_failures
    with TestClient(app) as client:
        for _ in range(limit):
            assert _attempt(client, "wrong-password-1").status_code == 401
        assert _attempt(client, "wrong-password-1").status_code == 429
        locked = _attempt(client, PASSWORD)
        assert locked.status_code == 429 and SESSION_COOKIE not in locked.cookies
        ctx.clock.advance(timedelta(seconds=ctx.settings.login_lockout_seconds + 1))
        assert _attempt(client, PASSWORD).status_code == 303


def test_security_headers_and_cookie_flags(app):
    with TestClient(app, base_url="https://desk.example") as client:
        login_page = client.get("/login")
        login(client, "owner")
        page = client.get("/orders")
        api = client.get("/api/v1/orders")
    for response in (login_page, page, api):
        assert "default-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"
        assert "max-age" in response.headers["strict-transport-security"]
    with TestClient(app, base_url="https://desk.example") as client:
        token = client.get("/login").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        response = client.post("/login", data={"login": "owner", "password": PASSWORD, "csrf_token": token},
                               follow_redirects=False)
    cookie = [h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE)][0].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie


def test_session_cookie_is_not_secure_over_plain_http_on_localhost(app):
    with TestClient(app) as client:
        token = client.get("/login").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        response = client.post("/login", data={"login": "owner", "password": PASSWORD, "csrf_token": token},
                               follow_redirects=False)
    cookie = [h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE)][0].lower()
    assert "secure" not in cookie and "httponly" in cookie


def test_an_unexpected_error_shows_no_traceback_or_sql(app, users, caplog):
    def boom():
        raise RuntimeError("SELECT secret FROM orders WHERE phone='13812345678'")

    app.add_api_route("/api/v1/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        login(client, "owner")
        response = client.get("/api/v1/boom")
    assert response.status_code == 500
    body = response.text
    assert response.json()["error"]["code"] == "internal_error"
    assert "Traceback" not in body and "SELECT" not in body and "13812345678" not in body


@pytest.mark.parametrize("hostile", INJECTIONS)
def test_hostile_text_in_search_notes_and_login_is_stored_and_shown_verbatim(owner_client, ctx, shop_id, hostile):
    _seed(ctx, shop_id)
    search = owner_client.get("/orders", params={"q": hostile})
    assert search.status_code == 200 and "<script>alert('x')" not in search.text and "onerror=alert" not in \
        search.text.replace("onerror=alert(1)&gt;", "")
    assert owner_client.get("/api/v1/orders", params={"q": hostile[:100]}).status_code == 200
    csrf = csrf_of(owner_client)
    saved = owner_client.patch("/api/v1/orders/6938459704022656025/note", json={"merchant_note": hostile},
                               headers={"x-csrf-token": csrf})
    assert saved.status_code == 200 and saved.json()["merchant_note"] == hostile
    detail = owner_client.get("/orders/6938459704022656025")
    assert "<script>alert('x')</script>" not in detail.text and "<img src=x" not in detail.text
    with TestClient(owner_client.app) as anonymous:
        token = anonymous.get("/login").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        refused = anonymous.post("/login", data={"login": hostile, "password": hostile, "csrf_token": token})
    assert refused.status_code == 401 and "<script>alert('x')</script>" not in refused.text


def test_buyer_phone_never_appears_in_plaintext_in_db_logs_or_errors(owner_client, ctx, shop_id, caplog, tmp_path):
    phones = ["13812345678", "15011112203", "17733334404"]
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(order_id=f"693845970402265602{i}", phone=p, buyer_name=f"测试买家{i}") for i, p in enumerate(phones)
        ])
    caplog.set_level(logging.DEBUG)
    for phone in phones:
        found = owner_client.get("/api/v1/orders", params={"q": phone}).json()
        assert found["total"] == 1 and phone not in str(found)
        html = owner_client.get("/orders", params={"q": phone}).text
        # The typed query is echoed in the search box and in the tab/paging links; nothing else may show it.
        shown = re.sub(r'(href|value)="[^"]*"|<q>[^<]*</q>', "", html)
        assert phone[:3] + "****" + phone[-4:] in shown and phone not in shown
    missing = owner_client.get("/api/v1/orders/6938459704022656099")
    assert all(p not in missing.text for p in phones)
    server_logs = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert "GET /orders" in server_logs  # the desk's access log ran, with the query left out
    assert all(p not in server_logs for p in phones)
    if ctx.settings.is_sqlite:
        ctx.engine.dispose()
        path = ctx.settings.database_url.split(":///", 1)[1]
        import glob

        raw = b"".join(open(f, "rb").read() for f in glob.glob(path + "*"))
        assert all(p.encode() not in raw for p in phones)
        assert "测试买家".encode() not in raw
    else:
        from sqlalchemy import text

        with ctx.engine.connect() as conn:
            dump = str(conn.execute(text("SELECT * FROM orders")).all())
        assert all(p not in dump for p in phones)


def test_a_nul_character_is_refused_with_422_on_every_backend_and_nothing_changes(owner_client, ctx, shop_id):
    """PostgreSQL cannot store NUL in text; the desk answers 422 instead of a 500, on either backend the
    note is either stored verbatim (SQLite) or refused whole (PostgreSQL) — never half-written."""
    _seed(ctx, shop_id)
    url = "/api/v1/orders/6938459704022656025/note"
    response = owner_client.patch(url, json={"merchant_note": "a\u0000b"}, headers={"x-csrf-token": csrf_of(owner_client)})
    assert response.status_code in (200, 422), response.text
    note = owner_client.get("/api/v1/orders/6938459704022656025").json()["merchant_note"]
    if response.status_code == 422:
        assert response.json()["error"]["code"] == "unstorable_value" and note is None
    else:
        assert note == "a\u0000b"
