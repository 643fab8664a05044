"""Orders through HTTP: login required, list, counts, detail, note editing, the error shape."""

from __future__ import annotations

from fastapi.testclient import TestClient

from xiaodian.db import transaction
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, csrf_of
from ..factories import make_record


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
