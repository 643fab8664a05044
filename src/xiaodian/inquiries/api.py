"""``POST /api/v1/inquiries``: a buyer's message in, the INQUIRY JSON out (thin: parse, call the service)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from ..accounts.service import Principal
from ..orders.api import shop_of
from ..web.deps import db, get_ctx, require, shop_param
from ..web.openapi import ERROR_RESPONSES
from . import service
from .schemas import InquiryIn, InquiryOut, answer_out

router = APIRouter(prefix="/api/v1", tags=["inquiries"], responses=ERROR_RESPONSES,
                    dependencies=[Depends(shop_param)])


@router.post("/inquiries", response_model=InquiryOut, summary="Understand a buyer's message and answer it from the data")
def ask(body: InquiryIn, request: Request, principal: Principal = Depends(require("inquiries.answer")),
        session: Session = Depends(db, scope="function")):
    ctx = get_ctx(request)
    result = service.answer(session, principal, shop_id=shop_of(request), message=body.message, phone=body.phone,
                            order_id=body.order_id, at=body.at, now=ctx.clock.now(), cipher=ctx.cipher)
    return answer_out(result)
