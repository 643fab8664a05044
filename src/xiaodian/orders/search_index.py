"""Product-name search index (placeholder contract; the FTS5 / GIN backends replace the body).

Contract: ``index_orders(session, rows)`` with rows ``(order_pk, sort_key, text)`` keeps the index
in step with the orders table inside the caller's transaction; ``text_condition(terms)`` returns a
SQL condition on ``Order`` that is true exactly when every term is a case-insensitive substring of
the order's product text.
"""

from __future__ import annotations

import unicodedata

from sqlalchemy import and_, func
from sqlalchemy.orm import Session

from .models import Order


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def index_orders(session: Session, rows: list[tuple[int, int, str]]) -> None:
    """Nothing to maintain for the plain scan: it reads orders.items_summary directly."""


def text_condition(terms: list[str]):
    def escape(term: str) -> str:
        return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

    return and_(*[func.lower(Order.items_summary).like(f"%{escape(normalise(t))}%", escape="\\") for t in terms])
