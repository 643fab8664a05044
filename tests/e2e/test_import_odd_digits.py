"""An export file whose cells hold digits int() refuses (², a 5,000-digit quantity) or an amount Decimal cannot
quantize (1e400) imports its good rows and names the bad ones by row and column; it stopped the whole import with a
traceback before."""

from __future__ import annotations

import csv
import json
import pytest

from ..conftest import SAMPLES, cli_desk

SAMPLE = SAMPLES / "douyin_orders_export.csv"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_odd_digits_are_rejected_by_row_and_column(tmp_path, backend):
    rows = list(csv.reader(SAMPLE.open(encoding="utf-8-sig")))
    head, base = rows[0], rows[1]
    cases = [("商品数量", "²"), ("商品数量", "9" * 5000), ("订单状态", "²"), ("商品金额", "²"), ("订单应付金额", "1e400"),
             ("主订单编号", "６９３８４５９７０４０２２６６０００５")]  # full-width: the same id, imported
    out = [head]
    for i, (column, value) in enumerate(cases):
        row = list(base)
        row[head.index("主订单编号")] = row[head.index("子订单编号")] = f"69384597040226{60000 + i:05d}"
        row[head.index(column)] = value
        out.append(row)
    path = tmp_path / "odd.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(out)
    done = cli_desk(tmp_path)("import", "orders", str(path), "--json")
    assert done.exit_code == 1, done.output
    report = json.loads(done.stdout)
    assert report["created"] == 1
    assert [(r["row"], r["column"]) for r in report["rejected"]] == [
        (2, "商品数量"), (3, "商品数量"), (4, "订单状态"), (5, "商品金额"), (6, "订单应付金额")]
    assert json.loads(cli_desk(tmp_path)("orders", "show", "6938459704022660005", "--json").stdout)["order_id"] \
        == "6938459704022660005"
