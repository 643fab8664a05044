"""The shops of one desk: a merchant with several Douyin stores keeps them apart (every table is keyed by shop) and
picks one in the header. The first shop is made by the first import or sync; these add and name the others.

Names are what people pick a shop by in the header and read in the audit log, so two shops may not share one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..errors import Conflict, NotFound, ValidationFailed
from . import audit
from .models import Shop
from .service import Principal, ensure_shop

NAME_MAX = 100  # shops.name


def _checked_name(session: Session, name: str, *, other_than: int | None = None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed("a shop needs a name", code="shop_name_missing", details={"field": "name"})
    if len(name) > NAME_MAX:
        raise ValidationFailed(f"a shop name has at most {NAME_MAX} characters", code="shop_name_too_long",
                               details={"field": "name"})
    taken = session.execute(select(Shop.id).where(func.lower(Shop.name) == name.lower())).scalars().all()
    if any(found != other_than for found in taken):
        raise Conflict(f"another shop of this desk is already called {name}", code="shop_name_taken",
                       details={"field": "name", "name": name})
    return name


def add_shop(session: Session, *, name: str, principal: Principal, now: datetime) -> Shop:
    """A new shop of the desk. The desk's first shop (the default one, which imports and syncs use when no shop is
    named) is made first if there is none yet, so that the shop added here is never silently the default."""
    ensure_shop(session, now)
    shop = Shop(name=_checked_name(session, name), created_at=now)
    session.add(shop)
    session.flush()
    audit.record(session, principal=principal, action="shop.add", now=now, shop_id=shop.id, target_type="shop",
                 target_id=str(shop.id), after={"name": shop.name})
    return shop


def rename_shop(session: Session, *, shop_id: int, name: str, principal: Principal, now: datetime) -> Shop:
    shop = session.get(Shop, shop_id)
    if shop is None:
        raise NotFound(f"no shop with id {shop_id}", code="shop_not_found", details={"shop_id": shop_id})
    new = _checked_name(session, name, other_than=shop.id)
    if new != shop.name:
        audit.record(session, principal=principal, action="shop.rename", now=now, shop_id=shop.id,
                     target_type="shop", target_id=str(shop.id), before={"name": shop.name}, after={"name": new})
        shop.name = new
    return shop
