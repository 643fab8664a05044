"""The audit log: who did what, when, through which channel, before → after.

Append-only by construction: this module offers ``record`` and reads, nothing else, and the database
refuses UPDATE and DELETE on the table (triggers from migration 0003).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from .models import AuditEntry
from .service import Principal

SYSTEM = Principal(user_id=None, login="system", role="owner", channel="job")


def _dump(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)


def record(session: Session, *, principal: Principal | None, action: str, now: datetime, shop_id: int | None = None,
           target_type: str | None = None, target_id: str | None = None, before: Any = None, after: Any = None,
           detail: Any = None) -> AuditEntry:
    """Write one entry in the caller's transaction, so the action and its record commit or fail together."""
    who = principal or SYSTEM
    entry = AuditEntry(at=now, user_id=who.user_id, login=who.login, channel=who.channel, action=action,
                       shop_id=shop_id, target_type=target_type, target_id=target_id, before=_dump(before),
                       after=_dump(after), detail=_dump(detail))
    session.add(entry)
    return entry


@dataclass
class AuditFilter:
    login: str | None = None
    action: str | None = None
    channel: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None
    limit: int = 100
    offset: int = 0


def search(session: Session, flt: AuditFilter) -> tuple[int, list[AuditEntry]]:
    conds = []
    if flt.login:
        conds.append(AuditEntry.login == flt.login)
    if flt.action:
        conds.append(AuditEntry.action == flt.action)
    if flt.channel:
        conds.append(AuditEntry.channel == flt.channel)
    if flt.since:
        conds.append(AuditEntry.at >= flt.since)
    if flt.until:
        conds.append(AuditEntry.at < flt.until)
    if flt.text:
        pattern = "%" + flt.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conds.append(or_(AuditEntry.target_id.like(pattern, escape="\\"), AuditEntry.detail.like(pattern, escape="\\"),
                         AuditEntry.before.like(pattern, escape="\\"), AuditEntry.after.like(pattern, escape="\\")))
    total = session.execute(select(func.count()).select_from(AuditEntry).where(*conds)).scalar_one()
    rows = session.execute(
        select(AuditEntry).where(*conds).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .offset(flt.offset).limit(min(flt.limit, 10_000))
    ).scalars().all()
    return total, list(rows)


def count_recent(session: Session, *, user_id: int, action: str, since: datetime) -> int:
    return session.execute(
        select(func.count()).select_from(AuditEntry)
        .where(AuditEntry.user_id == user_id, AuditEntry.action == action, AuditEntry.at >= since)
    ).scalar_one()


def entry_json(entry: AuditEntry) -> dict:
    from ..clock import iso

    return {"id": entry.id, "at": iso(entry.at), "login": entry.login, "channel": entry.channel,
            "action": entry.action, "shop_id": entry.shop_id, "target_type": entry.target_type,
            "target_id": entry.target_id,
            "before": json.loads(entry.before) if entry.before else None,
            "after": json.loads(entry.after) if entry.after else None,
            "detail": json.loads(entry.detail) if entry.detail else None}
