"""The after-sale deadline scan: a reminder for every open case whose node deadline is within 12 hours, and a
flag for every case past it, each saying what the platform does on expiry. Indexed candidate query → pure
rule → INSERT … ON CONFLICT DO NOTHING, so it is idempotent and two workers never remind twice."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session, sessionmaker

from ..accounts import audit
from ..accounts.models import Shop
from ..db import insert_ignore
from . import domain
from .models import AfterSaleCase, AfterSaleEvent, AfterSaleReminder

log = logging.getLogger("xiaodian.jobs.aftersales")
BATCH = 1000


@dataclass
class ReminderReport:
    shop_id: int
    due_soon: int = 0
    overdue: int = 0

    def as_json(self) -> dict:
        return asdict(self)


def _kind(status: str, due_by: datetime, now: datetime) -> str | None:
    cd = domain.countdown(due_by, now)
    if cd is None or domain.CaseStatus(status) in domain.FINISHED:
        return None
    if cd.level == "overdue":
        return "overdue"
    return "due_soon" if cd.seconds <= domain.DUE_SOON.total_seconds() else None


def scan_shop(session: Session, shop_id: int, now: datetime) -> ReminderReport:
    """One pass over the shop's open cases with a deadline up to 12 h ahead (ix_aftersale_cases_shop_status_due)."""
    report = ReminderReport(shop_id)
    open_statuses = [s.value for s in domain.OPEN]
    already = exists().where(and_(AfterSaleReminder.case_id == AfterSaleCase.id,
                                  AfterSaleReminder.due_by == AfterSaleCase.due_by,
                                  AfterSaleReminder.kind == "overdue"))
    rows = session.execute(select(AfterSaleCase.id, AfterSaleCase.status, AfterSaleCase.due_by)
                           .where(AfterSaleCase.shop_id == shop_id, AfterSaleCase.status.in_(open_statuses),
                                  AfterSaleCase.due_by.is_not(None), AfterSaleCase.due_by <= now + domain.DUE_SOON,
                                  ~already)).all()
    values = []
    for case_id, status, due_by in rows:
        kind = _kind(status, due_by, now)
        if kind:
            values.append({"shop_id": shop_id, "case_id": case_id, "kind": kind, "status": status, "due_by": due_by,
                           "created_at": now})
    by_key = {(v["case_id"], v["kind"]): v for v in values}
    for start in range(0, len(values), 500):
        for case_id in insert_ignore(session, AfterSaleReminder.__table__, values[start:start + 500],
                                     ["case_id", "kind", "due_by"]):
            for kind in ("due_soon", "overdue"):
                v = by_key.get((case_id, kind))
                if v is None:
                    continue
                setattr(report, kind, getattr(report, kind) + 1)
                on_expiry = domain.ON_EXPIRY.get(domain.CaseStatus(v["status"]))
                session.add(AfterSaleEvent(shop_id=shop_id, case_id=case_id, at=now, recorded_at=now,
                                           action=f"reminder_{kind}", source="job", actor=None,
                                           detail=json.dumps({"due_by": v["due_by"].isoformat(), "status": v["status"],
                                                              "platform_on_expiry": on_expiry.value if on_expiry
                                                              else None})))
    if report.due_soon or report.overdue:
        audit.record(session, principal=audit.SYSTEM, action="aftersales.deadline_scan", now=now, shop_id=shop_id,
                     detail=report.as_json())
    return report


def scan_all_shops(sessions: sessionmaker[Session], now: datetime) -> list[ReminderReport]:
    """Each shop in its own transaction: a failing shop is logged and the others still run."""
    with sessions() as session:
        shop_ids = list(session.execute(select(Shop.id).order_by(Shop.id)).scalars())
    reports = []
    for shop_id in shop_ids:
        try:
            with sessions.begin() as session:
                reports.append(scan_shop(session, shop_id, now))
        except Exception:  # one shop's failure must not stop the others
            log.exception("after-sale deadline scan failed for shop %s", shop_id)
    return reports
