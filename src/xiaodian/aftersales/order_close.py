"""An unshipped order refunded in full before shipping is closed (domain.md §1: 已关闭 includes "refunded before
shipping", main_status 21 发货前退款完结).

Why: the platform closes such an order itself. A desk working from export files only heard of it at the next order
export, and meanwhile kept the order 备货中: back on 最急待发, in the overdue count and on the pick list once the
refund tag was gone, and the warehouse could ship goods the buyer had already been refunded for (QA pass 6, #1).
So when a refund-before-shipping case reaches 售后成功 (the merchant's 退款, the platform's refund_done, a file or a
sync snapshot: every channel passes service.transition), the desk closes the order the same way: when nothing of
it has shipped and every one of its SKU orders is covered by a successful 未发货仅退款 case. A partly shipped order,
or one with SKU orders not refunded, stays open: the rest still has to ship.

The status moves along the orders capability's one transition table (orders.domain.can_transition), with a
conditional UPDATE on the version the row was read at, a status_changed line on the order's timeline giving the
reason, and an audit entry, as shipping does when it ships.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ..accounts import audit
from ..accounts.service import Principal
from ..clock import version_after
from ..db import claim_writer
from ..errors import Conflict
from ..orders.domain import PLATFORM_CODE, OrderStatus, can_transition
from ..orders.models import Order, OrderEvent, Shipment
from .domain import CaseStatus, CaseType
from .models import AfterSaleCase

CLOSE_REASON = "发货前退款完结"  # the platform's main_status 21
MAIN_STATUS = 21
# Paid and nothing shipped: the only statuses a refund before shipping closes.
UNSHIPPED = frozenset({OrderStatus.PAID_PENDING, OrderStatus.AWAITING_SHIPMENT})


def refunded_skus(cases) -> dict[str, int]:
    """SKU order id → the quantity refunded before shipping by the successful 未发货仅退款 cases among ``cases``.
    A provisional case (an order export's 售后状态 alone) has a guessed type: 售后成功 on an unshipped order may as
    well be a price protection (价保) after which the goods still ship, and that export's own 订单状态 says 已关闭
    when the platform closed the order. So only a case whose type the platform gave counts."""
    covered: dict[str, int] = {}
    for case in cases:
        if (case.case_type == CaseType.REFUND_UNSHIPPED.value and case.status == CaseStatus.SUCCEEDED.value
                and not case.provisional):
            covered[case.sku_order_id] = covered.get(case.sku_order_id, 0) + (case.quantity or 0)
    return covered


def refunded_unshipped_skus(session: Session, order_pks: list[int]) -> dict[int, set[str]]:
    """Order row id → the SKU orders refunded in full before shipping (successful 未发货仅退款 cases of the platform's
    type, for the item's whole quantity), for the orders among ``order_pks`` that have any. Shipping leaves them out
    of what is left to ship: on a partly refunded order the warehouse packs the rest, not the refunded item (QA pass
    6, #1: the refunded SKU stayed on the pick list and the ship form)."""
    if not order_pks:
        return {}
    from ..orders.models import OrderItem

    cases_by_order: dict[int, list] = {}
    for case in session.execute(select(AfterSaleCase).where(
            AfterSaleCase.order_pk.in_(order_pks), AfterSaleCase.case_type == CaseType.REFUND_UNSHIPPED.value,
            AfterSaleCase.status == CaseStatus.SUCCEEDED.value)).scalars():
        cases_by_order.setdefault(case.order_pk, []).append(case)
    if not cases_by_order:
        return {}
    covered_by_order = {pk: refunded_skus(cases) for pk, cases in cases_by_order.items()}
    out: dict[int, set[str]] = {}
    items = session.execute(select(OrderItem.order_pk, OrderItem.sku_order_id, OrderItem.quantity)
                            .where(OrderItem.order_pk.in_(list(cases_by_order)))).all()
    for pk, sku, quantity in items:
        if covered_by_order[pk].get(sku, 0) >= (quantity or 0) > 0:
            out.setdefault(pk, set()).add(sku)
    return out


def fully_refunded(order: Order, cases) -> bool:
    """Every SKU order of the order refunded before shipping, each for its whole quantity (a case naming the shop
    order's own id covers the whole order)."""
    covered = refunded_skus(cases)
    if order.order_id in covered and order.order_id not in {i.sku_order_id for i in order.items}:
        return True
    return bool(order.items) and all(i.sku_order_id in covered and covered[i.sku_order_id] >= i.quantity
                                     for i in order.items)


def close_if_refunded(session: Session, case: AfterSaleCase, *, at: datetime, now: datetime, source: str,
                      principal: Principal | None) -> bool:
    """Close the case's order when its refunds before shipping now cover all of it; True when it was closed.
    Anything else (already closed by the platform's own snapshot, shipped, partly refunded) is left as it is."""
    claim_writer(session)
    session.flush()  # the case's label just written to the order (order_label.refresh) must not be read over
    order = session.execute(select(Order).where(Order.id == case.order_pk).with_for_update(key_share=True)
                            .execution_options(populate_existing=True)).scalar_one()
    current = OrderStatus(order.status)
    if current not in UNSHIPPED or order.shipped_at is not None or not can_transition(current, OrderStatus.CANCELLED):
        return False
    if session.execute(select(Shipment.id).where(Shipment.order_pk == order.id, Shipment.kind == "order")
                       .limit(1)).first():
        return False
    cases = list(session.execute(select(AfterSaleCase).where(AfterSaleCase.order_pk == order.id)).scalars())
    if not fully_refunded(order, cases):
        return False
    covering = [c for c in cases if c.case_type == CaseType.REFUND_UNSHIPPED.value
                and c.status == CaseStatus.SUCCEEDED.value and not c.provisional]
    refunded = sorted(c.aftersale_id for c in covering)
    money = refund_shortfall(order.pay_amount_fen, [c.refund_fen for c in covering])
    _close(session, order, current, at=at, now=now)
    actor = principal.login if principal else None
    session.add(OrderEvent(shop_id=order.shop_id, order_pk=order.id, at=at, recorded_at=now, kind="status_changed",
                           source=source, actor=actor, from_status=current.value, to_status=OrderStatus.CANCELLED.value,
                           detail=json.dumps({"reason": CLOSE_REASON, "aftersale_id": case.aftersale_id, **money},
                                             ensure_ascii=False)))
    audit.record(session, principal=principal, action="aftersales.order_closed", now=now, shop_id=order.shop_id,
                 target_type="order", target_id=order.order_id, before={"status": current.value},
                 after={"status": OrderStatus.CANCELLED.value, "cancel_reason": order.cancel_reason,
                        "main_status": MAIN_STATUS},
                 detail={"aftersale_ids": refunded, **money})
    return True


def refund_shortfall(paid_fen: int | None, refunds: list[int | None]) -> dict:
    """What the refunds that closed an order gave back against what the buyer paid. Every item refunded is not every
    fen refunded: the platform returns the postage of an order refunded before shipping too, but a case's amount
    may be the goods alone (QA pass 9, #2: ¥77.70 of ¥87.70 refunded, the ¥10.00 postage nowhere). The order's
    timeline and the audit then say how much was paid and not refunded, for the merchant to check on Douyin. An
    amount not known (0: an export gave none) makes the sum unknown: only what was paid is said."""
    out = {"paid_fen": paid_fen or 0}
    if not refunds or any(not fen or fen <= 0 for fen in refunds):
        return out
    out["refunded_fen"] = sum(refunds)
    if out["paid_fen"] > out["refunded_fen"]:
        out["not_refunded_fen"] = out["paid_fen"] - out["refunded_fen"]
    return out


def _close(session: Session, order: Order, current: OrderStatus, *, at: datetime, now: datetime) -> None:
    """One conditional UPDATE on the status and version just read (the row is locked, so it matches unless the
    database was changed behind the lock); the ORM object follows."""
    version = order.modified_at
    values = {"status": OrderStatus.CANCELLED.value, "platform_status_code": PLATFORM_CODE[OrderStatus.CANCELLED],
              "cancelled_at": at, "cancel_reason": order.cancel_reason or CLOSE_REASON,
              "modified_at": version_after(version, now)}
    table = Order.__table__
    changed = session.execute(update(table).where(table.c.id == order.id, table.c.status == current.value,
                                                  table.c.modified_at == version).values(**values)).rowcount
    if changed != 1:
        raise Conflict(f"order {order.order_id} was changed by someone else just now; reload it",
                       code="concurrent_change", details={"order_id": order.order_id})
    for key, value in values.items():
        set_committed_value(order, key, value)
