"""An unshipped order refunded in full before shipping closes (domain.md §1, main_status 21 发货前退款完结), whatever
reports the refund: the merchant's 退款, the platform's refund_done, an after-sale file or sync. Partly refunded or
partly shipped orders stay open; an agreed refund not yet paid keeps the order off the to-ship lists; a later snapshot
cannot reopen a closed order (QA pass 6, #1). SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from xiaodian.accounts.models import AuditEntry
from xiaodian.accounts.service import Principal
from xiaodian.aftersales import intake
from xiaodian.aftersales import service as aftersales
from xiaodian.aftersales.domain import Action, ActionInput, CaseStatus, CaseType
from xiaodian.db import transaction
from xiaodian.errors import InvalidTransition
from xiaodian.orders.domain import ItemRecord, OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import OrderEvent
from xiaodian.orders.queries import require_order
from xiaodian.shipping import service as shipping
from xiaodian.shipping.queries import awaiting_deadline_keys

from ..conftest import NOW, csrf_of, login
from ..factories import make_record

CS = Principal(2, "cs", "cs", "web")
H = timedelta(hours=1)
ORDER = "6938906159437773390"
CASE = "7012000000000000001"
TWO_SKUS = "6938906159437770001"
OVERDUE = NOW - timedelta(days=4, hours=10)


def _order(ctx, shop_id, order_id=ORDER, **fields):
    fields.setdefault("status", OrderStatus.AWAITING_SHIPMENT)
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW,
                      records=[make_record(order_id, ship_by=OVERDUE, product="高筋小麦粉 面包粉 5斤",
                                           unit_price_fen=2490, **fields)])


def _two_sku_order(ctx, shop_id, **fields):
    items = [ItemRecord(f"{TWO_SKUS[:-1]}{n}", f"小米 {n}号", 1, 1990, product_id="3512000000000000101")
             for n in (2, 3)]
    _order(ctx, shop_id, TWO_SKUS, items=items, **fields)


def _open(ctx, shop_id, order_id=ORDER, aftersale_id=CASE, sku_order_id=None, kind=CaseType.REFUND_UNSHIPPED):
    with transaction(ctx.sessions) as session:
        aftersales.open_case(session, shop_id=shop_id, aftersale_id=aftersale_id, order_id=order_id,
                             sku_order_id=sku_order_id, case_type=kind, applied_at=NOW - 8 * H, now=NOW,
                             source="import", principal=None, refund_fen=2490,
                             reason=aftersales.BuyerReason("多拍/拍错/不想要", remark="拍错了"))


def _act(ctx, shop_id, action, aftersale_id=CASE, at=NOW):
    with transaction(ctx.sessions) as session:
        aftersales.merchant_action(session, shop_id=shop_id, aftersale_id=aftersale_id, action=action,
                                   given=ActionInput(), principal=CS, now=at)


def _status(ctx, shop_id, order_id=ORDER):
    with ctx.sessions() as session:
        return require_order(session, shop_id, order_id).status


def test_agreed_refund_still_holds_the_order_then_the_refund_closes_it(ctx, shop_id, users):
    _order(ctx, shop_id)
    _open(ctx, shop_id)
    _act(ctx, shop_id, Action.AGREE)
    with ctx.sessions() as session:  # 待退款: agreed, not paid yet: still off every to-ship list
        order = require_order(session, shop_id, ORDER)
        assert order.status == "awaiting_shipment"
        assert shipping.blocker_of(session, order)[0] == "refund_pending"
        assert aftersales.refund_pending_orders(session, shop_id, [ORDER]) == {ORDER}
        assert aftersales.refund_pending_unshipped(session, shop_id, {order.id}) == {order.id}
    _act(ctx, shop_id, Action.REFUND, at=NOW + H)
    with ctx.sessions() as session:
        order = require_order(session, shop_id, ORDER)
        assert (order.status, order.platform_status_code) == ("cancelled", 4)
        assert order.cancelled_at == NOW + H and order.cancel_reason == "发货前退款完结"
        assert order.after_sale_status == "售后成功"  # the case's label, written just before the close, stays
        assert shipping.blocker_of(session, order)[0] == "order_cancelled"
        assert order.id not in awaiting_deadline_keys(session, shop_id)[1]
        event = session.execute(select(OrderEvent).where(OrderEvent.order_pk == order.id,
                                                         OrderEvent.kind == "status_changed")).scalar_one()
        assert (event.from_status, event.to_status, event.actor, event.at) == ("awaiting_shipment", "cancelled", "cs",
                                                                               NOW + H)
        assert json.loads(event.detail)["reason"] == "发货前退款完结"
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "aftersales.order_closed")).scalar_one()
        assert (entry.target_id, entry.login) == (ORDER, "cs")
        assert json.loads(entry.after)["status"] == "cancelled"


@pytest.mark.parametrize("channel", ["refund_done", "snapshot"])
def test_the_platform_reporting_the_refund_closes_the_order_too(ctx, shop_id, channel):
    _order(ctx, shop_id)
    _open(ctx, shop_id)
    with transaction(ctx.sessions) as session:
        case = aftersales.require_case(session, shop_id, CASE)
        if channel == "refund_done":
            aftersales.platform_event(session, case, Action.AUTO_AGREE, now=NOW, source="sync")
            aftersales.platform_event(session, case, Action.REFUND_DONE, now=NOW, source="sync")
        else:  # an after-sale file or sync that first sees the case 售后成功
            snap = intake.CaseSnapshot(CASE, ORDER, CaseType.REFUND_UNSHIPPED, CaseStatus.SUCCEEDED, NOW - 8 * H,
                                       sku_order_id=ORDER, refund_fen=2490)
            assert intake.upsert_case(session, shop_id=shop_id, snap=snap, now=NOW, source="import",
                                      principal=None) == "updated"
    assert _status(ctx, shop_id) == "cancelled"


def test_an_order_export_saying_only_after_sale_succeeded_does_not_close_the_order(ctx, shop_id):
    """The order export names no case type (售后成功 on an unshipped order may be a 价保): its 订单状态 decides, until
    the after-sale file says the case was a refund before shipping."""
    _order(ctx, shop_id, after_sale_status="售后成功",
           items=[ItemRecord(ORDER, "高筋小麦粉 面包粉 5斤", 1, 2490, after_sale_status="售后成功")])
    with transaction(ctx.sessions) as session:
        assert intake.from_order_export(session, shop_id=shop_id, order_ids=[ORDER], now=NOW, source="import",
                                        principal=None) == 1
    assert _status(ctx, shop_id) == "awaiting_shipment"
    with transaction(ctx.sessions) as session:  # the after-sale file then names the case: a refund before shipping
        snap = intake.CaseSnapshot(CASE, ORDER, CaseType.REFUND_UNSHIPPED, CaseStatus.SUCCEEDED, NOW - 8 * H,
                                   sku_order_id=ORDER, refund_fen=2490)
        intake.upsert_case(session, shop_id=shop_id, snap=snap, now=NOW + H, source="import", principal=None)
    assert _status(ctx, shop_id) == "cancelled"


def test_one_sku_of_two_refunded_leaves_the_order_to_ship(ctx, shop_id):
    _two_sku_order(ctx, shop_id)
    _open(ctx, shop_id, TWO_SKUS, sku_order_id=f"{TWO_SKUS[:-1]}2")
    _act(ctx, shop_id, Action.AGREE)
    _act(ctx, shop_id, Action.REFUND)
    assert _status(ctx, shop_id, TWO_SKUS) == "awaiting_shipment"
    _open(ctx, shop_id, TWO_SKUS, aftersale_id="7012000000000000002", sku_order_id=f"{TWO_SKUS[:-1]}3")
    _act(ctx, shop_id, Action.AGREE, aftersale_id="7012000000000000002")
    _act(ctx, shop_id, Action.REFUND, aftersale_id="7012000000000000002")
    assert _status(ctx, shop_id, TWO_SKUS) == "cancelled"  # the second SKU's refund covers the rest


def test_a_shipped_or_partly_shipped_order_is_not_closed(ctx, shop_id):
    _two_sku_order(ctx, shop_id, status=OrderStatus.PARTIALLY_SHIPPED, shipped_at=NOW - H)
    _order(ctx, shop_id, status=OrderStatus.SHIPPED, shipped_at=NOW - H)
    for n, (order_id, sku) in enumerate([(TWO_SKUS, f"{TWO_SKUS[:-1]}2"), (TWO_SKUS, f"{TWO_SKUS[:-1]}3"),
                                         (ORDER, ORDER)]):
        _open(ctx, shop_id, order_id, aftersale_id=f"701200000000000010{n}", sku_order_id=sku)
        _act(ctx, shop_id, Action.AGREE, aftersale_id=f"701200000000000010{n}")
        _act(ctx, shop_id, Action.REFUND, aftersale_id=f"701200000000000010{n}")
    assert _status(ctx, shop_id, TWO_SKUS) == "partially_shipped"
    assert _status(ctx, shop_id, ORDER) == "shipped"


def test_a_later_snapshot_cannot_reopen_the_closed_order_and_the_platform_close_goes_through(ctx, shop_id):
    _order(ctx, shop_id)
    _open(ctx, shop_id)
    _act(ctx, shop_id, Action.AGREE)
    _act(ctx, shop_id, Action.REFUND)
    again = make_record(ORDER, status=OrderStatus.AWAITING_SHIPMENT, ship_by=OVERDUE, product="高筋小麦粉 面包粉 5斤",
                        unit_price_fen=2490)
    with transaction(ctx.sessions) as session:  # the very export the order came from: nothing to change
        result = upsert_orders(session, shop_id=shop_id, records=[again], cipher=ctx.cipher, now=NOW)
    assert not result.rejected and _status(ctx, shop_id) == "cancelled"
    again.merchant_note = "已电话联系"  # an export of the same moment with something else changed: skipped, older
    with transaction(ctx.sessions) as session:
        result = upsert_orders(session, shop_id=shop_id, records=[again], cipher=ctx.cipher, now=NOW)
    assert not result.rejected and result.unchanged == 1 and _status(ctx, shop_id) == "cancelled"
    assert [(r.code, r.message) for r in result.warnings] == [
        ("older_snapshot_skipped", "the desk already has a later state (cancelled); this row (awaiting_shipment) "
                                   "is older and was skipped")]
    with transaction(ctx.sessions) as session:  # the platform's sync saying so is a real disagreement: refused
        result = upsert_orders(session, shop_id=shop_id, records=[again], cipher=ctx.cipher, now=NOW, source="sync")
    assert [(r.code, r.message) for r in result.rejected] == [
        ("invalid_transition", f"order {ORDER} is cancelled; a snapshot cannot move it back to awaiting_shipment")]
    with transaction(ctx.sessions) as session:  # the original after-sale file: the case row is refused, no crash
        snap = intake.CaseSnapshot(CASE, ORDER, CaseType.REFUND_UNSHIPPED, CaseStatus.WAITING_MERCHANT, NOW - 8 * H,
                                   sku_order_id=ORDER, refund_fen=2490)
        out = intake.upsert_cases(session, shop_id=shop_id, snaps=[snap], now=NOW, source="import", principal=None)
    assert isinstance(out[0], InvalidTransition) and out[0].code == "stale_snapshot"
    closed = make_record(ORDER, status=OrderStatus.CANCELLED, ship_by=OVERDUE, product="高筋小麦粉 面包粉 5斤",
                         unit_price_fen=2490, cancelled_at=NOW, cancel_reason="发货前退款完结")
    with transaction(ctx.sessions) as session:  # the platform's own 已关闭, next sync or export: fine, idempotent
        result = upsert_orders(session, shop_id=shop_id, records=[closed], cipher=ctx.cipher, now=NOW + H)
    assert not result.rejected and _status(ctx, shop_id) == "cancelled"
    with ctx.sessions() as session:
        order = require_order(session, shop_id, ORDER)
        closes = session.execute(select(OrderEvent).where(OrderEvent.order_pk == order.id,
                                                          OrderEvent.kind == "status_changed")).scalars().all()
    assert len(closes) == 1


def test_kefu_refunds_through_the_web_and_the_warehouse_cannot_ship_it(app, users, ctx, shop_id):
    _order(ctx, shop_id)
    _open(ctx, shop_id)
    with TestClient(app) as client:
        login(client, "cs")
        for action in ("agree", "refund"):
            csrf = csrf_of(client, f"/aftersales/{CASE}")
            done = client.post(f"/aftersales/{CASE}/act", data={"action": action, "csrf_token": csrf},
                               follow_redirects=False)
            assert done.status_code == 303, done.text
        order_page = client.get(f"/orders/{ORDER}").text
    assert '<span class="status status-cancelled">' in order_page and "已超时" not in order_page
    assert " · 发货前退款完结</dd>" in order_page  # 关闭时间 with the reason
    with TestClient(app) as client:
        login(client, "warehouse")
        for path in ("/shipping?view=awaiting", "/shipping?view=overdue", "/shipping/picklist", "/"):
            assert ORDER not in client.get(path).text, path
        form = client.get(f"/shipping/orders/{ORDER}/ship").text
        assert 'data-code="order_cancelled"' in form
        token = csrf_of(client, "/shipping/bulk")
        preview = client.post("/shipping/bulk", data={"csrf_token": token},
                              files={"file": ("ship.csv", f"订单号,快递公司,快递单号\n{ORDER},中通,75399999999991\n"
                                              .encode(), "text/csv")})
    assert preview.status_code == 200 and "order_cancelled" in preview.text
    assert _status(ctx, shop_id) == "cancelled"
    with TestClient(app) as client:
        login(client, "owner")
        assert "售后：订单已关闭：发货前退款完结" in client.get("/audit").text


def test_a_close_that_refunded_less_than_was_paid_says_so_on_the_order_and_in_the_audit(ctx, shop_id, app, users):
    """QA pass 9, #2: ¥24.90 of goods refunded on an order paid ¥34.90 with ¥10.00 postage: the order closes
    (the platform's 发货前退款完结), and its timeline and the audit log say ¥10.00 was paid and not refunded."""
    from dataclasses import replace

    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[replace(
            make_record(ORDER, ship_by=OVERDUE, product="高筋小麦粉 面包粉 5斤", unit_price_fen=2490),
            pay_amount_fen=3490, post_amount_fen=1000)])
    _open(ctx, shop_id)
    _act(ctx, shop_id, Action.AGREE)
    _act(ctx, shop_id, Action.REFUND)
    assert _status(ctx, shop_id) == "cancelled"
    with ctx.sessions() as session:
        closed = session.execute(select(OrderEvent.detail).where(OrderEvent.kind == "status_changed",
                                                                 OrderEvent.to_status == "cancelled")).scalar_one()
    assert json.loads(closed) == {"reason": "发货前退款完结", "aftersale_id": CASE, "paid_fen": 3490,
                                       "refunded_fen": 2490, "not_refunded_fen": 1000}
    with TestClient(app) as client:
        login(client, "owner")
        page = client.get(f"/orders/{ORDER}").text
        audit = client.get("/audit").text
    assert "实付未退（运费？）：请在抖店后台核对" in page and "¥10.00" in page.split("实付未退（运费？）", 1)[1][:200]
    assert "实付未退" in audit and "¥10.00" in audit.split("实付未退", 1)[1][:200]


def test_a_partly_refunded_order_ships_the_rest_and_never_the_refunded_item(ctx, shop_id, app, users):
    """The refunded SKU order is off the pick list and the ship form, a request naming it is refused
    (item_refunded), and shipping what is left ships the order (已发货)."""
    from xiaodian.shipping.picking import items_to_pick

    refunded_sku, kept_sku = f"{TWO_SKUS[:-1]}2", f"{TWO_SKUS[:-1]}3"
    _two_sku_order(ctx, shop_id)
    _open(ctx, shop_id, TWO_SKUS, sku_order_id=refunded_sku)
    _act(ctx, shop_id, Action.AGREE)
    _act(ctx, shop_id, Action.REFUND)
    with ctx.sessions() as session:
        assert [i.product_name for i in items_to_pick(session, shop_id, [TWO_SKUS])[TWO_SKUS]] == ["小米 3号"]
    with TestClient(app) as client:
        login(client, "warehouse")
        form = client.get(f"/shipping/orders/{TWO_SKUS}/ship").text
        assert f'value="{refunded_sku}" disabled' in form and "发货前已退款，勿发" in form
        assert "小米 3号" in client.get("/shipping/picklist").text
    with transaction(ctx.sessions) as session:
        with pytest.raises(Exception) as refused:
            shipping.plan_shipment(session, shop_id, shipping.ShipRequest(
                TWO_SKUS, "zhongtong", "75399999999991", items=[refunded_sku]))
        assert refused.value.code == "item_refunded"
        plan = shipping.plan_shipment(session, shop_id, shipping.ShipRequest(TWO_SKUS, "zhongtong", "75399999999991"))
        assert (plan.items, plan.target) == ([kept_sku], OrderStatus.SHIPPED)
