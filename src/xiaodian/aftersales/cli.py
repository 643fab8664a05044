"""``xiaodian aftersales [--tab T]``, ``aftersales show|act|contact|scan|relabel``, ``xiaodian import aftersales
FILE`` and ``xiaodian quality-rate``. Exit codes: 0 done; 1 refused (a message says why) or rows rejected; 2 bad
usage or an unreadable file (nothing changed)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ..cli import ShopOption, fail, group_shop, missing_file
from ..cli_tables import add_columns
from ..errors import DomainError

out = Console()
err = Console(stderr=True)
FAMILIES = ("quality", "other", "unknown")
MAX_PAGE = 100_000  # as the API: a larger page would overflow the database driver's OFFSET

app = typer.Typer(help="After-sale cases: list, show, act, log a contact, scan deadlines", invoke_without_command=True)


def _tabs() -> tuple[str, ...]:
    """The tabs --tab takes, as the command checks them (QA pass 11, #11: the help left out overdue and to_send)."""
    from .queries import TABS

    return tuple(TABS)


def _when(value) -> str:
    """A time as the other CLI tables show it (shop time, to the minute), not ISO with microseconds (QA 11, #13)."""
    from ..web.templating import shop_time

    return shop_time(value, "%Y-%m-%d %H:%M") if value else "—"



def _context(shop: int | None):
    """A fresh context and the shop the command works on: its --shop, else XIAODIAN_SHOP, else the first shop. A
    shop the desk lacks is refused (exit 1), nothing done."""
    from ..bootstrap import default_shop_id, open_context

    ctx = open_context()
    try:
        return ctx, default_shop_id(ctx, shop)
    except DomainError as exc:
        ctx.engine.dispose()
        fail(exc)


@app.callback()
def list_cases(typer_ctx: typer.Context,
               tab: str = typer.Option("todo", "--tab", help=", ".join(_tabs())),
               case_type: str = typer.Option(None, "--type", help="return_refund, refund_shipped, …"),
               family: str = typer.Option(None, "--family", help="quality, other, unknown (current reason)"),
               page: int = typer.Option(1, "--page", min=1, max=MAX_PAGE),
               as_json: bool = typer.Option(False, "--json"), shop: ShopOption = None) -> None:
    """List the cases of a tab, most urgent first."""
    if typer_ctx.invoked_subcommand is not None:
        return
    from . import views
    from .domain import CaseType
    from .queries import TABS, CaseFilter

    if tab not in TABS:
        fail(DomainError(f"--tab must be one of {', '.join(TABS)}", code="usage"), 2)
    types = [t.value for t in CaseType]
    if case_type is not None and case_type not in types:  # the API refuses these too; never an empty list instead
        fail(DomainError(f"--type must be one of {', '.join(types)}", code="usage"), 2)
    if family is not None and family not in FAMILIES:
        fail(DomainError(f"--family must be one of {', '.join(FAMILIES)}", code="usage"), 2)
    ctx, shop_id = _context(shop)
    try:
        with ctx.sessions() as session:
            data = views.case_page(session, shop_id=shop_id, now=ctx.clock.now(),
                                   families=views.families_for(session, shop_id, ctx.settings),
                                   flt=CaseFilter(tab=tab, case_type=case_type, family=family, page=page))
    finally:
        ctx.engine.dispose()
    if as_json:
        typer.echo(data.model_dump_json())
        return
    table = Table(title=f"{tab}: {data.total} cases")
    add_columns(table, ("after-sale", "order", "type", "status", "reason", "refund", "due by"))
    for c in data.cases:
        reason = c.current_reason.text if c.current_reason else "—"
        if c.first_reason and c.current_reason and c.first_reason.seq != c.current_reason.seq:
            reason += f" (first: {c.first_reason.text})"
        refund = "unknown" if c.refund_fen is None else f"¥{c.refund_fen / 100:.2f}"  # never ¥0.00 for 'not known'
        table.add_row(c.aftersale_id, c.order_id, c.type, c.status, reason, refund,
                      (c.due_by or "—")[:16].replace("T", " ") + (" OVERDUE" if c.overdue else ""))
    out.print(table)


@app.command("show")
def show(command: typer.Context, aftersale_id: str, as_json: bool = typer.Option(False, "--json"),
         shop: ShopOption = None) -> None:
    """One case with its reason history, steps and communication log."""
    from rich.markup import escape

    from ..channels.douyin.refusals import reason_in, refused_decisions
    from . import views

    ctx, shop_id = _context(group_shop(command, shop))
    try:
        with ctx.sessions() as session:
            data = views.case_detail(session, shop_id=shop_id, aftersale_id=aftersale_id, now=ctx.clock.now(),
                                     families=views.families_for(session, shop_id, ctx.settings))
            refused = refused_decisions(session, shop_id, aftersale_id)  # decisions Douyin did not take (QA 8, #2)
    except DomainError as exc:
        fail(exc)
    finally:
        ctx.engine.dispose()
    if as_json:
        typer.echo(data.model_dump_json())
        return
    out.print(f"{data.aftersale_id}  order {data.order_id}  {data.type}  {data.status}  due {_when(data.due_by)}")
    for r in data.reason_history:
        out.print(f"  reason #{r.seq}: {escape(r.text)} {escape(f'[{r.family}]')} {_when(r.given_at)} via {r.source}")
    for e in data.history:
        # A step that changed no status (a reason given, a reminder) shows none, not an empty "→".
        move = f"{e.from_status or ''} → {e.to_status}" if e.to_status else ""
        out.print(f"  {_when(e.at)}  {e.action}  {move}  {e.actor or ''}  "
                  f"{escape(reason_in(e.detail)) if e.action == 'platform_refused' else ''}".rstrip())
    for r in refused:
        out.print(f"  [red]Douyin did not take the decision made here ({escape(r['reason'] or 'no reason given')}): "
                  "the case is not settled on the platform; act on it in the Douyin back office before its deadline"
                  "[/red]")
    nothing = "nothing here: act on the platform" if refused else "nothing now"
    out.print(f"  merchant can: {', '.join(data.merchant_actions) or nothing}")


@app.command("act")
def act(command: typer.Context, aftersale_id: str,
        action: str = typer.Argument(..., help="agree | reject | receive | refund | reship | retry_refund"),
        reason_code: str = typer.Option(None, "--reason-code", help="reject reason code (required to reject)"),
        note: str = typer.Option(None, "--note"),
        inspection: str = typer.Option(None, "--inspection", help="as_expected | damaged | wrong_item | parts_missing"),
        tracking: str = typer.Option(None, "--tracking"), carrier: str = typer.Option(None, "--carrier"),
        confirm_warnings: bool = typer.Option(False, "--confirm-warnings",
                                              help="reship: the number is unusual for the carrier, checked"),
        refund_amount: str = typer.Option(None, "--refund-amount",
                                          help="refund / retry_refund when the case's amount is unknown: the amount "
                                               "in yuan the buyer applied for (e.g. 238.00)"),
        as_json: bool = typer.Option(False, "--json"), shop: ShopOption = None) -> None:
    """A merchant action on one case (refused with the reason when the case cannot take it)."""
    from ..accounts.cli import cli_principal
    from ..db import transaction
    from . import domain, service, views
    from .api import parse_action

    ctx, shop_id = _context(group_shop(command, shop))
    try:
        given = domain.ActionInput(reason_code, note, inspection, tracking, carrier, confirm_warnings,
                                   service.refund_amount_from_yuan(refund_amount))
        with transaction(ctx.sessions) as session:
            service.merchant_action(session, shop_id=shop_id, aftersale_id=aftersale_id, action=parse_action(action),
                                    given=given,
                                    principal=cli_principal(), now=ctx.clock.now(),
                                    rules=service.deadlines_from(ctx.settings))
        with ctx.sessions() as session:
            data = views.case_detail(session, shop_id=shop_id, aftersale_id=aftersale_id, now=ctx.clock.now(),
                                     families=views.families_for(session, shop_id, ctx.settings))
    except DomainError as exc:
        fail(exc)
    finally:
        ctx.engine.dispose()
    if as_json:
        typer.echo(data.model_dump_json())
    else:
        out.print(f"{data.aftersale_id} → {data.status}")


@app.command("contact")
def contact(command: typer.Context, aftersale_id: str,
            channel: str = typer.Option(..., "--channel", help="feige | phone | sms | other"),
            summary: str = typer.Option(..., "--summary"), outcome: str = typer.Option(None, "--outcome"),
            shop: ShopOption = None) -> None:
    """Log a conversation with the buyer."""
    from ..accounts.cli import cli_principal
    from ..db import transaction
    from . import service

    ctx, shop_id = _context(group_shop(command, shop))
    try:
        with transaction(ctx.sessions) as session:
            service.add_contact(session, shop_id=shop_id, aftersale_id=aftersale_id, channel=channel, summary=summary,
                                outcome=outcome, principal=cli_principal(), now=ctx.clock.now())
    except DomainError as exc:
        fail(exc)
    finally:
        ctx.engine.dispose()
    out.print("logged")


@app.command("scan")
def scan(as_json: bool = typer.Option(False, "--json")) -> None:
    """Deadline reminders and overdue flags for open cases (idempotent)."""
    from .jobs import scan_all_shops

    from ..bootstrap import open_context

    ctx = open_context()
    try:
        reports = scan_all_shops(ctx.sessions, ctx.clock.now())
    finally:
        ctx.engine.dispose()
    if as_json:
        typer.echo(json.dumps({"shops": [r.as_json() for r in reports]}))
    else:
        for r in reports:
            out.print(f"shop {r.shop_id}: due soon {r.due_soon}, overdue {r.overdue}")


@app.command("relabel")
def relabel(command: typer.Context, as_json: bool = typer.Option(False, "--json"), shop: ShopOption = None) -> None:
    """Write every order's 售后状态 label from its cases (once, on a database from before labels followed cases).
    Not audited: the label is a projection of the cases, whose every change is audited already."""
    from ..db import transaction
    from .order_label import refresh_shop

    ctx, shop_id = _context(group_shop(command, shop))
    try:
        with transaction(ctx.sessions) as session:
            changed = refresh_shop(session, shop_id)
    finally:
        ctx.engine.dispose()
    if as_json:
        typer.echo(json.dumps({"orders_relabelled": changed}))
    else:
        out.print(f"{changed} orders relabelled")


def import_aftersales(file: Path = typer.Argument(..., help="after-sale export: CSV or XLSX"),
                      dry_run: bool = typer.Option(False, "--dry-run", help="report what would change, change nothing"),
                      as_json: bool = typer.Option(False, "--json"), shop: ShopOption = None) -> None:
    """Import an after-sale export (re-importing a later one records status and reason changes)."""
    from ..accounts.cli import cli_principal
    from . import service
    from .importfile import import_aftersale_file

    if not file.is_file():
        fail(missing_file(file), 2)
    ctx, shop_id = _context(shop)
    try:
        report = import_aftersale_file(ctx.sessions, shop_id=shop_id, path=file, now=ctx.clock.now(),
                                       principal=cli_principal(), dry_run=dry_run,
                                       rules=service.deadlines_from(ctx.settings))
    except DomainError as exc:
        fail(exc, 2)
    finally:
        ctx.engine.dispose()
    if as_json:
        typer.echo(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        out.print(f"{file.name}: {'dry run, ' if dry_run else ''}created {report.created}, updated {report.updated}, "
                  f"unchanged {report.unchanged}, rejected {len(report.rejected)}")
        for e in report.rejected[:50]:
            out.print(f"  row {e.row} {e.column}: {e.code} {e.message}")
    raise typer.Exit(report.exit_code)


def quality_rate(product: str = typer.Option(None, "--product", help="one product id"),
                 window: int = typer.Option(30, "--window", help="14 or 30 days"),
                 as_json: bool = typer.Option(False, "--json"), shop: ShopOption = None) -> None:
    """品退率 per product (and the shop), by first and by current buyer reason."""
    from . import quality, views

    if window not in (14, 30):
        fail(DomainError("--window must be 14 or 30", code="usage"), 2)
    ctx, shop_id = _context(shop)
    try:
        with ctx.sessions() as session:
            families = views.families_for(session, shop_id, ctx.settings)
            rows = quality.rates(session, shop_id, ctx.clock.now(), window, families, product)
    except DomainError as exc:  # a product the shop never had
        fail(exc)
    finally:
        ctx.engine.dispose()
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return

    def pct(v):
        return "—" if v is None else f"{v * 100:.2f}%"

    table = Table(title=f"品退率, last {window} days (quality cases ÷ paid SKU orders)")
    for col in ("product", "paid", "first reason", "rate", "current reason", "rate", ""):
        table.add_column(col)
    for r in rows:
        table.add_row(r["product_name"] or r["product_id"] or "SHOP", str(r["paid"]),
                      str(r["quality_cases_first_reason"]), pct(r["rate_first_reason"]),
                      str(r["quality_cases_current_reason"]), pct(r["rate_current_reason"]),
                      "small sample" if r["small_sample"] else "")
    out.print(table)


def register(root: typer.Typer) -> None:
    from ..channels.exportfile.cli import import_app

    root.add_typer(app, name="aftersales")
    import_app.command("aftersales")(import_aftersales)
    root.command("quality-rate")(quality_rate)
