"""An XLSX export is parsed once: the first pass (which orders have scattered rows) records the rows and the second
pass replays them (channels/exportfile/spool.py), with the same report, row numbers and data as the same rows read
from a CSV (SQLite and PostgreSQL)."""

from __future__ import annotations

import openpyxl
from sqlalchemy import select

from xiaodian.channels.exportfile.samplegen import HEADER, export_row, write_rows
from xiaodian.channels.exportfile.service import import_order_file
from xiaodian.orders.models import Order, OrderItem

from ..conftest import NOW

A, B, C = "6938459704022656025", "6938459704022656031", "6938459704022656047"
ROWS = [
    export_row(主订单编号=A, 子订单编号="6938459704022656026", 选购商品="五常大米 5kg", 订单应付金额="91.80"),
    export_row(主订单编号=B, 子订单编号=B, 选购商品="小米 1kg"),
    export_row(主订单编号=A, 子订单编号="6938459704022656027", 选购商品="花生油 5L", 订单应付金额="91.80"),  # A scattered
    export_row(主订单编号=C, 子订单编号=C, 收件人手机号="12345"),  # a bad phone: rejected with its row number
]


def _xlsx(path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for number, row in enumerate(ROWS):
        if number == 2:
            sheet.append([None] * len(HEADER))  # a blank row in between: row numbers must still match the sheet's
        sheet.append([row[h] for h in HEADER])
    book.save(path)
    return path


def test_an_xlsx_import_reads_the_workbook_once_and_reports_like_the_csv(ctx, shop_id, tmp_path, monkeypatch):
    csv_rows = [*ROWS[:2], {h: "" for h in HEADER}, *ROWS[2:]]
    csv_path, xlsx_path = write_rows(tmp_path / "e.csv", csv_rows), _xlsx(tmp_path / "e.xlsx")
    opened = []
    real = openpyxl.load_workbook
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **kw: opened.append(1) or real(*a, **kw))

    def run(path, dry_run):
        return import_order_file(ctx.sessions, shop_id=shop_id, path=path, cipher=ctx.cipher, now=NOW, dry_run=dry_run)

    from_csv = run(csv_path, True)
    assert opened == []
    from_xlsx = run(xlsx_path, False)
    assert opened == [1]  # once for both passes
    assert (from_xlsx.created, from_xlsx.updated, from_xlsx.unchanged) == (from_csv.created, 0, 0) == (3, 0, 0)
    assert [(e.row, e.column, e.code) for e in from_xlsx.rejected] == \
        [(e.row, e.column, e.code) for e in from_csv.rejected] == [(6, "收件人手机号", "phone_invalid")]
    with ctx.sessions() as session:
        items = session.execute(select(Order.order_id, OrderItem.sku_order_id, OrderItem.product_name)
                                .join(OrderItem, OrderItem.order_pk == Order.id).order_by(OrderItem.sku_order_id)).all()
    assert items == [(A, "6938459704022656026", "五常大米 5kg"), (A, "6938459704022656027", "花生油 5L"),
                     (B, B, "小米 1kg")]
    assert not list(tmp_path.glob("tmp*"))  # nothing left beside the file (the spool is a removed temporary file)
