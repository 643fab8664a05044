"""Words on screen for after-sale keys (statuses, types, actions, tabs, families…), through the one gettext
mechanism. Written out as literal msgids so the catalogue test sees every one."""

from __future__ import annotations

import json

from ..shipping.domain import find_carrier
from ..web.i18n import current_language
from ..web.i18n import gettext as _
from . import reasons


def status(key: str | None) -> str:
    return {
        "waiting_merchant": _("Waiting for merchant"), "waiting_buyer_return": _("Waiting for buyer to return"),
        "waiting_receipt": _("Return on its way: confirm receipt"), "waiting_merchant_ship": _("Waiting for merchant to ship"),
        "waiting_buyer_receive": _("Waiting for buyer to receive"), "refunding": _("Refund pending"),
        "refund_failed": _("Refund failed"),
        "rejected": _("Rejected by merchant"), "rejected_second": _("Rejected after return"),
        "arbitrating": _("Platform intervening"), "succeeded": _("After-sale succeeded"), "closed": _("After-sale closed"),
    }.get(key or "", key or "")


def case_type(key: str | None) -> str:
    return {
        "return_refund": _("Return and refund"), "refund_shipped": _("Refund only (shipped)"),
        "refund_unshipped": _("Refund only (not shipped)"), "exchange": _("Exchange"),
        "price_protection": _("Price protection"), "resend": _("Re-send"), "repair": _("Repair"),
    }.get(key or "", key or "")


def action(key: str | None) -> str:
    return {
        "apply": _("Buyer applied"), "agree": _("Agreed"), "reject": _("Rejected"), "receive": _("Return received"),
        "refund": _("Refunded"), "reship": _("Shipped to buyer"), "modify": _("Buyer modified the request"),
        "cancel": _("Buyer cancelled"), "ship_return": _("Buyer shipped the return"),
        "confirm_receipt": _("Buyer confirmed receipt"), "appeal": _("Buyer asked the platform to step in"),
        "auto_agree": _("Platform agreed on timeout"), "auto_receive": _("Platform confirmed receipt on timeout"),
        "auto_confirm": _("Platform confirmed for the buyer on timeout"), "auto_close": _("Closed on timeout"),
        "refund_done": _("Refund reached the buyer"), "refund_failed": _("Refund failed"),
        "retry_refund": _("Refund paid again"), "refund_progress": _("Refund progress from the platform"),
        "rule_for_buyer": _("Platform ruled for the buyer"),
        "rule_for_merchant": _("Platform ruled for the merchant"), "status_synced": _("Status from platform"),
        "reason_given": _("Buyer gave a reason"), "reason_changed": _("Buyer changed the reason"),
        "contact": _("Contact logged"), "deadline_changed": _("Deadline moved by the platform"),
        "reminder_due_soon": _("Deadline reminder"), "reminder_overdue": _("Deadline passed"),
        "resend_corrected": _("Re-send number corrected"),
        "order_closed": _("Order closed: refund before shipping completed"),
    }.get(key or "", key or "")


def button(key: str) -> str:
    return {"agree": _("Agree"), "reject": _("Reject"), "receive": _("Confirm the return arrived"),
            "refund": _("Refund"), "reship": _("Ship to buyer"), "retry_refund": _("Pay the refund again")}.get(key, key)


def tab(key: str) -> str:
    return {"todo": _("Waiting for me"), "overdue": _("Past the deadline"), "due_soon": _("Due within 12 h"), "to_send": _("To send to the buyer"),
            "waiting_return": _("Buyer to return"),
            "waiting_receipt": _("To receive"), "completed": _("Completed"), "closed": _("Closed"),
            "all": _("All cases")}.get(key, key)


def family(key: str | None) -> str:
    return {"quality": _("Quality-related"), "other": _("Not quality-related"),
            "unknown": _("Reason not known")}.get(key or "", key or "")


def inspection(key: str | None) -> str:
    return {"as_expected": _("As expected"), "damaged": _("Damaged"), "wrong_item": _("Wrong item"),
            "parts_missing": _("Parts missing")}.get(key or "", key or "")


def reject_code(key: str | None) -> str:
    return {
        "goods_not_returned": _("Goods not returned"), "return_damaged_by_buyer": _("Returned goods damaged"),
        "wrong_item_returned": _("A different item came back"), "parts_missing": _("Parts missing from the return"),
        "already_shipped": _("Already shipped; refuse and return instead"), "beyond_policy": _("Outside the after-sale policy"),
        "evidence_insufficient": _("Evidence does not show the problem"),
        "agreed_other_solution": _("Buyer agreed another solution"), "other": _("Other"),
    }.get(key or "", key or "")


def channel(key: str | None) -> str:
    return {"feige": _("Feige chat"), "phone": _("Phone call"), "sms": _("SMS"), "other": _("Other")}.get(key or "", key or "")


def refund_status(key: str | None) -> str:
    return {"pending": _("Refund pending"), "refunding": _("Refunding"), "succeeded": _("Refund succeeded"),
            "failed": _("Refund failed")}.get(key or "", key or "")


def case_status(key: str | None, refund: str | None = None) -> str:
    """The status as the merchant reads it: an agreed refund already under way says 退款中, not 待退款."""
    if key == "refunding" and refund == "refunding":
        return refund_status(refund)
    return status(key)


def event_status(key: str | None, detail: str | None) -> str:
    """A history line's new status, as the header would have said it then (退款中 rather than 待退款 when the
    step said the refund was under way)."""
    try:
        data = json.loads(detail) if detail else {}
    except ValueError:
        data = {}
    return case_status(key, data.get("refund_status") if isinstance(data, dict) else None)


def case_id(aftersale_id: str) -> str:
    """A case id as people read it: a provisional case (seen only in an order export's 售后状态) has no platform id
    yet, only the desk's key sku:<SKU order>, which says nothing to a merchant (QA pass 9, #11)."""
    if aftersale_id.startswith("sku:"):
        return _("(no case no. yet)")
    return aftersale_id


def order_text(text: str | None) -> str:
    """An order's 售后状态 text (the platform's words, kept by order_label) in the page's language, with the names
    the After-sales panel uses; a text the desk does not know is shown as the platform wrote it."""
    value = (text or "").strip()
    status = reasons.status_from_text(value)
    if status is None:
        return value
    if value in reasons.BUYER_CANCEL_TEXTS:
        return action("cancel")
    return case_status(status.value, reasons.REFUND_PROGRESS_BY_TEXT.get(value))


def on_expiry(status_key: str) -> str:
    """What the platform does when this node's deadline passes (the reminder and the case page say it)."""
    return {
        "waiting_merchant": _("If you do nothing, the platform agrees for the buyer when the deadline passes."),
        "waiting_receipt": _("If you do not confirm receipt in time, the platform confirms it and refunds the buyer."),
        "refunding": _("If the refund is not paid in time, the platform refunds the buyer itself."),
        "waiting_merchant_ship": _("Ship before the deadline; late shipment counts against the shop."),
        "waiting_buyer_return": _("If the buyer sends nothing back in time, the case closes."),
        "waiting_buyer_receive": _("If the buyer does not confirm, the platform confirms receipt on expiry."),
        "rejected": _("If the buyer neither modifies nor appeals in time, the case closes."),
        "rejected_second": _("If the buyer neither modifies nor appeals in time, the case closes."),
    }.get(status_key, "")


def carrier(value: str | None) -> str:
    """A re-send's carrier by name in the page's language (中通快递 / ZTO Express): the clerk and the buyer know
    carriers by name, not by code. A value from before carriers were checked shows as it was stored."""
    found = find_carrier(value)
    if found is None:
        return value or ""
    return found.name if current_language.get() == "zh" else found.name_en


def parcel(detail: str | None) -> tuple[str, str] | None:
    """(carrier name, tracking number) of a step that shipped something (its event's JSON detail), for the case
    history: the clerk answering the buyer needs which carrier, not only the number."""
    data = json.loads(detail) if detail else {}
    if not isinstance(data, dict) or not data.get("tracking_no"):
        return None
    return carrier(data.get("carrier")), str(data["tracking_no"])


def paid_back(detail: str | None) -> dict | None:
    """The amount a refund step paid back (its event's JSON detail) as text, and whether a person typed it (the
    case's amount was not known): the history says how much went back, not only that it did."""
    data = json.loads(detail) if detail else {}
    fen = data.get("refund_fen") if isinstance(data, dict) else None
    if not isinstance(fen, int) or isinstance(fen, bool) or fen <= 0:
        return None
    return {"amount": _yuan(fen), "entered": bool(data.get("refund_entered"))}


def _yuan(fen: int) -> str:
    return f"¥{fen / 100:,.2f}"


def correction(detail: str | None) -> dict:
    """The old number and the reason of a re-send number correction (its case event's JSON detail)."""
    data = json.loads(detail) if detail else {}
    return {"old": str(data.get("old_tracking_no") or ""), "reason": str(data.get("reason") or "")}


def describe(data: dict) -> list[tuple[str, str]]:
    """An 'aftersale' line of the order timeline as (label, value) pairs."""
    out = [(_("After-sale"), f"{data.get('aftersale_id', '')} · {case_type(data.get('type'))}"),
           (_("Step"), action(data.get("action")))]
    if data.get("from") or data.get("to"):
        out.append((_("After-sale status"), f"{status(data.get('from')) or '—'} → {status(data.get('to'))}"))
    names = {"reason": _("Reason"), "previous": _("Previous reason"), "reject_code": _("Reject reason"),
             "note": _("Note"), "inspection": _("Inspection"), "tracking_no": _("Tracking no."), "carrier": _("Carrier"),
             "refund_status": _("Refund"), "refund_fen": _("Refund amount")}
    for key, name in names.items():
        value = data.get(key)
        if key == "refund_fen" and data.get("action") not in ("refund", "retry_refund"):
            continue  # the amount a refund step paid back; an application's 0 means only 'not known yet'
        if value:
            value = (reject_code(value) if key == "reject_code" else inspection(value) if key == "inspection"
                     else refund_status(value) if key == "refund_status" else carrier(value) if key == "carrier"
                     else _yuan(value) if key == "refund_fen" and isinstance(value, int) else value)
            out.append((name, str(value)))
    return out
