"""An order's 售后状态 label (orders.after_sale_status, the SKU order's too) follows its after-sale cases after every
case change, for every case type and status, and agrees with the 售后中 tab (QA orders D3)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from xiaodian.aftersales import reasons, service
from xiaodian.aftersales.domain import (
    ACTOR_OF, FINISHED, FLOW_OF, OPEN, STATUSES_OF, TRANSITIONS, Action, ActionInput, Actor, CaseStatus, CaseType,
)
from xiaodian.aftersales.models import AfterSaleCase
from xiaodian.db import transaction
from xiaodian.errors import Conflict
from xiaodian.orders.domain import ItemRecord, OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import Order

from ..conftest import NOW
from ..factories import make_record
from .test_aftersale_service import CS, ORDER, REASON, _act, _open, _order

GIVEN = {Action.REJECT: ActionInput(reject_code="evidence_insufficient", note="照片看不出问题"),
         Action.RECEIVE: ActionInput(inspection="as_expected"),
         Action.RESHIP: ActionInput(tracking_no="SF1234567890123", carrier="shunfeng")}


def _labels(ctx, order_id=ORDER):
    with ctx.sessions() as session:
        order = session.execute(select(Order).where(Order.order_id == order_id)).scalar_one()
        return order.after_sale_status, [i.after_sale_status for i in order.items], order.in_after_sale


def _path(case_type: CaseType, target: CaseStatus) -> list[Action]:
    """The shortest walk from a new case to ``target`` through the transition table."""
    table = TRANSITIONS[FLOW_OF[case_type]]
    paths, frontier = {CaseStatus.WAITING_MERCHANT: []}, [CaseStatus.WAITING_MERCHANT]
    while frontier:
        status = frontier.pop(0)
        for (src, action), dst in table.items():
            if src is status and dst not in paths:
                paths[dst] = [*paths[status], action]
                frontier.append(dst)
    return paths[target]


def _step(session, shop_id, case, action: Action) -> None:
    if ACTOR_OF[action] is Actor.MERCHANT:
        service.merchant_action(session, shop_id=shop_id, aftersale_id=case.aftersale_id, action=action,
                                given=GIVEN.get(action, ActionInput()), principal=CS, now=NOW)
    elif ACTOR_OF[action] is Actor.BUYER:
        service.buyer_event(session, case, action, now=NOW, source="sync", tracking_no="YT1234567890123")
    else:
        service.platform_event(session, case, action, now=NOW, source="sync")


def test_agreeing_to_a_refund_moves_the_order_label_from_waiting_merchant_to_refund_pending(ctx, shop_id):
    _order(ctx, shop_id)
    _open(ctx, shop_id, kind=CaseType.REFUND_SHIPPED)
    assert _labels(ctx) == ("待商家处理", ["待商家处理"], True)
    assert _act(ctx, shop_id, Action.AGREE) == "refunding"
    assert _labels(ctx) == ("待退款", ["待退款"], True)
    with transaction(ctx.sessions) as session:
        case = service.require_case(session, shop_id, "7000000000000000001")
        service.refund_progress(session, case, "refunding", at=NOW, now=NOW, source="sync")
    assert _labels(ctx) == ("退款中", ["退款中"], True)
    with pytest.raises(Conflict):  # the platform is paying it: the merchant's 退款 would pay twice (QA pass 9, #11)
        _act(ctx, shop_id, Action.REFUND)
    with transaction(ctx.sessions) as session:
        case = service.require_case(session, shop_id, "7000000000000000001")
        service.platform_event(session, case, Action.REFUND_DONE, now=NOW, source="sync")
    assert _labels(ctx) == ("售后成功", ["售后成功"], False)


CASES = [(t, s) for t in CaseType for s in sorted(STATUSES_OF[FLOW_OF[t]])]


@pytest.mark.parametrize(("case_type", "target"), CASES, ids=[f"{t.value}-{s.value}" for t, s in CASES])
def test_every_type_and_status_gives_the_order_a_label_that_names_it(ctx, shop_id, case_type, target):
    _order(ctx, shop_id)
    _open(ctx, shop_id, kind=case_type)
    with transaction(ctx.sessions) as session:
        case = service.require_case(session, shop_id, "7000000000000000001")
        for action in _path(case_type, target):
            _step(session, shop_id, case, action)
    text, items, in_tab = _labels(ctx)
    assert reasons.status_from_text(text) is target and items == [text]
    assert in_tab is (target in OPEN)


def test_an_open_case_speaks_for_the_order_over_a_finished_one_and_the_merchant_move_first(ctx, shop_id):
    items = [ItemRecord(sku_order_id=f"69384597040226560{n}", product_name="小米 2.5kg", quantity=1,
                        unit_price_fen=3990, product_id="3512000000000000102") for n in (31, 32, 33)]
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=[make_record(
            status=OrderStatus.SHIPPED, shipped_at=NOW - timedelta(days=1), items=items)], cipher=ctx.cipher, now=NOW)
    for n, item in enumerate(items, start=1):
        with transaction(ctx.sessions) as session:
            service.open_case(session, shop_id=shop_id, aftersale_id=f"700000000000000000{n}", order_id=ORDER,
                              sku_order_id=item.sku_order_id, case_type=CaseType.RETURN_REFUND, now=NOW,
                              applied_at=NOW - timedelta(hours=1), source="sync", principal=None, reason=REASON)
    _act(ctx, shop_id, Action.AGREE, aftersale_id="7000000000000000001")  # the buyer's move: 待买家退货
    _act(ctx, shop_id, Action.REJECT, GIVEN[Action.REJECT], aftersale_id="7000000000000000002")
    assert _labels(ctx)[0] == "待商家处理"  # the third case still waits for the merchant
    _act(ctx, shop_id, Action.AGREE, aftersale_id="7000000000000000003")
    with transaction(ctx.sessions) as session:
        service.buyer_event(session, service.require_case(session, shop_id, "7000000000000000002"), Action.CANCEL,
                            now=NOW, source="sync")
    text, per_item, in_tab = _labels(ctx)
    assert text == "待买家退货" and per_item == ["待买家退货", "买家撤销", "待买家退货"] and in_tab


def test_every_order_in_the_after_sale_tab_of_the_demo_shows_an_open_stage_and_no_other_does(ctx, shop_id):
    from xiaodian.demo.shop import build_demo_shop

    build_demo_shop(ctx, orders=1500, progress=False)
    with ctx.sessions() as session:
        rows = session.execute(select(Order.order_id, Order.after_sale_status, Order.in_after_sale)
                               .join(AfterSaleCase, AfterSaleCase.order_pk == Order.id).distinct()).all()
    assert rows
    wrong = [(oid, text) for oid, text, in_tab in rows
             if in_tab is not (reasons.status_from_text(text) in OPEN) or reasons.status_from_text(text) is None]
    assert wrong == []
    assert any(reasons.status_from_text(text) in FINISHED for _oid, text, _in_tab in rows)
