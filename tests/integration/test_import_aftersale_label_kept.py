"""A later export whose 售后状态 cell is empty keeps the after-sale label the order's cases give (QA: it blanked the
label on the order and its SKU order, so the 售后中 tab, the list and the pick list lost the case): the cases are the
truth once the desk holds them (aftersales/order_label.py), and an empty cell says nothing about them. An order
without cases keeps taking what its file says."""

from __future__ import annotations

from sqlalchemy import func, select

from xiaodian.aftersales.models import AfterSaleCase
from xiaodian.channels.exportfile.samplegen import export_row, write_rows
from xiaodian.channels.exportfile.service import import_order_file
from xiaodian.orders.models import Order, OrderEvent

from ..conftest import NOW

ORDER = "6938459704022656025"  # SAMPLE_ROW's order and SKU order
OTHER = "6938459704022656026"  # no case: the file's label stands


def _import(ctx, shop_id, path):
    return import_order_file(ctx.sessions, shop_id=shop_id, path=path, cipher=ctx.cipher, now=NOW)


def _labels(ctx, order_id):
    with ctx.sessions() as session:
        order = session.execute(select(Order).where(Order.order_id == order_id)).scalar_one()
        return order.after_sale_status, [i.after_sale_status for i in order.items]


def _events(ctx) -> int:
    with ctx.sessions() as session:
        return session.scalar(select(func.count()).select_from(OrderEvent))


def test_an_empty_after_sale_cell_keeps_the_label_of_the_cases(ctx, shop_id, tmp_path):
    first = write_rows(tmp_path / "a.csv", [export_row(售后状态="待商家处理")])
    assert _import(ctx, shop_id, first).created == 1
    with ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AfterSaleCase)) == 1
    assert _labels(ctx, ORDER) == ("待商家处理", ["待商家处理"])
    events = _events(ctx)
    later = write_rows(tmp_path / "b.csv", [export_row(售后状态="")])
    report = _import(ctx, shop_id, later)
    assert _labels(ctx, ORDER) == ("待商家处理", ["待商家处理"])
    assert (report.updated, report.unchanged) == (0, 1)  # nothing the order shows changed
    assert _events(ctx) == events


def test_an_empty_cell_still_leaves_other_changes_and_an_order_without_cases_takes_the_file(ctx, shop_id, tmp_path):
    _import(ctx, shop_id, write_rows(tmp_path / "a.csv", [export_row(售后状态="待商家处理"),
                                                          export_row(主订单编号=OTHER, 子订单编号=OTHER)]))
    with ctx.sessions() as session:  # a label no case gave (an older sync, say): the file's word stands for it
        session.execute(Order.__table__.update().where(Order.order_id == OTHER).values(after_sale_status="售后中"))
        session.commit()
    later = _import(ctx, shop_id, write_rows(tmp_path / "b.csv", [
        export_row(售后状态="", 商家备注="先别发"), export_row(主订单编号=OTHER, 子订单编号=OTHER, 商家备注="改了")]))
    assert later.updated == 2
    assert _labels(ctx, ORDER) == ("待商家处理", ["待商家处理"])
    assert _labels(ctx, OTHER)[0] is None
    with ctx.sessions() as session:
        assert session.execute(select(Order.merchant_note).where(Order.order_id == ORDER)).scalar_one() == "先别发"
