"""Revealing a buyer's full contact details: allowed roles only, a reason each time, rate-limited, audited.

Customer service sometimes must call a buyer or check an address; everyone else works with masked
copies. Each reveal leaves an audit entry with the reason (never the revealed values).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ..accounts import audit
from ..accounts.permissions import check
from ..accounts.service import Principal
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
