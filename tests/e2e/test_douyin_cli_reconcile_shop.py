"""``xiaodian reconcile douyin --shop`` sweeps one shop, named as `sync douyin --shop` names it (the Douyin shop id,
or the desk's with --desk-shop), with the same refusals; without it every connected shop is swept, as before."""

from __future__ import annotations

import json

from ..fakes.douyin import SHOP_ID
from .test_douyin_cli import connect, env, fake, xiaodian  # noqa: F401  (env and fake are fixtures)


def test_reconcile_takes_the_shop_it_sweeps(env, fake):  # noqa: F811
    assert connect(env).returncode == 0
    first = json.loads(xiaodian(env, "shop", "list", "--json").stdout)["shops"][0]["id"]
    second = json.loads(xiaodian(env, "shop", "add", "抖店二号", "--json").stdout)["id"]
    offline = {**env, "XIAODIAN_DOUYIN_GATEWAY": "http://127.0.0.1:9"}  # saved unchecked: an app the fake lacks
    other = xiaodian(offline, "shop", "connect", "--shop-id", "88990022", "--app-key", "7000000000000000002",
                     "--app-secret-stdin", "--desk-shop", str(second), stdin="s\n")
    assert other.returncode == 0, other.stderr

    every = xiaodian(env, "reconcile", "douyin", "--days", "1", "--json")
    assert sorted(r["shop_id"] for r in json.loads(every.stdout)) == [first, second]  # the default is unchanged
    assert every.returncode == 1  # the second shop's app is refused by the platform

    one = xiaodian(env, "reconcile", "douyin", "--days", "1", "--shop", SHOP_ID, "--json")
    assert one.returncode == 0, one.stderr
    result = json.loads(one.stdout)
    assert [r["shop_id"] for r in result] == [first] and len(result[0]["repaired"]) == 0  # the first sweep repaired

    by_desk = xiaodian(env, "reconcile", "douyin", "--days", "1", "--desk-shop", str(second), "--json")
    assert [r["shop_id"] for r in json.loads(by_desk.stdout)] == [second] and by_desk.returncode == 1

    unknown = xiaodian(env, "reconcile", "douyin", "--shop", "123")
    assert unknown.returncode == 2 and "no shop with Douyin shop id 123" in unknown.stderr
    both = xiaodian(env, "reconcile", "douyin", "--shop", SHOP_ID, "--desk-shop", str(second))
    assert both.returncode == 2 and "not both" in both.stderr
    third = json.loads(xiaodian(env, "shop", "add", "三号店", "--json").stdout)["id"]
    unconnected = xiaodian(env, "reconcile", "douyin", "--desk-shop", str(third))
    assert unconnected.returncode == 2 and "not connected" in unconnected.stderr
