"""Pure anomaly detectors: a parcel's facts and ``now`` → what is wrong, how badly, and the evidence; and which of
those findings is the one case the merchant works on the parcel.

Thresholds are configurable; the defaults are the desk's assumptions (the platform's parcel centre grades
pickup and transit delays but does not publish its numbers), and every screen that shows them says so.

One parcel, one case (QA pass 9, #10). A parcel often shows several kinds at once: a parcel refused by the buyer
and now on its way back has not scanned for days, so it is 退回 *and* 物流停滞; a parcel idle for eight days is
物流停滞 *and* 疑似丢失. As separate cases they told the buyer contradicting things ("the parcel is being returned"
beside "we have asked the courier to hurry"), and working one left the other open. So the parcel gets one open
case, of its most telling cause (``PRECEDENCE``, most telling first):

1. 退回 (returned/returning): the end of the delivery: the parcel is going back to the shop whatever else is
   true of it. What the merchant does next is about the goods coming back (re-send, refund), not about speed.
2. 拒签 (refused): the buyer, or someone at the address, turned it down; it becomes 退回 once the carrier
   starts the trip back, so 退回 outranks it as the later word of the same story.
3. 派件异常 (delivery failed), then 疑难件 (problem parcel): the carrier has said what is wrong, and what it said
   is what the merchant acts on. A failed delivery is the more specific word (the courier tried; the buyer's
   phone or address is the fix) so it outranks the generic problem.
4. 驿站超时未取 (uncollected at a locker): delivered to a station; the buyer must act.
5. 疑似丢失 (suspected lost): an inference from a long silence, graver than
6. 物流停滞 (stalled): an inference from a shorter silence, graver than
7. 揽收超时 (pickup overdue): no scan yet after shipping.

Facts the carrier reported outrank inferences from silence (a parcel the carrier says is returning is not
"stalled": its last scan is simply old). The case's severity is the worst of all the findings (how urgent the
parcel is), while its kind, evidence and buyer message are the most telling finding's. When a more telling cause
appears later, the open case changes to it (the service records the change in the case's history), never a
second case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .domain import (FAILED_DELIVERY_WORDS, FINAL_STATES, AnomalyKind, ParcelState, Severity)

SHOP_TZ = ZoneInfo("Asia/Shanghai")
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Thresholds:
    """Hours. ``pickup``/``stalled``: (warning, timeout, serious). Defaults are assumptions (issue 5)."""

    pickup: tuple[float, float, float] = (20, 24, 48)  # after shipping, no pickup scan
    stalled: tuple[float, float, float] = (36, 48, 72)  # after the last scan, picked up, not signed
    lost: float = 7 * 24  # after the last scan: suspected lost (serious)
    locker: float = 48  # waiting at a locker or station (timeout)

    def __post_init__(self):
        for name in ("pickup", "stalled"):
            values = getattr(self, name)
            if len(values) != 3 or any(v <= 0 for v in values) or list(values) != sorted(values):
                raise ValueError(f"{name} thresholds must be three increasing positive hours, got {values}")
        if self.lost <= 0 or self.locker <= 0:
            raise ValueError("lost and locker thresholds must be positive hours")
        # the same limits as timedeltas, computed once (the full scan evaluates every watched parcel)
        object.__setattr__(self, "_pickup", tuple(h * HOUR for h in self.pickup))
        object.__setattr__(self, "_stalled", tuple(h * HOUR for h in self.stalled))
        object.__setattr__(self, "_lost", self.lost * HOUR)
        object.__setattr__(self, "_locker", self.locker * HOUR)


DEFAULT_THRESHOLDS = Thresholds()


class ParcelFacts(NamedTuple):
    """What the rules may look at: the parcel's projection summary, never its raw events. (A named tuple, not a
    frozen dataclass: the full scan builds one per watched parcel, and a frozen dataclass costs 9 µs to build.)"""

    shipped_at: datetime | None
    state: ParcelState
    state_since: datetime | None
    picked_up: bool
    last_event_at: datetime | None
    last_code: int | None = None
    last_context: str = ""
    last_location: str = ""
    order_done: bool = False  # the order is completed or cancelled: the buyer confirmed, nothing to chase


@dataclass(frozen=True)
class Finding:
    kind: AnomalyKind
    severity: Severity
    basis_at: datetime  # the fact it rests on (shipping time, last scan, state entry); new basis = new case
    evidence: dict = field(default_factory=dict, compare=False)


def _graded(elapsed: timedelta, limits: tuple[timedelta, timedelta, timedelta]) -> Severity | None:
    if elapsed >= limits[2]:
        return Severity.SERIOUS
    if elapsed >= limits[1]:
        return Severity.TIMEOUT
    if elapsed >= limits[0]:
        return Severity.WARNING
    return None


def _hours(delta: timedelta) -> int:
    return int(delta.total_seconds() // 3600)


def failed_delivery(code: int | None, context: str) -> bool:
    return code == 204 or any(w in (context or "") for w in FAILED_DELIVERY_WORDS)


def _last_scan(f: ParcelFacts, now: datetime) -> dict:
    return {"hours": _hours(now - f.last_event_at), "at": f.last_event_at.isoformat(), "location": f.last_location,
            "state": f.state.value, "context": f.last_context[:120]}


def detect(f: ParcelFacts, now: datetime, th: Thresholds = DEFAULT_THRESHOLDS, *,
           untracked: bool = False) -> list[Finding]:
    """Every anomaly the parcel shows at ``now``. Signed parcels, and parcels of completed orders, show none.
    ``untracked``: the shop has no source of scans at all (no Kuaidi100, no tracking file ever imported), so a
    parcel with no scan says nothing about its pickup: no 揽收超时 or never-scanned case, whose buyer message would
    claim "still waiting for pickup" on no evidence (QA pass 6, #4: every parcel of an export-only shop)."""
    if f.state is ParcelState.SIGNED or f.order_done:
        return []
    found: list[Finding] = []
    if not f.picked_up:
        if f.shipped_at is not None and not untracked:
            since = now - f.shipped_at
            severity = _graded(since, th._pickup)
            evidence = {"hours": _hours(since), "at": f.shipped_at.isoformat()}
            if severity:
                found.append(Finding(AnomalyKind.PICKUP_TIMEOUT, severity, f.shipped_at, evidence))
            if since >= th._lost:
                # Still no scan at all a week after shipping: whatever a clerk was told when closing the pickup
                # case ("the courier will collect it"), the parcel is now as good as lost, or was never handed over
                # (虚假发货, domain.md §2). A case of its own, so a resolved pickup case cannot hide it.
                found.append(Finding(AnomalyKind.SUSPECTED_LOST, Severity.SERIOUS, f.shipped_at,
                                     {**evidence, "never_scanned": True}))
        return found
    if f.last_event_at is not None and f.state not in FINAL_STATES:
        idle = now - f.last_event_at
        if f.state is not ParcelState.AT_LOCKER:
            severity = _graded(idle, th._stalled)
            if severity:
                found.append(Finding(AnomalyKind.STALLED, severity, f.last_event_at, _last_scan(f, now)))
            if idle >= th._lost:
                found.append(Finding(AnomalyKind.SUSPECTED_LOST, Severity.SERIOUS, f.last_event_at, _last_scan(f, now)))
        elif f.state_since is not None and now - f.state_since >= th._locker:
            found.append(Finding(AnomalyKind.LOCKER_UNCOLLECTED, Severity.TIMEOUT, f.state_since,
                                 {**_last_scan(f, now), "hours": _hours(now - f.state_since)}))
    since = f.state_since or f.last_event_at
    if f.state is ParcelState.REFUSED and since is not None:
        found.append(Finding(AnomalyKind.REFUSED, Severity.URGENT, since, _last_scan(f, now)))
    elif f.state in (ParcelState.RETURNING, ParcelState.RETURNED) and since is not None:
        found.append(Finding(AnomalyKind.RETURNED, Severity.URGENT, since, _last_scan(f, now)))
    elif f.state is ParcelState.PROBLEM and f.last_event_at is not None:
        kind = AnomalyKind.DELIVERY_FAILED if failed_delivery(f.last_code, f.last_context) else AnomalyKind.PROBLEM
        found.append(Finding(kind, Severity.SOON, f.last_event_at, {**_last_scan(f, now), "code": f.last_code}))
    return found


# Most telling first (see the module docstring).
PRECEDENCE: tuple[AnomalyKind, ...] = (
    AnomalyKind.RETURNED, AnomalyKind.REFUSED, AnomalyKind.DELIVERY_FAILED, AnomalyKind.PROBLEM,
    AnomalyKind.LOCKER_UNCOLLECTED, AnomalyKind.SUSPECTED_LOST, AnomalyKind.STALLED, AnomalyKind.PICKUP_TIMEOUT)
_TELLING = {kind: len(PRECEDENCE) - i for i, kind in enumerate(PRECEDENCE)}


def telling(kind: str) -> int:
    """How telling a cause is: higher outranks lower (0: a kind the desk does not know)."""
    try:
        return _TELLING[AnomalyKind(kind)]
    except ValueError:
        return 0


def case_finding(found: list[Finding]) -> Finding | None:
    """The one finding the parcel's case shows: the most telling kind, graded with the worst severity of all the
    findings (a problem parcel silent for three days is seriously overdue however its kind is graded). At the same
    level the kind's own grade is shown: a refused parcel is 需立即处理, not 严重超时, also once it has been silent
    for a while (QA pass 13, #8). None: the parcel shows nothing."""
    if not found:
        return None
    top = max(found, key=lambda f: telling(f.kind))
    worst = max((f.severity for f in found), key=lambda s: s.level)
    return top if top.severity.level >= worst.level else Finding(top.kind, worst, top.basis_at, top.evidence)


def next_check(f: ParcelFacts, now: datetime, th: Thresholds = DEFAULT_THRESHOLDS) -> datetime | None:
    """The next instant a time-based finding can appear or grow, so the incremental scan looks at the parcel
    exactly then (and not every minute in between). None: only a new scan of the carrier can change it."""
    if f.state in FINAL_STATES or f.order_done:
        return None
    if not f.picked_up:
        if f.shipped_at is None:
            return None
        base, limits = f.shipped_at, (*th._pickup, th._lost)
    elif f.last_event_at is None:
        return None
    elif f.state is ParcelState.AT_LOCKER:
        if f.state_since is None:
            return None
        base, limits = f.state_since, (th._locker,)
    else:
        base, limits = f.last_event_at, (*th._stalled, th._lost)
    for limit in limits:  # increasing: the first one still ahead is the next check
        if base + limit > now:
            return base + limit
    return None


def worst_first_key(severity: str, detected_at: datetime) -> tuple:
    """Worklist order: most severe first, then the oldest (longest waiting) first."""
    return (-Severity(severity).level, detected_at)


# ---- evidence text, in the merchant's language -------------------------------------------------------------

STATE_ZH = {"pending": "待揽收", "picked_up": "已揽收", "in_transit": "运输中", "delivering": "派件中",
            "at_locker": "待取件", "signed": "已签收", "refused": "拒签", "returning": "退回中", "returned": "已退签",
            "problem": "疑难"}
STATE_EN = {"pending": "awaiting pickup", "picked_up": "picked up", "in_transit": "in transit",
            "delivering": "out for delivery", "at_locker": "waiting at a locker/station", "signed": "signed",
            "refused": "refused", "returning": "returning", "returned": "returned to sender", "problem": "problem"}


# Kuaidi100 ``state`` codes in words (domain.md §3), for the "carrier reported" evidence: a merchant reads
# "快递反馈（11-23 19:11，派件异常）", not "状态码 204" (QA pass 10, D9). Rendered when shown, from the stored code.
CODE_WORDS: dict[int, tuple[str, str]] = {
    0: ("在途", "in transit"), 1: ("揽收", "picked up"), 2: ("疑难", "problem"), 3: ("签收", "signed"),
    4: ("退签", "returned to sender"), 5: ("派件", "out for delivery"), 6: ("退回", "returning"),
    7: ("转投", "re-routed"), 8: ("清关", "customs"), 10: ("待清关", "awaiting customs"), 11: ("清关中", "in customs"),
    12: ("已清关", "cleared customs"), 13: ("清关异常", "customs problem"), 14: ("拒签", "refused"),
    101: ("已下单", "order placed"), 102: ("待揽收", "awaiting pickup"), 103: ("已揽收", "picked up"),
    1001: ("到达派件城市", "arrived in the delivery city"), 1002: ("干线运输", "on the trunk line"),
    1003: ("转递", "forwarded"), 501: ("投柜/驿站", "put in a locker or station"),
    301: ("本人签收", "signed by the buyer"), 302: ("派件异常后签收", "signed after a failed delivery"),
    303: ("代签收", "signed for by someone else"),
    304: ("投柜/驿站签收", "signed at a locker or station"), 401: ("销单", "waybill cancelled"),
    201: ("超时未签收", "not signed in time"), 202: ("超时未更新", "no update in time"), 203: ("拒收", "refused"),
    204: ("派件异常", "delivery failed"), 205: ("驿站超时未取", "not collected from the station in time"),
    206: ("无法联系", "recipient unreachable"), 207: ("超区", "outside the delivery area"),
    208: ("滞留", "held up"), 209: ("破损", "damaged"), 210: ("销单", "waybill cancelled"),
}


def code_words(code: int, zh: bool) -> str:
    """A Kuaidi100 state code as the merchant reads it; an undocumented one keeps its number for the carrier."""
    if code in CODE_WORDS:
        return CODE_WORDS[code][0 if zh else 1]
    return f"未知状态 {code}" if zh else f"unknown state {code}"


def _when(iso_text: str) -> str:
    return datetime.fromisoformat(iso_text).astimezone(SHOP_TZ).strftime("%m-%d %H:%M")


_SILENCE_KINDS = (AnomalyKind.LOCKER_UNCOLLECTED, AnomalyKind.STALLED, AnomalyKind.SUSPECTED_LOST)


def evidence_text(kind: str, ev: dict, lang: str = "zh") -> str:
    """e.g. 最后一条轨迹 52 小时前 · 廊坊转运中心 · 运输中 (hours counted when detected or escalated)."""
    zh = lang == "zh"
    hours = ev.get("hours", 0)
    if kind == AnomalyKind.PICKUP_TIMEOUT:
        return (f"发货 {hours} 小时仍无揽收扫描（发货于 {_when(ev['at'])}）" if zh
                else f"shipped {hours} h ago ({_when(ev['at'])}), no pickup scan yet")
    if ev.get("never_scanned"):
        return (f"发货 {hours} 小时仍无任何物流扫描（发货于 {_when(ev['at'])}）：包裹可能丢失或未交给快递" if zh
                else f"shipped {hours} h ago ({_when(ev['at'])}) and never scanned: lost, or never handed to the "
                     "carrier")
    state = (STATE_ZH if zh else STATE_EN).get(ev.get("state", ""), ev.get("state", ""))
    code = ev.get("code")
    said = code_words(code, zh) if kind not in _SILENCE_KINDS and code not in (None, -1) else ""
    if said and state and (state in said or said in state):  # "疑难" once, not "（…，疑难）· 疑难"
        state = ""
    parts = [ev.get("location") or "", state, ev.get("context") or ""]
    tail = " · ".join(p for p in parts if p)
    if kind == AnomalyKind.LOCKER_UNCOLLECTED:
        head = f"在驿站/快递柜 {hours} 小时未取" if zh else f"waiting at a locker/station for {hours} h"
    elif kind in (AnomalyKind.STALLED, AnomalyKind.SUSPECTED_LOST):
        head = f"最后一条轨迹 {hours} 小时前" if zh else f"last scan {hours} h ago"
    else:  # what the carrier's state code said, in words
        head = (f"快递反馈（{_when(ev['at'])}{f'，{said}' if said else ''}）" if zh
                else f"carrier reported ({_when(ev['at'])}{f', {said}' if said else ''})")
    return f"{head} · {tail}" if tail else head
