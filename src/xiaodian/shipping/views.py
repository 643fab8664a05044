"""What shipping adds to the ORDER JSON (ship_by_source, ship_by_explanation, overdue, violation), in one place
so the CLI, API and pages say the same thing."""

from __future__ import annotations

from datetime import datetime

from ..web.i18n import current_language
from . import domain
from .queries import UNSHIPPED


def order_shipping_fields(order, violation, now: datetime | None) -> dict:
    overdue = bool(now and order.ship_by and order.status in UNSHIPPED and order.ship_by < now)
    out = None
    if violation is not None:
        late = violation.late_by_seconds
        if violation.kind == domain.ViolationKind.OVERDUE_UNSHIPPED.value and now is not None:
            late = max(late, int((now - violation.ship_by).total_seconds()))  # still growing while unshipped
        out = {"kind": violation.kind, "late_by_seconds": late, "points": violation.points,
               "compensation_fen": violation.compensation_fen}
    lang = current_language.get()
    return {
        "ship_by_source": order.ship_by_source,
        "ship_by_explanation": domain.explain(order.ship_by_source, order.ship_promise, order.paid_at, order.ship_by,
                                              "zh" if lang == "zh" else "en"),
        "overdue": overdue,
        "violation": out,
    }
