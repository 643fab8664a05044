"""Refund progress (domain.md §4 refund status 1 待退款, 2 退款中, 3 退款成功, 4 退款失败) in a real database:
export files move a case through 待退款 → 退款中 → 退款失败, each step in the case history and the order's
timeline; a failed refund is the merchant's move (待我处理) until it is paid again; it keeps blocking shipment."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from xiaodian.accounts.service import Principal
from xiaodian.aftersales import queries, service, views
from xiaodian.aftersales.domain import Action, ActionInput
from xiaodian.aftersales.importfile import import_aftersale_file
from xiaodian.db import transaction
from xiaodian.errors import InvalidTransition
from xiaodian.orders.domain import ItemRecord, OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import Order, OrderEvent

from ..conftest import NOW
from ..factories import make_record

CS = Principal(2, "cs", "cs", "web")
ORDER = "6938459704022656025"
CASE = "7100000000000000031"
HEADER = "售后单号,订单号,子订单号,售后类型,售后状态,申请时间,售后原因,退款金额,退货快递单号,逾期时间\n"


def _order(ctx, shop_id, status=OrderStatus.SHIPPED):
    item = ItemRecord(sku_order_id=ORDER, product_name="五常大米 5kg", quantity=1, unit_price_fen=8990,
                      product_id="p1")
    extra = {"shipped_at": NOW - timedelta(days=2)} if status is OrderStatus.SHIPPED else {}
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record(
            order_id=ORDER, status=status, items=[item], **extra)])


def _import(ctx, shop_id, tmp_path, status_text, *, kind="已发货仅退款", at=NOW, name=None):
    path = tmp_path / (name or f"{status_text}.csv")
    path.write_text(HEADER + f"{CASE},{ORDER},{ORDER},{kind},{status_text},2026-11-23 10:00:00,质量问题,89.90,,\n",
                    encoding="utf-8")
    return import_aftersale_file(ctx.sessions, shop_id=shop_id, path=path, now=at, principal=CS)


def _detail(ctx, shop_id):
    with ctx.sessions() as session:
        return views.case_detail(session, shop_id=shop_id, aftersale_id=CASE, now=NOW, families=views.families_from(None))


def test_exports_move_a_refund_from_pending_to_in_progress_to_failed_with_history_and_timeline(ctx, shop_id, tmp_path):
    _order(ctx, shop_id)
    assert _import(ctx, shop_id, tmp_path, "待退款").created == 1
    case = _detail(ctx, shop_id)
    assert (case.status, case.refund_status) == ("refunding", "pending")
    report = _import(ctx, shop_id, tmp_path, "退款中", at=NOW + timedelta(minutes=5))
    assert (report.updated, report.rejected) == (1, [])
    case = _detail(ctx, shop_id)
    assert (case.status, case.refund_status) == ("refunding", "refunding")
    assert _import(ctx, shop_id, tmp_path, "退款中", at=NOW + timedelta(minutes=6), name="again.csv").unchanged == 1
    assert _import(ctx, shop_id, tmp_path, "退款失败", at=NOW + timedelta(minutes=10)).updated == 1
    case = _detail(ctx, shop_id)
    assert (case.status, case.refund_status) == ("refund_failed", "failed")
    assert case.whose_move == "merchant" and case.merchant_actions == ["retry_refund"]
    assert [e.action for e in case.history if e.action != "reason_given"] == [
        "apply", "status_synced", "refund_progress", "status_synced"]
    assert [e.to_status for e in case.history if e.to_status] == ["waiting_merchant", "refunding", "refund_failed"]
    with ctx.sessions() as session:
        lines = session.execute(select(OrderEvent.detail).where(OrderEvent.kind == "aftersale")
                                .order_by(OrderEvent.id)).scalars().all()
    assert any('"refund_progress"' in line and '"refunding"' in line for line in lines)
    assert '"to": "refund_failed"' in lines[-1]


def test_a_failed_refund_is_in_waiting_for_me_until_the_merchant_pays_it_again(ctx, shop_id, tmp_path):
    _order(ctx, shop_id)
    _import(ctx, shop_id, tmp_path, "退款失败")
    with ctx.sessions() as session:
        page = views.case_page(session, shop_id=shop_id, now=NOW, families=views.families_from(None),
                               flt=queries.CaseFilter(tab="todo"))
    assert [c.aftersale_id for c in page.cases] == [CASE] and page.counts["todo"] == 1
    with pytest.raises(InvalidTransition) as refused:
        with transaction(ctx.sessions) as session:
            service.merchant_action(session, shop_id=shop_id, aftersale_id=CASE, action=Action.REFUND,
                                    given=ActionInput(), principal=CS, now=NOW)
    assert refused.value.code == "not_allowed_in_status" and "retry_refund" in refused.value.message
    with transaction(ctx.sessions) as session:
        case = service.merchant_action(session, shop_id=shop_id, aftersale_id=CASE, action=Action.RETRY_REFUND,
                                       given=ActionInput(), principal=CS, now=NOW)
        assert (case.status, case.refund_status) == ("refunding", "refunding")
    with transaction(ctx.sessions) as session:
        case = service.require_case(session, shop_id, CASE)
        service.platform_event(session, case, Action.REFUND_DONE, now=NOW + timedelta(hours=1), source="sync")
    detail = _detail(ctx, shop_id)
    assert (detail.status, detail.refund_status, detail.due_by) == ("succeeded", "succeeded", None)
    assert [e.action for e in detail.history if e.to_status][-2:] == ["retry_refund", "refund_done"]


def test_a_failed_refund_on_an_unshipped_order_still_blocks_shipping(ctx, shop_id, tmp_path):
    _order(ctx, shop_id, status=OrderStatus.AWAITING_SHIPMENT)
    _import(ctx, shop_id, tmp_path, "退款失败", kind="未发货仅退款")
    with ctx.sessions() as session:
        order = session.execute(select(Order).where(Order.order_id == ORDER)).scalar_one()
        blocked = service.pending_refund_blocker(session, order)
    assert blocked is not None and blocked[0] == "refund_pending"


def test_a_refund_reported_successful_after_failing_finishes_the_case(ctx, shop_id, tmp_path):
    _order(ctx, shop_id)
    _import(ctx, shop_id, tmp_path, "退款失败")
    assert _import(ctx, shop_id, tmp_path, "退款成功", at=NOW + timedelta(hours=2)).updated == 1
    case = _detail(ctx, shop_id)
    assert (case.status, case.refund_status) == ("succeeded", "succeeded")
