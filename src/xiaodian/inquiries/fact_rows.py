"""The diagnosis's facts as the customer-service agent reads them on the desk page.

The API and the CLI give the facts as data (keys, codes, ISO times); the page showed them the same way
(``within_promise True``, ``status awaiting_shipment``, ``2026-11-20T22:25:51+08:00``), which an agent in the
middle of a chat has to decode. Here each fact gets its name and its value in the reader's language, times in
shop time, yes/no for flags, and the nested tracking / logistics / after-sale facts as one line each.
"""

from __future__ import annotations

from ..web.i18n import gettext as _
from ..web.i18n import N_, label
from ..web.templating import shop_time



# In the order the desk shows them; a fact without a name here is shown under its key (a new fact is never lost).
NAMES = {
    "order_id": N_("Order no."), "status": N_("Order status"), "created_at": N_("Order time"),
    "paid_at": N_("Payment time"), "closes_at": N_("Closes unpaid at"), "ship_by": N_("Ship by"),
    "within_promise": N_("Within the ship-by promise"), "overdue": N_("Overdue"),
    "ship_by_passed_in_review": N_("Ship-by passed while held by the review"),
    "review_days": N_("Days in the platform's risk review"),
    "ship_by_explanation": N_("Ship-by rule"), "presale": N_("Pre-sale"), "cancelled_at": N_("Cancelled at"),
    "cancel_reason": N_("Cancel reason"), "payment_completed": N_("Paid before it closed"),
    "shipped_before_close": N_("Shipped before it closed"), "refund_route": N_("Refund goes to"),
    "tracking": N_("Tracking"), "shipped_at": N_("Shipped at"), "completed_at": N_("Completed at"),
    "logistics": N_("Logistics"), "resends": N_("Re-send"), "after_sale": N_("After-sale"),
    "identity_confirmed": N_("Buyer identity confirmed"),
    "identity": N_("Identified by"), "orders_for_identity": N_("Orders found for it"),
    "count": N_("Matching orders"), "close": N_("Close orders (a day off or another quantity)"),
    "candidates": N_("Candidate orders"), "order_ids": N_("Order nos."),
    "missing": N_("Still needed from the buyer"),
    "phone_matches_order": N_("Phone matches the order"),
    "douyin_sync_behind": N_("The desk's Douyin orders may be behind"),
    "douyin_synced_up_to": N_("Douyin orders complete up to"),
    "picked": N_("Chosen because"), "near_order": N_("The buyer's order of that day (another product)"),
}
PICKED = {"only_order": N_("the only order for this phone"),
          "only_order_for_intent": N_("the only order of this phone in a state the question is about")}
IDENTITIES = {"order_id": N_("Order no."), "phone": N_("Phone"), "last4": N_("Phone, last 4"),
              "phone_last4": N_("Phone, last 4"), "order_date": N_("Order date")}
_TIMES = frozenset({"created_at", "paid_at", "closes_at", "ship_by", "cancelled_at", "shipped_at", "completed_at",
                    "douyin_synced_up_to"})
_HIDDEN = frozenset({"items", "closes_at_is_estimate"})  # items: the matches table shows them; the flag: a suffix
SHOWN_IDS = 8


def _joined(parts: list[str]) -> str:
    return " · ".join(p for p in parts if p)


def _tracking(value: dict) -> str:
    from ..logistics import labels

    # The carrier as the order page names it (圆通速递 / YTO Express, QA pass 7, #5); the facts keep the stored name
    parts = [" ".join(p for p in (labels.carrier(value.get("carrier")), value.get("tracking_no")) if p)]
    if value.get("shipped_at"):
        parts.append(_("shipped %(t)s") % {"t": shop_time(value["shipped_at"])})
    if (value.get("parcels") or 0) > 1:
        parts.append(_("%(n)s parcels") % {"n": value["parcels"]})
    return _joined(parts)


def _logistics(value: dict) -> str:
    parts = [value.get("label") or value.get("state") or ""]
    if value.get("last_event_at"):
        parts.append(_("last scan %(t)s") % {"t": shop_time(value["last_event_at"])})
    if value.get("last_event"):
        parts.append(value["last_event"])
    if value.get("anomalies"):  # already named in the reader's language (inquiries.facts_sources)
        parts.append(_("anomalies: %(kinds)s") % {"kinds": ", ".join(value["anomalies"])})
    return _joined(parts)


def _resends(value: list) -> str:
    """Each after-sale re-send (补寄) on one line part: carrier, number, state, last scan, open cases, its case."""
    from ..logistics import labels

    lines = []
    for r in value:
        parts = [" ".join(p for p in (labels.carrier(r.get("carrier")), r.get("tracking_no")) if p),
                 labels.state(r["state"]) if r.get("state") else ""]
        parts.append(_logistics({"last_event_at": r.get("last_event_at"), "last_event": r.get("last_event"),
                                 "anomalies": r.get("anomalies")}))
        parts.append(f"{_('After-sale')} {r.get('case_id') or ''}".strip())
        lines.append(_joined(parts))
    return "; ".join(lines)


def _after_sale(value: dict) -> str:
    from ..aftersales.labels import refund_status

    parts = [value.get("kind") or "", value.get("status") or ""]
    refund = refund_status(value["refund_status"]) if value.get("refund_status") else ""
    if refund != parts[1]:  # an agreed refund's status already says it (待退款, 退款中, 退款失败): not twice
        parts.append(refund)
    if value.get("deadline"):
        parts.append(_("deadline %(t)s") % {"t": shop_time(value["deadline"])})
    return _joined(parts)


def _text(key: str, value, facts: dict) -> str:
    if key in _TIMES:
        text = shop_time(value)
        return text + (_(" (estimate)") if key == "closes_at" and facts.get("closes_at_is_estimate") else "")
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if key == "status":
        return label("status", value)
    if key == "identity":
        return _(IDENTITIES.get(value, value))
    if key == "picked":
        return _(PICKED[value]) if value in PICKED else str(value)
    if key == "near_order" and isinstance(value, dict):
        return _joined([value.get("order_id") or "", shop_time(value["created_at"]) if value.get("created_at") else "",
                        label("status", value["status"]) if value.get("status") else ""])
    if key == "missing":
        return ", ".join(_(IDENTITIES.get(v, v)) for v in value)
    if key == "refund_route":
        return _("The original payment method") if value == "original_payment_method" else str(value)
    if key == "order_ids":
        more = len(value) - SHOWN_IDS
        return ", ".join(value[:SHOWN_IDS]) + (" " + _("and %(n)s more") % {"n": more} if more > 0 else "")
    if key == "tracking" and isinstance(value, dict):
        return _tracking(value)
    if key == "logistics" and isinstance(value, dict):
        return _logistics(value)
    if key == "resends" and isinstance(value, list):
        return _resends(value)
    if key == "after_sale" and isinstance(value, dict):
        return _after_sale(value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items() if v is not None)
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def fact_rows(facts: dict) -> list[tuple[str, str, str]]:
    """(key, name, value) per fact worth a line, known facts first in the desk's order; ``identity`` None (nothing
    identifies the buyer) reads as such."""
    rows = []
    for key in [*(k for k in NAMES if k in facts), *(k for k in facts if k not in NAMES)]:
        value = facts[key]
        if key in _HIDDEN or value is None and key != "identity":
            continue
        text = _("Not given") if value is None else _text(key, value, facts)
        rows.append((key, _(NAMES[key]) if key in NAMES else key, text))
    return rows
