"""An order event's detail as lines a merchant reads on the order's timeline (操作记录).

Each capability writes its own detail JSON (shipping: the tracking number, the warnings a clerk confirmed, a
violation's lateness and cost; logistics: the anomaly case; the deadline scan: the promise behind a ship-by). Shown
as stored, the timeline read ``late_by_seconds: 184300`` and ``confirmed_warnings: ['tracking_shape_mismatch']``;
here each known key gets its name and its value in the reader's language, ids that only the database needs are left
out, and a key nobody has described yet is still shown as it is rather than hidden.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from ..logistics import labels as logistics_labels
from ..web.i18n import error_text, gettext as _, join_list, label
from ..web.templating import shop_time, yuan
from .domain import FLAG_COLOURS, TO_SHIP

# Keys that identify rows for the software (a case or shipment id, a carrier code beside the carrier's name).
_HIDDEN = frozenset({"shipment_id", "anomaly_id", "carrier_code", "aftersale_id"})


def _duration(seconds) -> str:
    minutes = max(int(seconds) // 60, 0)
    hours, mins = divmod(minutes, 60)
    return _("%(h)sh %(m)sm") % {"h": hours, "m": mins}


def _warnings(codes) -> str:
    codes = codes if isinstance(codes, list) else [codes]
    return "; ".join(error_text(str(c), str(c).replace("_", " ")) for c in codes)


def _ids(values) -> str:
    return join_list(map(str, values)) if isinstance(values, list) else str(values)


def _number(before_after) -> str:
    if isinstance(before_after, dict):
        carrier = logistics_labels.carrier(before_after.get("carrier") or before_after.get("carrier_code"))
        return f"{carrier} {before_after.get('tracking_no') or ''}".strip()
    return str(before_after)


def _flag_name(index) -> str:
    if isinstance(index, int) and 0 <= index < len(FLAG_COLOURS):
        return label("flag", FLAG_COLOURS[index])
    return "—"


def _kind_of(event_kind: str) -> Callable[[str], str]:
    """``kind`` means a violation on a violation event and an anomaly on a logistics one."""
    if event_kind.startswith("logistics_anomaly"):
        return logistics_labels.kind
    return lambda value: label("violation", value)


def _from_to(event_kind: str) -> Callable[[str], str]:
    """``from`` / ``to``: severities when a case escalates, case statuses when someone acts on it."""
    if event_kind == "logistics_anomaly_escalated":
        return logistics_labels.severity
    return logistics_labels.status


def _fields(event_kind: str) -> dict[str, tuple[str, Callable]]:
    return {
        "carrier": (_("Carrier"), logistics_labels.carrier),  # a name or a code, in the reader's language
        "tracking_no": (_("Tracking no."), str),
        "items": (_("SKU orders"), _ids),
        "confirmed_warnings": (_("Confirmed warnings"), _warnings),
        "kind": (_("Type"), _kind_of(event_kind)),
        "severity": (_("Severity"), logistics_labels.severity),
        "late_by_seconds": (_("Late by"), _duration),
        "points": (_("Points"), str),
        "compensation_fen": (_("Compensation"), yuan),
        "promise": (_("Ship promise"), str),
        "ship_by": (_("Ship by"), shop_time),
        "previous_ship_by": (_("Previous ship-by"), shop_time),
        "until": (_("Until"), shop_time),
        "resend_of": (_("Re-send"), str),  # a corrected after-sale re-send (补寄): its case
        "before": (_("Before"), _number),
        "after": (_("After"), _number),
        "platform_upload": (_("Platform upload"), str),
        "via": (_("Via"), lambda value: label("via", value)),
        # a new order's status as the import or sync first read it (not its status when it was placed)
        "first_seen_status": (_("Status when first imported or synced"), lambda value: label("status", value)),
        "reason": (_("Reason"), str),
        "note": (_("Note"), str),
        "paid_fen": (_("Amount paid"), yuan),  # an order closed by refunds before shipping (aftersales/order_close)
        "refunded_fen": (_("Refunded"), yuan),
        "not_refunded_fen": (_("Paid but not refunded (postage?): check it in the Douyin back office"), yuan),
    }


def address_change(order) -> dict | None:
    """The buyer's last address change of an order still to ship (``OrderDetailOut``), for the box the order and its
    ship form show above everything: when, and the masked address before → after. None once the order has shipped."""
    if not order.address_changed_at or order.status not in TO_SHIP:
        return None
    moved = next((e for e in reversed(order.events) if e.kind == "address_changed"), None)
    data = json.loads(moved.detail) if moved is not None and moved.detail else {}
    return {"at": order.address_changed_at, "before": data.get("before"), "after": data.get("after")}


def describe_event(kind: str, detail: str | None) -> list[tuple[str, str]]:
    """The event's detail JSON as (label, value) pairs in the reader's language."""
    if not detail:
        return []
    try:
        data = json.loads(detail)
    except ValueError:
        return [("", detail)]
    if not isinstance(data, dict):
        return [("", str(data))]
    if kind == "aftersale":  # after-sale steps (issue 6) describe themselves
        from ..aftersales.labels import describe

        return describe(data)
    if kind == "note_changed" and isinstance(data.get("before"), dict) and isinstance(data.get("after"), dict):
        before, after = data["before"], data["after"]
        out = []
        if before.get("merchant_note") != after.get("merchant_note"):
            notes = (before.get("merchant_note") or "—", after.get("merchant_note") or "—")
            out.append((_("Merchant note"), f"{notes[0]} → {notes[1]}"))
        if before.get("flag_colour") != after.get("flag_colour"):
            out.append((_("Flag"), f"{_flag_name(before.get('flag_colour'))} → {_flag_name(after.get('flag_colour'))}"))
        return out
    if kind == "address_changed":  # masked copies only (later_snapshot.address_move)
        return [(_("Delivery address"), f"{data.get('before') or '—'} → {data.get('after') or '—'}")]
    fields = _fields(kind)
    out = []
    if "from" in data or "to" in data:  # a case's severity or status moved: one line, old → new
        shown = _from_to(kind)
        out.append((_("Changed"), f"{shown(data.pop('from', None)) or '—'} → {shown(data.pop('to', None)) or '—'}"))
    for key, value in data.items():
        if value in (None, "", []) or key in _HIDDEN:
            continue
        name, show = fields.get(key, (key, str))
        try:
            out.append((name, show(value)))
        except (TypeError, ValueError):  # a value of an unexpected shape is shown as stored, never dropped
            out.append((name, str(value)))
    return out
