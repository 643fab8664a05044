"""``xiaodian tracking import``, ``xiaodian track``, ``xiaodian scan logistics``, ``xiaodian anomalies [act]``,
``xiaodian logistics thresholds [--set FIELD=HOURS …] [--reset] [--json]``.

Exit codes: 0 done; 1 refused (a message says why) or, for a file, some rows rejected; 2 bad usage or an
unreadable file (nothing changed)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ..cli import ShopOption, fail, group_shop, missing_file
from ..cli_tables import add_columns
from ..clock import iso
from ..errors import DomainError
from ..web.i18n import words_language

out = Console()
err = Console(stderr=True)
tracking_app = typer.Typer(no_args_is_help=True, help="Tracking events: import a file of carrier scans")
anomalies_app = typer.Typer(help="Logistics anomalies: list them, act on one", invoke_without_command=True)
logistics_app = typer.Typer(no_args_is_help=True, help="Logistics settings: the shop's anomaly thresholds")



def _shop_id(ctx, shop: int | None) -> int:
    """The shop --shop names (else XIAODIAN_SHOP, else the first); one the desk lacks is refused, exit 1."""
    from ..bootstrap import default_shop_id

    try:
        return default_shop_id(ctx, shop)
    except DomainError as exc:
        fail(exc)


@tracking_app.command("import")
def import_file(file: Path = typer.Argument(..., help="CSV or XLSX: 快递单号, 快递公司, 时间, 状态码, 地点, 描述"),
                as_json: bool = typer.Option(False, "--json"), shop: ShopOption = None) -> None:
    """Import carrier scans for carriers without an integration (duplicates are ignored)."""
    from ..accounts.cli import cli_principal
    from ..bootstrap import open_context
    from .importfile import import_tracking_file

    if not file.is_file():
        fail(missing_file(file), 2)
    ctx = open_context()
    try:
        report = import_tracking_file(ctx.sessions, shop_id=_shop_id(ctx, shop), path=file,
                                      principal=cli_principal(), now=ctx.clock.now())
    except DomainError as exc:
        fail(exc, 2)
    finally:
        ctx.engine.dispose()
    if as_json:
        typer.echo(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        out.print(f"{file.name}: {report.rows} rows, {report.added} new scans, {report.duplicates} duplicates, "
                  f"{len(report.rejected)} rejected")
        for r in report.rejected[:50]:
            out.print(f"  row {r['row']} {r['column']}: {r['code']} {r['message']}")
    raise typer.Exit(report.exit_code)


def track(key: str = typer.Argument(..., help="order id or tracking number"),
          as_json: bool = typer.Option(False, "--json"), shop: ShopOption = None) -> None:
    """An order's packages: state, last successful poll, and every scan (newest first)."""
    from ..bootstrap import default_shop_id, open_context
    from ..db import transaction
    from .queries import order_tracking

    ctx = open_context()
    try:
        with transaction(ctx.sessions) as session:
            data = order_tracking(session, default_shop_id(ctx, shop), key, ctx.clock.now(), words_language())
    except DomainError as exc:
        fail(exc)
    finally:
        ctx.engine.dispose()
    for case in data["anomalies"]:
        case["order_id"] = data["order_id"]
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    out.print(f"[bold]{data['order_id']}[/bold]  {data['status']}")
    for p in data["packages"]:
        polled = p["last_polled_at"] or "never asked"
        out.print(f"  {p['carrier'] or '?'} {p['tracking_no']}  {p['state']}  (last poll: {polled})")
        for e in p["events"]:
            out.print(f"    {(e['at'] or '')[:16].replace('T', ' ')}  {e['location'] or ''}  {e['context']}")
    for a in data["anomalies"]:
        out.print(f"  [yellow]{a['kind']} {a['severity']} {a['status']}[/yellow] {a['evidence']}")


def scan_logistics(full: bool = typer.Option(True, "--full/--incremental", help="scan every watched parcel"),
                   as_json: bool = typer.Option(False, "--json")) -> None:
    """Run the anomaly detectors (idempotent): raise, escalate and self-resolve cases."""
    from ..bootstrap import open_context
    from .jobs import scan_all_shops
    from .service import live_tracking, thresholds_from

    ctx = open_context()
    try:
        reports = scan_all_shops(ctx.sessions, ctx.clock.now(), full=full, holder="cli",
                                 thresholds=thresholds_from(ctx.settings), tracked=live_tracking(ctx.settings))
    finally:
        ctx.engine.dispose()
    if as_json:
        typer.echo(json.dumps({"shops": [r.as_json() for r in reports]}, ensure_ascii=False))
        return
    for r in reports:
        out.print(f"shop {r.shop_id}: " + ("skipped (another worker is scanning)" if r.skipped else
                  f"{r.parcels} parcels, raised {r.raised}, escalated {r.escalated}, resolved {r.resolved}, "
                  f"reopened {r.reopened} in {r.seconds:.2f}s"))


@anomalies_app.callback()
def anomalies(ctx: typer.Context,
              status: str = typer.Option("open", "--status", help="open (being worked on) | all"),
              kind: str = typer.Option(None, "--kind", help="pickup_timeout, stalled, suspected_lost, …"),
              limit: int = typer.Option(5000, "--limit", min=1, max=5000, help="cases listed"),
              offset: int = typer.Option(0, "--offset", min=0, max=1_000_000_000,
                                         help="cases skipped first, to list past the limit"),
              as_json: bool = typer.Option(False, "--json"), shop: ShopOption = None) -> None:
    """List anomalies, most severe then oldest first: {id, order_id, tracking_no, carrier, kind, severity,
    status, detected_at, evidence, resend_of (an after-sale re-send: its case's id)}."""
    if ctx.invoked_subcommand is not None:
        return
    from ..bootstrap import open_context
    from .domain import AnomalyKind
    from .queries import AnomalyFilter, list_anomalies

    if status not in ("open", "all"):
        fail(DomainError("--status must be open or all", code="usage"), 2)
    if kind is not None and kind not in {k.value for k in AnomalyKind}:
        fail(DomainError(f"--kind must be one of {', '.join(k.value for k in AnomalyKind)}", code="usage"), 2)
    app_ctx = open_context()
    try:
        with app_ctx.sessions() as session:
            data = list_anomalies(session, _shop_id(app_ctx, shop),
                                  AnomalyFilter(status=status, kind=kind, limit=limit, offset=offset),
                                  words_language())  # the run's language (XIAODIAN_DEFAULT_LANGUAGE, QA 11 #5)
    finally:
        app_ctx.engine.dispose()
    keys = ("id", "order_id", "tracking_no", "carrier", "kind", "severity", "status", "detected_at", "evidence",
            "resend_of")
    rows = [{k: a[k] for k in keys} for a in data["anomalies"]]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    shown = f"{offset + 1}–{offset + len(rows)} of " if rows and (offset or len(rows) < data["total"]) else ""
    table = Table(title=f"{shown}{data['total']} anomalies")
    add_columns(table, ("id", "order id", "tracking", "kind", "severity", "status", "evidence"))
    for a in rows:
        tracking = a["tracking_no"] + (f" (补寄 {a['resend_of']})" if a["resend_of"] else "")
        table.add_row(a["id"], a["order_id"] or "", tracking, a["kind"], a["severity"], a["status"],
                      a["evidence"][:60])
    out.print(table)


@anomalies_app.command("act")
def act(command: typer.Context, anomaly_id: str = typer.Argument(...),
        action: str = typer.Argument(..., help="contacted_carrier | told_buyer | resolved | ignored"),
        note: str = typer.Option(None, "--note", help="what was done; the reason when ignoring"),
        until: str = typer.Option(None, "--until", help="ignored only: reopen then, e.g. 2026-11-26T09:00+08:00"),
        as_json: bool = typer.Option(False, "--json"), shop: ShopOption = None) -> None:
    """Move a case along the playbook; recorded with who did it."""
    from ..accounts.cli import cli_principal
    from ..bootstrap import default_shop_id, open_context
    from ..clock import SHOP_TZ
    from ..db import transaction
    from .queries import anomaly_detail, anomaly_json, resend_of
    from .service import act as act_on

    until_at = None
    if until:
        try:
            until_at = datetime.fromisoformat(until)
        except ValueError:
            fail(DomainError(f"--until must be a time like 2026-11-26T09:00, got {until!r}", code="usage"), 2)
        if until_at.tzinfo is None:
            until_at = until_at.replace(tzinfo=SHOP_TZ)  # a time without offset is the shop's
    shop = group_shop(command, shop)  # `anomalies --shop 2 act …` as well as `anomalies act … --shop 2`
    ctx = open_context()
    try:
        shop_id = default_shop_id(ctx, shop)
        with transaction(ctx.sessions) as session:
            act_on(session, shop_id=shop_id, anomaly_id=anomaly_id, action=action, principal=cli_principal(),
                   now=ctx.clock.now(), note=note, until=until_at)
            case, parcel, order, _ = anomaly_detail(session, shop_id, anomaly_id)
            data = anomaly_json(case, parcel, words_language(), order.order_id,
                                resend_of(session, [case.shipment_id]).get(case.shipment_id))
    except DomainError as exc:
        fail(exc)
    finally:
        ctx.engine.dispose()
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
    else:
        out.print(f"anomaly {data['id']} ({data['kind']}) → {data['status']}")


@logistics_app.command("thresholds")
def thresholds(set_: list[str] = typer.Option(None, "--set", help="FIELD=HOURS, repeatable: pickup_warning, "
                                              "pickup_timeout, pickup_serious, stalled_warning, stalled_timeout, "
                                              "stalled_serious, suspected_lost, locker_uncollected"),
               reset: bool = typer.Option(False, "--reset", help="back to the defaults (assumptions)"),
               as_json: bool = typer.Option(False, "--json"), shop: ShopOption = None) -> None:
    """Show the shop's anomaly thresholds (hours), or change them (owners; validated, audited; the next scan
    applies them to every watched parcel)."""
    from ..accounts.cli import cli_principal
    from ..bootstrap import default_shop_id, open_context
    from ..db import transaction
    from . import thresholds as shop_thresholds

    if set_ and reset:
        fail(DomainError("use --set or --reset, not both", code="usage"), 2)
    changes = {}
    for item in set_ or []:
        field, sep, hours = item.partition("=")
        if not sep:
            fail(DomainError(f"--set wants FIELD=HOURS, got {item!r}", code="usage"), 2)
        changes[field.strip()] = hours.strip()
    ctx = open_context()
    try:
        shop_id = default_shop_id(ctx, shop)
        with transaction(ctx.sessions) as session:
            if reset:
                view = shop_thresholds.reset_thresholds(session, shop_id=shop_id, principal=cli_principal(),
                                                        now=ctx.clock.now(), settings=ctx.settings)
            elif changes:
                view = shop_thresholds.update_thresholds(session, shop_id=shop_id, changes=changes,
                                                         principal=cli_principal(), now=ctx.clock.now(),
                                                         settings=ctx.settings)
            else:
                view = shop_thresholds.view(session, shop_id, ctx.settings)
    except DomainError as exc:
        fail(exc)
    finally:
        ctx.engine.dispose()
    if as_json:
        typer.echo(json.dumps(view.as_json(), ensure_ascii=False))
        return
    source = (f"the shop's own (set by {view.updated_by} at {iso(view.updated_at)[:16]})" if view.custom
              else "the defaults (assumptions)")
    table = Table(title=f"anomaly thresholds, hours: {source}")
    for col in ("field", "kind", "severity", "hours", "default (assumption)"):
        table.add_column(col)
    for field, (kind, grade) in shop_thresholds.FIELDS.items():
        table.add_row(field, kind, grade, shop_thresholds.format_hours(view.values[field]),
                      shop_thresholds.format_hours(view.defaults[field]))
    out.print(table)


def register(app: typer.Typer) -> None:
    from ..shipping.cli import scan_app

    app.add_typer(tracking_app, name="tracking")
    app.command("track")(track)
    scan_app.command("logistics")(scan_logistics)
    app.add_typer(anomalies_app, name="anomalies")
    app.add_typer(logistics_app, name="logistics")
