"""The facts the desk holds about an order, and how well an order fits what the buyer said. Pure.

Why a score with reasons: the agent must see *why* an order was put forward ("same phone, ordered 11-20, 五常大米,
quantity 2") before telling a buyer anything, and several orders often fit a description (other buyers bought the
same rice that day), so the reasons also decide whether the desk may answer or must ask.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

SHOP_TZ = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Tracking:
    carrier: str | None
    tracking_no: str
    shipped_at: datetime | None


@dataclass(frozen=True)
class LogisticsFact:
    """What the logistics capability says about the latest parcel (issue 5), when it is there."""

    state: str  # e.g. in_transit, delivered, problem, returned
    label: str | None = None
    last_event_at: datetime | None = None
    last_event: str | None = None
    anomalies: tuple[str, ...] = ()
    delivered: bool = False


@dataclass(frozen=True)
class ResendFact:
    """A parcel an after-sale case sent the buyer (补寄, an exchange or repaired item): told apart from the order's
    own parcel, which ``tracking`` and ``logistics`` describe, because the buyer waiting for it asks about both."""

    case_id: str  # the case's aftersale_id
    carrier: str | None  # the carrier's code (logistics.labels.carrier names it in either language)
    tracking_no: str
    shipped_at: datetime | None = None
    state: str | None = None  # None: nothing known yet (logistics.queries.has_a_state)
    last_event_at: datetime | None = None
    last_event: str | None = None
    anomalies: tuple[str, ...] = ()  # its open cases, named in the reader's language


@dataclass(frozen=True)
class AfterSaleFact:
    """An after-sale case on the order (issue 6), or the status text the order export carried."""

    status: str  # the status text or code
    kind: str | None = None
    case_id: str | None = None
    deadline: datetime | None = None
    refund_status: str | None = None
    open: bool = True
    # The after-sales capability's own words for the case, so the reply can say whose move it is (domain.md §4):
    # the status and type keys, whose move (merchant / buyer / platform, None when finished), whether the node's
    # deadline has passed, the merchant's recorded reject reason, and when a refund was made.
    status_key: str | None = None
    kind_key: str | None = None
    whose_move: str | None = None
    overdue: bool = False
    reject_code: str | None = None
    reject_note: str | None = None
    refunded_at: datetime | None = None


@dataclass(frozen=True)
class OrderFacts:
    order_id: str
    status: str
    created_at: datetime
    paid_at: datetime | None = None
    ship_by: datetime | None = None
    shipped_at: datetime | None = None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    presale: bool = False
    items: tuple[tuple[str | None, str, int], ...] = ()  # (product_id, product name, quantity)
    tracking: tuple[Tracking, ...] = ()
    after_sale: AfterSaleFact | None = None
    logistics: LogisticsFact | None = None  # the order's own parcels
    ship_by_explanation: str | None = None
    phone_masked: str | None = None
    resends: tuple[ResendFact, ...] = ()

    @property
    def created_day(self) -> date:
        return self.created_at.astimezone(SHOP_TZ).date()


@dataclass(frozen=True)
class Ask:
    """What the buyer said that can be checked against an order (from the understanding)."""

    date_from: date | None = None
    date_to: date | None = None
    product_ids: tuple[str, ...] = ()
    product: str | None = None
    quantity: int | None = None


@dataclass(frozen=True)
class Match:
    order_id: str
    score: int
    reasons: tuple[tuple[str, str], ...]  # (code, value): ("phone", ""), ("date", "2026-11-20"), ...
    fits: bool  # every stated date and product agrees
    via: str | None = None  # order_id / phone / last4: how the buyer's identity led to it
    facts: OrderFacts | None = field(default=None, compare=False)
    # Fits everything said: the very day (not one either side) and the quantity too. ``fits`` is looser on purpose
    # (it finds the buyer's own order placed just before midnight); the agent is told how many fit exactly.
    exact: bool = False


WEIGHTS = {"order_id": 100, "phone": 50, "last4": 20, "date": 30, "date_near": 10, "product": 30, "quantity": 10}


def _product_hit(facts: OrderFacts, ask: Ask) -> str | None:
    for product_id, name, _qty in facts.items:
        if product_id and product_id in ask.product_ids:
            return name
        if ask.product and ask.product in name:
            return name
    return None


def score(facts: OrderFacts, ask: Ask, via: str | None = None) -> Match:
    """Points for each agreement; ``fits`` is False when a stated date or product disagrees. A day either side
    of the stated date still fits (an order placed just before midnight, a buyer counting from payment)."""
    reasons: list[tuple[str, str]] = []
    fits = True
    if via:
        reasons.append((via, ""))
    if ask.date_from is not None:
        day = facts.created_day
        lo, hi = ask.date_from, ask.date_to or ask.date_from
        if lo <= day <= hi:
            reasons.append(("date", day.isoformat()))
        elif (lo - day).days == 1 or (day - hi).days == 1:
            reasons.append(("date_near", day.isoformat()))
        else:
            fits = False
    if ask.product_ids or ask.product:
        hit = _product_hit(facts, ask)
        if hit:
            reasons.append(("product", ask.product or hit))
            if ask.quantity is not None:
                if any(q == ask.quantity for pid, name, q in facts.items
                       if (pid and pid in ask.product_ids) or (ask.product and ask.product in name)):
                    reasons.append(("quantity", str(ask.quantity)))
        else:
            fits = False
    elif ask.quantity is not None and any(q == ask.quantity for _p, _n, q in facts.items):
        reasons.append(("quantity", str(ask.quantity)))
    total = sum(WEIGHTS[code] for code, _ in reasons)
    codes = {code for code, _ in reasons}
    exact = fits and "date_near" not in codes and (ask.quantity is None or "quantity" in codes)
    return Match(facts.order_id, total, tuple(reasons), fits, via, facts, exact)


def phone_mismatch(match: Match) -> Match:
    """The order a buyer's order number led to, marked as not theirs by the phone they gave (issue 7: an order
    number alone is no proof of identity once the buyer's own phone says otherwise). It no longer fits what the
    buyer said, and the reason says why for the agent."""
    return replace(match, reasons=(*match.reasons, ("phone_mismatch", "")), fits=False, exact=False)


def rank(matches: list[Match]) -> list[Match]:
    """Best first; among equals the newer order first (the one the buyer most likely means)."""
    return sorted(matches, key=lambda m: (-m.score, -(m.facts.created_at.timestamp() if m.facts else 0), m.order_id))
