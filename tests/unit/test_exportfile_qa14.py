"""Reading files as spreadsheets leave them (QA pass 14, #1, #3, #10): id-like cells a spreadsheet damaged, a workbook
without an order sheet, a file with no header, the one-row-per-order export. Imports: test_import_qa14_files.py."""

from __future__ import annotations

import openpyxl
import pytest

from xiaodian.channels.douyin.orders_export import ORDER_COLUMNS
from xiaodian.channels.exportfile import values as v
from xiaodian.channels.exportfile.reader import FileUnreadable, open_export
from xiaodian.channels.exportfile.samplegen import export_row, write_rows


def _workbook(path, sheets: dict[str, list[list]]):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_id_text_rules():
    assert v.id_text(2**53 - 1, "快递单号") == str(2**53 - 1)
    with pytest.raises(v.BadValue) as problem:
        v.id_text(2**53, "快递单号")
    assert problem.value.code == "id_scientific_notation"
    with pytest.raises(v.BadValue):
        v.id_text("YT9541369884671,4.87143E+14", "快递单号")  # one damaged number of two
    assert v.id_text("12E45", "商家编码", 64, free_text=True) == "12E45"  # a merchant's own code, not damage
    assert v.id_text("SKU-1.5", "商家编码", 64, free_text=True) == "SKU-1.5"
    assert v.id_text(None, "商品ID") is None and v.id_text("", "商品ID") is None


def test_a_workbook_without_an_order_sheet_names_each_sheet_and_the_rows_searched(tmp_path):
    path = _workbook(tmp_path / "a.xlsx", {"说明": [["导出说明"], ["第二行"]],
                                           "表2": [["订单号", "金额"], ["1", "2"]],
                                           "明细": [["主订单编号", "选购商品"], ["1", "2"]]})
    with pytest.raises(FileUnreadable) as refusal:
        open_export(path)
    assert refusal.value.code == "missing_columns"
    message = refusal.value.message
    assert "说明 (no header row in rows 1–2)" in message and "表2 (no header row in rows 1–2)" in message
    assert "明细 (header row 1 lacks 子订单编号" in message and "header row 1)" not in message
    assert refusal.value.details["sheets"] == ["说明", "表2", "明细"]


def test_a_csv_without_a_header_says_which_rows_were_searched(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("订单汇总\n名字,年龄\n张三,3\n", encoding="utf-8")
    with pytest.raises(FileUnreadable) as refusal:
        open_export(path)
    assert refusal.value.code == "missing_columns" and "no header row found in rows 1–3" in refusal.value.message


def test_the_one_row_per_order_export_is_recognised(tmp_path):
    row = {**export_row(), "选购商品": "东北长粒香大米 10斤 ×1"}
    path = write_rows(tmp_path / "a.csv", [row], header=list(ORDER_COLUMNS))
    with pytest.raises(FileUnreadable) as refusal:
        open_export(path)
    assert refusal.value.code == "per_order_export"
    assert "one row per item" in refusal.value.message
