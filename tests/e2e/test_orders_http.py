"""Orders through HTTP: login required, list, counts, detail, note editing, the error shape."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from xiaodian.db import transaction
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, csrf_of
from ..factories import make_record

pytestmark = pytest.mark.both_backends


def _seed(ctx, shop_id, records):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=records, cipher=ctx.cipher, now=NOW)


def test_api_without_login_is_401_json(app):
    with TestClient(app) as client:
        response = client.get("/api/v1/orders")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_page_without_login_redirects_to_login(app):
    with TestClient(app) as client:
        response = client.get("/orders?tab=shipped", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Forders%3Ftab%3Dshipped"


def test_owner_lists_orders_and_reads_one(owner_client, ctx, shop_id):
    _seed(ctx, shop_id, [make_record(order_id="6938459704022656025"),
                         make_record(order_id="6938459704022656026", product="有机黄小米 2袋装")])
    listing = owner_client.get("/api/v1/orders", params={"q": "小米"}).json()
    assert listing["total"] == 1
    assert listing["orders"][0]["order_id"] == "6938459704022656026"
    counts = owner_client.get("/api/v1/orders/counts").json()["counts"]
    assert counts["all"] == 2 and counts["awaiting_shipment"] == 2
    one = owner_client.get("/api/v1/orders/6938459704022656025").json()
    assert one["buyer"]["phone_masked"] == "138****5678"
    assert one["items"][0]["unit_price_fen"] == 8990
    page = owner_client.get("/orders/6938459704022656025")
    assert page.status_code == 200 and "138****5678" in page.text and "13812345678" not in page.text


def test_unknown_order_is_404_json(owner_client):
    response = owner_client.get("/api/v1/orders/1234567890123456789")
    assert response.status_code == 404
    assert set(response.json()["error"]) == {"code", "message", "details"}


def test_note_form_needs_csrf_and_stores_hostile_text_verbatim(owner_client, ctx, shop_id):
    _seed(ctx, shop_id, [make_record()])
    hostile = "<script>alert(1)</script>'; DROP TABLE orders; --"
    refused = owner_client.post("/orders/6938459704022656025/note", data={"merchant_note": hostile, "flag_colour": "6"})
    assert refused.status_code == 403
    token = csrf_of(owner_client)
    saved = owner_client.post("/orders/6938459704022656025/note",
                              data={"merchant_note": hostile, "flag_colour": "6", "csrf_token": token})
    assert saved.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in saved.text and "<script>alert(1)" not in saved.text
    assert owner_client.get("/api/v1/orders/6938459704022656025").json()["merchant_note"] == hostile


def test_a_bearer_token_is_refused_at_once_when_revoked_or_its_user_disabled(app, users, ctx, shop_id):
    """The API's token lookup reads plain columns between the coarse last-used writes: a revoked token or a
    disabled user is still refused on the very next call (the clock does not move in this test)."""
    from sqlalchemy import update

    from xiaodian.accounts import service as accounts
    from xiaodian.accounts.models import User

    with transaction(ctx.sessions) as session:
        owner = accounts.require_user(session, "owner")
        (row, secret), (_row2, other) = (accounts.create_token(session, owner, "a", NOW),
                                         accounts.create_token(session, accounts.require_user(session, "cs"), "b", NOW))
    with TestClient(app) as client:
        for token in (secret, other):  # first use records last_used_at; the second one takes the lean path
            for _ in range(2):
                assert client.get("/api/v1/orders", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        with transaction(ctx.sessions) as session:
            accounts.revoke_token(session, row.id, NOW)
            session.execute(update(User).where(User.login == "cs").values(disabled_at=NOW))
        for token in (secret, other):
            refused = client.get("/api/v1/orders", headers={"Authorization": f"Bearer {token}"})
            assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_token"
        assert client.get("/api/v1/orders", headers={"Authorization": "Bearer xdt_nonsense"}).status_code == 401


def test_a_token_use_is_recorded_apart_and_never_holds_a_read_up(app, users, ctx, shop_id):
    """The coarse last-used write runs in a transaction of its own with a short lock wait: recorded when the
    database is free; when another writer holds the lock (an import's batch), the API call still answers at once
    and the use is recorded by a later call."""
    import time

    from sqlalchemy import select, text

    from xiaodian.accounts import service as accounts
    from xiaodian.accounts.models import ApiToken

    with transaction(ctx.sessions) as session:
        row, secret = accounts.create_token(session, accounts.require_user(session, "owner"), "a", NOW)
    headers = {"Authorization": f"Bearer {secret}"}

    def last_used():
        with transaction(ctx.sessions) as session:
            return session.execute(select(ApiToken.last_used_at).where(ApiToken.id == row.id)).scalar_one()

    with TestClient(app) as client:
        with ctx.engine.connect() as holder:  # another writer holds the lock on the token's row
            if holder.dialect.name == "sqlite":
                holder.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                holder.execute(text("SELECT id FROM api_tokens WHERE id = :id FOR UPDATE"), {"id": row.id})
            started = time.monotonic()
            assert client.get("/api/v1/orders", headers=headers).status_code == 200
            assert time.monotonic() - started < 3  # not the 10 s busy timeout
            holder.rollback()
        assert last_used() is None
        assert client.get("/api/v1/orders", headers=headers).status_code == 200
        assert last_used() == NOW


def test_the_api_honours_any_page_size_it_accepts(owner_client, ctx, shop_id):
    """page_size=3 once came back as 50 orders with page_size 50: a caller paging by 3 skipped 47 orders a page."""
    from datetime import timedelta

    _seed(ctx, shop_id, [make_record(order_id=f"69384597040226560{n:02d}", created_at=NOW - timedelta(hours=n))
                         for n in range(10)])
    first = owner_client.get("/api/v1/orders", params={"page_size": 3}).json()
    second = owner_client.get("/api/v1/orders", params={"page_size": 3, "page": 2}).json()
    assert (first["total"], first["page_size"], len(first["orders"])) == (10, 3, 3)
    assert [o["order_id"] for o in first["orders"] + second["orders"]] == [
        f"69384597040226560{n:02d}" for n in range(6)]
    assert owner_client.get("/api/v1/orders", params={"page_size": 201}).status_code == 422
