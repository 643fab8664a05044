"""The root ``xiaodian`` command; each capability adds its own sub-commands."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from .errors import DomainError

app = typer.Typer(no_args_is_help=True, add_completion=False, help="xiaodian 小店 — order desk for Douyin shops")
err = Console(stderr=True)


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
