"""The default ship promise (默认发货时效) as the settings form offers it: a choice in the merchant's words (当日发 with
its cut-off hour, 次日发, 48小时, N 天内发, 预售 N 天 or 预售到某一天) rather than the stored code the owner had to type
(48h, next_day, same_day:16, days:N, presale:N, presale:YYYY-MM-DD; QA pass 9, #17). The choice becomes the same
stored text (domain.Promise.text), so nothing downstream changes, and the code typed as free text is still accepted
where it was (update_settings, a form posting default_promise). Pure: no I/O.
"""

from __future__ import annotations

from datetime import date

from ..errors import ValidationFailed
from ..whole_numbers import half_width, whole_number
from .domain import DEFAULT_CUTOFF_HOUR, MAX_DAYS, Promise, PromiseKind, parse_promise

# The form's choices, in the order it lists them (the value posted as promise_kind).
KINDS = ("same_day", "next_day", "48h", "days", "presale_days", "presale_date")
DEFAULT_DAYS = 3


def choice_of(stored: str | None) -> dict[str, str]:
    """The form's fields for a stored promise (an unreadable one shows as the platform default, 48 h)."""
    try:
        promise = parse_promise(stored)
    except ValueError:
        promise = parse_promise(None)
    fields = {"promise_kind": "48h", "promise_cutoff": str(DEFAULT_CUTOFF_HOUR), "promise_days": str(DEFAULT_DAYS),
              "promise_date": ""}
    if promise.kind is PromiseKind.SAME_DAY:
        fields.update(promise_kind="same_day", promise_cutoff=str(promise.cutoff_hour))
    elif promise.kind is PromiseKind.NEXT_DAY:
        fields["promise_kind"] = "next_day"
    elif promise.kind is PromiseKind.DAYS:
        fields.update(promise_kind="days", promise_days=str(promise.days))
    elif promise.kind is PromiseKind.PRESALE and promise.on is not None:
        fields.update(promise_kind="presale_date", promise_date=promise.on.isoformat())
    elif promise.kind is PromiseKind.PRESALE:
        fields.update(promise_kind="presale_days", promise_days=str(promise.days))
    return fields


def _refuse(field: str, message: str, code: str, **details) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", code=code, details={"field": field, **details})


def _whole(value: str | None, field: str, low: int, high: int) -> int:
    """A whole number in [low, high] typed in the field (full-width digits too); refused naming the field."""
    text = half_width(value or "").strip()
    if not text:
        raise _refuse(field, "give a number", "value_missing")
    number = whole_number(text, 4)
    if number is None:
        raise _refuse(field, f"{text[:20]!r} is not a whole number", "number_invalid")
    if not low <= number <= high:
        raise _refuse(field, f"must be between {low} and {high}", "setting_out_of_range", low=low, high=high)
    return number


def promise_from_choice(kind: str, *, cutoff: str | None = None, days: str | None = None,
                        on: str | None = None) -> str:
    """The stored promise text for the form's choice; refused (ValidationFailed naming promise_kind,
    promise_cutoff, promise_days or promise_date) when the choice lacks what it needs. Whether a presale date has
    passed is the service's to say (preferences), since only a newly chosen one is refused."""
    if kind == "48h":
        return Promise(PromiseKind.H48).text()
    if kind == "next_day":
        return Promise(PromiseKind.NEXT_DAY).text()
    if kind == "same_day":
        return Promise(PromiseKind.SAME_DAY, cutoff_hour=_whole(cutoff, "promise_cutoff", 1, 24)).text()
    if kind == "days":
        return Promise(PromiseKind.DAYS, days=_whole(days, "promise_days", 1, MAX_DAYS)).text()
    if kind == "presale_days":
        return Promise(PromiseKind.PRESALE, days=_whole(days, "promise_days", 1, MAX_DAYS)).text()
    if kind == "presale_date":
        text = (on or "").strip()
        if not text:
            raise _refuse("promise_date", "give the presale ship date", "value_missing")
        try:
            day = date.fromisoformat(half_width(text))
        except ValueError:
            raise _refuse("promise_date", f"{text[:20]!r} is not a date (YYYY-MM-DD)", "day_invalid") from None
        return Promise(PromiseKind.PRESALE, on=day).text()
    raise _refuse("promise_kind", f"unknown choice {str(kind)[:20]!r}", "promise_unknown")
