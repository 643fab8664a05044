"""``xiaodian sync douyin`` on a desk of several shops: the desk's shop is named with --desk-shop (as on `shop
connect`; its --shop stays the Douyin shop id), and the JSON report gives its cursor in shop time (+08:00) as every
other time the desk prints, not the UTC it is stored in."""

from __future__ import annotations

import json
from datetime import datetime

from ..conftest import NOW
from ..fakes.douyin import APP_KEY, APP_SECRET, SHOP_ID
from .test_douyin_cli import connect, env, fake, xiaodian  # noqa: F401  (env and fake are fixtures)


def test_sync_json_gives_its_cursor_in_shop_time(env, fake):  # noqa: F811
    assert connect(env).returncode == 0
    done = xiaodian(env, "sync", "douyin", "--once", "--json")
    assert done.returncode == 0, done.stderr
    cursor = json.loads(done.stdout)["cursor"]
    assert cursor == "2026-11-24T18:00:00+08:00" and datetime.fromisoformat(cursor) == NOW  # not 10:00+00:00


def test_sync_takes_the_desk_shop_it_syncs(env, fake):  # noqa: F811
    second = json.loads(xiaodian(env, "shop", "add", "抖店二号", "--json").stdout)["id"]
    connected = xiaodian(env, "shop", "connect", "--shop-id", SHOP_ID, "--app-key", APP_KEY, "--app-secret-stdin",
                         "--desk-shop", str(second), stdin=APP_SECRET + "\n")
    assert connected.returncode == 0, connected.stderr
    done = xiaodian(env, "sync", "douyin", "--desk-shop", str(second), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["shop_id"] == second and json.loads(done.stdout)["orders"]["created"] == 3
    unknown = xiaodian(env, "sync", "douyin", "--desk-shop", "99", "--json")
    assert unknown.returncode == 2 and "--desk-shop: no shop with id 99" in unknown.stderr
    both = xiaodian(env, "sync", "douyin", "--shop", SHOP_ID, "--desk-shop", str(second))
    assert both.returncode == 2 and "not both" in both.stderr
    nowhere = xiaodian({**env, "XIAODIAN_SHOP": "99"}, "sync", "douyin", "--json")
    assert nowhere.returncode == 1 and "XIAODIAN_SHOP=99: the desk has no shop" in nowhere.stderr
