"""REST API for orders under /api/v1 (thin: parse, call the service, return JSON)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from ..accounts.service import Principal
from ..bootstrap import default_shop_id
from ..web.openapi import ERROR_RESPONSES
from ..web.deps import db, get_ctx, require
from . import service
from .domain import TABS, check_filter_date
from .queries import OrderFilter
from .schemas import OrderDetailOut, OrderPage

router = APIRouter(prefix="/api/v1", tags=["orders"], responses=ERROR_RESPONSES)
TabName = Query("all", description="status tab: " + ", ".join(TABS), pattern="^(" + "|".join(TABS) + ")$")
ViewName = Query(None, description="shipping view, most urgent first: awaiting (备货中), due24h (24小时内需发货), "
                 "overdue (已超时)", pattern="^(awaiting|due24h|overdue)$")


def shop_of(request: Request) -> int:
    ctx = get_ctx(request)
    cached = getattr(request.app.state, "default_shop_id", None)
    if cached is None:
        cached = request.app.state.default_shop_id = default_shop_id(ctx)
    return cached


class TabCounts(BaseModel):
    counts: dict[str, int]


class NoteIn(BaseModel):
    merchant_note: str | None = Field(None, max_length=500)
    flag_colour: int | None = Field(None, ge=0, le=6)


def _filter(q, status, created_from, created_to, paid_from, paid_to, product_id, page, page_size) -> OrderFilter:
    for name, value in (("created_from", created_from), ("created_to", created_to), ("paid_from", paid_from),
                        ("paid_to", paid_to)):
        check_filter_date(name, value)
    return OrderFilter(query=q, tab=status, created_from=created_from, created_to=created_to, paid_from=paid_from,
                       paid_to=paid_to, product_id=product_id, page=page, page_size=page_size)


@router.get("/orders", response_model=OrderPage, summary="Search and list orders, newest first")
def list_orders(
    request: Request,
    q: str | None = Query(None, max_length=100, description="order id, phone, last 4, tracking no. or product text"),
    status: str = TabName,
    created_from: date | None = None,
    created_to: date | None = None,
    paid_from: date | None = None,
    paid_to: date | None = None,
    product_id: str | None = Query(None, max_length=32),
    page: int = Query(1, ge=1, le=100000),
    page_size: int = Query(50, ge=1, le=200),
    view: str | None = ViewName,
    principal: Principal = Depends(require("orders.read")),
    session: Session = Depends(db, scope="function"),
):
    flt = _filter(q, status, created_from, created_to, paid_from, paid_to, product_id, page, page_size)
    flt.view, flt.now = view, get_ctx(request).clock.now()
    return service.list_orders(session, shop_id=shop_of(request), flt=flt, cipher=get_ctx(request).cipher)


@router.get("/orders/counts", response_model=TabCounts, summary="Order count per status tab under the filters")
def counts(
    request: Request,
    q: str | None = Query(None, max_length=100),
    created_from: date | None = None,
    created_to: date | None = None,
    paid_from: date | None = None,
    paid_to: date | None = None,
    product_id: str | None = Query(None, max_length=32),
    principal: Principal = Depends(require("orders.read")),
    session: Session = Depends(db, scope="function"),
):
    flt = _filter(q, "all", created_from, created_to, paid_from, paid_to, product_id, 1, 50)
    return TabCounts(counts=service.tab_counts(session, shop_id=shop_of(request), flt=flt,
                                               cipher=get_ctx(request).cipher))


@router.get("/orders/{order_id}", response_model=OrderDetailOut, summary="One order with items and timeline")
def get_order(order_id: str, request: Request, principal: Principal = Depends(require("orders.read")),
              session: Session = Depends(db, scope="function")):
    return service.order_detail(session, shop_id=shop_of(request), order_id=order_id, now=get_ctx(request).clock.now())


@router.patch("/orders/{order_id}/note", response_model=OrderDetailOut, summary="Edit merchant note and flag")
def edit_note(order_id: str, body: NoteIn, request: Request, principal: Principal = Depends(require("orders.note")),
              session: Session = Depends(db, scope="function")):
    ctx = get_ctx(request)
    service.update_merchant_note(session, principal, shop_id=shop_of(request), order_id=order_id,
                                 note=body.merchant_note, flag_colour=body.flag_colour, now=ctx.clock.now())
    session.flush()
    return service.order_detail(session, shop_id=shop_of(request), order_id=order_id)
