"""The shop's catalogue grows from the orders it receives: a product an imported or synced order names (商品ID with
its 选购商品 title) becomes a Product row if the shop has none for that id yet.

Why: a merchant who starts from an export file has no other source of products, and without them the inquiry
assistant recognises no product, the order list's 商品 filter is empty and no per-product ship promise can be set
(QA pass 6, #3). A row the merchant or the demo already has is never touched (its name, English name, aliases and
promise stay); an item without a product id names no product the desk could filter or promise by, so it is skipped.

Cost: one query for the batch's distinct product ids and one multi-row insert of the new ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from .bulk_writes import chunks
from .domain import OrderRecord
from .models import Product

if TYPE_CHECKING:  # intake imports this module
    from .intake import Rejection

NAME_MAX = 200  # Product.name's column length


def add_missing_products(session: Session, shop_id: int, records: Iterable[tuple[int, OrderRecord]],
                         rejected: Iterable[Rejection], now: datetime) -> int:
    """Insert a Product for each product id of the batch's ``(index, record)`` pairs the shop lacks, named by the
    first title seen for it; a rejected record changes nothing, so its products are left out. Returns how many were
    added. An unchanged record counts: re-importing a file fills the catalogue of a desk filled before this existed."""
    skipped = {r.index for r in rejected}
    titles: dict[str, str] = {}
    for index, rec in records:
        if index in skipped:
            continue
        for item in rec.items:
            pid = (item.product_id or "").strip()
            title = (item.product_name or "").strip()
            if pid and title and pid not in titles:
                titles[pid] = title[:NAME_MAX]
    if not titles:
        return 0
    known: set[str] = set()
    for chunk in chunks(list(titles)):
        known.update(session.execute(select(Product.product_id).where(
            Product.shop_id == shop_id, Product.product_id.in_(chunk))).scalars())
    new = [{"shop_id": shop_id, "product_id": pid, "name": title, "created_at": now}
           for pid, title in titles.items() if pid not in known]
    if new:
        session.execute(insert(Product), new)
    return len(new)
