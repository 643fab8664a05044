"""QA 5 E14: a search of an apostrophe alone listed every order (Excel's leading apostrophe was stripped, which left
nothing, and nothing is the plain list), while %, * and [ searched the product text for that character and found
none. Punctuation alone is now what was typed in every case, in the web list, the API and the CLI alike: product
text holding it (Levi's, 100%) is found, and nothing else is."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from xiaodian.bootstrap import default_shop_id, open_context
from xiaodian.cli import _register, app
from xiaodian.db import transaction
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.search_query import classify

from ..conftest import NOW, TEST_KEYS
from ..factories import make_record

_register()
APOSTROPHE, PERCENT, PLAIN = "6938459704022656031", "6938459704022656032", "6938459704022656033"
# query → the orders it finds (newest first is not asserted: a set)
EXPECTED = {"'": {APOSTROPHE}, "''": set(), "%": {PERCENT}, "*": set(), "[": set(), " ' ": {APOSTROPHE},
            f"'{PLAIN}": {PLAIN}}


def _records():
    return [make_record(order_id=APOSTROPHE, product="Levi's 牛仔裤"),
            make_record(order_id=PERCENT, product="100%纯棉 T恤"), make_record(order_id=PLAIN, product="五常大米")]


def test_punctuation_alone_is_searched_as_typed():
    for raw in ("'", "''", "%", "*", "[", "【"):
        assert classify(raw).kind == "text" and classify(raw).value == raw
    assert classify(f"'{PLAIN}").kind == "order_id"  # Excel's text mark before a pasted id still goes
    assert classify("\u200b").kind == "empty"  # an invisible character is nothing typed


def test_web_and_api_find_only_orders_whose_text_holds_it(owner_client, ctx, shop_id):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=_records())
    for query, expected in EXPECTED.items():
        body = owner_client.get("/api/v1/orders", params={"q": query}).json()
        assert {o["order_id"] for o in body["orders"]} == expected and body["total"] == len(expected), query
        page = owner_client.get("/orders", params={"q": query})
        assert page.status_code == 200
        assert {oid for oid in (APOSTROPHE, PERCENT, PLAIN) if f"/orders/{oid}" in page.text} == expected, query
    page = owner_client.get("/orders", params={"q": "'"}).text
    assert 'data-kind="text"' in page and 'value="&#39;"' in page  # said to be a search, of what was typed


@pytest.fixture
def env(tmp_path):
    values = {"XIAODIAN_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "XIAODIAN_DATA_DIR": str(tmp_path / "data"),
              "XIAODIAN_NOW": NOW.isoformat()}
    values.update({f"XIAODIAN_{k.upper()}": v for k, v in TEST_KEYS.items()})
    return values


def test_the_cli_search_finds_the_same(env):
    from xiaodian.settings import Settings

    assert CliRunner().invoke(app, ["db", "upgrade"], env=env).exit_code == 0
    ctx = open_context(Settings(database_url=env["XIAODIAN_DATABASE_URL"], data_dir=env["XIAODIAN_DATA_DIR"],
                                now=NOW, **TEST_KEYS))
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=default_shop_id(ctx), cipher=ctx.cipher, now=NOW, records=_records())
    ctx.engine.dispose()
    for query, expected in EXPECTED.items():
        result = CliRunner().invoke(app, ["orders", "search", query, "--json"], env=env)
        assert result.exit_code == 0, result.output
        body = json.loads(result.stdout)
        assert {o["order_id"] for o in body["orders"]} == expected and body["total"] == len(expected), query
