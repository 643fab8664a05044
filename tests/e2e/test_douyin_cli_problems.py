"""``xiaodian sync douyin`` / ``shop connect`` as scripts use them when things go wrong (QA pass 2), against the
local fake Open Platform: a malformed platform order is reported by field in the JSON (exit 1, no traceback) and
the rest is synced."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta

import pytest

from ..conftest import NOW, TEST_KEYS
from ..fakes.douyin import APP_KEY, APP_SECRET, SHOP_ID, FakeDouyin, platform_order

CLI = [sys.executable, "-c", "from xiaodian.cli import main; main()"]
BAD, GOOD = "4900000000000000203", "4900000000000000205"


@pytest.fixture
def fake():
    server = FakeDouyin(now=NOW - timedelta(hours=1))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def env(tmp_path, sqlite_template, fake):
    shutil.copy(sqlite_template, tmp_path / "cli.db")
    values = dict(os.environ)
    values.update({"XIAODIAN_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
                   "XIAODIAN_DATA_DIR": str(tmp_path / "data"),
                   "XIAODIAN_NOW": NOW.isoformat(), "XIAODIAN_DOUYIN_GATEWAY": fake.url})
    values.update({f"XIAODIAN_{k.upper()}": v for k, v in TEST_KEYS.items()})
    return values


def xiaodian(env, *args, stdin=None, timeout=120):
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=timeout, input=stdin)


def connect(env, secret=APP_SECRET):
    return xiaodian(env, "shop", "connect", "--shop-id", SHOP_ID, "--app-key", APP_KEY, "--app-secret-stdin",
                    stdin=secret + "\n")


def test_a_malformed_platform_order_is_reported_by_field_without_a_traceback_and_the_rest_syncs(env, fake):
    order = platform_order(BAD, create=NOW - timedelta(hours=2))
    order["sku_order_list"][0]["item_num"] = "two"
    fake.put_order(order)
    fake.put_order(platform_order(GOOD, create=NOW - timedelta(hours=2)))
    assert connect(env).returncode == 0
    done = xiaodian(env, "sync", "douyin", "--json")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    data = json.loads(done.stdout)
    assert data["orders"]["created"] == 1 and datetime.fromisoformat(data["cursor"]) == NOW
    assert data["errors"] == [{"order_id": BAD, "field": "sku_order_list.item_num",
                               "msg": "sku_order_list.item_num: not a whole number: 'two'"}]
    plain = xiaodian(env, "sync", "douyin", "--since", (NOW - timedelta(hours=3)).isoformat())
    assert plain.returncode == 1 and "Traceback" not in plain.stderr and "sku_order_list.item_num" in plain.stderr


def test_loop_keeps_syncing_until_interrupted(env, fake):
    """D8: --loop used to run one sync and exit 0."""
    import selectors
    import signal
    import time

    fake.put_order(platform_order(GOOD, create=NOW - timedelta(hours=2)))
    assert connect(env).returncode == 0
    proc = subprocess.Popen([*CLI, "sync", "douyin", "--loop", "--interval", "1", "--json"],
                            env={**env, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    lines, deadline = [], time.monotonic() + 60
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    try:
        while len(lines) < 3 and time.monotonic() < deadline and proc.poll() is None:
            if selector.select(timeout=1):
                line = proc.stdout.readline()
                if line.strip():
                    lines.append(json.loads(line))
        assert proc.poll() is None, "the loop ended by itself"
    finally:
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    assert len(lines) == 3 and proc.returncode == 0 and "Traceback" not in err
    assert lines[0]["orders"]["created"] == 1 and lines[1]["orders"]["created"] == 0


def test_connect_says_what_happens_to_writes(env, fake):
    """D9: a re-connect said 'writes are off' while it left them on."""
    import sqlite3

    assert "writes to the platform are off" in connect(env).stdout
    db = env["XIAODIAN_DATABASE_URL"].removeprefix("sqlite:///")

    def writes() -> int:
        with sqlite3.connect(db) as conn:
            return conn.execute("select write_enabled from douyin_connections").fetchone()[0]

    with sqlite3.connect(db) as conn:
        conn.execute("update douyin_connections set write_enabled = 1")
    fake.app_secret = "a-rotated-secret"  # rotated in the back office (connect checks it with the platform now)
    again = connect(env, secret="a-rotated-secret")  # the same app and shop, a new secret: writes stay on
    assert again.returncode == 0 and "writes to the platform stay on" in again.stdout and writes() == 1
    fake.shop_id, fake.app_secret = "88990022", "another-secret"  # the app now serves another Douyin shop
    moved = xiaodian(env, "shop", "connect", "--shop-id", "88990022", "--app-key", APP_KEY, "--app-secret-stdin",
                     stdin="another-secret\n")  # another Douyin shop: writes off, as it says
    assert moved.returncode == 0 and "writes to the platform are off" in moved.stdout and writes() == 0
