"""The owner's shipping settings (capacity, working hours, default promise, penalty rules) and per-product
promise overrides: owners only (settings.manage), validated whole, audited before → after."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts import audit
from ..accounts.permissions import check
from ..accounts.service import Principal
from ..errors import ValidationFailed
from ..orders.models import Product
from . import domain
from .forecast import capacity_value
from .models import ShippingSettings
from .queries import get_settings


SETTING_FIELDS = ("capacity_per_hour", "work_start_minute", "work_end_minute", "default_promise", "late_points",
                  "compensation_pct", "compensation_min_fen", "compensation_max_fen", "due_soon_hours",
                  "urgent_hours", "correction_window_hours", "max_corrections", "rest_weekdays")
MAX_COMPENSATION_FEN = 1_000_000  # ¥10,000


def update_settings(session: Session, *, shop_id: int, changes: dict, principal: Principal,
                    now: datetime) -> ShippingSettings:
    """Owners only (settings.manage). Validated whole before anything is saved; audited before → after."""
    check(principal.role, "settings.manage")
    row = get_settings(session, shop_id)
    before = {f: getattr(row, f) for f in SETTING_FIELDS}
    before["capacity_per_hour"] = float(before["capacity_per_hour"])  # an unsaved default is the int 100
    after = {**before, **{k: v for k, v in changes.items() if k in SETTING_FIELDS and v is not None}}
    _validate_settings(after)
    if after["default_promise"] != before["default_promise"]:
        _refuse_passed_presale(after["default_promise"], "default_promise", now)
    if after == before and session.get(ShippingSettings, shop_id) is not None:
        return row
    for key, value in after.items():
        setattr(row, key, value)
    row.updated_at, row.updated_by = now, principal.login
    session.merge(row)
    audit.record(session, principal=principal, action="shipping.settings", now=now, shop_id=shop_id,
                 target_type="shop", target_id=str(shop_id), before=before, after=after)
    session.flush()
    return get_settings(session, shop_id)


def _validate_settings(values: dict) -> None:
    def bad(name: str, message: str, code: str = "validation_failed", **details):
        # each refusal its stable code (and the bounds), so the settings form explains it in the page's language
        raise ValidationFailed(f"{name}: {message}", code=code, details={"field": name, **details})

    try:  # orders per hour with at most one decimal: 0.3 for a small shop (forecast.capacity_value)
        values["capacity_per_hour"] = float(capacity_value(values["capacity_per_hour"]))
    except ValueError:
        bad("capacity_per_hour", "must be 0.1–100000 orders per hour, with at most one decimal",
            "capacity_invalid")
    start, end = int(values["work_start_minute"]), int(values["work_end_minute"])
    if not 0 <= start < 1440:  # each bound blamed on its own field, the order of the two on the end
        bad("work_start_minute", "the working day must start at a time of day, 00:00–23:59", "time_invalid")
    if not 0 < end <= 1440:
        bad("work_end_minute", "the working day must end at a time of day, 00:01–24:00", "time_invalid")
    if start >= end:
        bad("work_end_minute", "working hours must start before they end, within one day", "working_hours_reversed")
    rest = str(values.get("rest_weekdays") or "")
    if not set(rest) <= set("0123456"):
        bad("rest_weekdays", "rest days are weekday digits 0 (Monday) to 6 (Sunday)")
    if len(set(rest)) == 7:
        bad("rest_weekdays", "at least one day of the week must be a working day", "rest_days_all")
    values["rest_weekdays"] = "".join(sorted(set(rest)))
    try:
        values["default_promise"] = domain.parse_promise(values["default_promise"]).text()
    except ValueError as exc:
        bad("default_promise", str(exc), "promise_unknown")
    for name, low, high in (("late_points", 0, 100), ("compensation_pct", 0, 100), ("due_soon_hours", 1, 72),
                            ("urgent_hours", 1, 72), ("correction_window_hours", 0, 24 * 30),
                            ("max_corrections", 0, 10)):
        if not low <= int(values[name]) <= high:
            bad(name, f"must be between {low} and {high}", "setting_out_of_range", low=low, high=high)
    _validate_compensation(values, bad)
    if int(values["urgent_hours"]) >= int(values["due_soon_hours"]):
        bad("urgent_hours", "the urgent reminder must come after the first one (fewer hours before the ship-by)",
            "reminders_reversed")


def _validate_compensation(values: dict, bad) -> None:
    """The compensation a late order costs is a share of what the buyer paid, clamped to a minimum and a maximum
    (domain.md §2): both in ¥0–¥10,000 (a late parcel's compensation is a few yuan, never a fortune: a larger
    figure is a typo in fen or yuan), and the minimum not above the maximum."""
    for name in ("compensation_min_fen", "compensation_max_fen"):
        if not 0 <= int(values[name]) <= MAX_COMPENSATION_FEN:
            bad(name, f"must be between ¥0.00 and ¥{MAX_COMPENSATION_FEN // 100:,}.00", "setting_out_of_range",
                low="¥0.00", high=f"¥{MAX_COMPENSATION_FEN // 100:,}.00")
    if int(values["compensation_min_fen"]) > int(values["compensation_max_fen"]):
        bad("compensation_max_fen", "the maximum compensation must not be below the minimum",
            "compensation_reversed")


def set_product_promise(session: Session, *, shop_id: int, product_id: str, promise: str | None,
                        principal: Principal, now: datetime) -> str | None:
    """Per-product override of the shop default (empty: use the default). Applies to orders paid afterwards."""
    check(principal.role, "settings.manage")
    product = session.execute(select(Product).where(Product.shop_id == shop_id, Product.product_id == product_id)
                              ).scalar_one_or_none()
    if product is None:
        raise ValidationFailed(f"no product {product_id}", code="not_found", details={"field": "product_id"})
    try:
        text = domain.parse_promise(promise).text() if promise and promise.strip() else None
    except ValueError as exc:
        raise ValidationFailed(str(exc), details={"field": "ship_promise"}) from None
    if text != product.ship_promise:
        _refuse_passed_presale(text, "ship_promise", now)
        audit.record(session, principal=principal, action="shipping.product_promise", now=now, shop_id=shop_id,
                     target_type="product", target_id=product_id, before={"ship_promise": product.ship_promise},
                     after={"ship_promise": text}, detail={"product_name": product.name})
        product.ship_promise = text
    return text


def _refuse_passed_presale(text: str | None, field: str, now: datetime) -> None:
    """A newly chosen presale date must not be before today in shop time (a stored one that has since passed is
    left alone: saving other settings does not trip over it)."""
    today = now.astimezone(domain.SHOP_TZ).date()
    if text and domain.presale_date_passed(domain.parse_promise(text), today):
        raise ValidationFailed(f"{field}: the presale ship date is before today ({today.isoformat()})",
                               code="presale_date_past", details={"field": field, "today": today.isoformat()})
