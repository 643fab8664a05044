"""What shipping adds to the ORDER JSON (ship_by_source, ship_by_explanation, overdue, violation), in one place
so the CLI, API and pages say the same thing."""

from __future__ import annotations

from datetime import datetime

from ..web.i18n import words_language
from . import domain
from .queries import UNSHIPPED


def order_shipping_fields(order, violation, now: datetime | None) -> dict:
    return shipping_fields(order.status, order.ship_by_source, order.ship_promise, order.paid_at, order.ship_by,
                           violation, now, words_language())


def shipping_fields(status: str, source: str | None, promise: str | None, paid_at: datetime | None,
                    ship_by: datetime | None, violation, now: datetime | None, lang: str) -> dict:
    """The same from plain values (a page of the order list passes each row's columns and the language once)."""
    overdue = bool(now and ship_by and status in UNSHIPPED and ship_by < now)
    out = None
    if violation is not None:
        late = violation.late_by_seconds
        if violation.kind == domain.ViolationKind.OVERDUE_UNSHIPPED.value and now is not None:
            late = max(late, int((now - violation.ship_by).total_seconds()))  # still growing while unshipped
        out = {"kind": violation.kind, "late_by_seconds": late, "points": violation.points,
               "compensation_fen": violation.compensation_fen}
    return {
        "ship_by_source": source,
        "ship_by_explanation": domain.explain(source, promise, paid_at, ship_by, lang),
        "overdue": overdue,
        "violation": out,
    }
