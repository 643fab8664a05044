"""Pure after-sale rules: every (flow, status, action) pair is either a move in the table or refused with a
stable code; random sequences of actions never reach a state the rules forbid; countdown edges; reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xiaodian.aftersales import domain, reasons
from xiaodian.aftersales.domain import Action, CaseStatus, CaseType, Flow, Refusal

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
ONE_TYPE_PER_FLOW = {flow: next(t for t, f in domain.FLOW_OF.items() if f is flow) for flow in Flow}

EXPECTED = {  # the happy paths, spelled out by hand (domain.md §4)
    CaseType.REFUND_UNSHIPPED: [(Action.AGREE, "refunding"), (Action.REFUND, "succeeded")],
    CaseType.RETURN_REFUND: [(Action.AGREE, "waiting_buyer_return"), (Action.SHIP_RETURN, "waiting_receipt"),
                             (Action.RECEIVE, "refunding"), (Action.REFUND, "succeeded")],
    CaseType.EXCHANGE: [(Action.AGREE, "waiting_buyer_return"), (Action.SHIP_RETURN, "waiting_receipt"),
                        (Action.RECEIVE, "waiting_merchant_ship"), (Action.RESHIP, "waiting_buyer_receive"),
                        (Action.CONFIRM_RECEIPT, "succeeded")],
    CaseType.RESEND: [(Action.AGREE, "waiting_merchant_ship"), (Action.RESHIP, "waiting_buyer_receive"),
                      (Action.AUTO_CONFIRM, "succeeded")],
}


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_each_type_walks_its_documented_happy_path(kind):
    status = CaseStatus.WAITING_MERCHANT
    for action, target in EXPECTED[kind]:
        status = domain.next_status(kind, status, action)
        assert status.value == target


PAIRS = [(flow, status, action) for flow in Flow for status in CaseStatus for action in Action]


@pytest.mark.parametrize("flow,status,action", PAIRS, ids=[f"{f.value}-{s.value}-{a.value}" for f, s, a in PAIRS])
def test_every_status_action_pair_moves_as_the_table_says_or_is_refused_with_a_stable_code(flow, status, action):
    kind = ONE_TYPE_PER_FLOW[flow]
    target = domain.TRANSITIONS[flow].get((status, action))
    if target is not None:
        assert domain.next_status(kind, status, action) is target
        return
    with pytest.raises(Refusal) as refused:
        domain.next_status(kind, status, action)
    if status in domain.FINISHED:
        assert refused.value.code == "case_finished"
    elif not any(a is action for (_s, a) in domain.TRANSITIONS[flow]):
        assert refused.value.code == "action_not_for_type"
    else:
        assert refused.value.code == "not_allowed_in_status"
    assert refused.value.message


def test_finished_cases_take_no_action_and_a_refund_flow_never_ships_anything():
    for flow, table in domain.TRANSITIONS.items():
        assert not [key for key in table if key[0] in domain.FINISHED]
    refund_actions = {a for (_s, a) in domain.TRANSITIONS[Flow.REFUND]}
    assert Action.RESHIP not in refund_actions and Action.SHIP_RETURN not in refund_actions


def test_rejecting_then_the_buyer_modifying_brings_the_case_back_to_the_merchant():
    status = domain.next_status(CaseType.REFUND_SHIPPED, CaseStatus.WAITING_MERCHANT, Action.REJECT)
    assert status is CaseStatus.REJECTED
    assert domain.next_status(CaseType.REFUND_SHIPPED, status, Action.MODIFY) is CaseStatus.WAITING_MERCHANT


@given(kind=st.sampled_from(list(CaseType)), actions=st.lists(st.sampled_from(list(Action)), max_size=25))
@settings(max_examples=400, deadline=None)
def test_no_sequence_of_actions_reaches_a_state_the_rules_forbid(kind, actions):
    """Invariants: every status reached belongs to the type's flow; once finished a case never changes;
    a case that reached a refund-only status never saw a reship; only the buyer's cancel closes it as cancelled."""
    flow = domain.FLOW_OF[kind]
    status, finished_at = CaseStatus.WAITING_MERCHANT, None
    history = []
    for i, action in enumerate(actions):
        try:
            new = domain.next_status(kind, status, action)
        except Refusal:
            continue
        assert finished_at is None, "a finished case moved"
        assert new in domain.STATUSES_OF[flow]
        assert domain.can_catch_up(kind, status, new)
        history.append(action)
        status = new
        if status in domain.FINISHED:
            finished_at = i
    if flow is Flow.REFUND:
        assert CaseStatus.WAITING_MERCHANT_SHIP not in domain.STATUSES_OF[flow]
        assert Action.RESHIP not in history
    if status is CaseStatus.SUCCEEDED and flow in (Flow.RETURN_REFUND, Flow.RETURN_RESHIP):
        assert Action.RECEIVE in history or Action.AUTO_RECEIVE in history or Action.RULE_FOR_BUYER in history


def test_a_snapshot_may_skip_steps_but_never_go_back():
    kind = CaseType.RETURN_REFUND
    assert domain.can_catch_up(kind, CaseStatus.WAITING_MERCHANT, CaseStatus.SUCCEEDED)
    assert not domain.can_catch_up(kind, CaseStatus.SUCCEEDED, CaseStatus.WAITING_MERCHANT)
    assert not domain.can_catch_up(kind, CaseStatus.WAITING_RECEIPT, CaseStatus.WAITING_BUYER_RETURN)
    assert not domain.can_catch_up(CaseType.REFUND_SHIPPED, CaseStatus.WAITING_MERCHANT,
                                   CaseStatus.WAITING_MERCHANT_SHIP)


@pytest.mark.parametrize("action,given,code", [
    (Action.REJECT, domain.ActionInput(note="x"), "reject_reason_required"),
    (Action.REJECT, domain.ActionInput(reject_code="other"), "reject_note_required"),
    (Action.RECEIVE, domain.ActionInput(), "inspection_required"),
    (Action.RECEIVE, domain.ActionInput(inspection="looks fine"), "inspection_required"),
    (Action.RESHIP, domain.ActionInput(tracking_no="  "), "tracking_required"),
])
def test_merchant_actions_refuse_missing_facts(action, given, code):
    with pytest.raises(Refusal) as refused:
        domain.check_input(action, given)
    assert refused.value.code == code


@pytest.mark.parametrize("left,level", [
    (timedelta(seconds=-1), "overdue"), (timedelta(0), "overdue"), (timedelta(seconds=1), "urgent"),
    (timedelta(hours=12), "urgent"), (timedelta(hours=12, seconds=1), "soon"), (timedelta(hours=24), "soon"),
    (timedelta(hours=24, seconds=1), "ok"),
])
def test_countdown_edges_the_deadline_instant_counts_as_passed(left, level):
    cd = domain.countdown(NOW + left, NOW)
    assert cd.level == level and cd.seconds == int(left.total_seconds())


def test_due_soon_is_the_merchants_move_within_12_hours_not_yet_passed():
    assert domain.is_due_soon(CaseStatus.WAITING_MERCHANT, NOW + timedelta(hours=12), NOW)
    assert not domain.is_due_soon(CaseStatus.WAITING_MERCHANT, NOW, NOW)
    assert not domain.is_due_soon(CaseStatus.WAITING_MERCHANT, NOW + timedelta(hours=12, seconds=1), NOW)
    assert not domain.is_due_soon(CaseStatus.WAITING_BUYER_RETURN, NOW + timedelta(hours=1), NOW)


def test_assumed_deadlines_follow_the_configurable_defaults():
    rules = domain.Deadlines()
    assert domain.deadline_for(CaseStatus.WAITING_MERCHANT, NOW, rules) == NOW + timedelta(hours=48)
    assert domain.deadline_for(CaseStatus.WAITING_BUYER_RETURN, NOW, rules) == NOW + timedelta(days=7)
    assert domain.deadline_for(CaseStatus.WAITING_RECEIPT, NOW, rules) == NOW + timedelta(days=10)
    assert domain.deadline_for(CaseStatus.ARBITRATING, NOW, rules) is None


@pytest.mark.parametrize("text,family", [
    ("质量问题", "quality"), ("商品破损/污渍", "quality"), ("少件/漏发", "quality"), ("发错货", "quality"),
    ("商品破损/污渍（外包装完好）", "quality"), ("七天无理由", "other"), ("多拍/拍错/不想要", "other"),
    ("地址填错", "other"), ("颜色不喜欢", "other"), ("", "unknown"), (None, "unknown"),
])
def test_reason_families_follow_domain_md_section_4(text, family):
    assert reasons.DEFAULT_FAMILIES.family(text).value == family


def test_the_family_mapping_is_configurable():
    custom = reasons.family_map(["口感不好"], None)
    assert custom.family("口感不好").value == "quality"
    assert custom.family("质量问题").value == "other"


@pytest.mark.parametrize("text,status", [
    ("待商家处理", "waiting_merchant"), ("待买家退货", "waiting_buyer_return"), ("待商家收货", "waiting_receipt"),
    ("退款成功", "succeeded"), ("售后关闭", "closed"), ("7", "waiting_buyer_return"), ("14", "succeeded"),
    ("待退款", "refunding"), ("退款中", "refunding"), ("退款失败", "refund_failed"), ("refund_failed", "refund_failed"),
])
def test_status_texts_and_platform_codes_map_to_desk_statuses(text, status):
    assert reasons.status_from_text(text).value == status


@pytest.mark.parametrize("text,progress", [("待退款", "pending"), ("同意退款", "pending"), ("退款中", "refunding"),
                                           ("退款失败", "failed"), ("退款成功", None), ("待商家处理", None)])
def test_status_texts_that_name_the_refunds_progress(text, progress):
    assert reasons.REFUND_PROGRESS_BY_TEXT.get(text) == progress


@pytest.mark.parametrize("kind", [t for t, f in domain.FLOW_OF.items() if f in (Flow.REFUND, Flow.RETURN_REFUND)])
def test_a_failed_refund_is_the_merchants_move_until_paid_again_or_reported_done(kind):
    """Refund status 4 退款失败 (domain.md §4): the refund is still owed. The merchant pays it again (back to
    退款中) or the platform reports it went through; nobody can close or cancel it from there."""
    failed = domain.next_status(kind, CaseStatus.REFUNDING, Action.REFUND_FAILED)
    assert failed is CaseStatus.REFUND_FAILED
    assert domain.allowed_actions(kind, failed, domain.Actor.MERCHANT) == [Action.RETRY_REFUND]
    assert domain.next_status(kind, failed, Action.RETRY_REFUND) is CaseStatus.REFUNDING
    assert domain.next_status(kind, failed, Action.REFUND_DONE) is CaseStatus.SUCCEEDED
    for action in (Action.CANCEL, Action.REFUND, Action.AUTO_CLOSE, Action.AGREE):
        with pytest.raises(Refusal):
            domain.next_status(kind, failed, action)
    assert failed in domain.MERCHANT_TURN and failed in domain.BLOCKS_SHIPPING and failed in domain.OPEN
    assert domain.can_catch_up(kind, CaseStatus.WAITING_MERCHANT, failed)


def test_flows_that_never_pay_a_refund_have_no_refund_failure():
    for kind in (CaseType.EXCHANGE, CaseType.RESEND):
        assert CaseStatus.REFUND_FAILED not in domain.STATUSES_OF[domain.FLOW_OF[kind]]
        with pytest.raises(Refusal) as refused:
            domain.next_status(kind, CaseStatus.WAITING_MERCHANT_SHIP, Action.RETRY_REFUND)
        assert refused.value.code == "action_not_for_type"


def test_the_reject_form_offers_only_the_reasons_that_fit_the_case():
    """QA pass 6, #25: returned-goods reasons only once a return has arrived; 已发货 only before shipping."""
    from xiaodian.aftersales.domain import RETURN_RECEIPT_CODES, reject_codes_for

    refund_only = reject_codes_for("refund_shipped", "waiting_merchant")
    assert not RETURN_RECEIPT_CODES & set(refund_only) and "already_shipped" not in refund_only
    assert "already_shipped" in reject_codes_for("refund_unshipped", "waiting_merchant")
    assert RETURN_RECEIPT_CODES <= set(reject_codes_for("return_refund", "waiting_receipt"))
    assert not RETURN_RECEIPT_CODES & set(reject_codes_for("return_refund", "waiting_merchant"))
    assert "other" in refund_only and "evidence_insufficient" in refund_only


def test_an_after_sale_file_may_write_the_return_type_either_way_round():
    """QA pass 6, #15: 退款退货, a common way merchants write 退货退款, was refused as an unknown type."""
    from xiaodian.aftersales.domain import CaseType
    from xiaodian.aftersales.reasons import type_from_text

    assert type_from_text("退款退货") is type_from_text("退货退款") is CaseType.RETURN_REFUND
