"""``xiaodian shop connect`` and ``xiaodian sync douyin`` / ``xiaodian reconcile douyin``.

Exit codes: 0 done; 1 the platform or the desk refused (errors printed, JSON carries them); 2 bad usage."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone

import typer

from ...accounts.shops_cli import shop_app
from ...cli import ShopOption, fail
from ...errors import DomainError, ValidationFailed

sync_app = typer.Typer(no_args_is_help=True, help="Pull orders from a platform")
reconcile_app = typer.Typer(no_args_is_help=True, help="Repair what pushes missed")



def _shop(ctx, platform_shop_id: str | None, desk_shop: str | None) -> int:
    """The desk shop to sync: the one connected to Douyin shop --shop, or the desk's --desk-shop (as `shop connect`
    names it), else XIAODIAN_SHOP, else the first shop."""
    from ...accounts.models import Shop
    from ...bootstrap import default_shop_id
    from ...orders.cli import shop_option
    from sqlalchemy import select

    if platform_shop_id and desk_shop is not None:
        fail("give --shop (the Douyin shop id) or --desk-shop (the desk's shop id), not both", 2)
    if desk_shop is not None:
        return shop_option(ctx, desk_shop, allow_all=False, name="--desk-shop")
    if not platform_shop_id:
        try:
            return default_shop_id(ctx)
        except DomainError as exc:  # XIAODIAN_SHOP names a shop the desk lacks
            fail(exc, 1)
    with ctx.sessions() as session:
        found = session.execute(select(Shop.id).where(Shop.platform_shop_id == platform_shop_id)).scalar_one_or_none()
    if found is None:
        fail(f"no shop with Douyin shop id {platform_shop_id}", 2)
    return found


@shop_app.command("connect")
def connect(shop_id: str = typer.Option(..., "--shop-id", help="Douyin shop id (店铺 ID)"),
            app_key: str = typer.Option(..., "--app-key"),
            app_secret_stdin: bool = typer.Option(False, "--app-secret-stdin", help="read the secret from stdin"),
            name: str | None = typer.Option(None, "--name"),
            desk_shop: str | None = typer.Option(None, "--desk-shop", help="which of the desk's shops (an id, see "
                                                 "`xiaodian shop list`); default: the first")) -> None:
    """Connect one of the desk's shops to a self-use app; the secret is read from stdin so it stays out of the shell
    history, and stored encrypted. The key and secret are checked with the Douyin Open Platform at the gateway
    XIAODIAN_DOUYIN_GATEWAY names (default https://openapi-fxg.jinritemai.com); set it to point the desk at
    another gateway, e.g. a sandbox or the project's local fake (tests/fakes/douyin.py), for connect, sync and
    write-back alike."""
    from ...accounts.cli import cli_principal
    from ...bootstrap import open_context
    from ...orders.cli import shop_option
    from ...db import transaction
    from .credentials import REFUSED, connect_checked

    if not app_secret_stdin:
        fail("give the app secret on stdin with --app-secret-stdin", 2)
    secret = sys.stdin.readline().strip()
    ctx = open_context()
    desk_shop_id = shop_option(ctx, desk_shop, allow_all=False, name="--desk-shop")
    try:  # the platform is asked about the key and secret before anything is saved (credentials.py)
        with transaction(ctx.sessions) as session:
            conn, check = connect_checked(session, settings=ctx.settings, shop_id=desk_shop_id,
                                          platform_shop_id=shop_id, app_key=app_key, app_secret=secret,
                                          cipher=ctx.cipher, principal=cli_principal(), clock=ctx.clock, name=name)
            writes_on = bool(conn.write_enabled)
    except DomainError as exc:
        fail(exc, 1 if exc.code == REFUSED else 2)  # 1: the platform refused them (see the module doc)
    finally:
        ctx.engine.dispose()
    typer.echo(f"connected shop {shop_id} " + ("(writes to the platform stay on: shipping uploads tracking numbers)"
                                                if writes_on else
                                                "(writes to the platform are off until an owner turns them on)"))
    if check.checked:
        typer.echo("the Douyin Open Platform accepted the app key and secret")
    else:
        typer.echo(f"the app key and secret could not be checked yet: the Douyin Open Platform did not answer the "
                   f"token request ({check.error}); they will be checked at the first sync")


@sync_app.command("douyin")
def sync_douyin(shop: str | None = typer.Option(None, "--shop", help="Douyin shop id; default: the desk's shop"),
                desk_shop: str | None = typer.Option(None, "--desk-shop", help="or which of the desk's shops (an id, "
                                                     "see `xiaodian shop list`); default: XIAODIAN_SHOP, else the "
                                                     "first"),
                once: bool = typer.Option(True, "--once/--loop", help="--loop: sync again every --interval seconds "
                                          "until interrupted (Ctrl-C), as the worker does every minute"),
                interval: float = typer.Option(60.0, "--interval", min=1.0, help="seconds between syncs with --loop"),
                since: datetime | None = typer.Option(None, "--since", help="ISO time with offset (the first sync)"),
                as_json: bool = typer.Option(False, "--json", help="one JSON object per sync (per line)")) -> None:
    """One incremental sync (and inbox retry) from the gateway XIAODIAN_DOUYIN_GATEWAY names (default the Douyin
    Open Platform), or one every --interval seconds with --loop. Output per sync:
    {"orders": {created, updated, unchanged}, "aftersales", "errors"}. Exit 1 when the (last) sync had errors;
    a --loop stopped with Ctrl-C exits 0."""
    import time

    from ...bootstrap import open_context
    from .jobs import sync_shop

    if since is not None and since.tzinfo is None:
        fail("--since needs a UTC offset, e.g. 2026-11-20T00:00:00+08:00", 2)
    ctx = open_context()
    try:
        shop_id = _shop(ctx, shop, desk_shop)
        while True:
            result = _sync_once(ctx, shop_id, since, as_json, sync_shop, stop_on_error=once)
            if once:
                raise typer.Exit(1 if result["errors"] else 0)
            since = None  # later rounds carry on from the cursor
            time.sleep(interval)
    except KeyboardInterrupt:
        raise typer.Exit(0) from None
    finally:
        ctx.engine.dispose()


def _sync_once(ctx, shop_id: int, since, as_json: bool, sync_shop, *, stop_on_error: bool) -> dict:
    """One sync, printed. An unforeseen error is a message, never a traceback (the log has the details): it ends a
    single sync with exit 1 and is reported as that round's error in a loop, which carries on."""
    try:
        result = sync_shop(ctx, shop_id, since=since)
    except typer.Exit:
        raise
    except DomainError as exc:
        fail(exc, 2)
    except Exception as exc:  # noqa: BLE001
        if stop_on_error:
            fail(DomainError(f"the sync stopped: {type(exc).__name__}: {exc}", code="sync_failed"), 1)
        result = {"shop_id": shop_id, "orders": {"created": 0, "updated": 0, "unchanged": 0},
                  "errors": [{"msg": f"the sync stopped: {type(exc).__name__}: {exc}"}]}
    if as_json:
        typer.echo(_json_in_shop_time(result))
    else:
        o = result["orders"]
        typer.echo(f"orders: {o['created']} created, {o['updated']} updated, {o['unchanged']} unchanged")
        for line in _error_lines(result["errors"]):
            typer.echo(f"error: {line}", err=True)
    return result


def _error_lines(errors) -> list[str]:
    """The platform's refusals as lines a person reads ("token.create: 40003 签名校验失败 isv.invalid-sign"), each once:
    the orders and the after-sales of one sync report the same broken token (QA pass 8, #8: dicts, printed twice)."""
    lines = []
    for e in errors:
        if isinstance(e, dict):
            parts = [str(e[k]) for k in ("code", "msg", "sub_code", "sub_msg") if e.get(k) not in (None, "")]
            text = (f"{e['method']}: " if e.get("method") else "") + " ".join(parts) if parts else str(e)
        else:
            text = str(e)
        if text not in lines:
            lines.append(text)
    return lines


def _json_in_shop_time(data) -> str:
    """A sync's or a sweep's report as JSON, every time in it ISO 8601 in shop time (+08:00) as the API and every
    other output of the desk give times: the sync gives its cursor as stored, in UTC, which read as a different
    hour from the one the merchant sees on the status page."""
    from ...clock import iso

    def shop_time(value) -> str:
        if isinstance(value, datetime):
            return iso(value if value.tzinfo else value.replace(tzinfo=timezone.utc))  # stored times are UTC
        return str(value)

    def cursor_in_shop_time(report):
        if isinstance(report, dict) and isinstance(report.get("cursor"), str):
            return {**report, "cursor": shop_time(datetime.fromisoformat(report["cursor"]))}
        return report

    reports = [cursor_in_shop_time(r) for r in data] if isinstance(data, list) else cursor_in_shop_time(data)
    return json.dumps(reports, ensure_ascii=False, default=shop_time)


@reconcile_app.command("douyin")
def reconcile_douyin(days: float = typer.Option(3.0, "--days"), as_json: bool = typer.Option(False, "--json"),
                     shop: str | None = typer.Option(None, "--shop", help="Douyin shop id; default: every connected "
                                                     "shop"),
                     desk_shop: str | None = typer.Option(None, "--desk-shop", help="or which of the desk's shops (an "
                                                          "id, see `xiaodian shop list`)")) -> None:
    """Sweep recent updates and report the orders repaired (created or moved) that pushes had missed: in every
    connected shop, or only the one named by --shop (the Douyin shop id, as `sync douyin --shop`) or --desk-shop."""
    from ...bootstrap import open_context
    from .jobs import run_reconcile
    from .service import get_connection

    ctx = open_context()
    try:
        shop_ids = None
        if shop or desk_shop is not None:  # the same lookup and refusals as `sync douyin`
            shop_id = _shop(ctx, shop, desk_shop)
            with ctx.sessions() as session:
                if get_connection(session, shop_id) is None:
                    fail(f"shop {shop_id} is not connected to the Douyin Open Platform", 2)
            shop_ids = [shop_id]
        results = run_reconcile(ctx, days=days, shop_ids=shop_ids)
    finally:
        ctx.engine.dispose()
    if as_json:
        typer.echo(_json_in_shop_time(results))
    else:
        for r in results:
            typer.echo(f"shop {r['shop_id']}: {len(r['repaired'])} repaired, errors {len(r['errors'])}")
            for line in _error_lines(r["errors"]):
                typer.echo(f"error: shop {r['shop_id']}: {line}", err=True)
    raise typer.Exit(1 if any(r["errors"] for r in results) else 0)


export_app = typer.Typer(no_args_is_help=True, help="Export lists to CSV or XLSX")


@export_app.command("orders")
def export_orders_cmd(query: str | None = typer.Argument(None, help="as in `orders search`"),
                      status: str = typer.Option("all", "--status"),
                      created_from: str | None = typer.Option(None, "--created-from", help="YYYY-MM-DD (shop time)"),
                      created_to: str | None = typer.Option(None, "--created-to", help="YYYY-MM-DD (shop time)"),
                      fmt: str = typer.Option("csv", "--format", help="csv or xlsx"),
                      per: str = typer.Option("sku", "--per", help="sku (one row per SKU order) or order (one row "
                                              "per shop order)"),
                      output: str = typer.Option(..., "--output", help="file to write"),
                      reveal: bool = typer.Option(False, "--reveal", help="full buyer data (needs a --reason)"),
                      reason: str | None = typer.Option(None, "--reason"), shop: ShopOption = None) -> None:
    """Every order of the filtered list, one row per SKU order (or per shop order, --per order): ids as text,
    amounts in yuan, buyer data masked unless --reveal with a --reason (audited)."""
    from pathlib import Path

    from ...accounts.cli import cli_principal
    from ...bootstrap import default_shop_id, open_context
    from ...db import transaction
    from ...orders.cli import _date
    from ...clock import check_filter_range
    from ...orders.domain import TABS
    from ...orders.queries import OrderFilter
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from ...exports import domain
    from .orders_export import FORMATS, export_orders

    if status not in TABS:  # each option named only when it is the wrong one (QA pass 11, #12)
        fail(f"--status must be one of {', '.join(TABS)}", 2)
    if fmt not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}", 2)
    try:
        flt = OrderFilter(query=query, tab=status, created_from=_date(created_from, "--created-from"),
                          created_to=_date(created_to, "--created-to"))
        check_filter_range("--created-from", flt.created_from, "--created-to", flt.created_to)
    except (ValueError, ValidationFailed) as exc:
        fail(str(exc), 2)
    ctx = open_context()
    try:
        shop_id = default_shop_id(ctx, shop)
    except DomainError as exc:  # refused as by every command, before a file is started
        ctx.engine.dispose()
        fail(exc, 1)
    try:
        flt.now = ctx.clock.now()
        # Written beside the output and moved over it at the end: a refused or failed export leaves no half file.
        partial = Path(output).with_name(Path(output).name + ".part")
        err = Console(stderr=True)
        try:
            # Nothing times out here, so the CLI takes as long a list as an export job does (the web's own export
            # stops at 200,000 orders while its request waits).
            with (transaction(ctx.sessions) as session, partial.open("wb") as out,
                  Progress(TextColumn("[bold]exporting"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                           console=err, transient=True, disable=not err.is_terminal) as bar):
                task = bar.add_task("exporting", total=None)
                count = export_orders(session, shop_id=shop_id, flt=flt, cipher=ctx.cipher,
                                      principal=cli_principal(), fmt=fmt, now=ctx.clock.now(), out=out,
                                      reveal=reveal, reason=reason, per=per, limit=domain.JOB_MAX_ORDERS,
                                      progress=lambda done, total: bar.update(task, completed=done, total=total))
            partial.replace(output)
        finally:
            partial.unlink(missing_ok=True)
    except DomainError as exc:
        fail(exc, 2)
    except OSError as exc:
        fail(f"cannot write {output}: {exc}", 2)
    finally:
        ctx.engine.dispose()
    typer.echo(f"{count} rows written to {output}")


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
    app.add_typer(sync_app, name="sync")
    app.add_typer(reconcile_app, name="reconcile")
