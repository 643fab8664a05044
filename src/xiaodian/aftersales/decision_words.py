"""What the case page says around a merchant's decision: the question asked once more before a step that cannot be
taken back is sent (app.js shows a form's data-confirm), and the result the page states after it (?done=).

A clerk agreeing a refund must see what the click commits the shop to, the amount included, and afterwards read
what happened and what comes next, not a bare "saved" (QA pass 10, D10 and D11). Built from the case's type and
state, never from what the platform will do later, in the page's language (literal msgids for the catalogue)."""

from __future__ import annotations

from ..web.i18n import gettext as _
from ..web.templating import yuan
from . import labels
from .domain import FLOW_OF, CaseStatus, CaseType, Flow


def question(action: str, case_type: str, refund_fen: int | None) -> str:
    """The confirmation a merchant step asks before it is sent, or "" for none. "{name}" is filled in by app.js
    from the form's field of that name (the refund amount or the tracking number typed in)."""
    flow, amount = FLOW_OF[CaseType(case_type)], yuan(refund_fen) if refund_fen else None
    if action in ("refund", "retry_refund"):
        return _("Refund %(amount)s to the buyer? A refund cannot be taken back.") % {
            "amount": amount or "¥{refund_amount}"}
    if action == "reject":
        return _("Reject this request? The reason and the note go to the platform and the buyer.")
    if action == "agree":
        return _agree(flow, case_type, amount)
    if action == "receive":
        if flow is Flow.RETURN_REFUND:
            return (_("Confirm the goods the buyer sent back have arrived? The refund of %(amount)s is then due. "
                      "This cannot be taken back.") % {"amount": amount} if amount else
                    _("Confirm the goods the buyer sent back have arrived? The refund is then due (its amount is not "
                      "known yet). This cannot be taken back."))
        return _("Confirm the goods the buyer sent back have arrived? You then ship the goods to the buyer. "
                 "This cannot be taken back.")
    if action == "reship":
        if case_type == CaseType.EXCHANGE:
            return _("Confirm the replacement has been shipped to the buyer, tracking no. {tracking_no}? The number "
                     "goes to the platform and the buyer.")
        if case_type == CaseType.REPAIR:
            return _("Confirm the repaired item has been shipped back to the buyer, tracking no. {tracking_no}? The "
                     "number goes to the platform and the buyer.")
        return _("Confirm the goods have been re-sent to the buyer, tracking no. {tracking_no}? The number goes to "
                 "the platform and the buyer.")
    return ""


def _agree(flow: Flow, case_type: str, amount: str | None) -> str:
    """Agreeing commits the shop to the refund (and its amount), to taking the goods back, or to shipping."""
    if flow is Flow.REFUND:
        return (_("Agree to refund %(amount)s? An agreement cannot be taken back.") % {"amount": amount} if amount
                else _("Agree to refund the buyer? The amount is not known yet (the order export does not carry it): "
                       "you give it when refunding. An agreement cannot be taken back."))
    if flow is Flow.RETURN_REFUND:
        return (_("Agree to the return? The buyer sends the goods back; once they arrive, %(amount)s is refunded. "
                  "An agreement cannot be taken back.") % {"amount": amount} if amount
                else _("Agree to the return? The buyer sends the goods back; once they arrive, the refund is due (its "
                       "amount is not known yet). An agreement cannot be taken back."))
    if case_type == CaseType.EXCHANGE:
        return _("Agree to the exchange? The buyer sends the goods back; once they arrive, you ship the replacement. "
                 "An agreement cannot be taken back.")
    if case_type == CaseType.REPAIR:
        return _("Agree to the repair? The buyer sends the goods back; once they arrive, you ship the repaired item "
                 "back. An agreement cannot be taken back.")
    return _("Agree to re-send? You then ship the goods to the buyer again. An agreement cannot be taken back.")


def result(action: str, status: str, refund_fen: int | None, parcel: tuple[str, str] | None = None) -> str:
    """The banner after a step (?done=<case>:<action>), from the case as it now stands: what was done, and what
    comes next when that is the merchant's refund or shipment."""
    amount = yuan(refund_fen) if refund_fen else None
    now = CaseStatus(status)
    if action in ("agree", "receive") and now is CaseStatus.REFUNDING:
        if action == "agree":
            return (_("Agreed; refund %(amount)s is due") % {"amount": amount} if amount
                    else _("Agreed; the refund is due (amount not known yet)"))
        return (_("Return received; refund %(amount)s is due") % {"amount": amount} if amount
                else _("Return received; the refund is due (amount not known yet)"))
    if action in ("agree", "receive") and now is CaseStatus.WAITING_MERCHANT_SHIP:
        return (_("Agreed; now ship the goods to the buyer") if action == "agree"
                else _("Return received; now ship the goods to the buyer"))
    if action == "agree" and now is CaseStatus.WAITING_BUYER_RETURN:
        return _("Agreed; waiting for the buyer to send the goods back")
    if action in ("refund", "retry_refund") and amount:
        return (_("Refunded %(amount)s") if action == "refund" else _("Refund paid again: %(amount)s")) % {
            "amount": amount}
    if action == "reject":
        return _("Request rejected")
    if action == "reship" and parcel:
        return _("Shipped to the buyer: %(parcel)s") % {"parcel": " ".join(p for p in parcel if p)}
    return labels.action(action)  # the step's name when the case has moved on since
