"""The 客服工作台 page: paste the buyer's message (and who they are, if known), see what was understood, the orders
that match and why, the diagnosis with its facts, and a reply draft to copy."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.orm import Session

from ..accounts.service import Principal
from ..clock import SHOP_TZ
from ..errors import DomainError, ValidationFailed
from ..orders.api import shop_of
from ..web.deps import db, get_ctx, require
from ..web.i18n import current_language, error_text
from ..web.i18n import gettext as _
from ..web.templating import render
from . import service
from .fact_rows import fact_rows
from .schemas import answer_out

router = APIRouter(include_in_schema=False)
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def intent_labels() -> dict[str, str]:
    return {"order_missing": _("Cannot see the order"), "ship_status": _("When will it ship"),
            "logistics": _("Parcel and tracking"), "after_sale_status": _("Refund or return progress"),
            "change_address": _("Change the address"), "cancel_order": _("Cancel the order"), "other": _("Other")}


def complaint_labels() -> dict[str, str]:
    """A new complaint about the goods, shown as the intent (its API intent stays after_sale_status)."""
    return {"missing_item": _("Complaint: an item is missing"),
            "quality": _("Complaint: a quality problem (return or refund wanted)")}


def code_labels() -> dict[str, str]:
    return {
        "found_awaiting_shipment": _("Found: paid, waiting to ship"),
        "found_paid_pending_review": _("Found: paid, held by risk review"),
        "found_unpaid": _("Found: not paid yet"),
        "found_cancelled_unpaid": _("Found: payment never completed, closed"),
        "found_cancelled_refunded": _("Found: refunded before shipping"),
        "found_presale": _("Found: presale, ships later"),
        "found_shipped": _("Found: shipped"),
        "found_delivered": _("Found: delivered"),
        "found_after_sale": _("Found: after-sale case"),
        "multiple_matches": _("Several orders match: ask which one"),
        "not_found_need_details": _("Not enough to go on: ask for what is still missing"),
        "not_found_with_details": _("Nothing matches the details given"),
        "phone_mismatch": _("The phone does not match the order: ask the buyer to check"),
    }


def examples() -> list[str]:
    """Buyer messages a new clerk can try with one click (filled in, not sent), in the page's language."""
    return [_("I placed an order for 2 portions of Wuchang rice on the 20th of this month and paid, but there is "
              "still no order information?"),
            _("When will my order ship?"), _("My parcel has not moved for days, what is going on?"),
            _("When will my refund arrive?")]


def _form_defaults(now: datetime) -> dict:
    return {"message": "", "phone": "", "order_id": "", "at": now.astimezone(SHOP_TZ).strftime(LOCAL_FORMAT)}


def field_errors() -> dict[str, str]:
    """The form's refusals in the page's language, by the field the service names: its own texts are English (for
    the API and the CLI), and the Chinese desk showed them as they were."""
    return {"phone": _("Buyer's phone: give an 11-digit mobile number or its last 4 digits"),
            "order_id": _("Order no.: an order number is 19 digits"),
            "message": _("Buyer's message: paste the message, at most 1,000 characters"),
            "at": _("Message time: use the date and time picker")}


def error_message(exc: DomainError) -> str:
    field = (exc.details or {}).get("field")
    if exc.code in ("validation_failed", "at_out_of_range") and field in field_errors():
        return field_errors()[field]
    return error_text(exc.code, exc.message, exc.details)


def _page(request: Request, *, form: dict, result=None, error=None, status_code: int = 200, product_en=None):
    return render(request, "inquiries/desk.html", status_code=status_code, form=form, result=result, error=error,
                  product_en=product_en,
                  error_message=error_message(error) if error else None, intents=intent_labels(),
                  complaints=complaint_labels(),
                  codes=code_labels(), fact_rows=fact_rows, examples=examples())


@router.get("/inquiries")
def desk(request: Request, principal: Principal = Depends(require("inquiries.answer"))):
    return _page(request, form=_form_defaults(get_ctx(request).clock.now()))


def _parse_at(value: str) -> datetime | None:
    """The datetime-local field is shop time without an offset; ISO with an offset is accepted as well."""
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(_("Message time: use the date and time picker"), details={"field": "at"}) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=SHOP_TZ)


@router.post("/inquiries")
def desk_answer(request: Request, message: str = Form(""), phone: str = Form(""), order_id: str = Form(""),
                at: str = Form(""), principal: Principal = Depends(require("inquiries.answer")),
                session: Session = Depends(db, scope="function")):
    ctx = get_ctx(request)
    form = {"message": message, "phone": phone, "order_id": order_id, "at": at}
    try:
        result = service.answer(session, principal, shop_id=shop_of(request), message=message, phone=phone or None,
                                order_id=order_id or None, at=_parse_at(at), now=ctx.clock.now(), cipher=ctx.cipher)
    except DomainError as exc:
        return _page(request, form=form, error=exc, status_code=exc.http_status)
    out = answer_out(result)
    # the desk in English names the product in English too, beside the Chinese the orders are written in
    product_en = (service.english_product_name(session, shop_of(request), out.product_ids)
                  if current_language.get() == "en" and out.product_ids else None)
    return _page(request, form=form, result=out, product_en=product_en)
