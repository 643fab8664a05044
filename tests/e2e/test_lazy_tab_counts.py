"""A product-text search over a large desk sends its list first and its tab counts after: the page carries the
current tab's total and a counts URL its script fetches (orders.pages.LAZY_COUNTS_ABOVE). Smaller desks, and every
search that is not product text, get their counts in the page as before."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from xiaodian.db import transaction
from xiaodian.orders import pages
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..factories import make_record


def _shop(ctx, shop_id):
    records = [make_record(f"69384597040290{i:05d}", product="五常大米 5kg" if i % 3 else "东北小米 1kg",
                           status=OrderStatus.COMPLETED if i % 2 else OrderStatus.AWAITING_SHIPMENT) for i in range(12)]
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=records, cipher=ctx.cipher, now=records[0].created_at)


def _counts_in(html: str) -> dict[str, str]:
    nav = html.split('<nav class="tabs"', 1)[1].split("</nav>", 1)[0]
    return dict(re.findall(r'data-tab="(\w+)">[^<]*<span class="count">([^<]*)</span>', nav))


def test_a_text_search_over_a_large_desk_defers_its_counts_and_the_api_gives_the_same(ctx, shop_id, owner_client,
                                                                                      monkeypatch):
    _shop(ctx, shop_id)
    in_page = owner_client.get("/orders", params={"q": "五常", "tab": "completed"}).text
    assert "data-counts-url" not in in_page
    expected = _counts_in(in_page)
    assert expected["all"] == "8" and expected["completed"] == "4"
    monkeypatch.setattr(pages, "LAZY_COUNTS_ABOVE", 5)  # this desk's 12 orders count as large
    html = owner_client.get("/orders", params={"q": "五常", "tab": "completed"}).text
    deferred = _counts_in(html)
    assert deferred == {**{tab: "" for tab in expected}, "completed": "4"}  # the current tab's total only
    url = re.search(r'data-counts-url="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert urlsplit(url).path == "/api/v1/orders/counts" and parse_qs(urlsplit(url).query) == {"q": ["五常"]}
    fetched = owner_client.get(url).json()["counts"]
    assert {tab: f"{n:,}" for tab, n in fetched.items()} == expected
    # not product text: an order id is counted in the page whatever the desk's size
    assert "data-counts-url" not in owner_client.get("/orders", params={"q": "6938459704029000001"}).text
