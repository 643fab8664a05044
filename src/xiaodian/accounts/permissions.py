"""The role → permission matrix. Services check it (not only the pages), so no channel can go around it."""

from __future__ import annotations

from ..errors import Forbidden

# Every permission the desk knows; a route or use case names exactly one.
PERMISSIONS: dict[str, str] = {
    "orders.read": "see orders, search, counts",
    "orders.note": "edit the merchant note and flag",
    "orders.import": "import order export files",
    "orders.export": "export order lists",
    "pii.reveal": "reveal a buyer's full phone, name and address",
    # a whole list's buyers at once: not held by cs, whose single reveals are rate-limited (QA: an export with
    # reveal=true handed a cs user just throttled at 30 reveals an hour 6,444 buyers' details in one call)
    "pii.export": "export or download order lists with the buyers' full phone, name and address",
    "shipping.ship": "ship orders, upload tracking numbers",
    # the correction page and API: an order's own parcel needs shipping.ship as well; an after-sale re-send (补寄),
    # recorded by customer service with the case, is theirs to correct too (aftersales.decide suffices for it)
    "shipping.correct": "open the tracking-number correction (own parcels: shipping.ship; re-sends: either)",
    "logistics.handle": "act on parcel anomalies (contact the carrier, tell the buyer), import tracking events",
    "aftersales.decide": "agree or reject after-sale requests",
    # the warehouse packs an exchange or a re-send: it ships it from the case and records the parcel (QA pass 6, #18)
    "aftersales.ship": "ship an exchange or re-send to the buyer (发货给买家)",
    "inquiries.answer": "use the buyer inquiry assistant",
    "users.manage": "add, disable and change users",
    "settings.manage": "shop settings, rules and thresholds",
    "audit.read": "read the audit log",
    "tokens.own": "create and revoke one's own API tokens",
    "account.own": "change one's own password",
}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "owner": frozenset(PERMISSIONS),
    "cs": frozenset({"orders.read", "orders.note", "orders.import", "orders.export", "pii.reveal",
                     "aftersales.decide", "inquiries.answer", "logistics.handle", "tokens.own",
                     "account.own", "shipping.correct", "aftersales.ship"}),
    "warehouse": frozenset({"orders.read", "orders.export", "shipping.ship", "logistics.handle", "tokens.own",
                            "account.own", "shipping.correct", "aftersales.ship"}),
}


def allowed(role: str, permission: str) -> bool:
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission}")
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


def check(role: str, permission: str) -> None:
    if not allowed(role, permission):
        raise Forbidden(f"your role ({role}) may not do this ({permission})", details={"permission": permission})
