"""Pydantic shapes of the after-sales API (the CLI's --json prints the same objects). Action bodies forbid
unknown fields: there is no field through which a buyer's reason could be sent, and trying gets a 422."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from ..clock import iso
from . import domain
from .domain import CaseStatus, CaseType
from .models import AfterSaleCase, AfterSaleContact, AfterSaleEvent, AfterSaleReason


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: str = Field(..., description="agree, reject, receive, refund, reship or retry_refund (a failed refund)")
    reject_code: str | None = Field(None, description="required to reject: " + ", ".join(domain.REJECT_CODES))
    note: str | None = Field(None, max_length=1000, description="required to reject")
    inspection: str | None = Field(None, description="required to receive: as_expected, damaged, wrong_item, "
                                                     "parts_missing")
    tracking_no: str | None = Field(None, max_length=40, description="required to reship")
    carrier: str | None = Field(None, max_length=50, description="required to reship: a carrier code such as "
                                "zhongtong or shunfeng (as shipping takes)")
    confirm_warnings: bool = Field(False, description="reship: the number looks unusual for the carrier and the person "
                                                      "checked it (otherwise 409 confirmation_required)")
    refund_fen: StrictInt | None = Field(
        None, description="refund / retry_refund of a case whose refund_fen is null (amount unknown: the case came "
                          "from an order export): the amount paid back in fen, as the platform's after-sale page "
                          "shows it, > 0 and at most what the SKU order paid less what other cases already refunded "
                          "on it (otherwise 422 refund_amount_required / refund_amount_invalid with details.max_fen, "
                          "paid_fen, refunded_fen and refunded_by). Leave it out when the amount is known")


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: str = Field(..., description="feige (飞鸽), phone, sms or other")
    summary: str = Field(..., min_length=1, max_length=1000)
    outcome: str | None = Field(None, max_length=200)


class ReasonFamilyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason_text: str = Field(..., min_length=1, max_length=100, description="the reason exactly as buyers see it")
    family: str = Field(..., description="quality, other, or default (drop the owner's override)")


class ReasonFamilyOut(BaseModel):
    text: str
    uses: int = Field(..., description="how many reasons buyers of the shop gave with this text")
    default: str
    family: str = Field(..., description="what 品退率 counts it as now")
    overridden: bool


class ReasonOut(BaseModel):
    seq: int
    text: str
    code: str | None
    remark: str | None
    evidence_count: int
    given_at: str | None
    source: str
    family: str


class EventOut(BaseModel):
    at: str | None
    action: str
    from_status: str | None
    to_status: str | None
    source: str
    actor: str | None
    detail: str | None


class ContactOut(BaseModel):
    at: str | None
    channel: str
    summary: str
    outcome: str | None
    actor: str


class CaseOut(BaseModel):
    aftersale_id: str
    provisional: bool
    order_id: str
    sku_order_id: str
    product_id: str | None
    product_name: str | None = None  # of the order's item with this SKU order id (None: not in the order)
    spec: str | None = None
    type: str
    type_code: int
    status: str
    platform_status_code: int | None
    refund_status: str | None
    refund_fen: int | None = Field(..., description="null: not known yet (a case seen only in an order export, "
                                                    "which carries no amount); 0 for a type that returns no money")
    postage_fen: int
    quantity: int
    applied_at: str | None
    due_by: str | None
    due_by_source: str | None
    countdown_seconds: int | None
    overdue: bool
    whose_move: str | None
    merchant_actions: list[str]
    return_tracking_no: str | None
    reship_tracking_no: str | None
    reship_carrier: str | None
    inspection: str | None
    reject_code: str | None
    reject_note: str | None
    cancelled_by_buyer: bool
    first_reason: ReasonOut | None
    current_reason: ReasonOut | None


class CaseDetailOut(CaseOut):
    reason_history: list[ReasonOut]
    history: list[EventOut]
    contacts: list[ContactOut]


class CasePage(BaseModel):
    total: int
    page: int
    counts: dict[str, int]
    cases: list[CaseOut]


class QualityRow(BaseModel):
    product_id: str | None
    product_name: str | None
    paid: int
    quality_cases_first_reason: int
    quality_cases_current_reason: int
    rate_first_reason: float | None
    rate_current_reason: float | None
    small_sample: bool


def reason_out(row: AfterSaleReason | None, families) -> ReasonOut | None:
    if row is None:
        return None
    return ReasonOut(seq=row.seq, text=row.text, code=row.code, remark=row.remark, evidence_count=row.evidence_count,
                     given_at=iso(row.given_at), source=row.source, family=families.family(row.text).value)


def case_out(case: AfterSaleCase, order_id: str, reasons: dict, families, now: datetime,
             item: tuple[str, str | None] | None = None) -> CaseOut:
    kind, status = CaseType(case.case_type), CaseStatus(case.status)
    cd = domain.countdown(case.due_by, now)
    who = domain.WHOSE_MOVE[status]
    return CaseOut(
        aftersale_id=case.aftersale_id, provisional=case.provisional, order_id=order_id,
        sku_order_id=case.sku_order_id, product_id=case.product_id, product_name=item[0] if item else None,
        spec=item[1] if item else None, type=kind.value, type_code=domain.TYPE_CODE[kind],
        status=status.value, platform_status_code=domain.PLATFORM_CODE.get(status), refund_status=case.refund_status,
        refund_fen=case.refund_fen if domain.refund_amount_known(case.case_type, case.refund_fen) else None,
        postage_fen=case.postage_fen, quantity=case.quantity,
        applied_at=iso(case.applied_at), due_by=iso(case.due_by), due_by_source=case.due_by_source,
        countdown_seconds=cd.seconds if cd else None, overdue=bool(cd and cd.level == "overdue"),
        whose_move=who.value if who else None,
        merchant_actions=[a.value for a in domain.merchant_actions_now(kind, status, case.refund_status)],
        return_tracking_no=case.return_tracking_no, reship_tracking_no=case.reship_tracking_no,
        reship_carrier=case.reship_carrier,
        inspection=case.inspection, reject_code=case.reject_code, reject_note=case.reject_note,
        cancelled_by_buyer=case.cancelled_by_buyer,
        first_reason=reason_out(reasons.get(case.first_reason_id), families),
        current_reason=reason_out(reasons.get(case.current_reason_id), families))


def detail_out(base: CaseOut, history: list[AfterSaleReason], events: list[AfterSaleEvent],
               contacts: list[AfterSaleContact], families) -> CaseDetailOut:
    return CaseDetailOut(
        **base.model_dump(), reason_history=[reason_out(r, families) for r in history],
        history=[EventOut(at=iso(e.at), action=e.action, from_status=e.from_status, to_status=e.to_status,
                          source=e.source, actor=e.actor, detail=e.detail) for e in events],
        contacts=[ContactOut(at=iso(c.at), channel=c.channel, summary=c.summary, outcome=c.outcome, actor=c.actor)
                  for c in contacts])
