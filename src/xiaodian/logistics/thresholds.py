"""The shop's anomaly thresholds: the owner's values stored per shop (logistics_thresholds), else the environment
settings (XIAODIAN_LOGISTICS_*), whose defaults are the desk's assumptions (the platform's parcel centre grades
pickup and transit delays but does not publish its numbers). The one place the scan, the worklist, the settings
page, the API and the CLI read and change them.

A change is owners only (settings.manage), validated whole (each field positive and under a sane maximum, the
warning → timeout → serious hours increasing, suspected lost after stalled's serious), audited
before → after, and makes the next logistics scan of the shop a full one, so every watched parcel is judged by
the new numbers at once instead of within the hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..accounts import audit
from ..accounts.permissions import check
from ..accounts.service import Principal
from ..clock import iso
from ..errors import Conflict, ValidationFailed
from . import rules
from .models import AnomalyThresholds

# field → (kind, grade); all in hours
FIELDS: dict[str, tuple[str, str]] = {
    "pickup_warning": ("pickup_timeout", "warning"),
    "pickup_timeout": ("pickup_timeout", "timeout"),
    "pickup_serious": ("pickup_timeout", "serious"),
    "stalled_warning": ("stalled", "warning"),
    "stalled_timeout": ("stalled", "timeout"),
    "stalled_serious": ("stalled", "serious"),
    "suspected_lost": ("suspected_lost", "serious"),
    "locker_uncollected": ("locker_uncollected", "timeout"),
}
# Sane maximums: beyond these an anomaly would come after the platform's own limits and the buyer's patience.
MAX_HOURS: dict[str, float] = {
    "pickup_warning": 240, "pickup_timeout": 240, "pickup_serious": 240,
    "stalled_warning": 720, "stalled_timeout": 720, "stalled_serious": 720,
    "suspected_lost": 1440, "locker_uncollected": 720,
}
MIN_HOURS = 0.5
# (earlier, later): the later one must be more hours than the earlier one (suspected lost: than a serious stall)
ORDERED = (("pickup_warning", "pickup_timeout"), ("pickup_timeout", "pickup_serious"),
           ("stalled_warning", "stalled_timeout"), ("stalled_timeout", "stalled_serious"))
AUDIT_ACTION = "logistics.thresholds"


def as_values(th: rules.Thresholds) -> dict[str, float]:
    return {"pickup_warning": th.pickup[0], "pickup_timeout": th.pickup[1], "pickup_serious": th.pickup[2],
            "stalled_warning": th.stalled[0], "stalled_timeout": th.stalled[1], "stalled_serious": th.stalled[2],
            "suspected_lost": th.lost, "locker_uncollected": th.locker}


def of_values(values: dict[str, float]) -> rules.Thresholds:
    return rules.Thresholds(
        pickup=(values["pickup_warning"], values["pickup_timeout"], values["pickup_serious"]),
        stalled=(values["stalled_warning"], values["stalled_timeout"], values["stalled_serious"]),
        lost=values["suspected_lost"], locker=values["locker_uncollected"])


def defaults(settings) -> rules.Thresholds:
    """The fallback: the environment settings (XIAODIAN_LOGISTICS_*), or the assumptions without settings."""
    if settings is None:
        return rules.DEFAULT_THRESHOLDS
    from .service import thresholds_from

    return thresholds_from(settings)


def stored_row(session: Session, shop_id: int) -> AnomalyThresholds | None:
    return session.get(AnomalyThresholds, shop_id)


def for_shop(session: Session, shop_id: int, fallback: rules.Thresholds = rules.DEFAULT_THRESHOLDS
             ) -> rules.Thresholds:
    """The thresholds the shop's scan and screens use: the owner's stored ones, else ``fallback``."""
    row = session.execute(select(*(getattr(AnomalyThresholds, f) for f in FIELDS))
                          .where(AnomalyThresholds.shop_id == shop_id)).first()
    if row is None:
        return fallback
    return of_values(dict(zip(FIELDS, row)))


def changed_at(session: Session, shop_id: int):
    """When the owner last changed the shop's thresholds (None: never, or reset to the defaults)."""
    return session.execute(select(AnomalyThresholds.updated_at)
                           .where(AnomalyThresholds.shop_id == shop_id)).scalar()


@dataclass
class View:
    """What the settings page, the API and the CLI show."""

    values: dict[str, float]
    defaults: dict[str, float]
    custom: bool  # the owner's own values (else: the defaults, assumptions)
    updated_at: datetime | None
    updated_by: str | None

    def as_json(self) -> dict:
        return {"thresholds": self.values, "defaults": self.defaults, "custom": self.custom,
                "defaults_are_assumptions": True,
                "updated_at": iso(self.updated_at), "updated_by": self.updated_by,  # shop time, as every API time
                "kinds": {f: {"kind": k, "severity": g} for f, (k, g) in FIELDS.items()},
                "maximum_hours": MAX_HOURS, "minimum_hours": MIN_HOURS}


def view(session: Session, shop_id: int, settings) -> View:
    base = as_values(defaults(settings))
    row = stored_row(session, shop_id)
    if row is None:
        return View(base, base, False, None, None)
    return View({f: getattr(row, f) for f in FIELDS}, base, True, row.updated_at, row.updated_by)


def _bad(field: str, message: str, code: str, **details) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", code=code, details={"field": field, **details})


def parse(raw: dict) -> dict[str, float]:
    """Form, API or CLI input → hours. Unknown fields and non-numbers are refused, naming the field."""
    out: dict[str, float] = {}
    for key, value in raw.items():
        if key not in FIELDS:
            raise ValidationFailed(f"{key}: unknown threshold; use one of {', '.join(FIELDS)}",
                                   code="threshold_unknown", details={"field": key})
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if isinstance(value, bool):
            raise _bad(key, "must be a number of hours", "threshold_not_a_number")
        try:
            hours = float(str(value).strip()) if isinstance(value, str) else float(value)
        except (TypeError, ValueError):
            raise _bad(key, "must be a number of hours", "threshold_not_a_number") from None
        if hours != hours or hours in (float("inf"), float("-inf")):
            raise _bad(key, "must be a number of hours", "threshold_not_a_number")
        out[key] = hours
    return out


def validate(values: dict[str, float]) -> rules.Thresholds:
    """The whole set, or a ValidationFailed naming the first field that is wrong (details.field)."""
    for field in FIELDS:
        hours = values[field]
        if not MIN_HOURS <= hours <= MAX_HOURS[field]:
            raise _bad(field, f"must be between {MIN_HOURS:g} and {MAX_HOURS[field]:g} hours", "threshold_out_of_range",
                       min=MIN_HOURS, max=MAX_HOURS[field])
    for earlier, later in ORDERED:
        if values[later] <= values[earlier]:
            raise _bad(later, f"must be more hours than {earlier} ({values[earlier]:g})", "threshold_not_increasing",
                       after=earlier)
    if values["suspected_lost"] <= values["stalled_serious"]:
        raise _bad("suspected_lost", f"must be more hours than stalled_serious ({values['stalled_serious']:g})",
                   "threshold_not_increasing", after="stalled_serious")
    return of_values(values)


def _rescan_fully(session: Session, shop_id: int) -> None:
    """The next logistics scan of the shop looks at every watched parcel (not only the changed ones)."""
    from ..leases import ask_full_run
    from .jobs import JOB

    ask_full_run(session, shop_id, JOB)


def update_thresholds(session: Session, *, shop_id: int, changes: dict, principal: Principal, now: datetime,
                      settings) -> View:
    """Owners only. ``changes``: some or all fields (hours); the rest keep their current values. Validated whole
    before anything is saved; an unchanged set writes nothing; audited before → after."""
    check(principal.role, "settings.manage")
    wanted = parse(changes)
    current = view(session, shop_id, settings)
    after = {**current.values, **wanted}
    validate(after)
    if after == current.values:  # nothing changes (saving the defaults as they are keeps following them)
        return current
    row = stored_row(session, shop_id)
    if row is None:
        row = AnomalyThresholds(shop_id=shop_id)
        session.add(row)
    for field, hours in after.items():
        setattr(row, field, hours)
    row.updated_at, row.updated_by = now, principal.login
    try:
        session.flush()
    except IntegrityError:  # another owner stored the shop's first thresholds at the same moment
        raise Conflict("someone else changed the thresholds just now; reload and check", code="concurrent_change",
                       details={"shop_id": shop_id}) from None
    _rescan_fully(session, shop_id)
    audit.record(session, principal=principal, action=AUDIT_ACTION, now=now, shop_id=shop_id, target_type="shop",
                 target_id=str(shop_id), before={**current.values, "custom": current.custom},
                 after={**after, "custom": True})
    session.flush()
    return view(session, shop_id, settings)


def reset_thresholds(session: Session, *, shop_id: int, principal: Principal, now: datetime, settings) -> View:
    """Owners only: back to the defaults (the stored row goes; the environment settings apply). Audited."""
    check(principal.role, "settings.manage")
    current = view(session, shop_id, settings)
    row = stored_row(session, shop_id)
    if row is None:
        return current
    session.delete(row)
    _rescan_fully(session, shop_id)
    audit.record(session, principal=principal, action=AUDIT_ACTION, now=now, shop_id=shop_id, target_type="shop",
                 target_id=str(shop_id), before={**current.values, "custom": True},
                 after={**current.defaults, "custom": False}, detail={"reset": True})
    session.flush()
    return view(session, shop_id, settings)


def recent_changes(session: Session, shop_id: int, limit: int = 10) -> list[dict]:
    """The last changes, from the audit log (who, when, before → after)."""
    _total, entries = audit.search(session, audit.AuditFilter(action=AUDIT_ACTION, limit=limit * 3))
    return [audit.entry_json(e) for e in entries if e.shop_id in (None, shop_id)][:limit]


def format_hours(hours: float) -> str:
    return f"{hours:g}"


__all__ = ["FIELDS", "MAX_HOURS", "MIN_HOURS", "View", "as_values", "defaults", "for_shop", "format_hours", "parse",
           "recent_changes", "reset_thresholds", "update_thresholds", "validate", "view"]
