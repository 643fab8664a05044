"""``--shop ID`` on every command that works on one shop: a merchant with two stores names the store per command
(``xiaodian ship ORDER … --shop 2``) instead of exporting XIAODIAN_SHOP. --shop wins over XIAODIAN_SHOP, which wins
over the desk's first shop; a shop the desk lacks is refused, saying so, and nothing is done — never the first shop
instead. A command added later without --shop is caught by walking the command tree."""

from __future__ import annotations

import inspect
import json
import sys
from datetime import timedelta

import pytest
import typer

from xiaodian.aftersales import service as aftersales
from xiaodian.aftersales.domain import CaseType
from xiaodian.db import transaction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, TEST_KEYS
from ..factories import make_record

FIRST_ONLY = "6938000000000000111"  # awaiting shipment in shop 1
SECOND_ONLY = "6938000000000000222"  # awaiting shipment in shop 2
SECOND_SHIPPED = "6938000000000000223"  # shipped in shop 2, with an after-sale case
CASE = "7400000000000000222"
UNKNOWN = "99"


def _app() -> typer.Typer:
    from xiaodian.cli import _register
    from xiaodian.cli import app as cli_app

    if not cli_app.registered_groups:  # main() registers the commands; a test does not run main()
        _register()
    return cli_app


@pytest.fixture
def desk(ctx, tmp_path):
    """Two shops of one desk holding different orders; ``run(*args, shop_env=None)`` runs ``xiaodian ARGS…`` in
    process against it, as a shell with the XIAODIAN_* variables set (XIAODIAN_SHOP only when given)."""
    from typer.testing import CliRunner

    env = {"XIAODIAN_DATABASE_URL": ctx.settings.database_url, "XIAODIAN_DATA_DIR": str(ctx.settings.data_dir),
           "XIAODIAN_NOW": NOW.isoformat(), **{f"XIAODIAN_{k.upper()}": v for k, v in TEST_KEYS.items()}}

    def run(*args, shop_env: str | None = None):
        return CliRunner().invoke(_app(), list(args), env={**env, "XIAODIAN_SHOP": shop_env})

    added = run("shop", "add", "二号店", "--json")
    assert added.exit_code == 0, added.output
    second = json.loads(added.stdout)["id"]
    assert second == 2
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=1, cipher=ctx.cipher, now=NOW, records=[
            make_record(FIRST_ONLY, product="黄小米 2.5kg", phone="13900001111")])
        upsert_orders(session, shop_id=second, cipher=ctx.cipher, now=NOW, records=[
            make_record(SECOND_ONLY, product="五常大米 稻花香2号 5kg"),
            make_record(SECOND_SHIPPED, status=OrderStatus.SHIPPED, shipped_at=NOW - timedelta(days=1))])
        aftersales.open_case(session, shop_id=second, aftersale_id=CASE, order_id=SECOND_SHIPPED, sku_order_id=None,
                             case_type=CaseType.REFUND_SHIPPED, applied_at=NOW - timedelta(hours=3), now=NOW,
                             source="sync", principal=None, refund_fen=8990)
    assert run("scan", "deadlines").exit_code == 0  # ship-by times, as the worker derives them
    return run


def _ok(result) -> dict | list:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _refused(result, shop: str = UNKNOWN) -> None:
    """Refused by the command itself (exit 1, never a traceback), naming the --shop and where to find the ids."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert f"--shop {shop}: the desk has no shop with that id" in result.stderr
    assert "xiaodian shop list" in result.stderr


def _forecast_orders(data: dict) -> set[str]:
    return {p["order_id"] for p in data["pick_list"]}


# Read-only commands: what each finds in shop 2 (and not in shop 1). `show` and `track` refuse an order of the other
# shop; lists come back without it.
READS = {
    "orders show": (("orders", "show", SECOND_ONLY, "--json"), lambda d: d["order_id"] == SECOND_ONLY),
    "forecast": (("forecast", "--json"), lambda d: SECOND_ONLY in _forecast_orders(d)
                 and FIRST_ONLY not in _forecast_orders(d)),
    "track": (("track", SECOND_ONLY, "--json"), lambda d: d["order_id"] == SECOND_ONLY),
    "aftersales": (("aftersales", "--tab", "all", "--json"), lambda d: [c["aftersale_id"] for c in d["cases"]]
                   == [CASE]),
    "aftersales show": (("aftersales", "show", CASE, "--json"), lambda d: d["aftersale_id"] == CASE),
    "ask": (("ask", "我的订单什么时候发货", "--order", SECOND_ONLY, "--json"),
            lambda d: [m["order_id"] for m in d["matches"]] == [SECOND_ONLY]),
}


@pytest.mark.parametrize("name", READS)
def test_shop_2_is_read_with_shop_2_and_beats_xiaodian_shop(desk, name):
    args, found = READS[name]
    assert found(_ok(desk(*args, "--shop", "2")))
    assert found(_ok(desk(*args, "--shop", "2", shop_env="1")))  # --shop wins over XIAODIAN_SHOP
    in_first = desk(*args, "--shop", "1", shop_env="2")
    assert in_first.exit_code != 0 or not found(json.loads(in_first.stdout))


@pytest.mark.parametrize("name", [n for n in READS if n != "orders show"])  # its --shop takes `all`: exit 2 below
def test_an_unknown_shop_is_refused_by_every_reading_command(desk, name):
    args, _ = READS[name]
    _refused(desk(*args, "--shop", UNKNOWN, shop_env="2"))


@pytest.mark.parametrize("shop", ["0", "99999999999999999999"])  # the second is past the database's integer
def test_an_id_no_shop_can_have_is_refused_without_a_traceback(desk, shop):
    _refused(desk("forecast", "--json", "--shop", shop), shop)


def test_orders_show_refuses_an_unknown_shop_as_before(desk):
    done = desk("orders", "show", SECOND_ONLY, "--shop", UNKNOWN)
    assert done.exit_code == 2 and "--shop: no shop with id 99 (see `xiaodian shop list`)" in done.stderr


def test_ship_ships_in_the_shop_it_names_only(desk):
    ship = ("ship", SECOND_ONLY, "--carrier", "shunfeng", "--tracking", "SF1234567890123", "--json")
    _refused(desk(*ship, "--shop", UNKNOWN, shop_env="2"))
    wrong = desk(*ship, "--shop", "1", shop_env="2")
    assert wrong.exit_code == 1 and json.loads(wrong.stdout)["error"]["code"] == "not_found"
    assert _ok(desk("orders", "show", SECOND_ONLY, "--json"))["status"] == "awaiting_shipment"  # nothing changed
    shipped = _ok(desk(*ship, "--shop", "2", shop_env="1"))
    assert shipped["order_id"] == SECOND_ONLY
    assert _ok(desk("orders", "show", SECOND_ONLY, "--json"))["status"] == "shipped"


def test_export_writes_the_named_shop_and_nothing_for_an_unknown_one(desk, tmp_path):
    refused = tmp_path / "none.csv"
    _refused(desk("export", "orders", "--output", str(refused), "--shop", UNKNOWN, shop_env="2"))
    assert not refused.exists() and not refused.with_name("none.csv.part").exists()
    second = tmp_path / "second.csv"
    assert desk("export", "orders", "--output", str(second), "--shop", "2", shop_env="1").exit_code == 0
    text = second.read_text(encoding="utf-8-sig")
    assert SECOND_ONLY in text and SECOND_SHIPPED in text and FIRST_ONLY not in text


def test_thresholds_change_only_the_named_shop(desk):
    def custom(shop):
        return _ok(desk("logistics", "thresholds", "--json", "--shop", shop))["custom"]

    _refused(desk("logistics", "thresholds", "--set", "pickup_warning=18", "--shop", UNKNOWN, shop_env="2"))
    assert not custom("1") and not custom("2")
    done = desk("logistics", "thresholds", "--set", "pickup_warning=18", "--shop", "2", shop_env="1")
    assert done.exit_code == 0, done.output
    assert custom("2") and not custom("1")


def test_a_group_s_shop_reaches_its_sub_command_and_two_different_ones_are_refused(desk):
    """`aftersales --shop 2 show ID` reads shop 2 rather than dropping the --shop written before the sub-command."""
    assert _ok(desk("aftersales", "--shop", "2", "show", CASE, "--json"))["aftersale_id"] == CASE
    _refused(desk("aftersales", "--shop", UNKNOWN, "show", CASE, "--json", shop_env="2"))
    both = desk("aftersales", "--shop", "1", "show", CASE, "--shop", "2")
    assert both.exit_code == 2 and "--shop given twice: 1 and 2" in both.stderr


def test_the_command_line_entry_point_refuses_an_unknown_shop_with_a_message(desk, ctx):
    """Through `xiaodian` itself (main()), as a shell runs it."""
    import os
    import subprocess

    env = {**os.environ, "XIAODIAN_DATABASE_URL": ctx.settings.database_url,
           "XIAODIAN_DATA_DIR": str(ctx.settings.data_dir), "XIAODIAN_NOW": NOW.isoformat(),
           **{f"XIAODIAN_{k.upper()}": v for k, v in TEST_KEYS.items()}}
    env.pop("XIAODIAN_SHOP", None)
    done = subprocess.run([sys.executable, "-c", "from xiaodian.cli import main; main()", "reminders", "list",
                           "--shop", UNKNOWN], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "--shop 99: the desk has no shop with that id (see `xiaodian shop list`)" in done.stderr


# Commands in a module that picks a shop (calls default_shop_id) yet take no --shop, each for a reason.
NO_SHOP = {
    "scan deadlines": "scans every shop",
    "scan logistics": "scans every shop",
    "aftersales scan": "scans every shop",
    "reconcile douyin": "sweeps every connected shop",
    "inquiries eval": "builds its own evaluation shop",
    "orders shops": "lists the shops",
    "shop connect": "names the desk's shop with --desk-shop (its --shop-id is the Douyin shop)",
    "sync douyin": "its --shop is the Douyin shop id; the desk's shop is --desk-shop, as on `shop connect`",
}


def _commands():
    """Every command of `xiaodian` with its name, as the click tree has it (groups that run on their own, such as
    `aftersales` and `anomalies`, count as commands)."""
    def walk(command, path):
        if hasattr(command, "commands"):  # a group (typer's own click)
            if command.invoke_without_command and path:
                yield " ".join(path), command
            for name, sub in command.commands.items():
                yield from walk(sub, (*path, name))
        else:
            yield " ".join(path), command

    return list(walk(typer.main.get_command(_app()), ()))


def _picks_a_shop(command) -> bool:
    callback = inspect.unwrap(command.callback) if command.callback else None
    module = sys.modules.get(getattr(callback, "__module__", ""), None)
    return module is not None and "default_shop_id" in inspect.getsource(module)


def test_every_command_that_picks_a_shop_takes_shop():
    checked = [(name, cmd) for name, cmd in _commands() if _picks_a_shop(cmd)]
    assert len(checked) >= 25  # the walk found the commands (ship, forecast, aftersales …), not an empty tree
    missing = [name for name, cmd in checked if name not in NO_SHOP
               and not any("--shop" in p.opts for p in cmd.params)]
    assert missing == [], f"add `shop: ShopOption = None` (xiaodian.cli) to: {missing}"
    assert set(NO_SHOP) <= {name for name, _ in checked}  # no stale exceptions
    desk_shop = dict(checked)
    assert all(any("--desk-shop" in p.opts for p in desk_shop[name].params) for name in ("shop connect",
                                                                                           "sync douyin"))
