"""Order import of files as spreadsheets leave them (QA pass 14, #1, #3, #7, #10, #13): Excel-damaged 商品ID /
快递单号 / 收件人手机号 / 商家编码, orders on a later sheet, a totals row, the one-row-per-order export, rows pasted
twice."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from xiaodian.channels.exportfile.samplegen import HEADER, export_row, write_rows
from xiaodian.channels.exportfile.service import import_order_file
from xiaodian.orders.models import Order, OrderItem, Shipment

from ..conftest import NOW
from ..unit.test_exportfile_qa14 import _workbook

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

ORDER = "6938000000000000001"


def _import(ctx, shop_id, path, **kw):
    return import_order_file(ctx.sessions, shop_id=shop_id, path=path, cipher=ctx.cipher, now=NOW, **kw)


def _rows(**cells) -> list[dict]:
    """One order of two SKU rows, shipped in one parcel."""
    base = dict(主订单编号=ORDER, 订单状态="已发货", 快递公司="中通快递", 快递单号="75312345678901",
                发货时间="2026-11-14 09:00:00")
    return [export_row(**{**base, "子订单编号": "6939000000000000001", **cells}),
            export_row(**{**base, "子订单编号": "6939000000000000002", "商品ID": "3512000000000000777"})]


def _stored(ctx):
    with ctx.sessions() as session:
        order = session.execute(select(Order).where(Order.order_id == ORDER)).scalar_one()
        products = sorted(session.execute(select(OrderItem.product_id).where(OrderItem.order_pk == order.id))
                          .scalars())
        parcels = sorted(session.execute(select(Shipment.tracking_no).where(Shipment.order_pk == order.id))
                         .scalars())
        return products, parcels, order.phone_masked


def _xlsx_row(row: dict) -> list:
    return [row.get(name, "") or None for name in HEADER]


# --- #1: id-like columns damaged by a spreadsheet ---------------------------------------------------------------

@pytest.mark.parametrize("cell,column", [({"商品ID": "3.512E+18"}, "商品ID"), ({"快递单号": "4.87143E+14"}, "快递单号"),
                                         ({"收件人手机号": "1.39556E+10"}, "收件人手机号"),
                                         ({"商家编码": "1.23457E+11"}, "商家编码")])
def test_an_id_in_scientific_notation_rejects_its_order_and_changes_nothing_stored(ctx, shop_id, tmp_path, cell,
                                                                                   column):
    assert _import(ctx, shop_id, write_rows(tmp_path / "a.csv", _rows())).created == 2
    before = _stored(ctx)
    report = _import(ctx, shop_id, write_rows(tmp_path / "b.csv", _rows(**cell)))
    assert [(e.row, e.column, e.code) for e in report.rejected] == [
        (2, column, "id_scientific_notation"), (3, "主订单编号", "order_row_rejected")]
    assert report.updated == 0 and _stored(ctx) == before
    assert before[0] == ["3512000000000000102", "3512000000000000777"] and before[1] == ["75312345678901"]


def test_workbook_number_cells_are_read_as_their_digits_when_exact_and_refused_when_not(ctx, shop_id, tmp_path):
    exact = _xlsx_row(_rows()[0])
    exact[HEADER.index("快递单号")] = 75312345678901  # 14 digits: a number cell holds it exactly
    exact[HEADER.index("收件人手机号")] = 13955556605
    exact[HEADER.index("商品ID")] = 351200000000.0  # 12 digits, stored as a float: still exact
    second = _xlsx_row(_rows()[1])
    report = _import(ctx, shop_id, _workbook(tmp_path / "a.xlsx", {"订单": [HEADER, exact, second]}))
    assert report.created == 2 and report.rejected == []
    assert _stored(ctx) == (["351200000000", "3512000000000000777"], ["75312345678901"], "139****6605")

    lost = _xlsx_row(_rows()[0])
    lost[HEADER.index("商品ID")] = 3.512e18  # a 19-digit id stored as a number: its last digits are gone
    report = _import(ctx, shop_id, _workbook(tmp_path / "b.xlsx", {"订单": [HEADER, lost, second]}))
    assert [(e.column, e.code) for e in report.rejected] == [("商品ID", "id_scientific_notation"),
                                                            ("主订单编号", "order_row_rejected")]
    assert _stored(ctx)[0] == ["351200000000", "3512000000000000777"]


# --- #3: orders on a later sheet -----------------------------------------------------------------------------------

def test_orders_on_a_later_sheet_are_read_and_the_report_names_the_sheet(ctx, shop_id, tmp_path):
    path = _workbook(tmp_path / "a.xlsx", {"说明": [["导出说明：本文件由抖店导出"]],
                                           "订单明细": [["抖店订单导出"], HEADER] + [_xlsx_row(r) for r in _rows()]})
    report = _import(ctx, shop_id, path)
    assert report.created == 2 and report.rejected == []
    [note] = [w for w in report.warnings if w.code == "order_sheet_not_first"]
    assert note.row == 2 and "订单明细" in note.message and "说明" in note.message


# --- #7: a totals row ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("word", ["合计", "总计：", "小计"])
def test_a_totals_row_is_skipped_with_a_warning(ctx, shop_id, tmp_path, word):
    path = write_rows(tmp_path / "a.csv", _rows() + [{"主订单编号": word, "订单应付金额": "91.80", "商品数量": "2"}])
    report = _import(ctx, shop_id, path)
    assert report.created == 2 and report.rejected == [] and report.exit_code == 0
    [skipped] = report.warnings
    assert (skipped.row, skipped.code) == (4, "summary_row_skipped")


def test_a_totals_row_in_a_workbook_with_a_formula_is_skipped(ctx, shop_id, tmp_path):
    total = [None] * len(HEADER)
    total[0], total[HEADER.index("订单应付金额")] = "合计", "=SUM(H2:H3)"
    path = _workbook(tmp_path / "a.xlsx", {"订单": [HEADER] + [_xlsx_row(r) for r in _rows()] + [total]})
    report = _import(ctx, shop_id, path)
    assert report.rejected == [] and [w.code for w in report.warnings] == ["summary_row_skipped"]


def test_a_row_saying_total_beside_other_text_is_still_rejected(ctx, shop_id, tmp_path):
    path = write_rows(tmp_path / "a.csv", [export_row(主订单编号="合计")])
    assert [e.code for e in _import(ctx, shop_id, path).rejected] == ["id_invalid"]


# --- #13: rows pasted twice -------------------------------------------------------------------------------------------

def test_an_exact_repeat_is_skipped_and_a_differing_one_still_rejects_its_order(ctx, shop_id, tmp_path):
    first, second = _rows()
    other = export_row(主订单编号="6938000000000000009", 子订单编号="6939000000000000009")
    path = write_rows(tmp_path / "a.csv", [first, second, other, dict(first), {**other, "订单状态": "已发货"}])
    report = _import(ctx, shop_id, path)
    assert report.created == 2 and report.orders["created"] == 1
    [repeat] = report.warnings
    assert (repeat.row, repeat.code, repeat.order_key) == (5, "duplicate_row_skipped", ORDER)
    assert "row 2" in repeat.message
    assert [(e.row, e.code) for e in report.rejected] == [(4, "order_row_rejected"), (6, "duplicate_sku_order_id")]
    assert _stored(ctx)[0] == ["3512000000000000102", "3512000000000000777"]
