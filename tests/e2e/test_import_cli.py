"""`xiaodian import orders` as a script uses it: one JSON object on stdout, exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from xiaodian.channels.exportfile.samplegen import export_row, write_rows

from ..conftest import NOW, SAMPLES, TEST_KEYS

SAMPLE = SAMPLES / "douyin_orders_export.csv"
CLI = [sys.executable, "-c", "from xiaodian.cli import main; main()"]


@pytest.fixture
def env(tmp_path, sqlite_template):
    shutil.copy(sqlite_template, tmp_path / "cli.db")
    values = dict(os.environ)
    values.update({"XIAODIAN_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
                   "XIAODIAN_DATA_DIR": str(tmp_path / "data"), "XIAODIAN_NOW": NOW.isoformat()})
    values.update({f"XIAODIAN_{k.upper()}": v for k, v in TEST_KEYS.items()})
    return values


def xiaodian(env, *args):
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=120)


def test_import_json_is_one_object_and_exit_0_when_every_row_is_accepted(env):
    done = xiaodian(env, "import", "orders", str(SAMPLE), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    body = report  # the sample's five closed-unpaid rows with a payment time are imported, and named
    assert {k: body.pop(k) for k in ("created", "updated", "unchanged", "rejected", "dry_run")} == {
        "created": 43, "updated": 0, "unchanged": 0, "rejected": [], "dry_run": False}
    assert body["warnings_total"] == 5 and {w["code"] for w in body["warnings"]} == {"closed_unpaid_with_payment"}
    again = json.loads(xiaodian(env, "import", "orders", str(SAMPLE), "--json").stdout)
    assert (again["created"], again["unchanged"]) == (0, 43)
    shown = xiaodian(env, "orders", "show", "6938137276061005948", "--json")
    assert json.loads(shown.stdout)["pay_amount_fen"] == 12480


def test_import_exit_1_lists_rejected_rows_and_imports_the_rest(env, tmp_path):
    rows = [export_row(), export_row(主订单编号="\t4.90754E+18", 子订单编号="6938000000000000001"),
            export_row(主订单编号="'6938000000000000002", 子订单编号="6938000000000000002", 收件人手机号="110")]
    done = xiaodian(env, "import", "orders", str(write_rows(tmp_path / "e.csv", rows)), "--json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["created"] == 1
    assert [(r["row"], r["column"], r["code"]) for r in report["rejected"]] == [
        (3, "主订单编号", "id_scientific_notation"), (4, "收件人手机号", "phone_invalid")]
    assert all(set(r) == {"row", "column", "code", "message"} for r in report["rejected"])


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02binary\xff" * 100, "订单,金额\n1,2\n".encode()])
def test_unreadable_file_exits_2_and_imports_nothing(env, tmp_path, content):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    done = xiaodian(env, "import", "orders", str(path), "--json")
    assert done.returncode == 2
    assert "error" in json.loads(done.stdout) and done.stderr.strip()
    listing = json.loads(xiaodian(env, "orders", "search", "--json").stdout)
    assert listing["total"] == 0


def test_missing_file_exits_2_with_a_message(env, tmp_path):
    done = xiaodian(env, "import", "orders", str(tmp_path / "nope.csv"))
    assert done.returncode == 2 and "no such file" in done.stderr


def test_dry_run_reports_but_changes_nothing(env):
    preview = xiaodian(env, "import", "orders", str(SAMPLE), "--dry-run", "--json")
    assert preview.returncode == 0
    assert json.loads(preview.stdout)["created"] == 43 and json.loads(preview.stdout)["dry_run"] is True
    assert json.loads(xiaodian(env, "orders", "search", "--json").stdout)["total"] == 0


def test_without_json_a_summary_table_is_printed(env):
    done = xiaodian(env, "import", "orders", str(SAMPLE))
    assert done.returncode == 0
    assert "created" in done.stdout and "43" in done.stdout and "40" in done.stdout
