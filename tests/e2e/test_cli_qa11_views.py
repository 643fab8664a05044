"""QA pass 11, #6: ``orders search --view`` is sorted by ship-by, so it shows the ship-by and the time left (or how
long overdue), as /shipping does; the JSON keeps its keys."""

from __future__ import annotations

import json
from datetime import timedelta

from typer.testing import CliRunner

from xiaodian.db import transaction
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW
from ..factories import make_record

LATE = "6938459704022659201"


def test_a_view_shows_the_ship_by_it_sorts_by(cli_env, ctx, shop_id, monkeypatch):
    from xiaodian.orders import cli as orders_cli

    monkeypatch.setattr(orders_cli.out, "_width", 160)  # a wide terminal, whatever width the console was made with
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW - timedelta(days=3),
                      records=[make_record(LATE, created_at=NOW - timedelta(days=3))])
    assert CliRunner().invoke(cli_env, ["scan", "deadlines"]).exit_code == 0
    shown = json.loads(CliRunner().invoke(cli_env, ["orders", "search", "--view", "overdue", "--json"]).stdout)
    assert [o["order_id"] for o in shown["orders"]] == [LATE]
    ship_by = shown["orders"][0]["ship_by"]
    result = CliRunner().invoke(cli_env, ["orders", "search", "--view", "overdue"])
    assert result.exit_code == 0, result.output
    assert "ship-by" in result.stdout and "left" in result.stdout
    assert ship_by[5:16].replace("T", " ") in result.stdout and "overdue" in result.stdout
    plain = CliRunner().invoke(cli_env, ["orders", "search"])
    assert "ship-by" not in plain.stdout and "created" in plain.stdout
