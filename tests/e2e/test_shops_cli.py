"""`xiaodian shop add|rename|list`, and `--shop` on import and `--desk-shop` on connect: a merchant with two Douyin
stores can make the second shop, name both, and import each store's export into its own shop (QA pass 5, E15: the
README described several shops, but nothing outside the tests could make a second one)."""

from __future__ import annotations

import json
import sqlite3

from .test_import_cli import SAMPLE, env, xiaodian  # noqa: F401  (env is a fixture)


def _json(done):
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_second_shop_is_added_named_and_imported_into(env, tmp_path):  # noqa: F811
    first = _json(xiaodian(env, "shop", "list", "--json"))["shops"]
    assert len(first) == 1 and first[0]["default"]
    added = _json(xiaodian(env, "shop", "add", "  稻花香 旗舰店 ", "--json"))
    assert added["name"] == "稻花香 旗舰店"  # spaces tidied
    shops = _json(xiaodian(env, "shop", "list", "--json"))["shops"]
    assert [s["id"] for s in shops] == [first[0]["id"], added["id"]] and shops[0]["default"]

    report = _json(xiaodian(env, "import", "orders", str(SAMPLE), "--shop", str(added["id"]), "--json"))
    assert report["created"] == 43  # rows
    in_second = _json(xiaodian(env, "orders", "search", "--shop", str(added["id"]), "--json"))
    in_first = _json(xiaodian(env, "orders", "search", "--json"))
    url = env["XIAODIAN_DATABASE_URL"].split("///", 1)[1]
    with sqlite3.connect(url) as db:
        stored = dict(db.execute("SELECT shop_id, count(*) FROM orders GROUP BY shop_id").fetchall())
    assert stored == {added["id"]: 40} and (in_second["total"], in_first["total"]) == (40, 0)

    renamed = _json(xiaodian(env, "shop", "rename", str(first[0]["id"]), "五常大米店", "--json"))
    assert renamed == {"id": first[0]["id"], "name": "五常大米店"}
    audit = _json(xiaodian(env, "audit", "--json"))
    actions = [e["action"] for e in (audit["entries"] if isinstance(audit, dict) else audit)]
    assert "shop.add" in actions and "shop.rename" in actions


def test_bad_shop_names_and_ids_are_refused_and_change_nothing(env, tmp_path):  # noqa: F811
    assert xiaodian(env, "shop", "add", "二店").returncode == 0
    taken = xiaodian(env, "shop", "add", "二店", "--json")
    assert taken.returncode == 1 and json.loads(taken.stdout)["error"]["code"] == "shop_name_taken"
    blank = xiaodian(env, "shop", "add", "   ", "--json")
    assert blank.returncode == 2 and json.loads(blank.stdout)["error"]["code"] == "shop_name_missing"
    long = xiaodian(env, "shop", "add", "店" * 101, "--json")
    assert long.returncode == 2 and json.loads(long.stdout)["error"]["code"] == "shop_name_too_long"
    missing = xiaodian(env, "shop", "rename", "999", "x", "--json")
    assert missing.returncode == 2 and json.loads(missing.stdout)["error"]["code"] == "shop_not_found"
    wrong = xiaodian(env, "import", "orders", str(SAMPLE), "--shop", "999", "--json")
    assert wrong.returncode == 2 and "--shop: no shop with id 999" in wrong.stderr
    url = env["XIAODIAN_DATABASE_URL"].split("///", 1)[1]
    with sqlite3.connect(url) as db:
        assert db.execute("SELECT count(*) FROM orders").fetchone() == (0,)
        assert sorted(n for (n,) in db.execute("SELECT name FROM shops")) == sorted(["二店", "我的小店"])


def test_connect_takes_the_desk_shop_it_connects(env):  # noqa: F811
    added = _json(xiaodian(env, "shop", "add", "抖店二号", "--json"))
    done = subprocess_connect(env, "--desk-shop", str(added["id"]))
    assert done.returncode == 0, done.stderr
    shops = {s["id"]: s for s in _json(xiaodian(env, "shop", "list", "--json"))["shops"]}
    assert shops[added["id"]]["platform_shop_id"] == "77001"
    assert not any(s["platform_shop_id"] for i, s in shops.items() if i != added["id"])
    wrong = subprocess_connect(env, "--desk-shop", "abc")
    assert wrong.returncode == 2 and "--desk-shop must be a shop id" in wrong.stderr


def subprocess_connect(env, *extra):
    import subprocess

    from .test_import_cli import CLI

    return subprocess.run([*CLI, "shop", "connect", "--shop-id", "77001", "--app-key", "k1", "--app-secret-stdin",
                           *extra], env=env, input="s3cret\n", capture_output=True, text=True, timeout=120)


def test_xiaodian_shop_picks_the_shop_of_every_command_that_names_none(env, tmp_path):  # noqa: F811
    """XIAODIAN_SHOP: the warehouse's scripts for the second store (ship, export, forecast, tracking…) work on that
    store without a --shop on each command; an id the desk does not have is refused, never the first shop instead."""
    second = _json(xiaodian(env, "shop", "add", "二号店", "--json"))["id"]
    assert _json(xiaodian(env, "import", "orders", str(SAMPLE), "--shop", str(second), "--json"))["created"] == 43
    there = dict(env, XIAODIAN_SHOP=str(second))

    assert _json(xiaodian(there, "orders", "search", "--json"))["total"] == 40
    assert _json(xiaodian(env, "orders", "search", "--json"))["total"] == 0
    exported = tmp_path / "second.csv"
    done = xiaodian(there, "export", "orders", "--format", "csv", "--output", str(exported))
    assert done.returncode == 0, done.stderr
    assert len(exported.read_text(encoding="utf-8-sig").splitlines()) == 44  # header + the 43 SKU rows
    forecast = _json(xiaodian(there, "forecast", "--json"))
    assert forecast and _json(xiaodian(env, "forecast", "--json")) != forecast

    nowhere = xiaodian(dict(env, XIAODIAN_SHOP="9"), "orders", "search", "--json")
    assert nowhere.returncode != 0 and "XIAODIAN_SHOP=9" in (nowhere.stderr + nowhere.stdout)
