"""Reads that can scan many orders (a product-text search: its tab counts walk every match, ~240 ms for 米 at a
million orders on a fast core) leave the event loop, so one person's search does not stall everyone else's pages on
that web process; short reads stay on the loop (web.deps.read_db says why)."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
import time

import httpx
import pytest

from xiaodian.db import transaction
from xiaodian.orders import search_index
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, PASSWORD
from ..factories import make_record

SEARCHES = ["/orders?q=%E7%B1%B3", "/api/v1/orders?q=%E7%B1%B3", "/api/v1/orders/counts?q=%E7%B1%B3",
            "/shipping?view=to_ship&q=%E7%B1%B3", "/api/v1/orders?q=SF1234567890123"]


async def _log_in(client: httpx.AsyncClient) -> None:
    page = await client.get("/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    done = await client.post("/login", data={"login": "cs", "password": PASSWORD, "csrf_token": token,
                                             "next": "/orders"})
    assert done.status_code == 303


def _finishing_order(app, search: str, other: str) -> list[str]:
    """Start ``search`` (held inside its text match for 1 s, as a long scan would be), and once it is held, ask for
    ``other``: the labels in the order their responses came back."""
    async def scenario() -> list[str]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://desk") as client:
            await _log_in(client)
            finished: list[str] = []

            async def get(url: str, label: str) -> None:
                response = await client.get(url)
                assert response.status_code == 200, (url, response.text[:300])
                finished.append(label)

            slow = asyncio.create_task(get(search, "search"))
            deadline = time.monotonic() + 20
            while not HELD.is_set():
                assert time.monotonic() < deadline, "the search never reached the text index"
                await asyncio.sleep(0.01)
            await get(other, "other")
            await slow
            return finished

    # A thread of its own: a worker that ran the browser tests has Playwright's loop running on this one.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, scenario()).result()


HELD = threading.Event()


@pytest.fixture
def backend():
    """What runs where is the web layer's, the same on both databases: SQLite only."""
    return "sqlite"


@pytest.fixture
def held_text_match(monkeypatch):
    real = search_index.text_match

    def held(*args, **kwargs):
        if not HELD.is_set():
            HELD.set()
            time.sleep(1.0)  # a long scan, as the database would hold the thread
        return real(*args, **kwargs)

    HELD.clear()
    monkeypatch.setattr(search_index, "text_match", held)
    yield
    HELD.clear()


@pytest.mark.parametrize("search", SEARCHES)
def test_a_product_text_search_leaves_the_loop_to_other_requests(app, users, ctx, shop_id, held_text_match, search):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(order_id="6938459704022656025", product="五常大米 5kg")])
    assert _finishing_order(app, search, "/api/v1/orders/6938459704022656025") == ["other", "search"]


def test_a_short_read_stays_on_the_loop(app, users, ctx, shop_id, held_text_match, monkeypatch):
    """The check above can tell: an order-id search held the same way keeps the loop, and the other request waits."""
    from xiaodian.orders import listing

    real = listing.list_data

    def held_list(*args, **kwargs):
        if not HELD.is_set():
            HELD.set()
            time.sleep(1.0)
        return real(*args, **kwargs)

    monkeypatch.setattr(listing, "list_data", held_list)
    assert _finishing_order(app, "/api/v1/orders?q=6938459704022656025", "/api/v1/orders/counts") == [
        "search", "other"]


def test_work_moved_off_the_loop_still_speaks_the_callers_language(owner_client, ctx, shop_id):
    """The language is a context variable: the worker thread must see the request's."""
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(order_id="6938459704022656025", product="五常大米 5kg")])
    owner_client.cookies.set("lang", "en")
    html = owner_client.get("/orders", params={"q": "米", "page": "7"}).text
    assert "Page 7 is past the end of this list; its last page, 1, is shown." in html
    owner_client.cookies.set("lang", "zh")
    assert "第 7 页超出了列表范围，已显示最后一页（第 1 页）。" in owner_client.get("/orders", params={"q": "米", "page": "7"}).text
