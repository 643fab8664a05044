"""Pure after-sale rules: case types and their flows, the status enum with its one transition table, who
must move next, node deadlines and what the platform does when one passes, countdowns. Standard library
only; every time is tz-aware and ``now`` is an argument (domain.md §4).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class CaseType(StrEnum):
    """The platform's after-sale types (``aftersale_type``), named for what the merchant must do."""

    RETURN_REFUND = "return_refund"  # 0 退货退款
    REFUND_SHIPPED = "refund_shipped"  # 1 已发货仅退款
    REFUND_UNSHIPPED = "refund_unshipped"  # 2 未发货仅退款
    EXCHANGE = "exchange"  # 3 换货
    PRICE_PROTECTION = "price_protection"  # 6 价保 (recognised on import)
    RESEND = "resend"  # 7 补寄
    REPAIR = "repair"  # 8 维修 (recognised on import)


TYPE_CODE = {CaseType.RETURN_REFUND: 0, CaseType.REFUND_SHIPPED: 1, CaseType.REFUND_UNSHIPPED: 2,
             CaseType.EXCHANGE: 3, CaseType.PRICE_PROTECTION: 6, CaseType.RESEND: 7, CaseType.REPAIR: 8}
TYPE_BY_CODE = {code: t for t, code in TYPE_CODE.items()}
TYPE_BY_TEXT = {"退货退款": CaseType.RETURN_REFUND, "退款退货": CaseType.RETURN_REFUND,  # as merchants also write it
                "已发货仅退款": CaseType.REFUND_SHIPPED,
                "未发货仅退款": CaseType.REFUND_UNSHIPPED, "仅退款": CaseType.REFUND_SHIPPED, "换货": CaseType.EXCHANGE,
                "价保": CaseType.PRICE_PROTECTION, "补寄": CaseType.RESEND, "维修": CaseType.REPAIR}
# Types the desk only records from files and sync: the merchant back office handles them elsewhere.
RECOGNISED_ON_IMPORT = frozenset({CaseType.PRICE_PROTECTION, CaseType.REPAIR})
# Types whose money goes back to the buyer: a pending one on an unshipped order blocks shipping.
REFUND_TYPES = frozenset({CaseType.RETURN_REFUND, CaseType.REFUND_SHIPPED, CaseType.REFUND_UNSHIPPED,
                          CaseType.PRICE_PROTECTION})


class Flow(StrEnum):
    """The path a type of case walks; types that walk the same path share a flow."""

    REFUND = "refund"  # agree → refund
    RETURN_REFUND = "return_refund"  # agree → buyer returns → merchant receives → refund
    RETURN_RESHIP = "return_reship"  # agree → buyer returns → merchant receives → merchant ships back
    RESHIP = "reship"  # agree → merchant ships → buyer receives


FLOW_OF = {CaseType.REFUND_SHIPPED: Flow.REFUND, CaseType.REFUND_UNSHIPPED: Flow.REFUND,
           CaseType.PRICE_PROTECTION: Flow.REFUND, CaseType.RETURN_REFUND: Flow.RETURN_REFUND,
           CaseType.EXCHANGE: Flow.RETURN_RESHIP, CaseType.REPAIR: Flow.RETURN_RESHIP, CaseType.RESEND: Flow.RESHIP}


class CaseStatus(StrEnum):
    """The desk's after-sale statuses; the comment gives the platform's standard status (domain.md §4)."""

    WAITING_MERCHANT = "waiting_merchant"  # 6 待商家同意: the merchant must agree or reject
    WAITING_BUYER_RETURN = "waiting_buyer_return"  # 7 待买家退货: the buyer must ship the goods back
    WAITING_RECEIPT = "waiting_receipt"  # 11 待商家二次同意: the return is on its way; confirm it arrived
    WAITING_MERCHANT_SHIP = "waiting_merchant_ship"  # 8 待商家发货: ship the exchange / re-send / repaired item
    WAITING_BUYER_RECEIVE = "waiting_buyer_receive"  # 13 待买家收货: the buyer must confirm receipt
    REFUNDING = "refunding"  # agreed, refund 待退款/退款中 (refund status 1/2): the merchant (or the platform) pays it out
    REFUND_FAILED = "refund_failed"  # refund status 4 退款失败: the money did not reach the buyer; pay it again
    REJECTED = "rejected"  # 27 商家一次拒绝: the buyer may modify, appeal, or let it close
    REJECTED_SECOND = "rejected_second"  # 29 商家二次拒绝 (after receiving the return)
    ARBITRATING = "arbitrating"  # 客服介入: the platform decides between buyer and merchant
    SUCCEEDED = "succeeded"  # 12 / 14 售后成功
    CLOSED = "closed"  # 28 售后失败 / 售后关闭: cancelled by the buyer, timed out, or ruled for the merchant


PLATFORM_CODE = {CaseStatus.WAITING_MERCHANT: 6, CaseStatus.WAITING_BUYER_RETURN: 7, CaseStatus.WAITING_RECEIPT: 11,
                 CaseStatus.WAITING_MERCHANT_SHIP: 8, CaseStatus.WAITING_BUYER_RECEIVE: 13,
                 CaseStatus.REJECTED: 27, CaseStatus.REJECTED_SECOND: 29, CaseStatus.SUCCEEDED: 12,
                 CaseStatus.CLOSED: 28}
STATUS_BY_CODE = {code: s for s, code in PLATFORM_CODE.items()} | {14: CaseStatus.SUCCEEDED}
FINISHED = frozenset({CaseStatus.SUCCEEDED, CaseStatus.CLOSED})
OPEN = frozenset(CaseStatus) - FINISHED


class Actor(StrEnum):
    MERCHANT = "merchant"
    BUYER = "buyer"
    PLATFORM = "platform"


class Action(StrEnum):
    """Everything that moves a case. Merchant actions come from the desk; buyer and platform events come
    from import files, sync and push messages (tags 200–209)."""

    AGREE = "agree"  # merchant: agree the refund, or agree the return / re-send
    REJECT = "reject"  # merchant: needs a reject reason code and a note
    RECEIVE = "receive"  # merchant: the return arrived, with an inspection result
    REFUND = "refund"  # merchant: pay the refund out
    RESHIP = "reship"  # merchant: ship the exchange / re-send / repaired item, with tracking
    MODIFY = "modify"  # buyer: changed the request (reason, amount) or re-applied after a rejection
    CANCEL = "cancel"  # buyer: withdrew the request
    SHIP_RETURN = "ship_return"  # buyer: shipped the goods back (return tracking number)
    CONFIRM_RECEIPT = "confirm_receipt"  # buyer: received the exchange / re-send
    APPEAL = "appeal"  # buyer: asked the platform to step in after a rejection
    AUTO_AGREE = "auto_agree"  # platform: the merchant let the deadline pass; agreed for the buyer
    AUTO_RECEIVE = "auto_receive"  # platform: the merchant did not confirm receipt in time; refund goes out
    AUTO_CONFIRM = "auto_confirm"  # platform: the buyer did not confirm receipt in time
    AUTO_CLOSE = "auto_close"  # platform: the buyer let a deadline pass (no return sent, no appeal)
    REFUND_DONE = "refund_done"  # platform: the refund reached the buyer (push tag 206, refund status 3)
    REFUND_FAILED = "refund_failed"  # platform: the refund did not go through (refund status 4 退款失败)
    RETRY_REFUND = "retry_refund"  # merchant: pay a failed refund out again (back to 退款中)
    RULE_FOR_BUYER = "rule_for_buyer"  # platform arbitration decided for the buyer
    RULE_FOR_MERCHANT = "rule_for_merchant"  # platform arbitration decided for the merchant


ACTOR_OF = {a: Actor.MERCHANT for a in (Action.AGREE, Action.REJECT, Action.RECEIVE, Action.REFUND, Action.RESHIP,
                                        Action.RETRY_REFUND)}
ACTOR_OF |= {a: Actor.BUYER for a in (Action.MODIFY, Action.CANCEL, Action.SHIP_RETURN, Action.CONFIRM_RECEIPT,
                                      Action.APPEAL)}
ACTOR_OF |= {a: Actor.PLATFORM for a in (Action.AUTO_AGREE, Action.AUTO_RECEIVE, Action.AUTO_CONFIRM,
                                         Action.AUTO_CLOSE, Action.REFUND_DONE, Action.REFUND_FAILED,
                                         Action.RULE_FOR_BUYER, Action.RULE_FOR_MERCHANT)}
MERCHANT_ACTIONS = tuple(a for a, who in ACTOR_OF.items() if who is Actor.MERCHANT)

S, A = CaseStatus, Action


def _flow_table(after_agree: CaseStatus, after_receive: CaseStatus | None, ruled_for_buyer: CaseStatus) -> dict:
    table = {
        (S.WAITING_MERCHANT, A.AGREE): after_agree,
        (S.WAITING_MERCHANT, A.AUTO_AGREE): after_agree,
        (S.WAITING_MERCHANT, A.REJECT): S.REJECTED,
        (S.WAITING_MERCHANT, A.MODIFY): S.WAITING_MERCHANT,
        (S.WAITING_MERCHANT, A.CANCEL): S.CLOSED,
        (S.REJECTED, A.MODIFY): S.WAITING_MERCHANT,  # the buyer changes the request and applies again
        (S.REJECTED, A.CANCEL): S.CLOSED,
        (S.REJECTED, A.APPEAL): S.ARBITRATING,
        (S.REJECTED, A.AUTO_CLOSE): S.CLOSED,
        (S.ARBITRATING, A.RULE_FOR_BUYER): ruled_for_buyer,
        (S.ARBITRATING, A.RULE_FOR_MERCHANT): S.CLOSED,
        (S.ARBITRATING, A.CANCEL): S.CLOSED,
    }
    if after_receive is not None:  # the goods come back first
        table |= {
            (S.WAITING_BUYER_RETURN, A.SHIP_RETURN): S.WAITING_RECEIPT,
            (S.WAITING_BUYER_RETURN, A.CANCEL): S.CLOSED,
            (S.WAITING_BUYER_RETURN, A.AUTO_CLOSE): S.CLOSED,
            (S.WAITING_RECEIPT, A.RECEIVE): after_receive,
            (S.WAITING_RECEIPT, A.AUTO_RECEIVE): after_receive,
            (S.WAITING_RECEIPT, A.REJECT): S.REJECTED_SECOND,
            (S.REJECTED_SECOND, A.APPEAL): S.ARBITRATING,
            (S.REJECTED_SECOND, A.CANCEL): S.CLOSED,
            (S.REJECTED_SECOND, A.AUTO_CLOSE): S.CLOSED,
        }
    if S.REFUNDING in (after_agree, after_receive, ruled_for_buyer):
        # Refund status (domain.md §4): 1 待退款 / 2 退款中 are REFUNDING, 3 退款成功 SUCCEEDED, 4 退款失败
        # REFUND_FAILED. A failed refund is still owed: the merchant pays it again (back to 退款中), or the
        # platform reports it went through after all. The buyer cannot withdraw a refund already agreed.
        table |= {(S.REFUNDING, A.REFUND): S.SUCCEEDED, (S.REFUNDING, A.REFUND_DONE): S.SUCCEEDED,
                  (S.REFUNDING, A.REFUND_FAILED): S.REFUND_FAILED,
                  (S.REFUND_FAILED, A.RETRY_REFUND): S.REFUNDING, (S.REFUND_FAILED, A.REFUND_DONE): S.SUCCEEDED}
    if S.WAITING_MERCHANT_SHIP in (after_agree, after_receive, ruled_for_buyer):
        table |= {
            (S.WAITING_MERCHANT_SHIP, A.RESHIP): S.WAITING_BUYER_RECEIVE,
            (S.WAITING_BUYER_RECEIVE, A.CONFIRM_RECEIPT): S.SUCCEEDED,
            (S.WAITING_BUYER_RECEIVE, A.AUTO_CONFIRM): S.SUCCEEDED,
        }
    if after_agree is S.WAITING_MERCHANT_SHIP:  # nothing was sent yet, so the buyer may still withdraw
        table[(S.WAITING_MERCHANT_SHIP, A.CANCEL)] = S.CLOSED
    return table


# The one transition table: (flow, status, action) → next status. Anything not listed is refused.
# A platform ruling for the buyer on a return case skips the return step the desk would otherwise wait for:
# the platform runs that return itself, and the desk records the refund (or the re-shipment) it orders.
TRANSITIONS: dict[Flow, dict[tuple[CaseStatus, Action], CaseStatus]] = {
    Flow.REFUND: _flow_table(S.REFUNDING, None, S.REFUNDING),
    Flow.RETURN_REFUND: _flow_table(S.WAITING_BUYER_RETURN, S.REFUNDING, S.REFUNDING),
    Flow.RETURN_RESHIP: _flow_table(S.WAITING_BUYER_RETURN, S.WAITING_MERCHANT_SHIP, S.WAITING_MERCHANT_SHIP),
    Flow.RESHIP: _flow_table(S.WAITING_MERCHANT_SHIP, None, S.WAITING_MERCHANT_SHIP),
}


def _closure(flow: Flow) -> dict[CaseStatus, frozenset[CaseStatus]]:
    edges: dict[CaseStatus, set[CaseStatus]] = {s: set() for s in CaseStatus}
    for (src, _action), dst in TRANSITIONS[flow].items():
        edges[src].add(dst)
    reach = {}
    for start in CaseStatus:
        seen, frontier = set(), [start]
        while frontier:
            for nxt in edges[frontier.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    frontier.append(nxt)
        reach[start] = frozenset(seen)
    return reach


REACHABLE = {flow: _closure(flow) for flow in Flow}
STATUSES_OF = {flow: frozenset({S.WAITING_MERCHANT} | REACHABLE[flow][S.WAITING_MERCHANT]) for flow in Flow}


class Refusal(ValueError):
    """An action the rules do not allow; ``code`` is stable, ``message`` says why in words."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def next_status(case_type: CaseType, status: CaseStatus, action: Action) -> CaseStatus:
    """Where ``action`` takes a case of ``case_type`` in ``status``, or Refusal saying why it cannot."""
    flow = FLOW_OF[case_type]
    target = TRANSITIONS[flow].get((status, action))
    if target is not None:
        return target
    if status in FINISHED:
        raise Refusal("case_finished", f"the case is already {status.value}; nothing can change it any more")
    if not any(act is action for (_s, act) in TRANSITIONS[flow]):
        raise Refusal("action_not_for_type", f"{action.value} does not apply to a {case_type.value} case")
    allowed = sorted(a.value for (s, a) in TRANSITIONS[flow] if s is status and ACTOR_OF[a] is Actor.MERCHANT)
    hint = f"; the merchant can now: {', '.join(allowed)}" if allowed else f"; {WHOSE_MOVE[status].value} moves next"
    raise Refusal("not_allowed_in_status", f"a case in {status.value} cannot take {action.value}{hint}")


def allowed_actions(case_type: CaseType, status: CaseStatus, actor: Actor | None = None) -> list[Action]:
    flow = FLOW_OF[case_type]
    return [a for (s, a) in TRANSITIONS[flow] if s is status and (actor is None or ACTOR_OF[a] is actor)]


def merchant_actions_now(case_type: CaseType, status: CaseStatus, refund_status: str | None) -> list[Action]:
    """What the merchant may do now. An agreed refund the platform already reports as 退款中 (refund status 2: the
    money is on its way) is not the merchant's to pay again: 退款 is not offered, the platform's 退款成功 settles it
    (QA pass 9, #11: the button invited a second refund). 待退款 and 退款失败 still are."""
    actions = allowed_actions(case_type, status, Actor.MERCHANT)
    if status is CaseStatus.REFUNDING and refund_status == "refunding":
        actions = [a for a in actions if a is not Action.REFUND]
    return actions


def can_catch_up(case_type: CaseType, current: CaseStatus, target: CaseStatus) -> bool:
    """A later snapshot (export file, sync) may skip steps it did not see, but never goes backwards. A
    modified case returns to waiting_merchant, which is why WAITING_MERCHANT is reachable from REJECTED."""
    return target == current or target in REACHABLE[FLOW_OF[case_type]][current]


# Who moves next in each status: the merchant's statuses are the 待我处理 tab.
WHOSE_MOVE = {S.WAITING_MERCHANT: Actor.MERCHANT, S.WAITING_RECEIPT: Actor.MERCHANT,
              S.WAITING_MERCHANT_SHIP: Actor.MERCHANT, S.REFUNDING: Actor.MERCHANT, S.REFUND_FAILED: Actor.MERCHANT,
              S.WAITING_BUYER_RETURN: Actor.BUYER, S.WAITING_BUYER_RECEIVE: Actor.BUYER, S.REJECTED: Actor.BUYER,
              S.REJECTED_SECOND: Actor.BUYER, S.ARBITRATING: Actor.PLATFORM, S.SUCCEEDED: None, S.CLOSED: None}
MERCHANT_TURN = frozenset(s for s, who in WHOSE_MOVE.items() if who is Actor.MERCHANT)
# Cases that stop an unshipped order from shipping: a refund asked for and not (yet) refused.
BLOCKS_SHIPPING = frozenset({S.WAITING_MERCHANT, S.REFUNDING, S.REFUND_FAILED, S.ARBITRATING})


def case_blocks_shipping(status: str, case_type: str) -> bool:
    """Whether one after-sale case stops its unshipped order from shipping (domain.md §4): a refund asked for and
    not refused. The one rule behind the ship blocker and its batch forms (aftersales.service)."""
    return CaseStatus(status) in BLOCKS_SHIPPING and CaseType(case_type) in REFUND_TYPES


class Inspection(StrEnum):
    """What the merchant found when the return arrived (issue 6 item 2)."""

    AS_EXPECTED = "as_expected"
    DAMAGED = "damaged"
    WRONG_ITEM = "wrong_item"
    PARTS_MISSING = "parts_missing"


# Reject reason codes the desk offers (afterSale.operate needs one); the note says the rest in words.
REJECT_CODES = ("goods_not_returned", "return_damaged_by_buyer", "wrong_item_returned", "parts_missing",
                "already_shipped", "beyond_policy", "evidence_insufficient", "agreed_other_solution", "other")
# Reasons about goods that came back: they fit only once a return has arrived (待商家二次同意).
RETURN_RECEIPT_CODES = frozenset({"goods_not_returned", "return_damaged_by_buyer", "wrong_item_returned",
                                  "parts_missing"})


def reject_codes_for(case_type: str, status: str, order_shipped: bool = True) -> tuple[str, ...]:
    """The reject reasons that fit this case where it stands, for the form to offer (QA pass 6, #25: a refund-only
    case offered 未收到退货 and 退回商品已损坏, though nothing is ever returned). The returned-goods reasons only
    once a return has arrived; 已发货 (refuse, return instead) only on a refund asked before shipping, and only once
    the order has a parcel (QA pass 9, #4: a false 已发货 sent to the platform is what gets a shop penalised; the
    service refuses it, see service.merchant_action)."""
    codes = []
    for code in REJECT_CODES:
        if code in RETURN_RECEIPT_CODES and status != CaseStatus.WAITING_RECEIPT.value:
            continue
        if code == "already_shipped" and (case_type != CaseType.REFUND_UNSHIPPED.value or not order_shipped):
            continue
        codes.append(code)
    return tuple(codes)


@dataclass(frozen=True)
class ActionInput:
    reject_code: str | None = None
    note: str | None = None
    inspection: str | None = None
    tracking_no: str | None = None
    carrier: str | None = None
    confirm_warnings: bool = False  # a re-send number unusual for its carrier: the person checked it (as shipping asks)
    refund_fen: int | None = None  # refund / retry_refund of a case whose amount is unknown: the amount paid back


# Actions by which the merchant pays money back: the amount must be known (or given) first.
PAYING_ACTIONS = frozenset({Action.REFUND, Action.RETRY_REFUND})


def refund_amount_known(case_type: str, refund_fen: int | None) -> bool:
    """Whether a case's refund amount is known. The column holds 0 when no source said it: a case opened from an
    order export's 售后状态 (the export carries no amount), or an after-sale file with 退款金额 empty. The platform
    never returns ¥0.00 on a refund, so 0 on a type that gives money back means 'not known' (shown as such, and
    refused as the amount of a refund); a 补寄 / 换货 / 维修 case returns no money and has nothing to know."""
    return CaseType(case_type) not in REFUND_TYPES or bool(refund_fen and refund_fen > 0)


def check_input(action: Action, given: ActionInput) -> None:
    """The facts a merchant action must carry; refused before anything is written."""
    if action is Action.REJECT:
        if not given.reject_code or given.reject_code not in REJECT_CODES:
            raise Refusal("reject_reason_required", "rejecting needs a reject reason code: " + ", ".join(REJECT_CODES))
        if not (given.note or "").strip():
            raise Refusal("reject_note_required", "rejecting needs a note saying why, in words")
    if action is Action.RECEIVE and given.inspection not in {i.value for i in Inspection}:
        raise Refusal("inspection_required", "confirming receipt needs an inspection result: "
                      + ", ".join(i.value for i in Inspection))
    if action in (Action.RESHIP, Action.SHIP_RETURN) and not (given.tracking_no or "").strip():
        raise Refusal("tracking_required", "shipping needs a tracking number")


@dataclass(frozen=True)
class Deadlines:
    """How long each node lasts before the platform decides. The platform's figures are not public; these
    are configurable defaults (assumptions), shown as such on screen."""

    merchant_respond: timedelta = timedelta(hours=48)
    buyer_return: timedelta = timedelta(days=7)
    merchant_receive: timedelta = timedelta(days=10)
    merchant_ship: timedelta = timedelta(hours=48)
    buyer_confirm: timedelta = timedelta(days=7)
    buyer_appeal: timedelta = timedelta(days=7)
    merchant_refund: timedelta = timedelta(hours=48)

    def for_status(self, status: CaseStatus) -> timedelta | None:
        return {S.WAITING_MERCHANT: self.merchant_respond, S.WAITING_BUYER_RETURN: self.buyer_return,
                S.WAITING_RECEIPT: self.merchant_receive, S.WAITING_MERCHANT_SHIP: self.merchant_ship,
                S.WAITING_BUYER_RECEIVE: self.buyer_confirm, S.REJECTED: self.buyer_appeal,
                S.REJECTED_SECOND: self.buyer_appeal, S.REFUNDING: self.merchant_refund}.get(status)


def deadline_for(status: CaseStatus, entered_at: datetime, rules: Deadlines) -> datetime | None:
    """The node deadline the desk assumes when the platform gave none (arbitration has none: the platform
    decides in its own time)."""
    span = rules.for_status(status)
    return entered_at + span if span is not None else None


# What the platform does when a node's deadline passes (what the reminder tells the merchant).
ON_EXPIRY = {S.WAITING_MERCHANT: Action.AUTO_AGREE, S.WAITING_RECEIPT: Action.AUTO_RECEIVE,
             S.REFUNDING: Action.REFUND_DONE, S.WAITING_BUYER_RECEIVE: Action.AUTO_CONFIRM,
             S.WAITING_BUYER_RETURN: Action.AUTO_CLOSE, S.REJECTED: Action.AUTO_CLOSE,
             S.REJECTED_SECOND: Action.AUTO_CLOSE}

DUE_SOON = timedelta(hours=12)  # the 即将超时 tab


@dataclass(frozen=True)
class Countdown:
    level: str  # overdue / urgent (< 12 h) / soon (< 24 h) / ok
    seconds: int  # left (negative once past)


def countdown(due_by: datetime | None, now: datetime) -> Countdown | None:
    """The node countdown. The deadline instant itself counts as passed: the platform acts at that time."""
    if due_by is None:
        return None
    left = int((due_by - now).total_seconds())
    if left <= 0:
        return Countdown("overdue", left)
    return Countdown("urgent" if left <= DUE_SOON.total_seconds() else "soon" if left <= 86400 else "ok", left)


def is_due_soon(status: CaseStatus, due_by: datetime | None, now: datetime) -> bool:
    """即将超时: the merchant's move, deadline still ahead and at most 12 hours away."""
    return status in MERCHANT_TURN and due_by is not None and now < due_by <= now + DUE_SOON
