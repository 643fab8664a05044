"""QA pass 11, #5: the CLI speaks one language per run, XIAODIAN_DEFAULT_LANGUAGE (Chinese by default): the sentences
the rules write (forecast headline, ship-by rule, timeline, inquiry reasons) and the status words; --json keeps
the codes."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from xiaodian.db import transaction
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW
from ..factories import make_record

ORDER = "6938459704022659301"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _seed(ctx, shop_id) -> None:
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW,
                      records=[make_record(ORDER, product="rice", phone="13812343398")])


def run(app, *args, language=None):
    return CliRunner().invoke(app, list(args), env={"XIAODIAN_DEFAULT_LANGUAGE": language})


def test_english_runs_write_english_sentences_and_status_words(cli_env, ctx, shop_id):
    _seed(ctx, shop_id)
    assert run(cli_env, "scan", "deadlines").exit_code == 0  # the ship-by and its rule
    forecast = run(cli_env, "forecast", "--capacity", "3", language="en")
    assert forecast.exit_code == 0, forecast.output
    headline = forecast.stdout.split("\n   1.")[0]
    assert headline.strip() and not CJK.search(headline), headline

    shown = run(cli_env, "orders", "show", ORDER, language="en")
    assert shown.exit_code == 0, shown.output
    assert "awaiting_shipment" not in shown.stdout and "To ship" in shown.stdout
    rule = next(line for line in shown.stdout.splitlines() if "ship-by rule" in line)
    assert not CJK.search(rule), rule

    asked = run(cli_env, "ask", "where is my rice", "--phone", "3398", language="en")
    assert asked.exit_code == 0, asked.output
    assert "same last 4 phone digits" in asked.stdout


def test_chinese_stays_the_default_and_json_keeps_codes(cli_env, ctx, shop_id):
    _seed(ctx, shop_id)
    shown = run(cli_env, "orders", "show", ORDER)
    assert "备货中" in shown.stdout and "awaiting_shipment" not in shown.stdout
    forecast = run(cli_env, "forecast", "--capacity", "3")
    assert CJK.search(forecast.stdout.split("\n   1.")[0])
    as_json = json.loads(run(cli_env, "orders", "show", ORDER, "--json", language="en").stdout)
    assert as_json["status"] == "awaiting_shipment"
