"""Pure logistics rules: Kuaidi100 state codes → the desk's parcel states, and the forward-only projection of a
parcel's tracking events. Standard library only.

Why a projection: carriers and aggregators deliver events late, twice and out of order (a push, then a poll
that returns older scans, then a file someone imports). What a parcel *is* must therefore be a function of the
*set* of its events, never of the order they arrived in, and it must never move a signed parcel back because
an older scan turned up. The fold below keeps three maxima (latest final event, furthest main-line/return
state, newest event), so folding events one by one in any order gives the same answer as projecting them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ParcelState(StrEnum):
    """The states a merchant sees (issue 5), in the platform's words."""

    PENDING = "pending"  # 待揽收: waybill printed, the courier has not scanned it
    PICKED_UP = "picked_up"  # 已揽收
    IN_TRANSIT = "in_transit"  # 运输中
    DELIVERING = "delivering"  # 派件中
    AT_LOCKER = "at_locker"  # 待取件: in a locker or at a station (驿站)
    SIGNED = "signed"  # 已签收 (final)
    REFUSED = "refused"  # 拒签
    RETURNING = "returning"  # 退回中
    RETURNED = "returned"  # 已退签 (final)
    PROBLEM = "problem"  # 疑难


FINAL_STATES = frozenset({ParcelState.SIGNED, ParcelState.RETURNED})

# Main line and the return branch, ranked: the projection takes the furthest one reached. Refused, returning
# and returned outrank every main-line state, because transit scans after a refusal are the trip back.
RANK: dict[ParcelState, int] = {
    ParcelState.PENDING: 0, ParcelState.PICKED_UP: 10, ParcelState.IN_TRANSIT: 20, ParcelState.DELIVERING: 30,
    ParcelState.AT_LOCKER: 40, ParcelState.REFUSED: 50, ParcelState.RETURNING: 60, ParcelState.RETURNED: 90,
    ParcelState.SIGNED: 100, ParcelState.PROBLEM: -1,
}

# Kuaidi100 ``state`` (domain.md §3), basic and advanced codes.
_CODE_STATE: dict[int, ParcelState] = {
    0: ParcelState.IN_TRANSIT, 1: ParcelState.PICKED_UP, 2: ParcelState.PROBLEM, 3: ParcelState.SIGNED,
    4: ParcelState.RETURNED, 5: ParcelState.DELIVERING, 6: ParcelState.RETURNING, 7: ParcelState.IN_TRANSIT,
    8: ParcelState.IN_TRANSIT, 10: ParcelState.IN_TRANSIT, 11: ParcelState.IN_TRANSIT, 12: ParcelState.IN_TRANSIT,
    13: ParcelState.IN_TRANSIT, 14: ParcelState.REFUSED,
    101: ParcelState.PENDING, 102: ParcelState.PENDING, 103: ParcelState.PICKED_UP,
    1001: ParcelState.IN_TRANSIT, 1002: ParcelState.IN_TRANSIT, 1003: ParcelState.IN_TRANSIT,
    501: ParcelState.AT_LOCKER, 301: ParcelState.SIGNED, 302: ParcelState.SIGNED, 303: ParcelState.SIGNED,
    304: ParcelState.SIGNED, 401: ParcelState.PROBLEM, 203: ParcelState.REFUSED,
}
PROBLEM_SUBSTATES = frozenset({201, 202, 204, 205, 206, 207, 208, 209, 210})
# Every code domain.md §3 documents (9 is not one: customs is 8 and 10–13). A file naming another code is refused
# rather than read by its words, since a code nobody issues is a typo or a column from some other system.
KNOWN_CODES = frozenset(_CODE_STATE) | PROBLEM_SUBSTATES

# Words carriers use when a scan carries no code (files, older pushes). Checked in this order.
_TEXT_STATES: tuple[tuple[tuple[str, ...], ParcelState], ...] = (
    (("退签", "已退回寄件人", "退回签收"), ParcelState.RETURNED),
    (("拒收", "拒签"), ParcelState.REFUSED),
    (("退回", "退件"), ParcelState.RETURNING),
    (("派送不成功", "派件异常", "投递失败", "派送失败", "无法派送", "未妥投", "疑难", "问题件"), ParcelState.PROBLEM),
    (("已签收", "签收人", "本人签收", "代签收", "已取件", "已妥投"), ParcelState.SIGNED),
    (("驿站", "快递柜", "丰巢", "代收点", "请及时取件", "待取件"), ParcelState.AT_LOCKER),
    (("派件", "派送中", "正在派送", "投递中"), ParcelState.DELIVERING),
    (("已揽收", "揽件", "已收件", "揽收"), ParcelState.PICKED_UP),
)
FAILED_DELIVERY_WORDS = ("派送不成功", "派件异常", "投递失败", "派送失败", "无法派送", "未妥投")


def state_from_text(context: str) -> ParcelState:
    for words, state in _TEXT_STATES:
        if any(w in context for w in words):
            return state
    return ParcelState.IN_TRANSIT


def normalise(code: int | None, context: str = "") -> ParcelState:
    """One scan's state: its Kuaidi100 code when it has one, else what its words say."""
    if code is not None:
        if code in _CODE_STATE:
            return _CODE_STATE[code]
        if code in PROBLEM_SUBSTATES:
            return ParcelState.PROBLEM
    return state_from_text(context or "")


@dataclass(frozen=True, order=True)
class Event:
    """One tracking scan. Ordered by time, then rank, then code and text, so ties break the same way
    wherever and whenever the events are compared."""

    at: datetime
    rank: int
    code: int
    context: str
    location: str = ""
    state: ParcelState = ParcelState.IN_TRANSIT

    @classmethod
    def of(cls, at: datetime, code: int | None, context: str, location: str = "") -> Event:
        state = normalise(code, context)
        return cls(at, RANK[state], -1 if code is None else code, context, location, state)


@dataclass(frozen=True)
class Projection:
    """The fold's memory: everything the state depends on, as three maxima. ``count`` is informative only."""

    final: Event | None = None  # furthest final scan (signed outranks returned: never moves back)
    furthest: Event | None = None  # furthest main-line or return-branch scan (by rank, then time)
    newest: Event | None = None  # newest scan of all
    first_scan: Event | None = None  # earliest scan showing the carrier has the parcel (anything but 待揽收)
    count: int = 0

    @property
    def state(self) -> ParcelState:
        """Signed/returned once any final scan exists; else 疑难 while the newest word is a problem; else the
        furthest state reached (so a late, older scan never moves the parcel back)."""
        if self.final is not None:
            return self.final.state
        if self.newest is not None and self.newest.state is ParcelState.PROBLEM:
            return ParcelState.PROBLEM
        return self.furthest.state if self.furthest is not None else ParcelState.PENDING

    @property
    def state_since(self) -> datetime | None:
        """When the parcel entered its current state (the scan that put it there)."""
        if self.final is not None:
            return self.final.at
        if self.newest is not None and self.newest.state is ParcelState.PROBLEM:
            return self.newest.at
        return self.furthest.at if self.furthest is not None else None

    @property
    def picked_up(self) -> bool:
        """Any scan past 待揽收 means the carrier has the parcel (the pickup scan itself may go unreported)."""
        return self.first_scan is not None

    @property
    def is_final(self) -> bool:
        return self.final is not None


def _furthest_key(e: Event) -> tuple:
    return (e.rank, e.at, e.code, e.context)


def advance(p: Projection, e: Event) -> Projection:
    """Fold one more scan in. Commutative and idempotent per distinct event (duplicates are dropped before)."""
    final = p.final
    if e.state in FINAL_STATES and (final is None or _furthest_key(e) > _furthest_key(final)):
        final = e
    furthest = p.furthest
    if e.state is not ParcelState.PROBLEM and (furthest is None or _furthest_key(e) > _furthest_key(furthest)):
        furthest = e
    newest = e if p.newest is None or e > p.newest else p.newest
    first = p.first_scan
    if e.state is not ParcelState.PENDING and (first is None or e < first):
        first = e
    return Projection(final, furthest, newest, first, p.count + 1)


def project(events) -> Projection:
    p = Projection()
    for e in events:
        p = advance(p, e)
    return p


class AnomalyKind(StrEnum):
    """What the merchant must act on (issue 5's table; domain.md §3)."""

    PICKUP_TIMEOUT = "pickup_timeout"  # 揽收超时
    STALLED = "stalled"  # 物流停滞
    SUSPECTED_LOST = "suspected_lost"  # 疑似丢失
    LOCKER_UNCOLLECTED = "locker_uncollected"  # 驿站超时未取
    PROBLEM = "problem"  # 疑难件
    DELIVERY_FAILED = "delivery_failed"  # 派件异常
    REFUSED = "refused"  # 拒签
    RETURNED = "returned"  # 退回


# Time-based kinds hold only while nothing happens; the parcel moving again resolves them by itself.
TIME_BASED = frozenset({AnomalyKind.PICKUP_TIMEOUT, AnomalyKind.STALLED, AnomalyKind.SUSPECTED_LOST,
                        AnomalyKind.LOCKER_UNCOLLECTED})


class Severity(StrEnum):
    """How urgent a case is. Time-based kinds take the platform parcel centre's grades: about to time out → timed
    out → seriously timed out. A kind the carrier reported (拒签, 退回, 疑难件, 派件异常) is an event, not a delay:
    "seriously timed out" for a refusal half an hour old was wrong and hid the parcels that are really overdue
    (QA pass 13, #8), so those kinds take their own grades, at the level they always sorted at: 需立即处理 beside
    严重超时 at the top of the work list, 尽快处理 beside 已超时. The codes are the API's: new ones are added, none
    renamed."""

    WARNING = "warning"  # 即将超时
    TIMEOUT = "timeout"  # 已超时
    SERIOUS = "serious"  # 严重超时
    URGENT = "urgent"  # 需立即处理 (refused, returned)
    SOON = "soon"  # 尽快处理 (problem parcel, delivery failed)

    @property
    def level(self) -> int:
        return _LEVEL[self.value]


_LEVEL = {"warning": 1, "timeout": 2, "serious": 3, "urgent": 3, "soon": 2}


class AnomalyStatus(StrEnum):
    OPEN = "open"  # 待处理
    CONTACTED_CARRIER = "contacted_carrier"  # 已联系快递
    TOLD_BUYER = "told_buyer"  # 已告知买家
    RESOLVED = "resolved"  # 已解决
    IGNORED = "ignored"  # 已忽略 (with a reason, optionally until a time)


# The merchant's playbook: contact the carrier and tell the buyer, in either order and as often as the case needs
# (the buyer often complains first; a stuck parcel takes a second call to the carrier), then close it. Each step is
# its own action in the case's history; the status is the latest. Forcing carrier-then-buyer left a clerk who had
# answered the buyer first unable to record the carrier call at all. Nothing goes back to ``open`` except by the
# system, when an ignore-until time passes while the problem is still there; a resolved case stays resolved.
_WORKING = frozenset({AnomalyStatus.CONTACTED_CARRIER, AnomalyStatus.TOLD_BUYER, AnomalyStatus.RESOLVED,
                      AnomalyStatus.IGNORED})
TRANSITIONS: dict[AnomalyStatus, frozenset[AnomalyStatus]] = {
    AnomalyStatus.OPEN: _WORKING,
    AnomalyStatus.CONTACTED_CARRIER: _WORKING,
    AnomalyStatus.TOLD_BUYER: _WORKING,
    AnomalyStatus.IGNORED: frozenset({AnomalyStatus.OPEN, AnomalyStatus.RESOLVED}),
    AnomalyStatus.RESOLVED: frozenset(),
}
ACTIVE_STATUSES = frozenset({AnomalyStatus.OPEN, AnomalyStatus.CONTACTED_CARRIER, AnomalyStatus.TOLD_BUYER,
                             AnomalyStatus.IGNORED})
ACTIONS = ("contacted_carrier", "told_buyer", "resolved", "ignored")


def can_transition(current: AnomalyStatus, target: AnomalyStatus) -> bool:
    return target in TRANSITIONS[current]


__all__ = ["AnomalyKind", "TIME_BASED", "Severity", "AnomalyStatus", "TRANSITIONS", "ACTIVE_STATUSES", "ACTIONS",
           "can_transition", "ParcelState", "FINAL_STATES", "RANK", "Event", "Projection", "advance", "project",
           "normalise", "state_from_text", "FAILED_DELIVERY_WORDS", "PROBLEM_SUBSTATES", "KNOWN_CODES"]
