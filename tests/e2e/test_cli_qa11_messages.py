"""QA pass 11, #12: CLI messages that point the right way — the option that confirms a warning, only the wrong
option named, a bulk-ship file spoken of as one, a folder called a folder, a preview that does not claim to ship."""

from __future__ import annotations

import json

from xiaodian.db import transaction
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, cli_desk
from ..factories import make_record

AWAITING = "6938459704022659101"
OTHER = "6938459704022659102"


def seed(ctx, shop_id) -> None:
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW,
                      records=[make_record(AWAITING), make_record(OTHER)])


def test_an_unusual_number_says_which_option_confirms_it(tmp_path):
    run = cli_desk(tmp_path, seed)
    result = run("ship", AWAITING, "--carrier", "shunfeng", "--tracking", "12345678")
    assert result.exit_code == 1, result.output
    assert "--confirm-warnings" in result.stderr
    as_json = run("ship", AWAITING, "--carrier", "shunfeng", "--tracking", "12345678", "--json")
    assert json.loads(as_json.stdout)["error"]["code"] == "confirmation_required"
    assert "--confirm-warnings" in json.loads(as_json.stdout)["error"]["message"]


def test_export_with_a_bad_format_names_only_format(tmp_path):
    run = cli_desk(tmp_path)
    result = run("export", "orders", "--format", "pdf", "--output", str(tmp_path / "x.pdf"))
    assert result.exit_code == 2
    assert "--format" in result.stderr and "--status" not in result.stderr


def test_an_empty_bulk_ship_file_is_not_called_an_import(tmp_path):
    run = cli_desk(tmp_path)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = run("ship", "--file", str(empty))
    assert result.exit_code == 2
    assert "bulk-ship" in result.stderr and "import" not in result.stderr


def test_a_folder_given_as_a_file_is_called_a_folder(tmp_path):
    run = cli_desk(tmp_path)
    for args in (("import", "orders", str(tmp_path)), ("ship", "--file", str(tmp_path)),
                 ("import", "aftersales", str(tmp_path))):
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert "is a folder" in result.stderr and "no such file" not in result.stderr, args


def test_a_bulk_preview_does_not_claim_to_have_shipped(tmp_path):
    run = cli_desk(tmp_path, seed)
    path = tmp_path / "bulk.csv"
    path.write_text(f"订单号,快递公司,快递单号\n{AWAITING},中通,73000000000114\n", encoding="utf-8")
    preview = run("ship", "--file", str(path), "--dry-run", "--json")
    report = json.loads(preview.stdout)
    assert report["shipped"] == 1 and report["dry_run"] is True  # the keys scripts read stay as they were
    assert report["would_ship"] == 1 and report["changed"] is False
    text = run("ship", "--file", str(path), "--dry-run")
    assert "would ship" in text.stdout and "preview" in text.stdout
    applied = json.loads(run("ship", "--file", str(path), "--json").stdout)
    assert applied["shipped"] == 1 and applied["would_ship"] == 0 and applied["changed"] is True
