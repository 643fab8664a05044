"""Buyer reasons and their reporting families, and the after-sale status texts export files carry. Pure.

The family decides what counts toward 品退率. The default mapping follows domain.md §4; shops may override it
(settings), so families are worked out when a report runs, never stored on a buyer's reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

from ..whole_numbers import whole_number
from .domain import CaseStatus, CaseType


class Family(StrEnum):
    QUALITY = "quality"  # counts toward 品退率
    OTHER = "other"  # not quality-related
    UNKNOWN = "unknown"  # no reason known (e.g. a case seen only in an order export)


QUALITY_REASONS = ("质量问题", "做工粗糙/有瑕疵", "商品破损/污渍", "材质/颜色/款式与描述不符",
                   "重量/数量/尺寸/规格与描述不符", "少件/漏发", "发错货", "空包裹", "资质/证书异常")
OTHER_REASONS = ("七天无理由", "多拍/拍错/不想要", "尺码不合适", "地址填错", "价格原因", "未按约定时间发货",
                 "物流/快递问题", "拒收", "其他")


def normalise(text: str) -> str:
    """A reason text as the mapping compares it: no spaces, ASCII slash and brackets."""
    return _norm(text)


def _norm(text: str) -> str:
    return "".join(text.split()).replace("／", "/").replace("（", "(").replace("）", ")")


@dataclass(frozen=True)
class FamilyMap:
    """Reason text → family. Exact text first; then a reason that contains a listed text (the platform adds
    words, e.g. "商品破损/污渍（外包装完好）"); quality wins a tie, since hiding a quality return is the
    failure that matters. Anything else is OTHER; an empty reason is UNKNOWN."""

    quality: tuple[str, ...] = QUALITY_REASONS
    other: tuple[str, ...] = OTHER_REASONS

    @cached_property
    def _lists(self) -> tuple[list[str], set[str], set[str]]:
        quality = [_norm(q) for q in self.quality]
        return quality, set(quality), {_norm(o) for o in self.other}

    def family(self, text: str | None) -> Family:
        if not text or not text.strip():
            return Family.UNKNOWN
        value = _norm(text)
        quality, quality_set, other_set = self._lists
        if value in quality_set:
            return Family.QUALITY
        if value in other_set:
            return Family.OTHER
        if any(q in value for q in quality):
            return Family.QUALITY
        return Family.OTHER

    def with_overrides(self, overrides: dict[str, str]) -> FamilyMap:
        """The owner's choices (reason text → quality / other) moved into the lists, so a text moved out of the
        quality family also stops matching reasons that merely contain it."""
        if not overrides:
            return self
        moved = {_norm(t): f for t, f in overrides.items()}
        quality = [q for q in self.quality if moved.get(_norm(q), Family.QUALITY.value) == Family.QUALITY.value]
        other = [o for o in self.other if moved.get(_norm(o), Family.OTHER.value) == Family.OTHER.value]
        quality += [t for t, f in moved.items() if f == Family.QUALITY.value and t not in {_norm(q) for q in quality}]
        other += [t for t, f in moved.items() if f == Family.OTHER.value and t not in {_norm(o) for o in other}]
        return FamilyMap(tuple(quality), tuple(other))


DEFAULT_FAMILIES = FamilyMap()


def family_map(quality: list[str] | None, other: list[str] | None) -> FamilyMap:
    """The shop's mapping from settings; None keeps the domain.md defaults."""
    return FamilyMap(tuple(quality) if quality else QUALITY_REASONS, tuple(other) if other else OTHER_REASONS)


# Order exports carry one 售后状态 text per SKU row; the after-sale export carries one per case.
STATUS_BY_TEXT = {
    "待商家处理": CaseStatus.WAITING_MERCHANT, "待商家同意": CaseStatus.WAITING_MERCHANT,
    "买家申请退款": CaseStatus.WAITING_MERCHANT, "申请退款": CaseStatus.WAITING_MERCHANT,
    "售后中": CaseStatus.WAITING_MERCHANT,
    "待买家退货": CaseStatus.WAITING_BUYER_RETURN,
    "待商家收货": CaseStatus.WAITING_RECEIPT, "待商家二次同意": CaseStatus.WAITING_RECEIPT,
    "买家已退货": CaseStatus.WAITING_RECEIPT,
    "待商家发货": CaseStatus.WAITING_MERCHANT_SHIP, "待买家收货": CaseStatus.WAITING_BUYER_RECEIVE,
    "待退款": CaseStatus.REFUNDING, "退款中": CaseStatus.REFUNDING, "同意退款": CaseStatus.REFUNDING,
    "退款失败": CaseStatus.REFUND_FAILED,
    "商家拒绝": CaseStatus.REJECTED, "商家一次拒绝": CaseStatus.REJECTED, "拒绝退款": CaseStatus.REJECTED,
    "商家二次拒绝": CaseStatus.REJECTED_SECOND,
    "客服介入中": CaseStatus.ARBITRATING, "平台介入": CaseStatus.ARBITRATING, "仲裁中": CaseStatus.ARBITRATING,
    "售后成功": CaseStatus.SUCCEEDED, "退款成功": CaseStatus.SUCCEEDED, "售后完成": CaseStatus.SUCCEEDED,
    "换货成功": CaseStatus.SUCCEEDED, "补寄成功": CaseStatus.SUCCEEDED,
    "售后关闭": CaseStatus.CLOSED, "售后失败": CaseStatus.CLOSED, "退款关闭": CaseStatus.CLOSED,
    "买家撤销": CaseStatus.CLOSED, "已撤销": CaseStatus.CLOSED, "买家取消": CaseStatus.CLOSED,
}
# The refund's own progress (domain.md §4 refund status 1 待退款, 2 退款中, 4 退款失败) where a status text says it.
REFUND_PROGRESS_BY_TEXT = {"待退款": "pending", "同意退款": "pending", "退款中": "refunding", "退款失败": "failed"}
# Closing texts that mean the buyer withdrew: such cases do not count toward 品退率.
BUYER_CANCEL_TEXTS = frozenset({"买家撤销", "已撤销", "买家取消"})


def status_from_text(text: str | None) -> CaseStatus | None:
    """A 售后状态 text, a desk status name, or a platform status code → the desk's status."""
    from .domain import STATUS_BY_CODE

    value = (text or "").strip()
    if not value:
        return None
    if value in STATUS_BY_TEXT:
        return STATUS_BY_TEXT[value]
    try:
        return CaseStatus(value)
    except ValueError:
        pass
    code = whole_number(value, 4)
    return STATUS_BY_CODE.get(code) if code is not None else None


def type_from_text(text: str | None) -> CaseType | None:
    from .domain import TYPE_BY_CODE, TYPE_BY_TEXT

    value = (text or "").strip()
    if value in TYPE_BY_TEXT:
        return TYPE_BY_TEXT[value]
    try:
        return CaseType(value)
    except ValueError:
        pass
    code = whole_number(value, 4)
    return TYPE_BY_CODE.get(code) if code is not None else None


def guess_type_from_order(status: CaseStatus, order_shipped: bool, text: str = "") -> CaseType:
    """An order export says only where a case stands, not its type: the likeliest type for that stage. The
    after-sale export (or sync) later gives the real type, which replaces the guess."""
    if status in (CaseStatus.WAITING_BUYER_RETURN, CaseStatus.WAITING_RECEIPT, CaseStatus.REJECTED_SECOND):
        return CaseType.RETURN_REFUND
    if status in (CaseStatus.WAITING_MERCHANT_SHIP, CaseStatus.WAITING_BUYER_RECEIVE) or text in ("售后完成", "补寄成功"):
        return CaseType.RESEND
    return CaseType.REFUND_SHIPPED if order_shipped else CaseType.REFUND_UNSHIPPED
