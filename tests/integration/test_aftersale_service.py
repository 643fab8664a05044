"""After-sale cases in a real database (SQLite and PostgreSQL): the status machine's writes, refusals with
stable codes, the order timeline and audit log, the append-only reason history, the ship blocker, contacts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from xiaodian.accounts import audit
from xiaodian.accounts.service import Principal
from xiaodian.aftersales import service, views
from xiaodian.aftersales.domain import Action, ActionInput, CaseType
from xiaodian.aftersales.intake import reason_history
from xiaodian.aftersales.models import AfterSaleCase
from xiaodian.db import transaction
from xiaodian.errors import Forbidden, InvalidTransition, ValidationFailed
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import OrderEvent

from ..conftest import NOW
from ..factories import make_record

OWNER = Principal(1, "owner", "owner", "web")
CS = Principal(2, "cs", "cs", "api")
WAREHOUSE = Principal(3, "warehouse", "warehouse", "web")
ORDER = "6938459704022656025"
REASON = service.BuyerReason("质量问题", "q1", "米里有虫", 3)


def _order(ctx, shop_id, status=OrderStatus.SHIPPED, order_id=ORDER):
    extra = {"shipped_at": NOW - timedelta(days=1)} if status is not OrderStatus.AWAITING_SHIPMENT else {}
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=[make_record(order_id=order_id, status=status, **extra)],
                      cipher=ctx.cipher, now=NOW)


def _open(ctx, shop_id, kind=CaseType.RETURN_REFUND, aftersale_id="7000000000000000001", reason=REASON,
          order_id=ORDER):
    with transaction(ctx.sessions) as session:
        service.open_case(session, shop_id=shop_id, aftersale_id=aftersale_id, order_id=order_id, sku_order_id=None,
                          case_type=kind, applied_at=NOW - timedelta(hours=1), now=NOW, source="sync", principal=None,
                          reason=reason, refund_fen=8990)


def _act(ctx, shop_id, action, given=ActionInput(), principal=OWNER, aftersale_id="7000000000000000001"):
    with transaction(ctx.sessions) as session:
        return service.merchant_action(session, shop_id=shop_id, aftersale_id=aftersale_id, action=action,
                                       given=given, principal=principal, now=NOW).status


def _case(ctx, shop_id, aftersale_id="7000000000000000001"):
    with ctx.sessions() as session:
        return views.case_detail(session, shop_id=shop_id, aftersale_id=aftersale_id, now=NOW,
                                 families=views.families_from(None))


def test_a_return_walks_agree_ship_back_receive_refund_with_events_timeline_and_audit(ctx, shop_id):
    _order(ctx, shop_id)
    _open(ctx, shop_id)
    assert _act(ctx, shop_id, Action.AGREE) == "waiting_buyer_return"
    with transaction(ctx.sessions) as session:
        case = service.require_case(session, shop_id, "7000000000000000001")
        service.buyer_event(session, case, Action.SHIP_RETURN, now=NOW, source="sync", tracking_no="SF1234567890123")
    assert _act(ctx, shop_id, Action.RECEIVE, ActionInput(inspection="as_expected")) == "refunding"
    assert _act(ctx, shop_id, Action.REFUND) == "succeeded"
    detail = _case(ctx, shop_id)
    assert detail.refund_status == "succeeded" and detail.due_by is None
    assert [e.action for e in detail.history if e.to_status] == ["apply", "agree", "ship_return", "receive", "refund"]
    with ctx.sessions() as session:
        lines = session.execute(select(OrderEvent.detail).where(OrderEvent.kind == "aftersale")).scalars().all()
        total, entries = audit.search(session, audit.AuditFilter(action="aftersales.receive"))
    assert len(lines) == 5  # the application and each of the four moves, nothing else
    assert total == 1 and audit.entry_json(entries[0])["after"]["inspection"] == "as_expected"


def test_impossible_actions_are_refused_with_a_stable_code_and_change_nothing(ctx, shop_id):
    _order(ctx, shop_id)
    _open(ctx, shop_id, kind=CaseType.REFUND_SHIPPED)
    with pytest.raises(InvalidTransition) as refused:
        _act(ctx, shop_id, Action.RESHIP, ActionInput(tracking_no="SF1"))
    assert refused.value.code == "action_not_for_type"
    with pytest.raises(InvalidTransition) as refused:
        _act(ctx, shop_id, Action.REFUND)
    assert refused.value.code == "not_allowed_in_status"
    _act(ctx, shop_id, Action.REJECT, ActionInput(reject_code="evidence_insufficient", note="照片看不出问题"))
    with transaction(ctx.sessions) as session:
        case = service.require_case(session, shop_id, "7000000000000000001")
        service.buyer_event(session, case, Action.CANCEL, now=NOW, source="sync")
    with pytest.raises(InvalidTransition) as refused:
        _act(ctx, shop_id, Action.AGREE)
    assert refused.value.code == "case_finished"
    assert _case(ctx, shop_id).status == "closed" and _case(ctx, shop_id).cancelled_by_buyer


@pytest.mark.parametrize("given,code", [
    (ActionInput(note="no code"), "reject_reason_required"),
    (ActionInput(reject_code="other", note="  "), "reject_note_required"),
    (ActionInput(reject_code="made_up", note="x"), "reject_reason_required"),
])
def test_rejecting_needs_a_reason_code_and_a_note(ctx, shop_id, given, code):
    _order(ctx, shop_id)
    _open(ctx, shop_id)
    with pytest.raises(ValidationFailed) as refused:
        _act(ctx, shop_id, Action.REJECT, given)
    assert refused.value.code == code
    assert _case(ctx, shop_id).status == "waiting_merchant"


def test_warehouse_may_not_decide_and_cs_may(ctx, shop_id):
    _order(ctx, shop_id)
    _open(ctx, shop_id)
    with pytest.raises(Forbidden):
        _act(ctx, shop_id, Action.AGREE, principal=WAREHOUSE)
    assert _act(ctx, shop_id, Action.AGREE, principal=CS) == "waiting_buyer_return"


def test_buyer_reason_changes_are_appended_with_time_and_source_and_the_first_is_kept(ctx, shop_id):
    _order(ctx, shop_id)
    _open(ctx, shop_id)
    _act(ctx, shop_id, Action.REJECT, ActionInput(reject_code="other", note="请先联系客服"))
    with transaction(ctx.sessions) as session:
        case = service.require_case(session, shop_id, "7000000000000000001")
        service.buyer_event(session, case, Action.MODIFY, now=NOW + timedelta(hours=2), source="sync",
                            reason=service.BuyerReason("七天无理由"))
    detail = _case(ctx, shop_id)
    assert [(r.seq, r.text, r.family) for r in detail.reason_history] == [(1, "质量问题", "quality"),
                                                                         (2, "七天无理由", "other")]
    assert detail.first_reason.text == "质量问题" and detail.current_reason.text == "七天无理由"
    assert detail.status == "waiting_merchant"
    assert detail.reason_history[1].source == "sync" and detail.reason_history[1].given_at.startswith("2026-11-24T20")


def test_reason_rows_cannot_be_updated_or_deleted_even_with_raw_sql(ctx, shop_id):
    _order(ctx, shop_id)
    _open(ctx, shop_id)
    for statement in ("UPDATE aftersale_reasons SET text = '七天无理由'", "DELETE FROM aftersale_reasons"):
        with pytest.raises(DBAPIError, match="append-only"):
            with ctx.engine.begin() as conn:
                conn.execute(text(statement))
    with ctx.sessions() as session:
        case = session.execute(select(AfterSaleCase)).scalar_one()
        assert [r.text for r in reason_history(session, case.id)] == ["质量问题"]


def test_a_pending_refund_blocks_shipping_until_the_merchant_rejects_it(ctx, shop_id):
    from xiaodian.errors import DomainError
    from xiaodian.shipping.service import ShipRequest, ship_order

    _order(ctx, shop_id, status=OrderStatus.AWAITING_SHIPMENT)
    _open(ctx, shop_id, kind=CaseType.REFUND_UNSHIPPED)
    request = ShipRequest(ORDER, "shunfeng", "SF1234567890123")
    with pytest.raises(DomainError) as refused:
        with transaction(ctx.sessions) as session:
            ship_order(session, shop_id=shop_id, req=request, principal=OWNER, now=NOW)
    assert refused.value.code == "refund_pending"
    _act(ctx, shop_id, Action.REJECT, ActionInput(reject_code="agreed_other_solution", note="买家同意先发货"))
    with transaction(ctx.sessions) as session:
        assert ship_order(session, shop_id=shop_id, req=request, principal=OWNER, now=NOW).status == "shipped"


def test_the_order_list_after_sale_tab_counts_orders_with_an_open_case(ctx, shop_id):
    from xiaodian.orders.queries import OrderFilter, tab_counts

    _order(ctx, shop_id)
    _order(ctx, shop_id, order_id="6938459704022656026")
    _open(ctx, shop_id)
    _open(ctx, shop_id, aftersale_id="7000000000000000002", order_id="6938459704022656026")
    with transaction(ctx.sessions) as session:
        case = service.require_case(session, shop_id, "7000000000000000002")
        service.buyer_event(session, case, Action.CANCEL, now=NOW, source="sync")
    with ctx.sessions() as session:
        assert tab_counts(session, shop_id, OrderFilter(), ctx.cipher)["after_sale"] == 1


def test_contacts_are_logged_with_who_and_refused_for_warehouse(ctx, shop_id):
    _order(ctx, shop_id)
    _open(ctx, shop_id)
    with transaction(ctx.sessions) as session:
        service.add_contact(session, shop_id=shop_id, aftersale_id="7000000000000000001", channel="feige",
                            summary="买家说米袋破了，已发照片", outcome="同意补寄一袋", principal=CS, now=NOW)
        with pytest.raises(Forbidden):
            service.add_contact(session, shop_id=shop_id, aftersale_id="7000000000000000001", channel="phone",
                                summary="x", outcome=None, principal=WAREHOUSE, now=NOW)
        with pytest.raises(ValidationFailed):
            service.add_contact(session, shop_id=shop_id, aftersale_id="7000000000000000001", channel="pigeon",
                                summary="x", outcome=None, principal=CS, now=NOW)
    contacts = _case(ctx, shop_id).contacts
    assert [(c.channel, c.actor, c.outcome) for c in contacts] == [("feige", "cs", "同意补寄一袋")]


def test_two_clerks_deciding_the_same_case_at_once_cannot_both_win(ctx, shop_id):
    from xiaodian.errors import Conflict

    _order(ctx, shop_id)
    _open(ctx, shop_id)
    first, second = ctx.sessions(), ctx.sessions()
    try:
        a = service.require_case(first, shop_id, "7000000000000000001")
        b = service.require_case(second, shop_id, "7000000000000000001")
        service.transition(first, a, action=Action.AGREE, now=NOW, source="web", principal=OWNER)
        first.commit()
        with pytest.raises((Conflict, DBAPIError)):
            service.transition(second, b, action=Action.REJECT, now=NOW, source="web", principal=CS)
            second.commit()
    finally:
        first.close()
        second.close()
    assert _case(ctx, shop_id).status == "waiting_buyer_return"


def test_the_platform_deadline_wins_over_the_assumed_one(ctx, shop_id):
    _order(ctx, shop_id)
    _open(ctx, shop_id)
    assert _case(ctx, shop_id).due_by_source == "assumed"
    platform_due = NOW + timedelta(hours=30)
    with transaction(ctx.sessions) as session:
        case = service.require_case(session, shop_id, "7000000000000000001")
        service.platform_event(session, case, Action.AUTO_AGREE, now=NOW, source="sync", due_by=platform_due)
    detail = _case(ctx, shop_id)
    assert detail.status == "waiting_buyer_return" and detail.due_by_source == "platform"
    assert detail.due_by.startswith("2026-11-26T00:00")
