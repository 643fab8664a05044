"""The reveal form's target: shows a buyer's full details once, after a reason was given."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.orm import Session

from ..accounts.service import Principal
from ..orders.api import shop_of
from ..web.deps import db, get_ctx, require
from ..web.templating import render
from .reveal import reveal_buyer

router = APIRouter(include_in_schema=False)


@router.post("/orders/{order_id}/reveal")
def reveal_page(order_id: str, request: Request, reason: str = Form(""),
                principal: Principal = Depends(require("pii.reveal")), session: Session = Depends(db, scope="function")):
    ctx = get_ctx(request)
    buyer = reveal_buyer(session, principal, shop_id=shop_of(request), order_id=order_id, reason=reason,
                         now=ctx.clock.now(), cipher=ctx.cipher, limit_per_hour=ctx.settings.reveal_limit_per_hour)
    return render(request, "privacy/revealed.html", buyer=buyer, reason=reason.strip())
