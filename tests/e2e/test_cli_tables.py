"""The CLI's tables keep identifiers whole on an 80-column terminal or a pipe: a clerk copies an order number
from them into the back office, and a cut one ("6979577345…") is useless there."""

from __future__ import annotations

from datetime import timedelta

from xiaodian.cli import _register
from xiaodian.db import transaction
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, cli_desk
from ..factories import make_record

_register()
ORDER = "6938459704022656777"


def _seed(ctx, shop_id):
    title = "【新米】正宗五常大米 稻花香2号 东北大米 真空装 当季新米 家庭装 官方旗舰"
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(ORDER, product=title, quantity=3, ship_by=NOW - timedelta(hours=3))])


def test_order_ids_and_phones_stay_whole_in_80_columns(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    run = cli_desk(tmp_path, _seed)
    listing = run("orders", "search", "五常")
    assert listing.exit_code == 0, listing.output
    assert ORDER in listing.output and "138****5678" in listing.output and "备货中" in listing.output
    assert max(len(line) for line in listing.output.splitlines()) <= 80
    assert run("scan", "deadlines").exit_code == 0
    violations = run("violations")
    assert violations.exit_code == 0 and ORDER in violations.output, violations.output
    reminders = run("reminders", "list")
    assert reminders.exit_code == 0 and ORDER in reminders.output, reminders.output
