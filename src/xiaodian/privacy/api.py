"""POST /api/v1/orders/{order_id}/reveal: full buyer contact details, with a reason, audited."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from ..accounts.service import Principal
from ..orders.api import shop_of
from ..web.openapi import ERROR_RESPONSES
from ..web.deps import db, get_ctx, require, shop_param
from .reveal import reveal_buyer

router = APIRouter(prefix="/api/v1", tags=["privacy"], responses=ERROR_RESPONSES,
                    dependencies=[Depends(shop_param)])


class RevealIn(BaseModel):
    reason: str = Field(min_length=2, max_length=200, description="why the full details are needed")


class BuyerRevealed(BaseModel):
    order_id: str
    name: str | None
    phone: str | None
    address: str | None
    province: str | None
    city: str | None
    district: str | None


@router.post("/orders/{order_id}/reveal", response_model=BuyerRevealed,
             summary="Reveal the buyer's full name, phone and address (audited, rate-limited)")
def reveal(order_id: str, body: RevealIn, request: Request, principal: Principal = Depends(require("pii.reveal")),
           session: Session = Depends(db, scope="function")):
    ctx = get_ctx(request)
    return BuyerRevealed(**reveal_buyer(session, principal, shop_id=shop_of(request), order_id=order_id,
                                        reason=body.reason, now=ctx.clock.now(), cipher=ctx.cipher,
                                        limit_per_hour=ctx.settings.reveal_limit_per_hour))
