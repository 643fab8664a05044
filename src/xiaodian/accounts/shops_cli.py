"""``xiaodian shop add|rename|list``: the shops of the desk, from the shell (the CLI acts as an owner; audited as
``cli:<os user>``). ``xiaodian shop connect`` (channels/douyin/cli.py) joins this group."""

from __future__ import annotations

import json

import typer

from ..bootstrap import desk_shops, open_context
from ..db import transaction
from ..errors import DomainError

shop_app = typer.Typer(no_args_is_help=True,
                       help="The desk's shops: add, rename, list; connect one to the Douyin Open Platform")


def _change(action, as_json: bool) -> None:
    from ..cli import fail
    from .cli import cli_principal

    ctx = open_context()
    try:
        with transaction(ctx.sessions) as session:
            shop = action(session, cli_principal(), ctx.clock.now())
            shown = {"id": shop.id, "name": shop.name}
    except DomainError as exc:  # fail prints the error object too under --json (one object, QA pass 11, #7)
        fail(exc, 2 if exc.http_status in (404, 422) else 1)
    finally:
        ctx.engine.dispose()
    typer.echo(json.dumps(shown, ensure_ascii=False) if as_json else f"{shown['id']}\t{shown['name']}")


@shop_app.command("add")
def add(name: str = typer.Argument(..., help="the shop's name, as the header's shop picker shows it"),
        as_json: bool = typer.Option(False, "--json")) -> None:
    """Add a shop to the desk and print its id (for --shop, and ?shop= in links). The first shop stays the
    default."""
    from .shops import add_shop

    _change(lambda session, who, now: add_shop(session, name=name, principal=who, now=now), as_json)


@shop_app.command("rename")
def rename(shop_id: int = typer.Argument(..., help="the shop's id (see `xiaodian shop list`)"),
           name: str = typer.Argument(..., help="its new name"),
           as_json: bool = typer.Option(False, "--json")) -> None:
    """Rename a shop (the first import names the desk's first shop 我的小店)."""
    from .shops import rename_shop

    _change(lambda session, who, now: rename_shop(session, shop_id=shop_id, name=name, principal=who, now=now),
            as_json)


@shop_app.command("list")
def list_shops(as_json: bool = typer.Option(False, "--json")) -> None:
    """The shops of this desk: the ids --shop takes (the first is the default shop)."""
    ctx = open_context()
    try:
        found = desk_shops(ctx)
    finally:
        ctx.engine.dispose()
    if as_json:
        typer.echo(json.dumps({"shops": [{"id": s.id, "name": s.name, "platform_shop_id": s.platform_shop_id,
                                          "default": i == 0} for i, s in enumerate(found)]}, ensure_ascii=False))
        return
    for i, s in enumerate(found):
        typer.echo(f"{s.id}\t{s.name}\t{s.platform_shop_id or ''}{'  (default)' if i == 0 else ''}")
