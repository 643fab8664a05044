"""Requests that wait for the same lock never hang the web process (QA pass 12): with its few request threads all
taken by requests waiting for a lock (PostgreSQL advisory locks, db.hold_locks), the request holding it could not
commit, because its transaction ended in the database dependency's teardown, which needed a thread of its own.
Nothing moved again: the lock waits have no timeout. Eight shipments racing for one tracking number on a web
process of two threads: one ships, the others are told the number is taken, all within seconds."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest

from xiaodian.accounts import service as accounts
from xiaodian.bootstrap import default_shop_id, open_context
from xiaodian.db import transaction
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, FixedClock, make_settings
from ..factories import make_record
from .test_request_limits import _serve

pytestmark = pytest.mark.both_backends

RACERS = 10
ORDERS = [f"69384597040231{k:05d}" for k in range(RACERS)]


def _race(database_url, tmp_path, request) -> tuple[list[tuple[int, str | None]], float]:
    """RACERS clients at once against a web process of two request threads, each sending ``request(client, k)``;
    their (status, error code) and how long the burst took."""
    from xiaodian.web.app import create_app

    ctx = open_context(make_settings(database_url, tmp_path / "data", web_threads=2), clock=FixedClock(NOW))
    try:
        with transaction(ctx.sessions) as session:
            owner = accounts.add_user(session, login="owner", password="Long-enough-passw0rd", role="owner", now=NOW)
            _row, secret = accounts.create_token(session, owner, "race", NOW)
            upsert_orders(session, shop_id=default_shop_id(ctx), cipher=ctx.cipher, now=NOW, records=[
                make_record(order_id=o, created_at=NOW - timedelta(hours=5)) for o in ORDERS])
        server, thread, base = _serve(create_app(ctx))
        try:
            start = threading.Barrier(RACERS)

            def one(k):
                with httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {secret}"}) as c:
                    start.wait()
                    answer = request(c, k)
                    return answer.status_code, answer.json().get("error", {}).get("code")

            started = time.monotonic()
            with ThreadPoolExecutor(RACERS) as pool:
                answers = list(pool.map(one, range(RACERS)))
            took = time.monotonic() - started
            with httpx.Client(base_url=base, timeout=5) as c:  # and the desk still answers
                assert c.get("/login").status_code == 200
        finally:
            server.should_exit = True
            thread.join(timeout=10)
        return answers, took
    finally:
        ctx.engine.dispose()


def test_shipments_racing_for_one_tracking_number_are_all_answered(database_url, tmp_path):
    answers, took = _race(database_url, tmp_path, lambda c, k: c.post(
        f"/api/v1/orders/{ORDERS[k]}/shipments", json={"carrier": "zhongtong", "tracking_no": "73100000031999"}))
    assert [status for status, _code in answers].count(201) == 1, answers
    assert all(code == "tracking_in_use" for status, code in answers if status != 201), answers
    assert took < 15, f"{RACERS} shipments took {took:.1f} s"


def test_note_edits_racing_on_one_order_are_all_answered(database_url, tmp_path):
    """The order's row lock (orders.service._locked_orders) rather than an advisory lock: the same starvation."""
    answers, took = _race(database_url, tmp_path, lambda c, k: c.patch(
        f"/api/v1/orders/{ORDERS[0]}/note", json={"merchant_note": f"note {k}", "expected_merchant_note": ""}))
    assert [status for status, _code in answers].count(200) == 1, answers
    assert all(code == "concurrent_change" for status, code in answers if status != 200), answers
    assert took < 15, f"{RACERS} note edits took {took:.1f} s"
