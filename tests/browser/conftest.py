"""A live desk (uvicorn in a thread, SQLite) and Debian's Chromium driven by Playwright.

Playwright never downloads a browser here: it launches /usr/bin/chromium. Failing tests leave a screenshot
and the page's HTML in test-artifacts/.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from urllib.parse import urlsplit
from pathlib import Path

import pytest

from ..conftest import PASSWORD, REPO, make_settings
from . import shop

CHROMIUM = os.environ.get("XIAODIAN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTIFACTS = REPO / "test-artifacts"
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 375, "height": 812}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def new_desk(sqlite_template, folder: Path):
    """A migrated SQLite desk in ``folder`` with one user per role (login = role name), on the fixed clock."""
    from xiaodian.accounts import service as accounts
    from xiaodian.bootstrap import open_context
    from xiaodian.clock import FixedClock
    from xiaodian.db import transaction

    from ..conftest import NOW

    db_file = folder / "desk.db"
    shutil.copy(sqlite_template, db_file)
    ctx = open_context(make_settings(f"sqlite:///{db_file}", folder / "data"), clock=FixedClock(NOW))
    with transaction(ctx.sessions) as session:
        for role in accounts.ROLES:
            accounts.add_user(session, login=role, password=PASSWORD, role=role, now=NOW)
    return ctx


def serve_desk(ctx):
    """Serve ``ctx`` with uvicorn in a thread on a free port. A generator: yields the base URL, stops the
    server and closes the database when closed."""
    import uvicorn

    from xiaodian.web.app import create_app

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(ctx), host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off", access_log=False))
    thread = threading.Thread(target=server.run, name="live-desk", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        ctx.engine.dispose()


def start_desk(sqlite_template, folder: Path, seed: bool = True):
    """new_desk (with the known shop from shop.py when ``seed``), served: yields the base URL."""
    from xiaodian.bootstrap import default_shop_id

    ctx = new_desk(sqlite_template, folder)
    if seed:
        shop.seed(ctx, default_shop_id(ctx))
    yield from serve_desk(ctx)


def desk_with_context(sqlite_template, folder: Path, seed: bool = True, background: bool = False):
    """new_desk, served, for tests that reach into the desk itself: yields (base URL, ctx). ``background``: with the
    background jobs running in threads, as in ``xiaodian serve``; without them a test runs a worker's turn itself,
    when it chooses (a job then waits until it does)."""
    from xiaodian.bootstrap import default_shop_id
    from xiaodian.worker import start_background

    ctx = new_desk(sqlite_template, folder)
    if seed:
        shop.seed(ctx, default_shop_id(ctx))
    served = serve_desk(ctx)
    url = next(served)
    stop = start_background(ctx) if background else None
    yield url, ctx
    if stop is not None:
        stop.set()
    served.close()


@pytest.fixture(scope="session")
def live_server(sqlite_template, tmp_path_factory):
    """The desk on a free port with the known shop from shop.py; tests must not change what others count."""
    yield from start_desk(sqlite_template, tmp_path_factory.mktemp("live"))


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is required in CI but {CHROMIUM} does not exist")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _safe_name(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("::", 1)[-1])[:120]


def _open_page(request, browser, live_server, viewport):
    context = browser.new_context(base_url=live_server, viewport=viewport, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Script errors and CSP refusals (an inline script or style slipped in) are collected; a 401 page after a
    # wrong password is not an error, a missing stylesheet or script is.
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if "/static/" in r.url and r.status >= 400 else None)
    page.js_errors = errors
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = _safe_name(request.node.nodeid)
        try:
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            (ARTIFACTS / f"{name}.html").write_text(page.content(), encoding="utf-8")
        except Exception:  # the page may be gone; the test's own error matters more
            pass
    context.close()


@pytest.fixture
def page(request, browser, live_server):
    """A fresh browser context (no cookies) at 1366×768, the laptop size merchants use."""
    yield from _open_page(request, browser, live_server, DESKTOP)


@pytest.fixture
def phone_page(request, browser, live_server):
    yield from _open_page(request, browser, live_server, PHONE)


def log_in(page, login: str = "owner", password: str = PASSWORD, path: str = "/orders") -> None:
    """Through the real form, the way a person does it.

    If the browser bounces back to the login page without an error, the new session was not committed yet
    when the redirect was followed (see test_login_race.py, which fails while that is so); this helper
    then opens the page again so that the other tests test their own subject.
    """
    page.goto(path)
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    if password == PASSWORD and urlsplit(page.url).path == "/login":
        alert = page.locator(".alert").all_inner_texts()
        if alert:
            raise AssertionError(f"login as {login} failed: {alert}")
        page.wait_for_timeout(300)
        page.goto(path)
        if urlsplit(page.url).path == "/login":
            raise AssertionError(f"login as {login} did not start a session ({page.url})")


def phone_cards(page, rows_selector: str, minimum: int = 2) -> list:
    """The rows of a list shown as cards on a phone, each checked to lie within the screen with every cell of it
    (a cell beyond the right edge is what a squeezed table looked like); returns them for the caller's own checks."""
    rows = page.locator(rows_selector)
    assert rows.count() >= minimum, rows.count()
    width = page.viewport_size["width"]
    found = []
    for i in range(rows.count()):
        row = rows.nth(i)
        box = row.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, box
        for cell in range(row.locator("td").count()):
            part = row.locator("td").nth(cell).bounding_box()
            assert part is None or part["x"] + part["width"] <= width + 1, (cell, part)
        found.append(row)
    return found
