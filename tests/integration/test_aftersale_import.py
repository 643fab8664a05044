"""After-sale export files and the order export's 售后状态: cases created, later exports recorded as history
(status and reason changes), the same file twice changes nothing, bad rows named; and the reason history has
no update path anywhere in the code."""

from __future__ import annotations

import pathlib
from datetime import timedelta

from xiaodian.accounts.service import Principal
from xiaodian.aftersales import views
from xiaodian.aftersales.importfile import import_aftersale_file
from xiaodian.aftersales.intake import from_order_export
from xiaodian.db import transaction
from xiaodian.orders.domain import ItemRecord, OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW
from ..factories import make_record

CS = Principal(2, "cs", "cs", "cli")
ORDER = "6938459704022656025"
HEADER = "售后单号,订单号,子订单号,售后类型,售后状态,申请时间,售后原因,退款金额,退货快递单号,逾期时间\n"


def _shipped_order(ctx, shop_id, order_id=ORDER, after_sale=None):
    item = ItemRecord(sku_order_id=order_id, product_name="五常大米 5kg", quantity=1, unit_price_fen=8990,
                      product_id="p1", after_sale_status=after_sale)
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record(
            order_id=order_id, status=OrderStatus.SHIPPED, items=[item], after_sale_status=after_sale,
            shipped_at=NOW - timedelta(days=2))])


def _file(tmp_path, name, rows):
    path = tmp_path / name
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def _detail(ctx, shop_id, aftersale_id):
    with ctx.sessions() as session:
        return views.case_detail(session, shop_id=shop_id, aftersale_id=aftersale_id, now=NOW,
                                 families=views.families_from(None))


def test_a_later_export_records_status_and_reason_changes_and_the_same_file_changes_nothing(ctx, shop_id, tmp_path):
    _shipped_order(ctx, shop_id)
    first = _file(tmp_path, "a.csv", [f"'7100000000000000001,{ORDER},{ORDER},退货退款,待商家处理,2026-11-23 10:00:00,"
                                      "质量问题,89.90,,2026-11-25 10:00:00"])
    report = import_aftersale_file(ctx.sessions, shop_id=shop_id, path=first, now=NOW, principal=CS)
    assert (report.created, report.rejected) == (1, [])
    again = import_aftersale_file(ctx.sessions, shop_id=shop_id, path=first, now=NOW, principal=CS)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    later = _file(tmp_path, "b.csv", [f"7100000000000000001,{ORDER},{ORDER},退货退款,待商家收货,2026-11-23 10:00:00,"
                                      "七天无理由,89.90,SF1234567890123,2026-12-04 10:00:00"])
    report = import_aftersale_file(ctx.sessions, shop_id=shop_id, path=later, now=NOW + timedelta(hours=1),
                                   principal=CS)
    assert report.updated == 1
    detail = _detail(ctx, shop_id, "7100000000000000001")
    assert detail.status == "waiting_receipt" and detail.refund_fen == 8990
    assert detail.return_tracking_no == "SF1234567890123" and detail.due_by_source == "platform"
    assert [(r.text, r.source) for r in detail.reason_history] == [("质量问题", "import"), ("七天无理由", "import")]
    assert [e.action for e in detail.history if e.to_status] == ["apply", "status_synced"]
    older = import_aftersale_file(ctx.sessions, shop_id=shop_id, path=first, now=NOW + timedelta(hours=2),
                                  principal=CS)
    assert older.rejected and older.rejected[0].code == "stale_snapshot"  # an older file cannot move it back


def test_bad_rows_are_named_by_row_column_and_code_and_the_rest_imports(ctx, shop_id, tmp_path):
    _shipped_order(ctx, shop_id)
    path = _file(tmp_path, "bad.csv", [
        f"7100000000000000002,{ORDER},,换货,待商家处理,2026-11-23 10:00:00,发错货,0,,",
        f"7100000000000000003,{ORDER},,以旧换新,待商家处理,2026-11-23 10:00:00,,0,,",
        "7100000000000000004,4.90754E+18,,退货退款,待商家处理,2026-11-23 10:00:00,,0,,",
        "7100000000000000005,6999999999999999999,,退货退款,待商家处理,2026-11-23 10:00:00,,0,,",
    ])
    report = import_aftersale_file(ctx.sessions, shop_id=shop_id, path=path, now=NOW, principal=CS)
    assert report.created == 1
    assert [(e.row, e.column, e.code) for e in report.rejected] == [
        (3, "售后类型", "type_unknown"), (4, "订单号", "id_scientific_notation"), (5, "订单号", "order_not_found")]


def test_a_dry_run_reports_and_changes_nothing(ctx, shop_id, tmp_path):
    _shipped_order(ctx, shop_id)
    path = _file(tmp_path, "dry.csv", [f"7100000000000000006,{ORDER},,价保,待商家处理,2026-11-23 10:00:00,价格原因,5.00,,"])
    report = import_aftersale_file(ctx.sessions, shop_id=shop_id, path=path, now=NOW, principal=CS, dry_run=True)
    assert report.created == 1 and report.dry_run
    with ctx.sessions() as session:
        assert views.case_page(session, shop_id=shop_id, now=NOW, families=views.families_from(None),
                               flt=views.queries.CaseFilter(tab="all")).total == 0


def test_the_order_exports_after_sale_text_opens_a_provisional_case_that_the_after_sale_export_adopts(
        ctx, shop_id, tmp_path):
    _shipped_order(ctx, shop_id, after_sale="待买家退货")
    with transaction(ctx.sessions) as session:
        assert from_order_export(session, shop_id=shop_id, order_ids=[ORDER], now=NOW, source="import",
                                 principal=CS) == 1
        assert from_order_export(session, shop_id=shop_id, order_ids=[ORDER], now=NOW, source="import",
                                 principal=CS) == 0  # the same text again changes nothing
    provisional = _detail(ctx, shop_id, f"sku:{ORDER}")
    assert provisional.provisional and provisional.status == "waiting_buyer_return" and not provisional.reason_history
    path = _file(tmp_path, "as.csv", [f"7100000000000000007,{ORDER},{ORDER},退货退款,待买家退货,2026-11-22 09:00:00,"
                                      "商品破损/污渍,89.90,,"])
    assert import_aftersale_file(ctx.sessions, shop_id=shop_id, path=path, now=NOW, principal=CS).updated == 1
    adopted = _detail(ctx, shop_id, "7100000000000000007")
    assert not adopted.provisional and adopted.current_reason.text == "商品破损/污渍"


def test_importing_an_order_export_with_a_refund_text_opens_a_case(ctx, shop_id, tmp_path):
    from xiaodian.channels.exportfile.service import import_order_file

    path = tmp_path / "orders.csv"
    path.write_text("主订单编号,子订单编号,选购商品,商品数量,商品金额,订单提交时间,支付完成时间,订单状态,售后状态\n"
                    f"{ORDER},{ORDER},五常大米 5kg,1,89.90,2026-11-24 08:00:00,2026-11-24 08:01:00,备货中,待商家处理\n",
                    encoding="utf-8")
    import_order_file(ctx.sessions, shop_id=shop_id, path=path, cipher=ctx.cipher, now=NOW, principal=CS)
    case = _detail(ctx, shop_id, f"sku:{ORDER}")
    assert (case.type, case.status) == ("refund_unshipped", "waiting_merchant")


def test_the_code_has_no_update_or_delete_path_for_buyer_reasons():
    import xiaodian

    root = pathlib.Path(xiaodian.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        source = path.read_text()
        for needle in ("update(AfterSaleReason", "delete(AfterSaleReason", "UPDATE aftersale_reasons",
                       "DELETE FROM aftersale_reasons", "AfterSaleReason.__table__.update",
                       "AfterSaleReason.__table__.delete"):
            if needle in source:
                offenders.append(f"{path.name}: {needle}")
        for attr in (".text =", ".remark =", ".code =", ".evidence_count ="):
            for line in source.splitlines():
                if "reason" in line.lower() and attr in line and "AfterSaleReason(" not in line:
                    offenders.append(f"{path.name}: {line.strip()}")
    assert offenders == []
