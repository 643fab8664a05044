"""Hostile search strings through the real API and page: escaped, exact, never a 500."""

from __future__ import annotations

import pytest

from xiaodian.db import transaction
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW
from ..factories import make_record

HOSTILE = ['"a" OR b*', "NEAR(五常 大米)", "米*", "uni:米", "%", "_", "\\", "米\x00", "米" * 100, "'; DROP TABLE orders; --",
           "{bi}:大米", "(", '"', "\u200b", "🍚 大米"]


@pytest.fixture
def seeded(ctx, shop_id):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(order_id="6938459704022656025", product="【官方旗舰】五常大米 稻花香2号 10斤"),
            make_record(order_id="6938459704022656026", product="iPhone 15 手机壳 磁吸")])


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_query_is_answered_not_a_500(owner_client, seeded, query):
    listing = owner_client.get("/api/v1/orders", params={"q": query})
    assert listing.status_code == 200, listing.text
    counts = owner_client.get("/api/v1/orders/counts", params={"q": query})
    assert counts.status_code == 200
    assert counts.json()["counts"]["all"] == listing.json()["total"]
    page = owner_client.get("/orders", params={"q": query})
    assert page.status_code == 200


@pytest.mark.parametrize(("query", "ids"), [
    ("米", {"6938459704022656025"}), ("iPhone 15 壳", {"6938459704022656026"}), ("ＩＰＨＯＮＥ", {"6938459704022656026"}),
    ("【官方旗舰】", {"6938459704022656025"}), ("旗舰】五", {"6938459704022656025"}), ("舰旗", set()), ("】 五常大米 稻花香2号 10斤", {"6938459704022656025"}), ("15 米", set()),
])
def test_api_search_is_cjk_aware_and_exact(owner_client, seeded, query, ids):
    listing = owner_client.get("/api/v1/orders", params={"q": query}).json()
    assert {o["order_id"] for o in listing["orders"]} == ids and listing["total"] == len(ids)


def test_an_over_long_query_is_a_clear_4xx_not_a_500(owner_client, seeded):
    response = owner_client.get("/api/v1/orders", params={"q": "米" * 5000})
    assert 400 <= response.status_code < 500
    assert response.json()["error"]["code"]
