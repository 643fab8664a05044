"""The order of an after-sale question, found by the buyer's after-sale case (QA pass 6, #6).

Why: a buyer asking "我退款什么时候到账" or "我要退货退款，怎么寄回" rarely remembers the order date, but the desk
knows their cases. When the buyer is identified by phone (or its last 4 digits) and exactly one of their orders has
a case of the kind they ask about (refund, return, re-send, exchange; any kind when the message names none), that
order is the one, as a stated date or product would make it; with none or several the assistant still asks.

Read in one query over the buyer's candidate orders; the after-sales capability's cases when it is installed,
else (or for an order it holds no case for) the after-sale status the order export carries.
"""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from ..orders.models import Order

REFUNDS = frozenset({"return_refund", "refund_shipped", "refund_unshipped", "price_protection"})
# (what the buyer says, the case types it is about, the words of an export's 售后状态 that name such a case);
# the first that the message says wins ("退货退款" is a return, "补寄" a re-send, not a refund).
KINDS: tuple[tuple[re.Pattern, frozenset[str], tuple[str, ...]], ...] = (
    (re.compile(r"补寄|补发|少发|漏发|\bresend|\bre-send|\bsend (it|them|the rest) again|\bmissing item"),
     frozenset({"resend"}), ("补寄", "补发")),
    (re.compile(r"换货|\bexchange"), frozenset({"exchange"}), ("换货",)),
    (re.compile(r"退货|寄回|退回去|\breturn"), frozenset({"return_refund"}), ("退货",)),
    (re.compile(r"退款|退钱|到账|\brefund|money back|价保"), REFUNDS, ("退款", "价保")),
)


def wanted_kind(message: str) -> tuple[frozenset[str], tuple[str, ...]] | None:
    """(case types, export status words) of the after-sale the message asks about; None: it names no kind."""
    text = message.lower()
    return next(((types, words) for pattern, types, words in KINDS if pattern.search(text)), None)


def _case_types(session: Session, pks: list[int]) -> dict[int, set[str]] | None:
    """From the after-sales capability's own read (facts_sources: its service and queries, never its tables)."""
    try:
        from ..aftersales.queries import case_types_by_order
    except ImportError:
        return None
    return case_types_by_order(session, pks)


def single_case_order(session: Session, orders: list[Order], message: str) -> str | None:
    """The order id of the only order among ``orders`` (the buyer's) with an after-sale of the kind ``message``
    asks about, else None."""
    if not orders:
        return None
    kind = wanted_kind(message)
    cases = _case_types(session, [o.id for o in orders]) or {}
    found = []
    for order in orders:
        types = cases.get(order.id)
        if types is not None:
            fits = kind is None or bool(types & kind[0])
        else:
            status = order.after_sale_status or next((i.after_sale_status for i in order.items
                                                      if i.after_sale_status), None)
            fits = bool(status) and (kind is None or any(w in status for w in kind[1]))
        if fits:
            found.append(order.order_id)
    return found[0] if len(found) == 1 else None
