"""Pure shipping rules: product promises → ship-by, the on-screen explanation, late-shipment violations,
carriers and tracking-number shapes. Standard library only; every time is tz-aware and `now` is an argument.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

from ..whole_numbers import half_width, whole_number

SHOP_TZ = ZoneInfo("Asia/Shanghai")
END_OF_DAY = time(23, 59, 59)


class PromiseKind(StrEnum):
    """The product's 发货时效 (domain.md §2). 48h is the platform default when a product sets nothing."""

    H48 = "48h"
    NEXT_DAY = "next_day"  # 次日发
    SAME_DAY = "same_day"  # 当日发, with a cut-off hour
    DAYS = "days"  # 5 / 15 / 45 days
    PRESALE = "presale"  # a fixed date, or N days after payment


DEFAULT_CUTOFF_HOUR = 16


@dataclass(frozen=True)
class Promise:
    kind: PromiseKind
    days: int | None = None
    cutoff_hour: int = DEFAULT_CUTOFF_HOUR
    on: date | None = None  # presale fixed date

    @property
    def source(self) -> str:
        """Where an order's ship_by came from, as the ORDER JSON names it."""
        return "presale" if self.kind is PromiseKind.PRESALE else "promise"

    def text(self) -> str:
        """The canonical promise string (what Product.ship_promise stores)."""
        if self.kind is PromiseKind.SAME_DAY:
            return f"same_day:{self.cutoff_hour}"
        if self.kind is PromiseKind.DAYS:
            return f"days:{self.days}"
        if self.kind is PromiseKind.PRESALE:
            return f"presale:{self.on.isoformat() if self.on else self.days}"
        return self.kind.value


DEFAULT_PROMISE = Promise(PromiseKind.H48)
MAX_DAYS = 365


# The names the platform's back office and the settings page give the promises (QA pass 6, #7: 次日发 was refused on
# a page that itself calls next_day 次日发).
_PROMISE_WORDS = {"次日发": "next_day", "当日发": "same_day", "48小时": "48h", "48小时发货": "48h"}


def parse_promise(text: str | None) -> Promise:
    """``48h`` | ``next_day`` | ``same_day[:H]`` | ``days:N`` | ``presale:N`` | ``presale:YYYY-MM-DD``.
    Empty means the platform default (48 h). Anything else raises ValueError naming the problem."""
    raw = half_width(text or "").strip().lower()
    if not raw:
        return DEFAULT_PROMISE
    raw = _PROMISE_WORDS.get(raw, raw)  # the page's own words: 次日发, 当日发, 48小时
    kind, _, arg = raw.partition(":")
    arg = arg.strip()
    if kind in ("48h", "48"):
        return DEFAULT_PROMISE
    if kind == "next_day" and not arg:
        return Promise(PromiseKind.NEXT_DAY)
    if kind == "same_day":
        hour = DEFAULT_CUTOFF_HOUR if not arg else whole_number(arg, 2)
        if hour is None or not 1 <= hour <= 24:
            raise ValueError(f"same_day cut-off must be an hour 1–24, got {arg!r}")
        return Promise(PromiseKind.SAME_DAY, cutoff_hour=hour)
    if kind == "days":
        days = whole_number(arg, 4)
        if days is None or not 1 <= days <= MAX_DAYS:
            raise ValueError(f"days:N needs N between 1 and {MAX_DAYS}, got {arg!r}")
        return Promise(PromiseKind.DAYS, days=days)
    if kind == "presale":
        days = whole_number(arg, 4)
        if days is not None and 1 <= days <= MAX_DAYS:
            return Promise(PromiseKind.PRESALE, days=days)
        try:
            return Promise(PromiseKind.PRESALE, on=date.fromisoformat(arg))
        except ValueError:
            raise ValueError(f"presale needs a number of days or a date YYYY-MM-DD, got {arg!r}") from None
    raise ValueError(f"unknown ship promise {text!r}: use 48h, next_day, same_day:H, days:N or presale:N|DATE")


def presale_date_passed(promise: Promise, today: date) -> bool:
    """A presale promise to ship by a day already gone: every order paid under it would be overdue at once, so a
    newly chosen one is refused (QA pass 10, D1: 2020-01-01 was saved and shown as 01-01, like next New Year)."""
    return promise.kind is PromiseKind.PRESALE and promise.on is not None and promise.on < today


def _end_of(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, END_OF_DAY, tzinfo=tz)


def ship_by_for(promise: Promise, paid_at: datetime, tz: tzinfo = SHOP_TZ) -> datetime:
    """The promised ship-by (UTC) for an order paid at ``paid_at`` under ``promise``; calendar days are the
    shop's (Asia/Shanghai), so "next day" means the merchant's next day, not UTC's."""
    if paid_at.tzinfo is None:
        raise ValueError("paid_at must be tz-aware")
    local = paid_at.astimezone(tz)
    if promise.kind is PromiseKind.NEXT_DAY:
        result = _end_of(local.date() + timedelta(days=1), tz)
    elif promise.kind is PromiseKind.SAME_DAY:
        before_cutoff = local.hour < promise.cutoff_hour
        result = _end_of(local.date() + timedelta(days=0 if before_cutoff else 1), tz)
    elif promise.kind is PromiseKind.DAYS:
        result = paid_at + timedelta(days=promise.days)
    elif promise.kind is PromiseKind.PRESALE:
        result = _end_of(promise.on, tz) if promise.on else paid_at + timedelta(days=promise.days)
        if promise.on and result < paid_at:  # bought after the presale date passed: ship like a normal listing
            result = paid_at + timedelta(hours=48)
    else:
        result = paid_at + timedelta(hours=48)
    return result.astimezone(timezone.utc)


def strictest(promises: list[Promise], paid_at: datetime, tz: tzinfo = SHOP_TZ) -> tuple[Promise, datetime]:
    """An order with several products must ship by the earliest of their promises (the strictest binds)."""
    if not promises:
        promises = [DEFAULT_PROMISE]
    return min(((p, ship_by_for(p, paid_at, tz)) for p in promises), key=lambda pair: pair[1])


def _promise_words(promise: Promise, lang: str) -> str:
    zh = lang == "zh"
    if promise.kind is PromiseKind.NEXT_DAY:
        return "承诺次日发货" if zh else "promised next-day shipping"
    if promise.kind is PromiseKind.SAME_DAY:
        return (f"承诺当日发货（{promise.cutoff_hour}:00 前付款）" if zh
                else f"promised same-day shipping (paid before {promise.cutoff_hour}:00)")
    if promise.kind is PromiseKind.DAYS:
        return f"承诺{promise.days}天内发货" if zh else f"promised shipping within {promise.days} days"
    if promise.kind is PromiseKind.PRESALE:
        if promise.on:
            return (f"预售，{promise.on:%m-%d} 前发货" if zh else f"presale, ships by {promise.on:%m-%d}")
        return f"预售，付款后{promise.days}天内发货" if zh else f"presale, ships within {promise.days} days of payment"
    return "承诺48小时发货" if zh else "promised shipping within 48 hours"


def explain(source: str | None, promise_text: str | None, paid_at: datetime | None, ship_by: datetime | None,
            lang: str = "zh", tz: tzinfo = SHOP_TZ) -> str | None:
    """The one line shown beside a ship-by, so a merchant sees why the deadline is what it is, e.g.
    "支付于 11-20 23:10，承诺48小时发货 → 11-22 23:10 前发货"."""
    if ship_by is None:
        return None
    due = _month_day_time(ship_by.astimezone(tz))
    zh = lang == "zh"
    if source == "platform" or paid_at is None:
        return f"平台承诺发货时间 → {due} 前发货" if zh else f"ship-by set by the platform → ship before {due}"
    paid = _month_day_time(paid_at.astimezone(tz))
    words = _words_of(promise_text, lang)
    return f"支付于 {paid}，{words} → {due} 前发货" if zh else f"paid {paid}, {words} → ship before {due}"


def _month_day_time(value: datetime) -> str:
    """``%m-%d %H:%M`` without strftime (explain runs for every row of a list page)."""
    return f"{value.month:02d}-{value.day:02d} {value.hour:02d}:{value.minute:02d}"


def shop_month_day_time(value: datetime) -> str:
    """A moment as ``11-24 20:00`` in shop time: when a buyer changed the address, in the ship refusal and the bulk
    preview's warning."""
    return _month_day_time(value.astimezone(SHOP_TZ))


def promise_words(promise_text: str | None, lang: str = "zh") -> str:
    """A stored promise in the merchant's words (承诺48小时发货, 预售，12-05 前发货…): the product promise list shows it
    instead of the code (48h, presale:2026-12-05). An unreadable one reads as the platform default."""
    return _words_of(promise_text, lang)


@lru_cache(maxsize=256)
def _words_of(promise_text: str | None, lang: str) -> str:
    try:
        promise = parse_promise(promise_text)
    except ValueError:
        promise = DEFAULT_PROMISE
    return _promise_words(promise, lang)


# ---------------------------------------------------------------- violations

@dataclass(frozen=True)
class LateRules:
    """Penalties for 延迟发货. The platform's figures are not public: these are configurable defaults and are
    shown to the merchant as assumptions (domain.md §2)."""

    points: int = 2
    compensation_pct: int = 10  # of the paid amount
    compensation_min_fen: int = 500  # ¥5
    compensation_max_fen: int = 5000  # ¥50

    def compensation(self, pay_amount_fen: int) -> int:
        share = pay_amount_fen * self.compensation_pct // 100
        return max(self.compensation_min_fen, min(self.compensation_max_fen, share))


class ViolationKind(StrEnum):
    LATE_SHIPMENT = "late_shipment"  # shipped after ship_by
    OVERDUE_UNSHIPPED = "overdue_unshipped"  # still unshipped past ship_by


@dataclass(frozen=True)
class Violation:
    kind: ViolationKind
    late_by_seconds: int
    points: int
    compensation_fen: int


def violation_for(ship_by: datetime | None, shipped_at: datetime | None, now: datetime, pay_amount_fen: int,
                  rules: LateRules = LateRules()) -> Violation | None:
    """At most one violation per order: shipped after ship_by, or unshipped and past it. Shipping exactly at
    ship_by is on time. ``shipped_at`` is when the order was fully shipped (None while it is not)."""
    if ship_by is None:
        return None
    if shipped_at is not None:
        if shipped_at <= ship_by:
            return None
        kind, late = ViolationKind.LATE_SHIPMENT, shipped_at - ship_by
    elif now > ship_by:
        kind, late = ViolationKind.OVERDUE_UNSHIPPED, now - ship_by
    else:
        return None
    return Violation(kind, int(late.total_seconds()), rules.points, rules.compensation(pay_amount_fen))


# ---------------------------------------------------------------- carriers

@dataclass(frozen=True)
class Carrier:
    code: str  # Kuaidi100-style company code (domain.md §3)
    name: str
    name_en: str
    shape: str | None  # regular expression of the usual tracking number; None: no check
    aliases: tuple[str, ...] = ()
    # ``shape`` in words, for the warning on an unusual number (English; the pages translate it, a test checks each
    # has its Chinese): a clerk told only "does not look like" cannot tell a typo from the wrong carrier (QA 13, #12)
    shape_words: str | None = None


CARRIERS: tuple[Carrier, ...] = (
    Carrier("zhongtong", "中通快递", "ZTO Express", r"7[3-8]\d{12}", ("中通", "ZTO"),
            "14 digits starting with 73 to 78"),
    Carrier("yuantong", "圆通速递", "YTO Express", r"YT\d{13}", ("圆通", "圆通快递", "YTO"),
            "YT followed by 13 digits"),
    Carrier("shentong", "申通快递", "STO Express", r"(77|43)\d{12,15}", ("申通", "STO"),
            "14 to 17 digits starting with 77 or 43"),
    Carrier("yunda", "韵达快递", "Yunda Express", r"[34]\d{14}|5\d{12}", ("韵达", "韵达速递", "Yunda"),
            "15 digits starting with 3 or 4, or 13 digits starting with 5"),
    Carrier("shunfeng", "顺丰速运", "SF Express", r"SF\d{13}", ("顺丰", "顺丰快递", "SF"), "SF followed by 13 digits"),
    Carrier("jtexpress", "极兔速递", "J&T Express", r"JT\d{13}", ("极兔", "极兔快递", "J&T"),
            "JT followed by 13 digits"),
    Carrier("ems", "EMS", "EMS", None, ("中国邮政EMS", "邮政EMS")),
    Carrier("youzhengguonei", "邮政快递包裹", "China Post parcel", None, ("邮政", "中国邮政", "邮政包裹")),
    Carrier("jd", "京东快递", "JD Logistics", r"JD[0-9A-Z]{2}\d{11}", ("京东", "京东物流", "JD"),
            "JD, 2 letters or digits, then 11 digits"),
    Carrier("debangkuaidi", "德邦快递", "Deppon", None, ("德邦", "德邦物流")),
    Carrier("qita", "其他", "Other", None, ("其它", "other")),
)
CARRIER_BY_CODE = {c.code: c for c in CARRIERS}
_CARRIER_LOOKUP = {key.strip().lower(): c for c in CARRIERS for key in (c.code, c.name, c.name_en, *c.aliases)}


def find_carrier(value: str | None) -> Carrier | None:
    """A carrier by code, Chinese name, English name or a common short name (the bulk-ship template has names)."""
    return _CARRIER_LOOKUP.get((value or "").strip().lower())


TRACKING_FORM = re.compile(r"^[A-Z0-9]{8,32}$")


def normalise_tracking(value: str | None) -> str:
    """Upper-case, spaces and dashes removed (people copy numbers from labels with spaces), full-width letters and
    digits made plain (half_width): a Chinese IME in 全角 mode types ＳＦ１２３, which search already understood
    and shipping refused as malformed while showing a number that looked right (QA pass 6, #13)."""
    return re.sub(r"[\s\-]", "", half_width(value or "")).upper()


class TrackingProblem(StrEnum):
    EMPTY = "tracking_empty"
    MALFORMED = "tracking_malformed"


def tracking_problem(number: str) -> TrackingProblem | None:
    """Refusals: an empty number, or one that no carrier issues (letters/digits only, 8–32 long)."""
    if not number:
        return TrackingProblem.EMPTY
    if not TRACKING_FORM.match(number):
        return TrackingProblem.MALFORMED
    return None


def shape_warning(carrier: Carrier, number: str) -> str | None:
    """A warning (not a refusal) when the number does not look like the carrier's usual numbers: these are
    heuristics (domain.md §3), real numbers occasionally differ, so a person confirms."""
    if carrier.shape and not re.fullmatch(carrier.shape, number):
        return "tracking_shape_mismatch"
    return None


def shaped_like(number: str, chosen: Carrier) -> tuple[Carrier, ...]:
    """The other carriers whose usual numbers this one looks like: a YT… number under 顺丰速运 is most likely a 圆通
    parcel with the wrong carrier picked, which the warning should say rather than leave the clerk to guess."""
    return tuple(c for c in CARRIERS if c is not chosen and c.shape and re.fullmatch(c.shape, number))


def shape_hint(carrier: Carrier, number: str) -> dict:
    """What the warning on an unusual number adds (in an error's or a row's details): ``usual``, the carrier's numbers
    in words (English, translated where shown), and ``looks_like``, the codes of the carriers it does look like."""
    return {"usual": carrier.shape_words, "looks_like": [c.code for c in shaped_like(number, carrier)]}


def shape_mismatch_message(carrier: Carrier, number: str) -> str:
    """The warning in English (API, CLI, logs): the number, what the carrier's numbers look like, and which carrier
    it does look like, e.g. "… SF Express numbers are usually SF followed by 13 digits; its shape is that of YTO
    Express numbers (the wrong carrier chosen?)"."""
    text = f"{number} does not look like a {carrier.name_en} number"
    if carrier.shape_words:
        text += f": {carrier.name_en} numbers are usually {carrier.shape_words}"
    others = shaped_like(number, carrier)
    if others:
        text += f"; its shape is that of {' or '.join(c.name_en for c in others)} numbers (the wrong carrier chosen?)"
    return text


# ---------------------------------------------------------------- correcting a tracking number

@dataclass(frozen=True)
class CorrectionRules:
    """How long after shipping, and how often, a typed number may be corrected. The platform's limits are not
    public: configurable defaults, shown as assumptions (domain.md: data that is not public lives in settings)."""

    window_hours: int = 24
    max_corrections: int = 2


# Parcel states (logistics.domain.ParcelState values) in which the carrier has not yet scanned the parcel.
NOT_PICKED_UP = frozenset({"pending", "problem"})
DELIVERED = frozenset({"signed", "returned"})


def correction_refusal(order_status: str, parcel_state: str | None, picked_up: bool, shipped_at: datetime | None,
                       corrections_made: int, now: datetime, rules: CorrectionRules) -> tuple[str, str] | None:
    """Why a shipment's tracking number can no longer be corrected, as (code, message), or None when it can.
    Once the carrier has scanned the parcel (揽收) the number is a real parcel in the carrier's system: changing it
    then is what a fake-shipment (虚假发货) review looks for, and a signed parcel is history. The window and the
    count are the desk's assumptions for the platform's own limits."""
    if order_status == "completed":
        return ("order_completed", "the order is completed (the buyer has the goods); its tracking number can no "
                                   "longer be corrected")
    if order_status == "cancelled":
        return ("order_cancelled", "the order is cancelled; its tracking number can no longer be corrected")
    return parcel_correction_refusal(parcel_state, picked_up, shipped_at, corrections_made, now, rules)


def resend_correction_refusal(case_finished: bool, parcel_state: str | None, picked_up: bool,
                              shipped_at: datetime | None, corrections_made: int, now: datetime,
                              rules: CorrectionRules) -> tuple[str, str] | None:
    """correction_refusal for an after-sale re-send (补寄): it usually goes out on a completed order, so the order's
    status does not decide; its case does (a finished case's parcel is no longer watched or the merchant's to fix).
    The parcel's own rules are the same as for any parcel: before the first scan, within the window and the count."""
    if case_finished:
        return ("case_finished", "the after-sale case of this re-send is finished; its tracking number can no "
                                 "longer be corrected")
    return parcel_correction_refusal(parcel_state, picked_up, shipped_at, corrections_made, now, rules)


def parcel_correction_refusal(parcel_state: str | None, picked_up: bool, shipped_at: datetime | None,
                              corrections_made: int, now: datetime, rules: CorrectionRules) -> tuple[str, str] | None:
    """The rules on the parcel itself, whoever sent it (the order or an after-sale case)."""
    if parcel_state in DELIVERED:
        return ("parcel_delivered", "the parcel has already been signed for (or returned) under this number; "
                                    "it can no longer be corrected")
    if picked_up or (parcel_state is not None and parcel_state not in NOT_PICKED_UP):
        return ("parcel_picked_up", "the carrier has already scanned this parcel (揽收) under this number, so the "
                                    "number is real; correcting it now would look like a fake shipment — contact "
                                    "the platform's merchant service if it is really wrong")
    if corrections_made >= rules.max_corrections:
        return ("correction_limit_reached", f"this package's number has already been corrected "
                                            f"{corrections_made} time{'' if corrections_made == 1 else 's'}, "
                                            f"the limit is {rules.max_corrections}")
    if shipped_at is not None and now - shipped_at > timedelta(hours=rules.window_hours):
        return ("correction_window_passed", f"numbers can be corrected within {rules.window_hours} hours of "
                                            "shipping; this package shipped earlier")
    return None
