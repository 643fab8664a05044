"""The audit log in words: what an action key means, what it touched, and what changed, in the reader's language.

The log stores keys and JSON, which the API, the CSV export and scripts rely on and which never change. An owner
reading 操作日志 after a dispute wants to read "修改备注/旗标 · 订单 6979… · 旗标：无 → 橙色", not
``order.note`` and ``{"flag_colour": 0}``. This module turns one entry's JSON (``audit.entry_json``) into those
words; it reads no database. It lives with the web layer because it names every capability's keys.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from ..aftersales import labels as aftersale_labels
from ..logistics import labels as logistics_labels
from ..logistics import thresholds as logistics_thresholds
from ..orders.domain import FLAG_COLOURS
from .i18n import N_, gettext, join_list, label, words_language
from .templating import shop_time, thousands, yuan



# Every action the desk records, grouped as the filter offers them. After-sale case actions are
# ``aftersales.<action>`` (aftersales.domain.Action) and Douyin write-backs ``douyin.<outbox kind>``.
ACTIONS: dict[str, str] = {
    "session.login": N_("Logged in"), "session.login_failed": N_("Login failed"), "session.logout": N_("Logged out"),
    "session.logout_everywhere": N_("Logged out on every device"), "user.add": N_("Added a user"),
    "user.disable": N_("Disabled a user"), "user.enable": N_("Re-enabled a user"), "user.role": N_("Changed a role"),
    "user.password_reset": N_("Set a user's password"), "user.password_change": N_("Changed own password"),
    "user.password_change_refused": N_("Own password change refused"), "token.create": N_("Created an API token"),
    "token.revoke": N_("Revoked an API token"), "pii.reveal": N_("Viewed a buyer's full details"),
    "order.note": N_("Changed note or flag"), "orders.import": N_("Imported an order file"),
    "orders.export": N_("Exported orders"), "orders.export_requested": N_("Asked for an export job"),
    "orders.export_cancelled": N_("Cancelled an export job"), "orders.import_stopped": N_("Stopped an import job"),
    "orders.export_download": N_("Downloaded an export file"), "shipping.ship": N_("Shipped an order"),
    "shipping.bulk_ship": N_("Shipped from a file"), "shipping.correct_tracking": N_("Corrected a tracking number"),
    "shipping.settings": N_("Changed shipping settings"),
    "shipping.product_promise": N_("Changed a product's ship promise"),
    "shipping.reminder_ack": N_("Acknowledged a ship-by reminder"), "shipping.deadline_scan": N_("Ship-by check"),
    "logistics.import_tracking": N_("Imported tracking events"),
    "logistics.anomaly_action": N_("Handled a logistics anomaly"),
    "logistics.thresholds": N_("Changed anomaly thresholds"), "aftersales.import": N_("Imported an after-sale file"),
    "aftersales.agree": N_("Agreed to an after-sale request"),
    "aftersales.reject": N_("Rejected an after-sale request"),
    "aftersales.receive": N_("Confirmed a return arrived"), "aftersales.refund": N_("Paid a refund"),
    "aftersales.reship": N_("Shipped an exchange or re-send"),
    "aftersales.retry_refund": N_("Paid a failed refund again"),
    "aftersales.contact": N_("Logged a contact with the buyer"),
    "aftersales.reason_family": N_("Classified an after-sale reason"),
    "aftersales.deadline_scan": N_("After-sale deadline check"), "inquiry.answer": N_("Answered a buyer's question"),
    "douyin.connect": N_("Connected the Douyin shop"), "douyin.write_switch": N_("Switched writing back to Douyin"),
    "douyin.reconcile": N_("Reconciled orders with Douyin"), "douyin.push.apply": N_("Applied a Douyin push message"),
    "douyin.logistics_add": N_("Sent a tracking number to Douyin"),
    "douyin.aftersale_operate": N_("Sent an after-sale decision to Douyin"),
    "douyin.refusal_settled": N_("Found a refused Douyin write done on the platform"),
    "shop.add": N_("Added a shop"), "shop.rename": N_("Renamed a shop"),
}
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (N_("People and sign-in"), ("session.", "user.", "token.", "pii.")), (N_("Shops"), ("shop.",)),
    (N_("Orders"), ("order.", "orders.")), (N_("Shipping"), ("shipping.",)), (N_("Logistics"), ("logistics.",)),
    (N_("After-sales"), ("aftersales.",)), (N_("Buyer questions"), ("inquiry.",)), (N_("Douyin"), ("douyin.",)),
)
_CASE_ACTIONS = ("apply", "modify", "cancel",
                 "ship_return", "confirm_receipt", "appeal", "auto_agree", "auto_receive", "auto_confirm", "auto_close",
                 "refund_done", "refund_failed", "rule_for_buyer", "rule_for_merchant", "status_synced")

TARGETS = {"order": N_("Order"), "orders": N_("Orders"), "aftersale": N_("After-sale case"),
           "anomaly": N_("Logistics anomaly"), "user": N_("User"), "token": N_("API token"), "file": N_("File"),
           "shop": N_("Shop"), "product": N_("Product"), "reason": N_("Reason"),
           "douyin_connection": N_("Douyin shop"), "export_job": N_("Export job"),
           "import_job": N_("Import job")}

FIELDS = {
    "product_name": N_("Product"),
    "status": N_("Status"), "flag_colour": N_("Flag"), "merchant_note": N_("Merchant note"), "role": N_("Role"),
    "disabled": N_("Disabled"), "login": N_("Login"), "name": N_("Name"), "prefix": N_("Token prefix"),
    "carrier": N_("Carrier"), "carrier_code": N_("Carrier"), "tracking_no": N_("Tracking number"),
    "items": N_("SKU orders"), "confirmed_warnings": N_("Warnings confirmed"), "note": N_("Note"),
    "reject_code": N_("Reject reason"), "inspection": N_("Inspection"), "type": N_("After-sale type"),
    "order_id": N_("Order no."), "channel": N_("Contact by"), "outcome": N_("Outcome"), "summary": N_("Summary"),
    "until": N_("Ignored until"), "reason": N_("Reason"), "shipment_id": N_("Package"),
    "remote_addr": N_("IP address"), "sessions_ended": N_("Sessions ended"), "tokens_revoked": N_("Tokens revoked"),
    "created": N_("Created"), "updated": N_("Updated"), "unchanged": N_("Unchanged"), "rejected": N_("Rejected"),
    "shipped": N_("Shipped"), "rows": N_("Rows"), "format": N_("Format"), "per": N_("A row for each"),
    "reveal": N_("Full buyer details"),
    "filter": N_("Filter"), "due_soon": N_("Due soon"), "overdue": N_("Overdue"), "derived": N_("Ship-by derived"),
    "late_shipped": N_("Shipped late"), "reminders": N_("Reminders"), "ship_promise": N_("Ship promise"),
    "capacity_per_hour": N_("Packing capacity (orders per hour)"), "work_start_minute": N_("Working hours from"),
    "work_end_minute": N_("Working hours to"), "default_promise": N_("Default ship promise"),
    "late_points": N_("Points per late order"), "compensation_pct": N_("Compensation (% of amount paid)"),
    "compensation_min_fen": N_("Minimum compensation"), "compensation_max_fen": N_("Maximum compensation"),
    "due_soon_hours": N_("First reminder (hours before ship-by)"),
    "urgent_hours": N_("Urgent reminder (hours before ship-by)"),
    "correction_window_hours": N_("Tracking numbers correctable for (hours after shipping)"),
    "max_corrections": N_("Corrections per package"), "rest_weekdays": N_("Rest days"),
    "write_enabled": N_("Write back to Douyin"), "platform_shop_id": N_("Douyin shop id"), "app_key": N_("App key"),
    "messages": N_("Messages"), "repaired": N_("Repaired"), "repaired_ids": N_("Repaired orders"),
    "errors": N_("Errors"), "kind": N_("Kind"), "ship_by": N_("Ship-by"), "custom": N_("Own thresholds"),
    "reset": N_("Back to the defaults"), "before": N_("Before"), "after": N_("After"),
    "platform_upload": N_("Sent to Douyin"), "reminder_id": N_("Reminder"),
    # 回答买家咨询, 导入物流轨迹, the export's filter (QA pass 6, #16: shown as raw keys)
    "intent": N_("Question"), "code": N_("Diagnosis"), "identity": N_("Buyer identified by"),
    "orders": N_("Orders"), "held": N_("Held"), "added": N_("Added"), "duplicates": N_("Already known"),
    "via": N_("Through"), "resend_of": N_("Re-send of after-sale"), "tab": N_("Tab"), "q": N_("Search"),
    "created_from": N_("Created from"), "created_to": N_("Created to"), "paid_from": N_("Paid from"),
    "paid_to": N_("Paid to"), "product_id": N_("Product"), "flag": N_("Flag"),
    "address_changed": N_("Address changed"),
    # an order closed by refunds before shipping, an export's search (QA pass 9, #14: shown as raw keys)
    "cancel_reason": N_("Cancel reason"), "main_status": N_("Douyin order status"),
    "aftersale_ids": N_("After-sale cases"), "aftersale_id": N_("After-sale case"), "refund_fen": N_("Refund amount"),
    "paid_fen": N_("Amount paid"), "refunded_fen": N_("Refunded"),
    "not_refunded_fen": N_("Paid but not refunded"), "query": N_("Search"),
}
_IDENTITY = {"order_id": N_("order number"), "phone": N_("phone number"), "last4": N_("last 4 digits of the phone")}
_STATUS_OF = {"aftersale": N_("After-sale status"), "anomaly": N_("Handling status")}
# Book-keeping that says nothing to a reader of the log (the shop is the one on screen; scans that did nothing).
_QUIET = frozenset({"shop_id", "skipped", "full"})
# Counts, read with thousands separators as the pages write them ("Rows: 44,639", QA pass 5 E9). Only these: an id
# (an order, a package, a reminder), a year or a setting is an int too and must never read "2,026".
_COUNTS = frozenset({"created", "updated", "unchanged", "rejected", "shipped", "rows", "orders", "messages", "repaired",
                     "errors", "duplicates", "held", "added", "sessions_ended", "tokens_revoked", "due_soon", "overdue",
                     "derived", "late_shipped", "reminders", "capacity_per_hour"})
_NOTHING = "—"


def action_label(action: str) -> str:
    if action in ACTIONS:
        return gettext(ACTIONS[action])
    prefix, _dot, rest = action.partition(".")
    if prefix == "aftersales" and rest:
        return gettext("After-sale: %(what)s") % {"what": aftersale_labels.action(rest)}
    return action


def action_choices(current: str | None = None) -> list[tuple[str, list[tuple[str, str]]]]:
    """The filter's options, (group, [(key, words)]), with every after-sale case action; an action typed into
    the URL that the list does not know stays selectable, so the filter shows what is applied."""
    keys = [*ACTIONS, *(f"aftersales.{a}" for a in _CASE_ACTIONS)]
    if current and current not in keys:
        keys.append(current)
    groups = []
    for title, prefixes in GROUPS:
        members = [(k, action_label(k)) for k in keys if k.startswith(prefixes)]
        groups.append((gettext(title), members))
    other = [(k, k) for k in keys if not k.startswith(tuple(p for _t, ps in GROUPS for p in ps))]
    if other:
        groups.append((gettext("Other"), other))
    return groups


def field_label(name: str, target_type: str | None = None) -> str:
    if name == "status" and target_type in _STATUS_OF:
        return gettext(_STATUS_OF[target_type])
    if name in logistics_thresholds.FIELDS:
        kind, grade = logistics_thresholds.FIELDS[name]
        return f"{logistics_labels.kind(kind)} · {logistics_labels.severity(grade)}"
    return gettext(FIELDS[name]) if name in FIELDS else name


def value_text(name: str, value: Any, target_type: str | None = None) -> str:
    """One value as the pages show it elsewhere: statuses, flags, roles and carriers by name, money in yuan,
    times in shop time, minutes of the day as 09:00, weekday digits as 周六."""
    if name in ("ship_promise", "default_promise"):  # 48h, same_day:14 → 承诺48小时发货 (QA pass 10, D4)
        return _promise_text(name, value)
    if value is None or value == "":
        return _NOTHING
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if name == "status" and isinstance(value, str):
        if target_type == "aftersale":
            return aftersale_labels.status(value)
        if target_type == "anomaly":
            return logistics_labels.status(value)
        return label("status", value)
    if name == "flag_colour" and isinstance(value, int) and 0 <= value < len(FLAG_COLOURS):
        return label("flag", FLAG_COLOURS[value])
    if name == "role":
        return label("role", str(value))
    if name in ("carrier", "carrier_code") and isinstance(value, str):
        return logistics_labels.carrier(value)
    if name == "per" and value in ("sku", "order"):  # an order export's rows (channels.douyin.orders_export)
        return gettext("SKU order") if value == "sku" else gettext("Order")
    if name == "inspection":
        return aftersale_labels.inspection(value)
    if name in ("intent", "code") and isinstance(value, str):
        from ..inquiries.pages import code_labels, intent_labels  # the assistant's own words for them

        return (intent_labels() if name == "intent" else code_labels()).get(value, value)
    if name == "identity" and value in _IDENTITY:
        return gettext(_IDENTITY[value])
    if name == "via" and isinstance(value, str):
        return label("via", value)
    if name == "tab" and isinstance(value, str):
        return label("tab", value)
    if name == "reject_code":
        return aftersale_labels.reject_code(value)
    if name == "type" and target_type == "aftersale":
        return aftersale_labels.case_type(value)
    if name == "channel" and target_type == "aftersale":
        return aftersale_labels.channel(value)
    if name == "main_status" and value == 21:  # the platform's 发货前退款完结, the only one the desk writes
        return f"21 · {label('status', 'cancelled')}"
    if name in _COUNTS and isinstance(value, int):
        return thousands(value)
    if name.endswith("_fen") and isinstance(value, int):
        return yuan(value)
    if name.endswith("_minute") and isinstance(value, int):
        return f"{value // 60:02d}:{value % 60:02d}"
    if name == "rest_weekdays" and isinstance(value, str):
        return join_list(label("weekday", d) for d in value) or _NOTHING
    if name in ("until", "ship_by", "due_by") and isinstance(value, str):
        return _time_text(value)
    if isinstance(value, dict):
        return "; ".join(f"{field_label(k)}: {value_text(k, v, target_type)}" for k, v in value.items()
                         if v not in (None, ""))
    if isinstance(value, (list, tuple)):
        return join_list(value_text(name, v, target_type) for v in value) or _NOTHING
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _promise_text(name: str, value: Any) -> str:
    """A stored ship promise in the words of the forecast page; a product's empty one follows the shop default."""
    from ..shipping.domain import promise_words

    if value in (None, ""):
        return gettext("Shop default") if name == "ship_promise" else promise_words(None, words_language())
    return promise_words(str(value), words_language())


def _time_text(value: str) -> str:
    try:
        return shop_time(datetime.fromisoformat(value))
    except ValueError:
        return value


def changes(before: Any, after: Any, target_type: str | None = None) -> list[tuple[str, str | None, str]]:
    """(field, before or None, after) for what the action changed: fields whose value differs, and fields that only
    the after side names (what was added, such as a tracking number). Unchanged fields are left out."""
    if not isinstance(after, dict):
        if after is None and before is None:
            return []
        return [(gettext("Changes"), None if before is None else value_text("", before, target_type),
                 value_text("", after, target_type))]
    old = before if isinstance(before, dict) else {}
    rows = []
    for name, new in sorted(after.items(), key=lambda kv: kv[0] != "status"):  # the status first: it says the most
        if (name in old and old[name] == new) or (name == "carrier_code" and "carrier" in after):
            continue
        rows.append((field_label(name, target_type), value_text(name, old[name], target_type) if name in old else None,
                     value_text(name, new, target_type)))
    return rows


def details(detail: Any, target_type: str | None = None, *, zeros: bool = True) -> list[tuple[str, str]]:
    """``zeros``: False leaves out counts of 0 (a scheduled check lists what it found: "补算承诺发货时间：0" says
    nothing)."""
    if detail is None:
        return []
    if not isinstance(detail, dict):
        return [("", value_text("", detail, target_type))]
    return [(field_label(k, target_type), value_text(k, v, target_type)) for k, v in detail.items() if k not in _QUIET
            and not (k == "carrier_code" and "carrier" in detail)  # one carrier, not its name and its code
            and (zeros or not (k in _COUNTS and v == 0))]


def target(entry: dict) -> tuple[str, str, str | None]:
    """(kind of thing, its id, a link to it on the desk or None)."""
    kind, ident = entry.get("target_type"), entry.get("target_id") or ""
    words = gettext(TARGETS[kind]) if kind in TARGETS else (kind or "")
    links = {"order": "/orders/", "aftersale": "/aftersales/", "anomaly": "/logistics/anomalies/"}
    href = links[kind] + quote(ident, safe="") if kind in links and ident else None
    return words, ident, href


# Who acted when no person logged in did: the desk's own jobs, the Douyin sync, the demo builder. A person's login
# stays as typed (QA pass 6, #16: an import from the shell read "cli:root").
_NOT_A_PERSON = {("job", "system"): N_("The desk (scheduled job)"), ("sync", "douyin"): N_("Douyin sync"),
                 ("demo", "demo"): N_("Demo data")}


def who(login: str | None, channel: str | None) -> str:
    """The actor as a reader names them: a login, "命令行 · root" for the shell user of a CLI command, or what the
    desk itself did."""
    if not login:
        return _NOTHING
    if channel == "cli" and login.startswith("cli:"):
        return gettext("Command line · %(user)s") % {"user": login[4:]}
    if (channel, login) in _NOT_A_PERSON:
        return gettext(_NOT_A_PERSON[(channel, login)])
    return login


def describe(entry: dict) -> dict:
    """An ``audit.entry_json`` entry with its words added: who, action, target, changes and details."""
    kind = entry.get("target_type")
    what, ident, href = target(entry)
    return {**entry, "who": who(entry.get("login"), entry.get("channel")),
            "action_label": action_label(entry["action"]), "target_words": what, "target_ident": ident, "target_href": href,
            "changes": changes(entry.get("before"), entry.get("after"), kind),
            "details": details(entry.get("detail"), kind, zeros=not entry["action"].endswith("_scan"))}


def summary_lines(said: dict) -> list[str]:
    """A described entry's changes and details as lines of text ("角色: 客服 → 仓库"), for a file."""
    lines = [f"{name}: {before} → {after}" if before is not None else f"{name}: {after}"
             for name, before, after in said["changes"]]
    return lines + [f"{name}: {value}" if name else value for name, value in said["details"]]
