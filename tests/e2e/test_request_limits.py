"""The web process under more concurrent requests than it has threads and database connections: everyone is
answered, promptly (web.app: AdmissionLimit and the thread limit set in the lifespan)."""

from __future__ import annotations

import pytest
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from xiaodian.accounts import service as accounts
from xiaodian.bootstrap import open_context
from xiaodian.db import pool_capacity, transaction

from ..browser.conftest import _free_port
from ..conftest import NOW, FixedClock, make_settings

pytestmark = pytest.mark.both_backends


ROUNDS = 5


def _serve(app):
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on",
                                           access_log=False))
    thread = threading.Thread(target=server.run, name="limits-desk", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}"


def test_more_requests_than_threads_and_connections_are_all_answered(database_url, tmp_path):
    """Two request threads and a pool of C connections, 2 C clients at once, each asking five times. Before
    the admission limit the threads were all taken by requests waiting for a connection while the connections'
    requests waited for a thread: nothing moved until the pool's 30 s timeout, then 500s."""
    from xiaodian.web.app import create_app

    ctx = open_context(make_settings(database_url, tmp_path / "data", web_threads=2), clock=FixedClock(NOW))
    try:
        with transaction(ctx.sessions) as session:
            owner = accounts.add_user(session, login="owner", password="Long-enough-passw0rd", role="owner", now=NOW)
            _row, secret = accounts.create_token(session, owner, "load", NOW)
        clients = pool_capacity(ctx.engine) * 2
        server, thread, base = _serve(create_app(ctx))
        try:
            start = threading.Barrier(clients)

            def lists(_):
                with httpx.Client(base_url=base, timeout=25, headers={"Authorization": f"Bearer {secret}"}) as c:
                    start.wait()
                    # a route whose session and handler run in worker threads (the order list now reads on the
                    # event loop, web.deps.read_db, and could not starve this way)
                    return [c.get("/api/v1/shipping/reminders").status_code for _ in range(ROUNDS)]

            started = time.monotonic()
            with ThreadPoolExecutor(clients) as pool:
                statuses = [s for batch in pool.map(lists, range(clients)) for s in batch]
            took = time.monotonic() - started
        finally:
            server.should_exit = True
            thread.join(timeout=10)
        assert statuses == [200] * (ROUNDS * clients)
        assert took < 15, f"{ROUNDS * clients} requests took {took:.1f} s"
    finally:
        ctx.engine.dispose()
