"""Revealing a buyer's full contact details: allowed roles only, a reason each time, rate-limited, audited.

Customer service sometimes must call a buyer or check an address; everyone else works with masked
copies. Each reveal leaves an audit entry with the reason (never the revealed values).

The hourly limit is counted from those entries, so counting and recording must be one step per person: requests
that all counted before any of them recorded all passed (QA pass 5, E3: 41 of 45 at once against a limit of 30).
Each reveal therefore first takes a lock on its user (the user's row on PostgreSQL; SQLite's write lock, its one
writer at a time), held until the transaction that records the reveal commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts import audit
from ..accounts.models import User
from ..accounts.permissions import check
from ..accounts.service import Principal
from ..db import claim_writer
from ..errors import Throttled, ValidationFailed
from ..orders.queries import require_order
from .crypto import PiiCipher

MIN_REASON = 2
MAX_REASON = 200


def reveal_buyer(session: Session, principal: Principal, *, shop_id: int, order_id: str, reason: str, now: datetime,
                 cipher: PiiCipher, limit_per_hour: int) -> dict:
    check(principal.role, "pii.reveal")
    reason = (reason or "").strip()
    if not MIN_REASON <= len(reason) <= MAX_REASON:
        raise ValidationFailed(f"reason: say why you need the buyer's details ({MIN_REASON}–{MAX_REASON} characters)",
                               details={"field": "reason"})
    if principal.user_id is not None:
        _hold_reveals_of(session, principal.user_id)
        used = audit.count_recent(session, user_id=principal.user_id, action="pii.reveal",
                                  since=now - timedelta(hours=1))
        if used >= limit_per_hour:
            raise Throttled(f"at most {limit_per_hour} reveals per hour; try again later", code="reveal_limit",
                            details={"limit_per_hour": limit_per_hour})
    order = require_order(session, shop_id, order_id)
    audit.record(session, principal=principal, action="pii.reveal", now=now, shop_id=shop_id, target_type="order",
                 target_id=order.order_id, detail={"reason": reason})
    return {
        "order_id": order.order_id,
        "name": cipher.decrypt("buyer_name", order.buyer_name_enc),
        "phone": cipher.decrypt("phone", order.phone_enc),
        "address": cipher.decrypt("address", order.address_enc),
        "province": order.province, "city": order.city, "district": order.district,
    }


def _hold_reveals_of(session: Session, user_id: int) -> None:
    """Wait for this user's other reveals in flight to commit, and keep the next ones waiting until this one has
    (the lock ends with the caller's transaction): the count that follows then sees every reveal before it."""
    if session.get_bind().dialect.name == "sqlite":
        claim_writer(session)
    else:
        session.execute(select(User.id).where(User.id == user_id).with_for_update())
