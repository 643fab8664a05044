"""From the orders that fit a buyer's message to one stable diagnosis code with the facts behind it. Pure.

Why these codes (issue 7, domain.md §6): "I paid but see no order" has a handful of causes, each visible in the
data: payment never completed (closed by the timeout), held by risk review, cancelled or refunded before shipping,
a presale item with a later ship-by, or simply waiting to ship within the promise (the usual one). Each code
carries the facts that prove it, so the reply states only what the data shows.

The identity rule: only an order reached through the buyer's own identity (order number, phone, or last 4 digits
plus what they said) is *confirmed* as theirs. Orders found by product and date alone may belong to other buyers:
the agent sees them, the reply does not describe them. An order number with a phone (or its last 4) of another
buyer confirms nothing either (``phone_mismatch``): knowing an order number is not proof of being its buyer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from ..orders.domain import closed_as_unpaid
from .matching import Match, OrderFacts, rank

UNPAID_TIMEOUT = timedelta(minutes=30)  # assumption (domain.md §1): the platform closes unpaid orders after ~30 min

CODES = ("found_awaiting_shipment", "found_paid_pending_review", "found_unpaid", "found_cancelled_unpaid",
         "found_cancelled_refunded", "found_presale", "found_shipped", "found_delivered", "found_after_sale",
         "multiple_matches", "not_found_need_details", "not_found_with_details", "phone_mismatch")

# Which orders a question is most likely about when the buyer named neither a date nor a product.
_RELEVANT = {
    "ship_status": {"unpaid", "paid_pending", "awaiting_shipment", "partially_shipped"},
    "logistics": {"partially_shipped", "shipped"},
    "change_address": {"unpaid", "paid_pending", "awaiting_shipment"},
    "cancel_order": {"unpaid", "paid_pending", "awaiting_shipment", "partially_shipped"},
    # a new complaint about the goods (少了一袋, 有虫子要退货): about goods sent
    "complaint": {"partially_shipped", "shipped", "completed"},
}
UNSHIPPED = frozenset({"unpaid", "paid_pending", "awaiting_shipment"})
# Parcel states that are a problem by themselves (logistics.domain.ParcelState): 疑难, 拒签, 退回中, 已退签.
TROUBLE_STATES = frozenset({"problem", "refused", "returning", "returned"})


def parcel_trouble(order: OrderFacts) -> bool:
    """The order's own parcel is on its way but in trouble: an open logistics anomaly (物流停滞, 揽收超时, 疑难件,
    拒签, 退回…) or a problem state, and not signed for."""
    lg = order.logistics
    return (order.status in ("shipped", "partially_shipped") and lg is not None and not lg.delivered
            and (bool(lg.anomalies) or lg.state in TROUBLE_STATES))


@dataclass(frozen=True)
class Diagnosis:
    code: str
    facts: dict
    order: OrderFacts | None = None  # the order the facts are about, when there is exactly one
    confirmed: bool = False  # the order was reached through the buyer's identity
    candidates: tuple[Match, ...] = field(default=(), compare=False)


def _iso(value: datetime | None) -> str | None:
    from .matching import SHOP_TZ

    return value.astimezone(SHOP_TZ).isoformat() if value is not None else None


def status_code(order: OrderFacts, intent: str, now: datetime) -> str:
    """The code for one order. A closed order says why it closed; an open after-sale case outranks the order
    status (it decides what happens next), except for a question about a parcel in trouble; a signed parcel counts
    as delivered even before the buyer confirms."""
    if order.status == "cancelled":
        return "found_cancelled_unpaid" if order.paid_at is None else "found_cancelled_refunded"
    # A complaint about goods (intent "complaint") on an order not shipped yet is answered by that fact, not by a
    # refund the buyer may have asked for on it (QA pass 9, #7).
    # A buyer asking where the parcel is while it is stuck is answered by the parcel, not by an after-sale case on
    # the order (QA pass 10, D21: the reply asked them to send back goods that had not arrived).
    if intent == "logistics" and parcel_trouble(order):
        return "found_shipped"
    if (order.after_sale is not None and (order.after_sale.open or intent == "after_sale_status")
            and not (intent == "complaint" and order.status in UNSHIPPED)):
        return "found_after_sale"
    if order.status == "unpaid":
        return "found_unpaid"
    if order.status == "paid_pending":
        return "found_paid_pending_review"
    if order.status == "awaiting_shipment":
        return "found_presale" if order.presale else "found_awaiting_shipment"
    if order.status == "completed" or (order.logistics is not None and order.logistics.delivered):
        return "found_delivered"
    return "found_shipped"


LONG_REVIEW_DAYS = 2  # assumption: the platform's risk review takes minutes to hours; from 2 shop days it is long


def review_facts(order: OrderFacts, now: datetime) -> dict:
    """An order held by the platform's risk review (paid_pending, QA pass 9, #8): since how many shop days (from
    payment), and whether its ship-by passed while held. The shop cannot ship it, so it is not "overdue" as an
    order the shop failed to ship is; saying "within the promise: no" beside "overdue: no" contradicted itself."""
    from .matching import SHOP_TZ

    facts: dict = {}
    if order.paid_at is not None:
        facts["review_days"] = (now.astimezone(SHOP_TZ).date() - order.paid_at.astimezone(SHOP_TZ).date()).days
    if order.ship_by is not None and now > order.ship_by:
        facts["ship_by_passed_in_review"] = True
    return facts


def order_facts(order: OrderFacts, now: datetime) -> dict:
    """The facts every channel shows for one order (ISO times with the shop's offset)."""
    facts: dict = {"order_id": order.order_id, "status": order.status, "created_at": _iso(order.created_at),
                   "paid_at": _iso(order.paid_at),
                   "items": [{"product_name": name, "quantity": qty} for _pid, name, qty in order.items]}
    if order.status == "unpaid":
        facts["closes_at"] = _iso(order.created_at + UNPAID_TIMEOUT)
        facts["closes_at_is_estimate"] = True
    if order.status in ("paid_pending", "awaiting_shipment", "partially_shipped") and order.ship_by is not None:
        facts["ship_by"] = _iso(order.ship_by)
        facts["within_promise"] = now <= order.ship_by
        facts["ship_by_explanation"] = order.ship_by_explanation
    if order.status == "paid_pending":
        facts.update(review_facts(order, now))
    if order.presale:
        facts["presale"] = True
    if order.status == "cancelled":
        facts.update(cancelled_at=_iso(order.cancelled_at), cancel_reason=order.cancel_reason,
                     payment_completed=order.paid_at is not None, shipped_before_close=order.shipped_at is not None)
        if order.paid_at is not None:
            facts["refund_route"] = "original_payment_method"
            if closed_as_unpaid(order.cancel_reason):  # paid, yet closed as never paid: not a refund to promise
                facts["payment_unclear"] = True
    if order.tracking:
        latest = max(order.tracking, key=lambda t: (t.shipped_at or order.created_at))
        facts["tracking"] = {"carrier": latest.carrier, "tracking_no": latest.tracking_no,
                             "shipped_at": _iso(latest.shipped_at), "parcels": len(order.tracking)}
    if order.shipped_at is not None:
        facts["shipped_at"] = _iso(order.shipped_at)
    if order.completed_at is not None:
        facts["completed_at"] = _iso(order.completed_at)
    if order.logistics is not None:
        lg = order.logistics
        facts["logistics"] = {"state": lg.state, "label": lg.label, "last_event_at": _iso(lg.last_event_at),
                              "last_event": lg.last_event, "anomalies": list(lg.anomalies), "delivered": lg.delivered}
    if order.resends:  # an after-sale's parcels, apart from the order's own (tracking, logistics)
        facts["resends"] = [{"case_id": r.case_id, "carrier": r.carrier, "tracking_no": r.tracking_no,
                             "shipped_at": _iso(r.shipped_at), "state": r.state, "last_event_at": _iso(r.last_event_at),
                             "last_event": r.last_event, "anomalies": list(r.anomalies)} for r in order.resends]
    if order.after_sale is not None:
        a = order.after_sale
        facts["after_sale"] = {"status": a.status, "kind": a.kind, "case_id": a.case_id, "deadline": _iso(a.deadline),
                               "refund_status": a.refund_status, "open": a.open, "whose_move": a.whose_move,
                               "overdue": a.overdue, "refunded_at": _iso(a.refunded_at)}
    return facts


# Reads the logistics and after-sale facts of the given matches (other capabilities' reads, a few queries per
# order) and returns them with those facts filled in. The diagnosis asks only for the orders it may name: reading
# them for every candidate of "五常大米 on the 20th" (200 orders, none of which can be named without an identity)
# was most of the time of a question at 1M orders.
Enrich = Callable[[list[Match]], list[Match]]


def _no_enrich(matches: list[Match]) -> list[Match]:
    return matches


def _one(match: Match, intent: str, now: datetime, confirmed: bool, matches: list[Match],
         enrich: Enrich = _no_enrich) -> Diagnosis:
    match = enrich([match])[0]
    order = match.facts
    facts = order_facts(order, now)
    facts["identity_confirmed"] = confirmed
    return Diagnosis(status_code(order, intent, now), facts, order, confirmed, tuple(matches))


def _best(fitting: list[Match], intent: str, enrich: Enrich = _no_enrich) -> list[Match]:
    """The orders the buyer most likely means: highest score; without a stated date or product, those whose
    status the question is about (an open order for "when will it ship", a shipped one for a complaint about the
    goods: ``intent`` "complaint"), when that narrows it down."""
    ranked = rank(fitting)
    top = [m for m in ranked if m.score == ranked[0].score]
    if intent == "after_sale_status":
        top = enrich(top)
    relevant = _RELEVANT.get(intent)
    open_orders = [m for m in top if m.facts.status not in ("completed", "cancelled")]
    if intent == "after_sale_status":
        narrowed = [m for m in top if m.facts.after_sale is not None]
    elif relevant is None:
        narrowed = open_orders
    else:  # "no tracking yet" is as often about an order still waiting to ship: fall back to the open ones
        narrowed = [m for m in top if m.facts.status in relevant] or open_orders
    return narrowed if narrowed else top


def _phone_mismatch(match: Match, matches: list[Match]) -> Diagnosis:
    """The order number and the phone the buyer gave belong to different buyers: nothing is confirmed and the
    diagnosis names no order (the reply may not describe it); the agent sees the order in the matches."""
    facts = {"order_id": match.order_id, "phone_matches_order": False, "identity_confirmed": False}
    return Diagnosis("phone_mismatch", facts, None, False, tuple(matches))


def _only_order(mine: list[Match], intent: str) -> list[Match]:
    """The order the last 4 digits name when nothing else was said (QA pass 9, #5): the only order with them, or the
    only one in a state the question is about (the one unshipped order for "什么时候发货", the one not yet shipped
    for "地址填错了能改吗"). Four digits are shared by many buyers, so with several orders and no such single one
    the buyer is asked for the date (an empty list)."""
    if len(mine) == 1:
        return mine
    relevant = _RELEVANT.get(intent)
    fitting_intent = [m for m in mine if relevant and m.facts is not None and m.facts.status in relevant]
    return fitting_intent if len(fitting_intent) == 1 else []


def _near_order(mine: list[Match]) -> dict:
    """The buyer's one order of the day they named (a day either side) when it is not the product they named: what
    the reply shows and asks them to confirm (QA pass 9, #5), instead of "no such order in our shop" while their
    own order is on the agent's screen. Several of that day, or none, name none."""
    near = [m for m in mine if m.facts is not None and any(c in ("date", "date_near") for c, _v in m.reasons)]
    if len(near) != 1:
        return {}
    o = near[0].facts
    return {"near_order": {"order_id": o.order_id, "created_at": _iso(o.created_at), "status": o.status,
                           "differs": "product"}}


def _missing(dated: bool) -> list[str]:
    """What an unidentified buyer is asked for: the order number, or the last 4 digits with the order date; a buyer
    who already named the day is not asked for it again (domain.md §6: ask only for what is missing)."""
    return ["order_id", "phone_last4"] + ([] if dated else ["order_date"])


def diagnose(matches: list[Match], *, intent: str, identity: str | None, stated: bool, now: datetime,
             enrich: Enrich = _no_enrich, dated: bool | None = None, by_case: str | None = None) -> Diagnosis:
    """``matches``: every order looked at, scored. ``identity``: order_id / phone / last4 when the buyer's identity
    is known (given by the agent or written in the message). ``stated``: the buyer named a date or a product;
    ``dated``: a date (default: as ``stated``). ``enrich`` fills in the logistics and after-sale facts of the orders
    the diagnosis may name (see Enrich). ``missing`` in the facts lists what the reply asks the buyer for.
    ``by_case``: the buyer's only order with an after-sale of the kind asked about (see case_lookup), which names
    the order of an after-sale question as a stated date or product would."""
    dated = stated if dated is None else dated
    fitting = [m for m in matches if m.fits]
    if identity == "order_id":
        exact = [m for m in matches if m.via == "order_id"]
        if exact and ("phone_mismatch", "") in exact[0].reasons:
            return _phone_mismatch(exact[0], matches)
        if exact:
            return _one(exact[0], intent, now, True, matches, enrich)
        return Diagnosis("not_found_with_details", {"identity": identity, "orders_for_identity": 0}, None, False,
                         tuple(matches))
    if identity in ("phone", "last4"):
        mine = [m for m in matches if m.via == identity]
        own = [m for m in fitting if m.via == identity]
        if by_case is not None and not stated:
            own = [m for m in mine if m.order_id == by_case]
        elif identity == "last4" and not stated:
            own = _only_order(mine, intent)
        if not own:
            code = "not_found_with_details" if identity == "phone" or stated else "not_found_need_details"
            facts = {"identity": identity, "orders_for_identity": len(mine)}
            if code == "not_found_need_details":
                facts["missing"] = ["order_date"]
            elif dated:
                facts.update(_near_order(mine))
            return Diagnosis(code, facts, None, False, tuple(matches))
        best = _best(own, intent, enrich)
        if len(best) == 1:
            d = _one(best[0], intent, now, True, matches, enrich)
            if not stated and by_case is None:  # chosen from the identity alone: the buyer may mean another one
                d = replace(d, facts={**d.facts, "picked": "only_order" if len(mine) == 1 else "only_order_for_intent"})
            return d
        return Diagnosis("multiple_matches", {"identity": identity, "count": len(best),
                                              "order_ids": [m.order_id for m in best]}, None, True, tuple(matches))
    missing = _missing(dated)
    if not stated or not fitting:
        return Diagnosis("not_found_need_details", {"identity": None, "candidates": len(fitting) if stated else 0,
                                                    "missing": missing}, None, False, tuple(matches))
    if len(fitting) == 1:
        d = _one(fitting[0], intent, now, False, matches, enrich)
        return replace(d, facts={**d.facts, "missing": missing})
    # no identity: candidates for the agent, whatever their facts; counted as what fits exactly and what is close
    exact = sum(1 for m in fitting if m.exact)
    facts = {"identity": None, "count": exact, "close": len(fitting) - exact, "missing": missing,
             "order_ids": [m.order_id for m in rank(fitting)]}
    return Diagnosis("multiple_matches", facts, None, False, tuple(matches))
