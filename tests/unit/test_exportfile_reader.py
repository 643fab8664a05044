"""Reading export files: encodings, XLSX, header mapping, unreadable files, row numbers, grouping by order."""

from __future__ import annotations

import csv

import openpyxl
import pytest

from xiaodian.channels.exportfile.grouping import build_order, combined_status, order_groups, scattered_orders
from xiaodian.channels.exportfile.reader import FileUnreadable, detect_encoding, open_export
from xiaodian.channels.exportfile.rows import ParsedRow, RowError, RowParser
from xiaodian.channels.exportfile.samplegen import HEADER, export_row, write_rows
from xiaodian.orders.domain import OrderStatus

from ..conftest import SAMPLES


def _groups(path):
    first = open_export(path)
    scattered = scattered_orders(first)
    first.close()
    export = open_export(path)
    try:
        return list(order_groups(export, RowParser(export.columns), scattered))
    finally:
        export.close()


@pytest.mark.parametrize("encoding,detected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030")])
def test_csv_in_utf8_bom_or_gbk_reads_the_same_chinese_text(tmp_path, encoding, detected):
    path = write_rows(tmp_path / "e.csv", [export_row(选购商品="五常大米 稻花香2号 5kg", 收件人="欧阳娜娜")], encoding=encoding)
    export = open_export(path)
    assert export.encoding == detected
    export.close()
    [group] = _groups(path)
    [row] = group.rows
    assert isinstance(row, ParsedRow)
    assert row.item.product_name == "五常大米 稻花香2号 5kg" and row.buyer_name == "欧阳娜娜"


def test_detect_encoding_falls_back_to_gb18030_when_first_chunk_is_not_utf8():
    assert detect_encoding("主订单编号".encode("gbk")) == "gb18030"
    assert detect_encoding("主订单编号".encode()) == "utf-8"
    # a multi-byte character cut at the end of the sniffed chunk is still UTF-8
    assert detect_encoding("主订单编号".encode()[:-1]) == "utf-8"


def test_sample_export_has_43_rows_in_40_orders_with_real_values():
    groups = _groups(SAMPLES / "douyin_orders_export.csv")
    assert len(groups) == 40 and sum(len(g.rows) for g in groups) == 43
    two = next(g for g in groups if g.key == "6938137276061005948")
    order = build_order(two.rows)
    assert [i.sku_order_id for i in order.items] == ["6939137276061005900", "6939137276061005901"]
    assert order.pay_amount_fen == 12480 and order.status == OrderStatus.PARTIALLY_SHIPPED
    assert order.tracking_no == "YT9541369884671" and order.carrier == "圆通速递"
    assert [g.numbers for g in groups if g.key == "6938137276061005948"] == [[11, 12]]


def test_xlsx_is_read_and_a_numeric_id_cell_is_rejected_as_scientific_notation(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    good = export_row()
    sheet.append([good[h] for h in HEADER])
    damaged = export_row(主订单编号="", 子订单编号="6938459704022656026")
    cells = [damaged[h] for h in HEADER]
    cells[0] = 4.907538423936589e18  # what Excel keeps of a 19-digit id typed as a number
    sheet.append(cells)
    book.save(tmp_path / "e.xlsx")
    export = open_export(tmp_path / "e.xlsx")
    assert export.kind == "xlsx"
    export.close()
    groups = _groups(tmp_path / "e.xlsx")
    assert isinstance(groups[0].rows[0], ParsedRow) and groups[0].rows[0].order_id == "6938459704022656025"
    bad = groups[1].rows[0]
    assert isinstance(bad, RowError) and (bad.row, bad.column, bad.code) == (3, "主订单编号", "id_scientific_notation")


def test_header_with_spaces_extra_columns_and_missing_optional_columns_is_accepted(tmp_path):
    header = [" 主订单编号 ", "子订单编号", "选购商品", "商品数量", "商品金额", "订单提交时间", "订单状态", "达人昵称"]
    path = tmp_path / "e.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(header)
        out.writerow(["6938459704022656025", "6938459704022656025", "小米", "2", "10", "2026-11-13 07:04:00", "备货中",
                      "某达人"])
    export = open_export(path)
    assert export.columns.ignored == ("达人昵称",)
    export.close()
    [group] = _groups(path)
    order = build_order(group.rows)
    assert order.pay_amount_fen == 2000 and order.buyer_phone is None


def test_missing_required_columns_make_the_file_unreadable_and_are_named(tmp_path):
    header = [h for h in HEADER if h not in ("商品金额", "订单状态")]
    path = write_rows(tmp_path / "e.csv", [export_row()], header=header)
    with pytest.raises(FileUnreadable) as problem:
        open_export(path)
    assert problem.value.code == "missing_columns"
    assert "商品金额" in problem.value.message and "订单状态" in problem.value.message
    assert problem.value.details["missing"] == ["商品金额", "订单状态"]


@pytest.mark.parametrize("content,code", [
    (b"", "file_empty"),
    (b"\xef\xbb\xbf\r\n\r\n", "file_empty"),
    (bytes(range(256)) * 64, "file_not_export"),
    (b"PK\x03\x04garbage that is not a zip", "file_not_export"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "file_format_unsupported"),
    ("name,age\nfoo,1\n".encode(), "missing_columns"),
])
def test_empty_binary_or_foreign_files_are_unreadable(tmp_path, content, code):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(FileUnreadable) as problem:
        open_export(path)
    assert problem.value.code == code


def test_rows_are_numbered_as_a_spreadsheet_shows_them_even_with_multiline_cells(tmp_path):
    rows = [export_row(买家留言="第一行\n第二行"), export_row(主订单编号="x", 子订单编号="6938459704022656099")]
    [first, second] = _groups(write_rows(tmp_path / "e.csv", rows))
    assert first.rows[0].buyer_note == "第一行\n第二行" and first.numbers == [2]
    assert second.rows[0].row == 3 and second.rows[0].code == "id_invalid"


def test_a_title_row_above_the_header_is_skipped(tmp_path):
    path = tmp_path / "e.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["订单导出 2026-11-24"])
        out.writerow(HEADER)
        out.writerow([export_row()[h] for h in HEADER])
    [group] = _groups(path)
    assert group.numbers == [3]


def test_scattered_rows_of_one_order_are_grouped_whole(tmp_path):
    a1 = export_row(主订单编号="6938000000000000001", 子订单编号="6938000000000000001")
    b = export_row(主订单编号="6938000000000000002", 子订单编号="6938000000000000002")
    a2 = export_row(主订单编号="6938000000000000001", 子订单编号="6939000000000000001")
    groups = _groups(write_rows(tmp_path / "e.csv", [a1, b, a2]))
    by_key = {g.key: g.numbers for g in groups}
    assert by_key == {"6938000000000000001": [2, 4], "6938000000000000002": [3]}


def test_one_bad_row_rejects_every_row_of_its_order(tmp_path):
    good = export_row(主订单编号="6938000000000000001", 子订单编号="6939000000000000001")
    bad = export_row(主订单编号="6938000000000000001", 子订单编号="6939000000000000002", 商品金额="abc")
    [group] = _groups(write_rows(tmp_path / "e.csv", [good, bad]))
    errors = group.errors()
    assert [(e.row, e.column, e.code) for e in errors] == [(2, "主订单编号", "order_row_rejected"),
                                                            (3, "商品金额", "amount_invalid")]
    assert "row 3" in errors[0].message


def test_duplicate_sku_order_in_one_order_rejects_the_order(tmp_path):
    row = export_row()  # the repeat differs in a cell: an exact repeat is skipped (test_import_qa14_files.py)
    [group] = _groups(write_rows(tmp_path / "e.csv", [row, {**row, "商品数量": "2"}]))
    assert [e.code for e in group.errors()] == ["order_row_rejected", "duplicate_sku_order_id"]


@pytest.mark.parametrize("statuses,expected", [
    (["备货中", "备货中"], OrderStatus.AWAITING_SHIPMENT),
    (["已发货", "备货中"], OrderStatus.PARTIALLY_SHIPPED),
    (["已完成", "已关闭"], OrderStatus.COMPLETED),
    (["已关闭", "已关闭"], OrderStatus.CANCELLED),
])
def test_rows_of_one_order_with_different_statuses_combine_sensibly(statuses, expected):
    from xiaodian.channels.exportfile.values import status

    assert combined_status([status(s, "订单状态") for s in statuses]) == expected


def test_row_with_invalid_bytes_is_rejected_not_the_file(tmp_path):
    path = write_rows(tmp_path / "e.csv", [export_row(), export_row(主订单编号="6938000000000000001",
                                                                     子订单编号="6938000000000000001")])
    data = path.read_bytes().replace("科苑南路2666号".encode(), b"\xff\xfe2666", 1)
    path.write_bytes(data)
    groups = _groups(path)
    assert groups[0].rows[0].code == "bad_encoding" and groups[0].rows[0].column == "详细地址"
    assert isinstance(groups[1].rows[0], ParsedRow)


def _cut_after(path, column):
    """The file as a download cut off in its last row just after ``column`` (no newline after the cut)."""
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    cells = lines[-1].split(",")
    lines[-1] = ",".join(cells[:HEADER.index(column) + 1])
    path.write_text("\n".join(lines), encoding="utf-8-sig")
    return path


def test_a_row_cut_off_mid_file_is_rejected_as_truncated_not_imported_with_blanks(tmp_path):
    """QA pass 5 (E11): the last row of a cut-off download lost its phone, address and tracking columns."""
    good = export_row()
    cut = export_row(主订单编号="6938000000000000001", 子订单编号="6938000000000000001", 订单状态="已发货",
                     快递公司="圆通速递", 快递单号="YT9541369884671", 发货时间="2026-11-14 10:00:00")
    path = _cut_after(write_rows(tmp_path / "e.csv", [good, cut]), "收件人")
    groups = _groups(path)
    assert isinstance(groups[0].rows[0], ParsedRow)
    [error] = groups[1].rows
    assert (error.row, error.column, error.code) == (3, "收件人手机号", "row_truncated")
    assert f"{HEADER.index('收件人') + 1} fields but the header has {len(HEADER)}" in error.message


def test_a_row_with_more_fields_than_the_header_is_rejected_but_trailing_empty_fields_and_blank_lines_are_not(
        tmp_path):
    rows = [export_row(主订单编号=f"693800000000000000{n}", 子订单编号=f"693800000000000000{n}") for n in (1, 2, 3)]
    path = write_rows(tmp_path / "e.csv", rows)
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    lines[1] += ",,"  # a trailing separator some tools add: nothing is lost or shifted
    lines[2] = lines[2].replace("东北长粒香大米 10斤 家庭装", "东北长粒香大米 10斤,家庭装")  # an unquoted comma
    path.write_text("\n".join(lines[:3] + ["", lines[3], ""]), encoding="utf-8-sig")
    groups = _groups(path)
    assert [type(g.rows[0]).__name__ for g in groups] == ["ParsedRow", "RowError", "ParsedRow"]
    assert (groups[1].rows[0].row, groups[1].rows[0].code) == (3, "row_misaligned")
    assert groups[2].rows[0].number == 5  # the blank line 4 is skipped, not rejected


def test_a_workbook_row_without_its_trailing_empty_cells_is_not_truncated(tmp_path):
    """openpyxl gives a shorter tuple when a row's last cells are empty: legitimate in a workbook."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    row = export_row()
    sheet.append([row[name] for name in HEADER[:HEADER.index("详细地址") + 1]])
    workbook.save(tmp_path / "e.xlsx")
    [group] = _groups(tmp_path / "e.xlsx")
    assert isinstance(group.rows[0], ParsedRow) and group.rows[0].tracking_no is None
