"""The root ``xiaodian`` command; each capability adds its own sub-commands."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

from .errors import DomainError

app = typer.Typer(no_args_is_help=True, add_completion=False, help="xiaodian 小店 — order desk for Douyin shops")
err = Console(stderr=True)


# The one --shop of every command that works on one shop (bootstrap.default_shop_id): it wins over XIAODIAN_SHOP, which
# wins over the desk's first shop; an id the desk does not have is refused (shop_not_found), never the first shop.
ShopOption = Annotated[int | None, typer.Option(
    "--shop", metavar="ID", help="which of the desk's shops (an id, see `xiaodian shop list`); default: XIAODIAN_SHOP, "
    "else the first shop")]


def group_shop(command: typer.Context, shop: int | None) -> int | None:
    """A sub-command's --shop, else the one its group was given (`xiaodian aftersales --shop 2 show ID`): a --shop
    written before the sub-command is never silently dropped. Two different ids are refused (exit 2)."""
    outer = command.parent.params.get("shop") if command.parent is not None else None
    if shop is not None and outer is not None and shop != outer:
        fail(f"--shop given twice: {outer} and {shop}", 2)
    return shop if shop is not None else outer


def fail(error: DomainError | str, code: int = 1) -> None:
    message = error.message if isinstance(error, DomainError) else error
    err.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(code)


def _register() -> None:
    from .accounts.cli import register as register_accounts
    from .orders.cli import register as register_orders
    from .web.cli import register as register_web
    from .channels.exportfile.cli import register as register_import
    from .shipping.cli import register as register_shipping
    from .inquiries.cli import register as register_inquiries
    from .logistics.cli import register as register_logistics

    register_web(app)
    register_accounts(app)
    register_orders(app)
    register_import(app)
    register_shipping(app)
    register_inquiries(app)
    from .aftersales.cli import register as register_aftersales

    register_aftersales(app)
    register_logistics(app)
    from .channels.douyin.cli import register as register_douyin

    register_douyin(app)


def main() -> None:
    _register()
    try:
        app()
    except DomainError as exc:  # anything a command did not translate itself
        err.print(f"[red]error:[/red] {exc.message}", highlight=False)
        sys.exit(1)
