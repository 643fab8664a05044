"""Start-up for every entry point: build the context, check the schema, the key and the default shop."""

from __future__ import annotations

from dataclasses import dataclass

from .accounts import service as accounts
from .context import AppContext
from .db import transaction
from .errors import NotFound
from .migrate import require_current, upgrade
from .settings import Settings


def open_context(settings: Settings | None = None, *, migrate: bool = False, clock=None) -> AppContext:
    """The context for a command or the server. Without ``migrate`` an out-of-date schema is refused."""
    settings = settings or Settings()
    ctx = AppContext.build(settings, clock=clock)
    if settings.is_sqlite:
        _ensure_sqlite_dir(settings.database_url)
    if migrate:
        upgrade(ctx.engine, settings.database_url)
    else:
        require_current(ctx.engine, settings.database_url)
    with transaction(ctx.sessions) as session:
        accounts.check_key_fingerprint(session, ctx.keys.fingerprint)
        accounts.ensure_shop(session, ctx.clock.now())
    return ctx


def first_shop_id(ctx: AppContext) -> int:
    """The desk's first shop (made now if there is none)."""
    with ctx.sessions() as session:
        return accounts.ensure_shop(session, ctx.clock.now()).id


def default_shop_id(ctx: AppContext) -> int:
    """The shop a command works on when it names none: XIAODIAN_SHOP (settings.shop), else the desk's first shop.
    A shop id the desk does not have is refused rather than falling back, so that a warehouse script meant for the
    second store never ships or exports the first one's orders."""
    wanted = ctx.settings.shop
    if wanted is None:
        return first_shop_id(ctx)
    from .accounts.models import Shop

    with ctx.sessions() as session:
        if session.get(Shop, wanted) is None:
            raise NotFound(f"XIAODIAN_SHOP={wanted}: the desk has no shop with that id (see `xiaodian shop list`)",
                           code="shop_not_found", details={"shop_id": wanted})
    return wanted


# A list or a search over every shop of the desk (the URL's ?shop=all, the API's shop=all, the CLI's --shop all).
ALL_SHOPS = "all"


@dataclass(frozen=True)
class ShopRef:
    """A shop of the desk as pickers and lists name it."""

    id: int
    name: str
    platform_shop_id: str | None = None


def desk_shops(ctx: AppContext) -> tuple[ShopRef, ...]:
    """Every shop of the desk, the default shop (the first one made) first. Every user sees every shop of
    the desk: shops are a merchant's own stores, not tenants. Restricting users to shops would start here."""
    from sqlalchemy import select

    from .accounts.models import Shop

    with ctx.sessions() as session:
        rows = session.execute(select(Shop.id, Shop.name, Shop.platform_shop_id).order_by(Shop.id)).all()
    return tuple(ShopRef(id_, name, platform) for id_, name, platform in rows)


def _ensure_sqlite_dir(url: str) -> None:
    from pathlib import Path

    path = url.split(":///", 1)[-1]
    if path and path != ":memory:":
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
