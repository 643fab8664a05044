"""``xiaodian import orders FILE [--dry-run] [--json]``: import an order export file from the shell.

Exit codes are a contract for scripts: 0 every row accepted, 1 some rows rejected (the others were
imported), 2 the file cannot be read at all (nothing imported).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Table

from ...cli import fail, missing_file
from ...errors import DomainError
from .service import ImportReport, import_order_file

import_app = typer.Typer(no_args_is_help=True, help="Import files exported from the Douyin merchant back office")
out = Console()
err = Console(stderr=True)
SHOWN_REJECTIONS = 50


@import_app.command("orders")
def import_orders(
    file: Path = typer.Argument(..., help="order export: CSV (UTF-8, UTF-8 with BOM, GBK) or XLSX"),
    dry_run: bool = typer.Option(False, "--dry-run", help="report what would change, change nothing"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON report object and nothing else"),
    shop: str | None = typer.Option(None, "--shop", help="which of the desk's shops the file is from (an id, see "
                                    "`xiaodian shop list`); default: the first"),
) -> None:
    """Import orders from an export file (idempotent: re-importing the same file changes nothing)."""
    from ...accounts.cli import cli_principal
    from ...bootstrap import open_context
    from ...orders.cli import shop_option

    if not file.is_file():
        fail(missing_file(file), 2)
    ctx = open_context()
    shop_id = shop_option(ctx, shop, allow_all=False)
    show_progress = not as_json and err.is_terminal
    try:
        if show_progress:
            with Progress(TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(),
                          TransferSpeedColumn(), TimeRemainingColumn(), console=err, transient=True) as bar:
                task = bar.add_task("dry run" if dry_run else "importing", total=file.stat().st_size or 1)
                report = import_order_file(ctx.sessions, shop_id=shop_id, path=file, cipher=ctx.cipher,
                                           now=ctx.clock.now(), dry_run=dry_run, principal=cli_principal(),
                                           progress=lambda done, total: bar.update(task, completed=done))
        else:
            report = import_order_file(ctx.sessions, shop_id=shop_id, path=file, cipher=ctx.cipher,
                                       now=ctx.clock.now(), dry_run=dry_run, principal=cli_principal())
    except DomainError as exc:
        fail(exc, 2)
    finally:
        ctx.engine.dispose()
    if as_json:
        typer.echo(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        _print_summary(report, file)
    raise typer.Exit(report.exit_code)



def _print_summary(report: ImportReport, file: Path) -> None:
    title = f"{file.name}: {'dry run, nothing changed' if report.dry_run else 'imported'}"
    table = Table(title=title)
    for col in ("", "rows", "orders"):
        table.add_column(col, justify="right" if col else "left")
    for name in ("created", "updated", "unchanged"):
        table.add_row(name, str(getattr(report, name)), str(report.orders[name]))
    table.add_row("rejected", str(len(report.rejected)), str(report.orders["rejected"]))
    out.print(table)
    if report.rejected:
        rejected = Table(title="rejected rows")
        for col in ("row", "column", "code", "message"):
            rejected.add_column(col)
        for e in report.rejected[:SHOWN_REJECTIONS]:
            rejected.add_row(str(e.row), e.column, e.code, e.message)
        out.print(rejected)
        if len(report.rejected) > SHOWN_REJECTIONS:
            out.print(f"… and {len(report.rejected) - SHOWN_REJECTIONS} more (use --json for all)")
    if report.warnings:
        warned = Table(title="imported, but worth a look")
        for col in ("row", "order", "message"):
            warned.add_column(col)
        for e in report.warnings[:SHOWN_REJECTIONS]:
            warned.add_row(str(e.row), e.order_key, e.message)
        out.print(warned)
        if report.warnings_total > SHOWN_REJECTIONS:
            out.print(f"… and {report.warnings_total - SHOWN_REJECTIONS} more (use --json)")


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(import_app())
