"""How the desk's product pickers and filters name a product: as the order rows name it (the Chinese listing title
is data), followed on an English page by the product's English name in brackets when it has one, e.g.
``压榨一级花生油 家用 食用油 (Pressed peanut oil)``.

Why: the English order list's 商品 filter showed demo products under their English names only ("Pressed peanut
oil") beside imported products under their Chinese titles ("压榨一级花生油 5L"), while every order row shows the
Chinese title, so staff could not tell which entry was which (QA pass 11, #8). The same rule names products on the
order list, the shipping forecast's product promises, the quality-rate table and the after-sales product filter.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..web.i18n import current_language
from .bulk_writes import chunks
from .models import Product


def product_label(name: str | None, name_en: str | None, english: bool | None = None) -> str:
    """``name`` as the rows show it, with `` (name_en)`` after it on an English page (``english``: default, the
    request's language) when the product has an English name that is not the name itself."""
    name, name_en = (name or "").strip(), (name_en or "").strip()
    if english is None:
        english = current_language.get() == "en"
    if english and name_en and name_en.casefold() != name.casefold():
        return f"{name} ({name_en})" if name else name_en
    return name or name_en


def english_names(session: Session, shop_id: int, product_ids: Iterable[str | None]) -> dict[str, str]:
    """The English names the shop's products have, by product id (products without one are left out)."""
    ids = sorted({p for p in product_ids if p})
    found: dict[str, str] = {}
    for chunk in chunks(ids):
        found.update((pid, en) for pid, en in session.execute(
            select(Product.product_id, Product.name_en).where(Product.shop_id == shop_id,
                                                              Product.product_id.in_(chunk))) if (en or "").strip())
    return found
