"""Planning pages: store health (late shipments and their points), the forecast of which orders will miss their
ship-by at the warehouse's pace with its settings (capacity, working hours, promise per product), and the printable
pick list the floor packs from."""

from __future__ import annotations

from datetime import date, timezone
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.permissions import allowed
from ..accounts.service import Principal
from ..aftersales import labels as aftersale_labels
from ..errors import DomainError, ValidationFailed
from ..orders.api import shop_of
from ..orders.models import Product
from ..orders.product_labels import product_label
from ..orders.queries import day_start
from ..web.deps import db, get_ctx, require
from ..web.i18n import gettext as _, words_language
from ..web.templating import render
from ..whole_numbers import half_width, whole_number
from . import domain, preferences, promise_choice, reports
from . import forecast as fc
from .picking import HORIZONS, horizon_of
from .queries import first_violation_at, get_settings

router = APIRouter(include_in_schema=False)
HEALTH_VIOLATIONS_SHOWN = 500


def _since_day(value: str) -> date | None:
    """A shop day typed in the URL (YYYY-MM-DD); anything else lists every violation, and the heading says so."""
    try:
        return date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


@router.get("/shipping/health")
def health(request: Request, since: str = "", principal: Principal = Depends(require("orders.read")),
           session: Session = Depends(db, scope="function")):
    """``since`` lists the violations whose ship-by falls on or after that shop day, with their totals: the home
    page's 本月 figures link to ?since=<the 1st> so that the number clicked is the number shown (QA #6: the page
    showed 30 days and all time, never the month)."""
    now = get_ctx(request).clock.now()
    data = reports.health_report(session, shop_of(request), now)
    day = _since_day(since)
    violations = reports.violations_report(session, shop_of(request), day_start(day) if day else None,
                                           HEALTH_VIOLATIONS_SHOWN, now=now)
    month_start = now.astimezone(domain.SHOP_TZ).date().replace(day=1)
    # the whole list says where it begins: it is neither 本月 (home's figure, ?since=<the 1st>) nor the 30 days of
    # the cards above it (QA pass 9, #19)
    first = None if day else first_violation_at(session, shop_of(request))
    return render(request, "shipping/health.html", data=data, chart=reports.rate_chart(data["days"]),
                  violations=violations, since=day.isoformat() if day else None, month_start=month_start.isoformat(),
                  first_day=_shop_day(first))


def _shop_day(at) -> str | None:
    """A stored UTC time (naive from SQLite) as its shop day, YYYY-MM-DD."""
    if at is None:
        return None
    at = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
    return at.astimezone(domain.SHOP_TZ).date().isoformat()


@router.get("/shipping/forecast")
def forecast_page(request: Request, capacity: str | None = None, saved: str | None = None,
                  saved_product: str | None = None, principal: Principal = Depends(require("orders.read")),
                  session: Session = Depends(db, scope="function")):
    # 换一个产能试试: a capacity that is not one (0, -5, abc, 0.25; １２ and 0.3 are fine) is said so, and the plan
    # runs at the saved capacity (QA pass 6, #12: 0 silently became the default, abc gave an English 422 page)
    asked, refused = _asked_capacity(capacity)
    return _forecast(request, session, principal, capacity=asked, saved=saved == "1",
                     capacity_refused=capacity.strip()[:20] if refused else None, saved_product=saved_product)


def _asked_capacity(capacity: str | None) -> tuple[fc.Capacity | None, bool]:
    """A capacity to try as typed (１２ and 0.3 are fine): (the capacity or None, whether what was typed is refused)."""
    if not capacity or not capacity.strip():
        return None, False
    try:
        return fc.capacity_value(half_width(capacity).strip()[:12]), False
    except ValueError:
        return None, True


def _forecast(request: Request, session: Session, principal: Principal, *, capacity: fc.Capacity | None = None,
              saved: bool = False, settings_error: DomainError | None = None, typed: dict | None = None,
              status_code: int = 200, capacity_refused: str | None = None, product_error: dict | None = None,
              saved_product: str | None = None):
    """The forecast page; ``settings_error`` and ``typed``: a refused settings form, shown beside the form with
    what the owner typed, rather than a bare error page that loses every field (QA pass 6, #7)."""
    shop_id, now = shop_of(request), get_ctx(request).clock.now()
    data = reports.forecast_report(session, shop_id, now, capacity, 200)
    pace = reports.recent_pace(session, shop_id, now)
    settings = get_settings(session, shop_id)
    products = _product_promises(session, shop_id, settings.default_promise, product_error)
    return render(request, "shipping/forecast.html", status_code=status_code, data=data, settings=settings,
                  form={**_settings_form(settings), **(typed or {})}, settings_error=settings_error,
                  settings_error_field=setting_labels().get((settings_error.details or {}).get("field", ""), "")
                  if settings_error else "",
                  pace=pace, pace_ratio=reports.capacity_vs_pace(data["capacity_per_hour"], pace),
                  can_manage=allowed(principal.role, "settings.manage"), products=products, saved=saved,
                  capacity_refused=capacity_refused, capacity_asked=capacity is not None,
                  promise_kinds=promise_kind_words(), product_error=product_error, saved_product=saved_product)


def _product_promises(session: Session, shop_id: int, default_promise: str | None,
                      product_error: dict | None) -> list[dict]:
    """Each product's promise in words and as the form's choice (none: the shop default applies), so the owner picks
    当日发 / 预售… from a list instead of typing codes such as same_day:16 (QA pass 9, #17). A refused row shows what
    was typed."""
    lang = words_language()
    rows = session.execute(select(Product.product_id, Product.name, Product.name_en, Product.ship_promise)
                           .where(Product.shop_id == shop_id).order_by(Product.name)).all()
    products = []
    for product_id, name, name_en, promise in rows:
        choice = promise_choice.choice_of(promise) if promise else None
        if product_error and product_error["product_id"] == product_id:
            choice = product_error["typed"]
        products.append({"product_id": product_id, "name": product_label(name, name_en), "promise": promise,
                         "choice": choice,
                         "words": domain.promise_words(promise or default_promise, lang)})
    return products


def promise_kind_words() -> list[tuple[str, str]]:
    """The default promise's choices in the merchant's words, in the form's order (promise_choice.KINDS)."""
    words = {"same_day": _("Same day"), "next_day": _("Next day"), "48h": _("Within 48 hours"),
             "days": _("Within N days"), "presale_days": _("Presale: within N days of payment"),
             "presale_date": _("Presale: by a date")}
    return [(kind, words[kind]) for kind in promise_choice.KINDS]


def setting_labels() -> dict[str, str]:
    """The settings form's field labels by the names a refusal gives its field, to say which field is wrong."""
    hours_from, hours_to = _("Working hours from"), _("to")
    return {"capacity_per_hour": _("Packing capacity (orders per hour)"), "work_start": hours_from,
            "work_start_minute": hours_from, "work_end": f"{hours_from} … {hours_to}",
            "work_end_minute": f"{hours_from} … {hours_to}", "rest_weekdays": _("Rest days (no packing)"),
            "default_promise": _("Default ship promise"), "promise_kind": _("Default ship promise"),
            "promise_cutoff": _("Same-day cut-off (hour)"), "promise_days": _("Number of days"),
            "promise_date": _("Presale ship date"), "ship_promise": _("Ship promise"),
            "due_soon_hours": _("First reminder (hours before ship-by)"),
            "urgent_hours": _("Urgent reminder (hours before ship-by)"),
            "correction_window_hours": _("Tracking numbers correctable for (hours after shipping)"),
            "max_corrections": _("Corrections per package"), "late_points": _("Points per late order"),
            "compensation_pct": _("Compensation (%% of amount paid)").replace("%%", "%"),
            "compensation_min_yuan": _("Minimum compensation"), "compensation_min_fen": _("Minimum compensation"),
            "compensation_max_yuan": _("Maximum compensation"), "compensation_max_fen": _("Maximum compensation")}


def _settings_form(settings) -> dict[str, str]:
    """The settings form's fields as text, from the stored settings."""
    def hhmm(minutes: int) -> str:
        return "23:59" if minutes >= 1440 else f"{minutes // 60:02d}:{minutes % 60:02d}"
    capacity = fc.capacity_text(fc.capacity_value(settings.capacity_per_hour)).replace(",", "")  # 0.3, 120
    return {"capacity_per_hour": capacity, "work_start": hhmm(settings.work_start_minute),
            "work_end": hhmm(settings.work_end_minute), "rest_weekdays": settings.rest_weekdays or "",
            "default_promise": settings.default_promise or "", **promise_choice.choice_of(settings.default_promise),
            "due_soon_hours": str(settings.due_soon_hours),
            "urgent_hours": str(settings.urgent_hours),
            "correction_window_hours": str(settings.correction_window_hours),
            "max_corrections": str(settings.max_corrections), "late_points": str(settings.late_points),
            "compensation_pct": str(settings.compensation_pct),
            "compensation_min_yuan": f"{settings.compensation_min_fen / 100:.2f}",
            "compensation_max_yuan": f"{settings.compensation_max_fen / 100:.2f}"}


def _count(value: str, name: str) -> int | None:
    """A whole number from the form (digits typed full-width by a Chinese IME included); empty leaves the setting
    as it is; anything else is refused naming its field."""
    text = half_width(value or "").strip()
    if not text:
        return None
    number = whole_number(text, 9)
    if number is None:
        raise ValidationFailed(f"{name}: {text[:20]!r} is not a whole number", code="number_invalid",
                               details={"field": name})
    return number


def _minutes(value: str, name: str, *, end_of_day: bool = False) -> int:
    """A time of day from the form (HH:MM) as minutes after midnight. Refused, naming its own field, unless it is
    a real time: "25:99" is not 1,599 minutes, "-1:30" not minus an hour (QA #9: both were blamed on the end
    time). The end of the working day may also be 24:00, midnight."""
    hours, _sep, minutes = value.strip().partition(":")
    if hours.isdigit() and minutes.isdigit() and len(hours) <= 2 and len(minutes) == 2:
        total = int(hours) * 60 + int(minutes)
        if (int(hours) < 24 and int(minutes) < 60) or (end_of_day and total == 24 * 60):
            return total
    raise ValidationFailed(f"{name}: {value.strip()[:20]!r} is not a time of day; use HH:MM, 00:00–23:59",
                           code="time_invalid", details={"field": name})


def _fen(value: str, name: str) -> int | None:
    """A sum of money typed in yuan (12, 12.5, 12.50) as integer fen, the unit the desk stores; empty leaves the
    setting as it is. Anything else (a minus sign, three decimals, 1e3) is refused naming its own field rather
    than read as some other amount."""
    text = value.strip().lstrip("¥￥").strip()
    if not text:
        return None
    whole, _sep, cents = text.partition(".")
    if whole.isdigit() and whole.isascii() and len(whole) <= 9 and (not _sep or (
            cents.isdigit() and cents.isascii() and 1 <= len(cents) <= 2)):
        return int(whole) * 100 + int(cents.ljust(2, "0") if _sep else 0)
    raise ValidationFailed(f"{name}: {value.strip()[:20]!r} is not an amount in yuan; use e.g. 5 or 5.50",
                           code="amount_invalid", details={"field": name})


@router.post("/shipping/settings")
def save_settings(request: Request, capacity_per_hour: str = Form(""), work_start: str = Form("09:00"),
                  work_end: str = Form("18:00"), default_promise: str | None = Form(None),
                  promise_kind: str = Form(""), promise_cutoff: str = Form(""), promise_days: str = Form(""),
                  promise_date: str = Form(""),
                  due_soon_hours: str = Form(""), urgent_hours: str = Form(""),
                  correction_window_hours: str = Form(""), max_corrections: str = Form(""),
                  rest_day: list[str] = Form([]), rest_days_shown: str = Form(""),
                  late_points: str = Form(""), compensation_pct: str = Form(""),
                  compensation_min_yuan: str = Form(""), compensation_max_yuan: str = Form(""),
                  principal: Principal = Depends(require("settings.manage")),
                  session: Session = Depends(db, scope="function")):
    """The owner's settings form, the penalty assumptions included (QA #7: the health page said owners could change
    them and nothing could). Money is typed in yuan and stored in fen; a field the form leaves out changes nothing.
    A refused value comes back on the forecast page beside the form, naming the field, with what was typed.
    The default promise comes as the form's choice (promise_kind and its hour, days or date: promise_choice), or as
    the stored code typed (default_promise: 48h, next_day, same_day:16…), as before; neither leaves it unchanged."""
    typed = {"capacity_per_hour": capacity_per_hour, "work_start": work_start, "work_end": work_end,
             "default_promise": default_promise or "", "promise_kind": promise_kind, "promise_cutoff": promise_cutoff,
             "promise_days": promise_days, "promise_date": promise_date,
             "due_soon_hours": due_soon_hours, "urgent_hours": urgent_hours,
             "correction_window_hours": correction_window_hours, "max_corrections": max_corrections,
             "late_points": late_points, "compensation_pct": compensation_pct,
             "compensation_min_yuan": compensation_min_yuan, "compensation_max_yuan": compensation_max_yuan}
    if not promise_kind:  # a form without the choice: the page shows the stored one again
        for name in ("promise_kind", "promise_cutoff", "promise_days", "promise_date"):
            typed.pop(name)
    try:
        capacity = half_width(capacity_per_hour or "").strip()[:20] or None  # checked with the others, as typed
        if capacity is None:
            raise ValidationFailed("capacity_per_hour: give the orders packed per hour", code="value_missing",
                                   details={"field": "capacity_per_hour"})
        if promise_kind:
            default_promise = promise_choice.promise_from_choice(promise_kind, cutoff=promise_cutoff,
                                                                 days=promise_days, on=promise_date)
        counts = {name: _count(typed[name], name) for name in (
            "due_soon_hours", "urgent_hours", "correction_window_hours", "max_corrections", "late_points",
            "compensation_pct")}
        preferences.update_settings(
            session, shop_id=shop_of(request), principal=principal, now=get_ctx(request).clock.now(),
            changes={"capacity_per_hour": capacity, **counts,
                     "compensation_min_fen": _fen(compensation_min_yuan, "compensation_min_yuan"),
                     "compensation_max_fen": _fen(compensation_max_yuan, "compensation_max_yuan"),
                     "work_start_minute": _minutes(work_start, "work_start"),
                     "work_end_minute": _minutes(work_end, "work_end", end_of_day=True),
                     "default_promise": default_promise,
                     # no box ticked is "no rest day"; a form without the boxes changes nothing
                     "rest_weekdays": "".join(rest_day) if rest_days_shown else None})
    except DomainError as exc:
        session.rollback()
        _blame_the_date_field(exc, promise_kind)
        if rest_days_shown:
            typed["rest_weekdays"] = "".join(rest_day)
        return _forecast(request, session, principal, settings_error=exc, typed=typed, status_code=exc.http_status)
    session.commit()
    return RedirectResponse("/shipping/forecast?saved=1", status_code=303)


def _blame_the_date_field(exc: DomainError, promise_kind: str | None) -> None:
    """A past presale date refused by the service names the stored promise; on a form with the choice list the
    field to correct is the date."""
    if exc.code == "presale_date_past" and promise_kind and exc.details is not None:
        exc.details["field"] = "promise_date"


@router.post("/shipping/products/{product_id}/promise")
def save_product_promise(product_id: str, request: Request, promise_kind: str | None = Form(None),
                         promise_cutoff: str = Form(""), promise_days: str = Form(""), promise_date: str = Form(""),
                         ship_promise: str = Form(""), principal: Principal = Depends(require("settings.manage")),
                         session: Session = Depends(db, scope="function")):
    """One product's promise, chosen from the list (promise_kind ``default`` = follow the shop default) or, as
    before, typed as a code (ship_promise). A refusal comes back on the forecast page above the list, naming the
    product and the field, with the row as typed; nothing is saved."""
    typed = {"promise_kind": promise_kind, "promise_cutoff": promise_cutoff, "promise_days": promise_days,
             "promise_date": promise_date}
    try:
        if promise_kind is not None:
            ship_promise = "" if promise_kind == "default" else promise_choice.promise_from_choice(
                promise_kind, cutoff=promise_cutoff, days=promise_days, on=promise_date)
        preferences.set_product_promise(session, shop_id=shop_of(request), product_id=product_id,
                                        promise=ship_promise, principal=principal, now=get_ctx(request).clock.now())
    except DomainError as exc:
        session.rollback()
        if (exc.details or {}).get("field") == "product_id":
            raise
        _blame_the_date_field(exc, promise_kind)
        named = session.execute(select(Product.name, Product.name_en).where(
            Product.shop_id == shop_of(request), Product.product_id == product_id)).one_or_none()
        name = product_label(*named) if named else None
        field = setting_labels().get((exc.details or {}).get("field", ""), "")
        return _forecast(request, session, principal, status_code=exc.http_status, product_error={
            "product_id": product_id, "name": name or product_id, "field": field, "error": exc,
            "typed": typed if promise_kind not in (None, "default") else None})
    session.commit()
    # back to the row just saved, marked 已保存 there (QA pass 10, D3: the page-top notice was out of sight)
    return RedirectResponse(f"/shipping/forecast?saved_product={quote(product_id, safe='')}"
                            f"#promise-{quote(product_id, safe='')}", status_code=303)


@router.get("/shipping/picklist")
def pick_list(request: Request, capacity: str | None = None, within: str | None = None,
              principal: Principal = Depends(require("orders.read")),
              session: Session = Depends(db, scope="function")):
    """The printed sheet the floor packs from: by default what must leave within 48 hours (overdue included), with
    the after-sales to send in deadline order among the orders, and the capacity warning the forecast gives (QA pass
    13, #4-#6)."""
    shop_id, now = shop_of(request), get_ctx(request).clock.now()
    # printed at the capacity the forecast was looking at (its 换一个产能试试), else the saved one (QA pass 9, #12)
    asked, _refused = _asked_capacity(capacity)  # a refused one prints at the saved capacity
    horizon = horizon_of(within)
    data = reports.forecast_report(session, shop_id, now, asked, within_hours=horizon,
                                   sends=reports.cases_to_send(session, shop_id, now))
    pace = reports.recent_pace(session, shop_id, now)
    return render(request, "shipping/picklist.html", data=data, body_class="print", pace=pace,
                  pace_ratio=reports.capacity_vs_pace(data["capacity_per_hour"], pace), horizon=horizon,
                  horizons=HORIZONS, capacity_asked=asked is not None, case_type=aftersale_labels.case_type)


# ---------------------------------------------------------------- correcting a tracking number
