"""Start-up for every entry point: build the context, check the schema, the key and the default shop."""

from __future__ import annotations

from dataclasses import dataclass

from .accounts import service as accounts
from .context import AppContext
from .db import MAX_ROW_ID, transaction
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


def default_shop_id(ctx: AppContext, explicit: int | None = None) -> int:
    """The shop a command works on: its ``--shop`` (``explicit``) when given, else XIAODIAN_SHOP (settings.shop),
    else the desk's first shop. So a merchant with two stores can name the store on each command, and a script's
    --shop is not overridden by a variable left exported in the shell. A shop id the desk does not have is refused
    rather than falling back, so that a warehouse script meant for the second store never ships or exports the first
    one's orders."""
    if explicit is not None:
        return _known_shop(ctx, explicit, f"--shop {explicit}")
    wanted = ctx.settings.shop
    if wanted is None:
        return first_shop_id(ctx)
    return _known_shop(ctx, wanted, f"XIAODIAN_SHOP={wanted}")


def _known_shop(ctx: AppContext, shop_id: int, given_as: str) -> int:
    """``shop_id`` if the desk has that shop; NotFound (shop_not_found) naming where the id came from otherwise."""
    from .accounts.models import Shop

    with ctx.sessions() as session:
        # An id past the database's integer (--shop 99999999999999999999) is a shop it cannot have, not a crash.
        if not 0 < shop_id <= MAX_ROW_ID or session.get(Shop, shop_id) is None:
            raise NotFound(f"{given_as}: the desk has no shop with that id (see `xiaodian shop list`)",
                           code="shop_not_found", details={"shop_id": shop_id})
    return shop_id


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
