"""On-screen names of logistics codes (states, anomaly kinds, severities, case statuses, actions), through the one
translation mechanism. ``N_`` marks a msgid for extraction; the text is translated when shown."""

from __future__ import annotations

import re

from ..web.i18n import N_, current_language, gettext


STATE = {"pending": N_("Awaiting pickup"), "picked_up": N_("Picked up"), "in_transit": N_("In transit"),
         "delivering": N_("Out for delivery"), "at_locker": N_("Waiting at locker/station"), "signed": N_("Signed"),
         "refused": N_("Refused"), "returning": N_("Returning"), "returned": N_("Returned to sender"),
         "problem": N_("Problem parcel")}
KIND = {"pickup_timeout": N_("Pickup overdue"), "stalled": N_("Tracking stalled"),
        "suspected_lost": N_("Suspected lost"), "locker_uncollected": N_("Uncollected at locker/station"),
        "problem": N_("Problem parcel"), "delivery_failed": N_("Delivery failed"), "refused": N_("Refused by buyer"),
        "returned": N_("Returned")}
SEVERITY = {"warning": N_("About to time out"), "timeout": N_("Timed out"), "serious": N_("Seriously timed out"),
            "urgent": N_("Needs action now"), "soon": N_("Needs action soon")}
STATUS = {"open": N_("To handle"), "contacted_carrier": N_("Carrier contacted"), "told_buyer": N_("Buyer informed"),
          "resolved": N_("Resolved"), "ignored": N_("Ignored"), "all": N_("All")}
ACTION = {"contacted_carrier": N_("Contacted the carrier"), "told_buyer": N_("Told the buyer"),
          "resolved": N_("Mark resolved"), "ignored": N_("Ignore"), "detected": N_("Detected"),
          "escalated": N_("Severity rose"), "auto_resolved": N_("Resolved by itself (parcel moved)"),
          "reopened": N_("Reopened"), "tracking_corrected": N_("Closed: tracking number corrected"),
          "tracking_corrected_kept": N_("Tracking number corrected; still not picked up"),
          "cause_changed": N_("Cause changed"), "merged": N_("Merged into another case"),
          "merged_in": N_("Cases merged in"), "superseded": N_("Closed: the cause was already handled")}
# The notice after an action on a case: what the case now is, in a sentence (QA pass 7, #14: "Saved: Ignore", the
# button's label, read as an order). Ignoring with an end time says until when.
DONE = {"contacted_carrier": N_("Saved: the carrier has been contacted."),
        "told_buyer": N_("Saved: the buyer has been told."),
        "resolved": N_("Saved: the case is resolved."),
        "ignored": N_("Saved: the case is ignored.")}
IGNORED_UNTIL_DONE = N_("Saved: the case is ignored until %(t)s.")


def _get(table: dict, key: str | None) -> str:
    if not key:
        return ""
    return gettext(table[key]) if key in table else key.replace("_", " ")


def state(key: str | None) -> str:
    return _get(STATE, key)


def kind(key: str | None) -> str:
    return _get(KIND, key)


def severity(key: str | None) -> str:
    return _get(SEVERITY, key)


def status(key: str | None) -> str:
    return _get(STATUS, key)


def action(key: str | None) -> str:
    return _get(ACTION, key)


def carrier(code: str | None) -> str:
    """A carrier's name in the reader's language (中通快递 / ZTO Express) instead of its Kuaidi100 code, or of the
    name it was stored under: imported orders, the timeline and the audit log keep the Chinese name (QA pass 5, E6:
    the English order page said 圆通速递). A carrier the desk does not know (a file's free text) shows as stored."""
    if not code:
        return ""
    from ..shipping.domain import find_carrier
    from ..web.i18n import current_language

    known = find_carrier(code)
    if known is None:
        return code
    return known.name if current_language.get() == "zh" else known.name_en


def carrier_online(contact) -> str:
    """A carrier's other channels (its app, its WeChat official account) in the page's language, the carrier named
    as the page names it (a messages.CarrierContact)."""
    name = contact.name if current_language.get() == "zh" else contact.name_en
    return gettext(contact.online) % {"carrier": name}


def done(action: str | None, until: str | None = None) -> str:
    """The notice once ``action`` is saved; ``until`` (the time, already formatted) for a case ignored until then."""
    if action == "ignored" and until:
        return gettext(IGNORED_UNTIL_DONE) % {"t": until}
    return gettext(DONE[action]) if action in DONE else gettext("Saved.")


# The system's history notes are stored in plain words with codes (the API and CLI show them as stored); the case page
# says them in the reader's language (one parcel, one case: QA pass 9, #10).
_CAUSE_CHANGED = re.compile(r"^(\w+) → (\w+)$")
_MERGED = re.compile(r"^merged into case (\d+) \((\w+)\)$")
_MERGED_IN = re.compile(r"case (\d+) \((\w+), (\w+)\) merged in")
_SUPERSEDED = re.compile(r"^superseded by case (\d+) \((\w+)\), already closed$")
_LESSER = re.compile(r"^(\w+) (warning|timeout|serious|urgent|soon)$")


def history_note(action: str, note: str | None) -> str:
    """A history line's note as the case page shows it."""
    if not note:
        return ""
    if action == "cause_changed" and (m := _CAUSE_CHANGED.match(note)):
        return f"{kind(m[1])} → {kind(m[2])}"
    if action == "merged" and (m := _MERGED.match(note)):
        return gettext(N_("merged into case %(id)s (%(kind)s)")) % {"id": m[1], "kind": kind(m[2])}
    if action == "merged_in" and (found := _MERGED_IN.findall(note)):
        return "; ".join(gettext(N_("case %(id)s (%(kind)s, %(status)s) merged into this one")) % {
            "id": i, "kind": kind(k), "status": status(st)} for i, k, st in found)
    if action == "superseded" and (m := _SUPERSEDED.match(note)):
        return gettext(N_("case %(id)s (%(kind)s) on the same facts is already closed")) % {"id": m[1],
                                                                                            "kind": kind(m[2])}
    if action == "escalated" and (m := _LESSER.match(note)):
        return f"{kind(m[1])} · {severity(m[2])}"
    return note
