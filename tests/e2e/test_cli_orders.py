"""The CLI as a merchant's script uses it: users, tokens, orders search/show with --json."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from xiaodian.bootstrap import open_context
from xiaodian.cli import _register, app
from xiaodian.db import transaction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, TEST_KEYS
from ..factories import make_record

_register()


@pytest.fixture
def env(tmp_path):
    values = {"XIAODIAN_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "XIAODIAN_DATA_DIR": str(tmp_path / "data"),
              "XIAODIAN_NOW": NOW.isoformat()}
    values.update({f"XIAODIAN_{k.upper()}": v for k, v in TEST_KEYS.items()})
    return values


def run(env, *args, stdin=None):
    return CliRunner().invoke(app, list(args), env=env, input=stdin)


def _seed(env):
    from xiaodian.settings import Settings

    settings = Settings(database_url=env["XIAODIAN_DATABASE_URL"], data_dir=env["XIAODIAN_DATA_DIR"], now=NOW,
                        **TEST_KEYS)
    ctx = open_context(settings)
    from xiaodian.bootstrap import default_shop_id

    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=default_shop_id(ctx), cipher=ctx.cipher, now=NOW, records=[
            make_record(order_id="6938459704022656025"),
            make_record(order_id="6938459704022656026", status=OrderStatus.UNPAID, product="有机黄小米 2袋装",
                        phone="15011112203"),
        ])
    ctx.engine.dispose()


def test_db_upgrade_then_user_add_then_token_create(env):
    assert run(env, "db", "upgrade").exit_code == 0
    added = run(env, "user", "add", "boss", "--password-stdin", stdin="Sup3r-secret-pw\n")
    assert added.exit_code == 0, added.output
    weak = run(env, "user", "add", "clerk", "--password-stdin", stdin="short\n")
    assert weak.exit_code == 1 and "the password must" in weak.output
    named = run(env, "user", "add", "clerk", "--password-stdin", stdin="Clerk-pass-2026\n")  # QA pass 14, #12
    assert named.exit_code == 1 and "not contain the login name (clerk, in any case)" in named.output
    token = run(env, "token", "create", "boss")
    assert token.exit_code == 0 and token.stdout.strip().splitlines()[0].startswith("xdt_")
    missing = run(env, "token", "create", "nobody")
    assert missing.exit_code == 1 and "nobody" in missing.output


def test_orders_search_json_newest_first_with_filters(env):
    run(env, "db", "upgrade")
    _seed(env)
    everything = json.loads(run(env, "orders", "search", "--json").stdout)
    assert everything["total"] == 2
    unpaid = json.loads(run(env, "orders", "search", "--status", "unpaid", "--json").stdout)
    assert [o["order_id"] for o in unpaid["orders"]] == ["6938459704022656026"]
    by_last4 = json.loads(run(env, "orders", "search", "2203", "--json").stdout)
    assert by_last4["total"] == 1 and by_last4["orders"][0]["buyer"]["phone_masked"] == "150****2203"
    order = by_last4["orders"][0]
    assert set(order) >= {"order_id", "status", "platform_status_code", "created_at", "paid_at", "ship_by",
                          "shipped_at", "completed_at", "cancelled_at", "pay_amount_fen", "items", "buyer",
                          "tracking", "buyer_note", "merchant_note"}
    assert order["created_at"].endswith("+08:00")
    bad = run(env, "orders", "search", "--created-from", "20th", "--json")
    assert bad.exit_code == 2 and "--created-from" in bad.output


def test_orders_show_json_and_unknown_id(env):
    run(env, "db", "upgrade")
    _seed(env)
    shown = run(env, "orders", "show", "6938459704022656025", "--json")
    assert shown.exit_code == 0
    detail = json.loads(shown.stdout)
    assert detail["items"][0]["product_name"] == "五常大米 稻花香2号 5kg"
    assert [e["kind"] for e in detail["events"]][:2] == ["created", "paid"]
    missing = run(env, "orders", "show", "1111111111111111111")
    assert missing.exit_code == 1 and "not found" in missing.output


def test_orders_show_text_has_what_the_page_has(env):
    """QA: the text view printed no ship-by, tracking, notes, flag or after-sale state (only --json had them)."""
    run(env, "db", "upgrade")
    _seed(env)
    from xiaodian.settings import Settings

    ctx = open_context(Settings(database_url=env["XIAODIAN_DATABASE_URL"], data_dir=env["XIAODIAN_DATA_DIR"], now=NOW,
                                **TEST_KEYS))
    from xiaodian.bootstrap import default_shop_id

    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=default_shop_id(ctx), cipher=ctx.cipher, now=NOW, records=[
            make_record(order_id="6938459704022656027", status=OrderStatus.SHIPPED, carrier="顺丰速运",
                        tracking_no="SF1234567890123", shipped_at=NOW, ship_by=NOW, buyer_note="不要放驿站",
                        merchant_note="[red]赠品[/red] 一包", after_sale_status="退款中")])
    ctx.engine.dispose()
    shown = run(env, "orders", "show", "6938459704022656027")
    assert shown.exit_code == 0, shown.output
    text = shown.stdout
    for expected in ("ship by", "shipped", "顺丰速运 SF1234567890123", "不要放驿站", "[red]赠品[/red] 一包", "退款中",
                     "tracking_added", "138****5678"):
        assert expected in text, expected
    assert "13812345678" not in text  # masked, as everywhere


def test_orders_search_says_when_its_total_is_only_a_lower_bound(env, monkeypatch):
    """QA 5 E5: on PostgreSQL a very common product-text match is counted up to a cap (10,000), and the CLI printed
    that as the exact total. --json carries total_is_capped as the API does (the stable keys unchanged), and the
    table says "10,000+"."""
    from xiaodian.orders import service

    run(env, "db", "upgrade")
    _seed(env)
    exact = json.loads(run(env, "orders", "search", "--json").stdout)
    assert (exact["total"], exact["total_is_capped"]) == (2, False) and len(exact["orders"]) == 2
    listed = service.list_orders

    def capped(*args, **kwargs):  # what PostgreSQL's capped count answers for a desk of 25,000 matches
        return listed(*args, **kwargs).model_copy(update={"total": 10_000, "total_is_capped": True})

    monkeypatch.setattr(service, "list_orders", capped)
    body = json.loads(run(env, "orders", "search", "--json").stdout)
    assert (body["total"], body["total_is_capped"]) == (10_000, True) and len(body["orders"]) == 2
    table = run(env, "orders", "search")
    assert table.exit_code == 0 and "10,000+ orders" in table.stdout
