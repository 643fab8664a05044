"""The INQUIRY JSON shape shared by ``xiaodian ask --json`` and ``POST /api/v1/inquiries`` (add fields, never
rename): intent, language, entities, matches with why, diagnosis with facts, reply."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from ..clock import iso
from ..web.i18n import gettext as _


class InquiryIn(BaseModel):
    message: str = Field(..., min_length=1, max_length=1000, description="the buyer's message, Chinese or English")
    phone: str | None = Field(None, max_length=24, description="the buyer's phone: 11 digits, the last 4, or masked as "
                                                                "the desk shows it (178****3424)")
    order_id: str | None = Field(None, max_length=32, description="an order number the buyer gave")
    at: datetime | None = Field(None, description="when the message was sent (ISO 8601 with offset); default now")


class EntitiesOut(BaseModel):
    date_from: str | None
    date_to: str | None
    product: str | None
    quantity: int | None
    order_id: str | None
    phone_last4: str | None


class ReasonOut(BaseModel):
    code: str
    value: str


class MatchOut(BaseModel):
    order_id: str
    score: int
    why: list[str] = Field(description="the reasons, for the agent, in the desk's language (Chinese unless the "
                                       "session switched to English), whatever the buyer's language; `reasons` "
                                       "gives the same as stable codes and values")
    reasons: list[ReasonOut]
    fits: bool
    exact: bool = False  # fits the very day and the quantity too (fits alone: a day either side, any quantity)
    status: str
    created_at: str | None
    items: str
    phone_masked: str | None


class DiagnosisOut(BaseModel):
    code: str
    facts: dict[str, Any]


class InquiryOut(BaseModel):
    intent: str
    language: str
    entities: EntitiesOut
    matches: list[MatchOut]  # the best-ranked few (matches_shown of them)
    matches_fitting: int = 0  # how many of all the orders looked at fit everything the buyer said (day, product, qty)
    matches_close: int = 0  # how many more fit only loosely: a day either side, or another quantity
    diagnosis: DiagnosisOut
    reply: str
    identity: str | None = None
    product_ids: list[str] = []
    # a new complaint about the goods (missing_item / quality; intent after_sale_status), None otherwise
    complaint: str | None = None


def why(code: str, value: str) -> str:
    """One reason in the desk's language, for the agent."""
    texts = {
        "order_id": _("same order number"),
        "phone": _("same phone number"),
        "last4": _("same last 4 phone digits"),
        "date": _("ordered on %(day)s"),
        "date_near": _("ordered on %(day)s, a day from the date given"),
        "product": _("contains %(product)s"),
        "quantity": _("quantity %(n)s"),
        "phone_mismatch": _("phone differs from the order's"),
    }
    text = texts.get(code, code)
    return text % {"day": value, "product": value, "n": value} if "%(" in text else text


def answer_out(answer, shown: int = 10) -> InquiryOut:
    u, d = answer.understanding, answer.diagnosis
    matches = []
    for m in answer.matches[:shown]:
        f = m.facts
        matches.append(MatchOut(
            order_id=m.order_id, score=m.score, why=[why(c, v) for c, v in m.reasons],
            reasons=[ReasonOut(code=c, value=v) for c, v in m.reasons], fits=m.fits, exact=m.exact,
            status=f.status,
            created_at=iso(f.created_at), items="；".join(f"{name} ×{qty}" for _pid, name, qty in f.items),
            phone_masked=f.phone_masked))
    return InquiryOut(intent=u.intent, language=u.language, entities=EntitiesOut(**u.entities()), matches=matches,
                      matches_fitting=sum(1 for m in answer.matches if m.exact),
                      matches_close=sum(1 for m in answer.matches if m.fits and not m.exact),
                      diagnosis=DiagnosisOut(code=d.code, facts=d.facts), reply=answer.reply,
                      identity=answer.identity, product_ids=list(u.product_ids), complaint=u.complaint)
