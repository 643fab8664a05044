"""QA pass 11, #13 and #11: no raw output in CLI tables — times as the other tables show them (not ISO with
microseconds), no empty "→" for a step that changed no status, the audit change readable rather than a dict repr —
and --tab's help lists every tab the command takes."""

from __future__ import annotations

import re
from datetime import timedelta

from typer.testing import CliRunner

from xiaodian.aftersales import service as aftersales
from xiaodian.aftersales.domain import CaseType
from xiaodian.db import transaction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW
from ..factories import make_record

ORDER = "6938459704022659401"
CASE = "7400000000000009401"


def test_aftersales_show_has_readable_times_and_no_empty_moves(cli_env, ctx, shop_id):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(ORDER, status=OrderStatus.SHIPPED, shipped_at=NOW - timedelta(days=1))])
        aftersales.open_case(session, shop_id=shop_id, aftersale_id=CASE, order_id=ORDER, sku_order_id=None,
                             case_type=CaseType.REFUND_SHIPPED, applied_at=NOW - timedelta(hours=3, microseconds=33),
                             now=NOW, source="sync", principal=None, refund_fen=8990)
    result = CliRunner().invoke(cli_env, ["aftersales", "show", CASE])
    assert result.exit_code == 0, result.output
    assert not re.search(r"\d{2}:\d{2}:\d{2}\.\d+", result.stdout), result.stdout  # no microseconds
    assert "T1" not in result.stdout and "+08:00" not in result.stdout
    assert not re.search(r"\s→\s*$", result.stdout, re.M), result.stdout
    assert not re.search(r" {2}→ {2}", result.stdout), result.stdout


def test_audit_change_is_readable(cli_env):
    runner = CliRunner()
    assert runner.invoke(cli_env, ["user", "add", "boss", "--password-stdin"], input="Sup3r-secret-pw\n").exit_code == 0
    added = runner.invoke(cli_env, ["user", "add", "clerk", "--role", "cs", "--password-stdin"],
                          input="Sup3r-secret-pw\n")
    assert added.exit_code == 0, added.output
    changed = runner.invoke(cli_env, ["user", "role", "clerk", "warehouse"])
    assert changed.exit_code == 0, changed.output
    result = runner.invoke(cli_env, ["audit"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "{'" not in result.stdout and "'}" not in result.stdout, result.stdout
    # the shell user is named as the web's audit page names it, in the run's language (Chinese by default)
    assert "命令行 · " in result.stdout and "cli:" not in result.stdout, result.stdout


def test_aftersales_tab_help_lists_every_tab(cli_env):
    from xiaodian.aftersales.queries import TABS

    result = CliRunner().invoke(cli_env, ["aftersales", "--help"], env={"COLUMNS": "400"})
    assert result.exit_code == 0
    flat = " ".join(result.stdout.split())
    assert all(tab in flat for tab in TABS) and "overdue" in flat and "to_send" in flat
