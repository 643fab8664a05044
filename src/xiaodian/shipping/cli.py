"""``xiaodian ship``, ``xiaodian ship-template``, ``xiaodian correct-tracking``, ``xiaodian reminders list|ack``,
``xiaodian scan deadlines``, ``xiaodian violations``, ``xiaodian forecast``, ``xiaodian worker``.

Exit codes: 0 done; 1 refused (a message says why) or, for a file, some rows rejected; 2 bad usage or an
unreadable file (nothing changed)."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ..cli import ShopOption, fail, missing_file
from ..cli_tables import add_columns
from ..errors import DomainError

out = Console()
err = Console(stderr=True)
scan_app = typer.Typer(no_args_is_help=True, help="Run background scans by hand")



def _in_transaction(action, shop: int | None = None):
    """Run ``action(session, shop_id, now)`` as one transaction on a fresh context, in the shop --shop names (else
    the default shop); a refused action or an unknown shop prints the reason (JSON too with --json) and exits 1.
    The engine is disposed either way."""
    from ..bootstrap import default_shop_id, open_context
    from ..db import transaction

    ctx = open_context()
    try:
        with transaction(ctx.sessions) as session:
            return action(session, default_shop_id(ctx, shop), ctx.clock.now())
    except DomainError as exc:
        fail(exc)
    finally:
        ctx.engine.dispose()


def _shop_id(ctx, shop: int | None) -> int:
    """The shop --shop names (else XIAODIAN_SHOP, else the first); one the desk lacks is refused, exit 1."""
    from ..bootstrap import default_shop_id

    try:
        return default_shop_id(ctx, shop)
    except DomainError as exc:
        fail(exc)


def ship(
    order_id: str = typer.Argument(None, help="order id (omit with --file)"),
    carrier: str = typer.Option(None, "--carrier", help="carrier code or name, e.g. shunfeng / 顺丰速运"),
    tracking: str = typer.Option(None, "--tracking", help="tracking number"),
    items: str = typer.Option(None, "--items", help="SKU order ids to ship, comma-separated (partial shipment)"),
    confirm_warnings: bool = typer.Option(False, "--confirm-warnings", help="ship although the number looks unusual "
                                          "(with --file: every such row; without it they are held back)"),
    confirm_address_change: bool = typer.Option(False, "--confirm-address-change",
                                                help="the buyer changed the address: the label has the new one "
                                                     "(with --file: every such row; without it they are held back)"),
    file: Path = typer.Option(None, "--file", help="bulk-ship file: 订单号, 快递公司, 快递单号 (CSV or XLSX)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="with --file: verdict per row, change nothing"),
    as_json: bool = typer.Option(False, "--json"),
    shop: ShopOption = None,
) -> None:
    """Ship one order (carrier + tracking number), or every row of a bulk-ship file."""
    from ..accounts.cli import cli_principal
    from ..bootstrap import open_context
    from ..db import transaction
    from . import service
    from .bulk import Confirmed, ship_file

    if file is None and (not order_id or not carrier or tracking is None):
        fail(DomainError("give ORDER_ID --carrier CODE --tracking NO, or --file FILE", code="usage"), 2)
    if file is not None and not file.is_file():
        fail(missing_file(file), 2)
    ctx = open_context()
    principal = cli_principal()
    try:
        shop_id = _shop_id(ctx, shop)
        if file is not None:
            try:
                report = ship_file(ctx.sessions, shop_id=shop_id, path=file, principal=principal,
                                   now=ctx.clock.now(), dry_run=dry_run,
                                   confirmed=Confirmed(confirm_address_change, confirm_warnings))
            except DomainError as exc:
                if exc.code == "file_empty":  # the reader speaks of an import; this is a bulk-ship file
                    exc = DomainError(f"bulk-ship file {file.name}: "
                                      + exc.message.replace("nothing to import", "nothing to ship"),
                                      code=exc.code, details=exc.details)
                fail(exc, 2)
            if as_json:
                typer.echo(json.dumps(_bulk_json(report), ensure_ascii=False))
            else:
                _print_bulk(report, file)
            raise typer.Exit(report.exit_code)
        req = service.ShipRequest(order_id.strip(), carrier, tracking,
                                  None if items is None else [s for s in items.split(",") if s.strip()],
                                  confirm_warnings, confirm_address_change)
        try:
            with transaction(ctx.sessions) as session:
                result = service.ship_order(session, shop_id=shop_id, req=req, principal=principal,
                                            now=ctx.clock.now())
        except DomainError as exc:
            fail(exc)
    finally:
        ctx.engine.dispose()
    if as_json:
        typer.echo(json.dumps(result.as_json(), ensure_ascii=False))
    else:
        out.print(f"{result.order_id} → {result.status}  {result.carrier_code} {result.tracking_no}")
        if result.violation:
            out.print(f"[yellow]late: {result.violation['late_by_seconds'] // 60} min after ship-by[/yellow]")


def _bulk_json(report) -> dict:
    """The bulk report as scripts read it. "shipped" stays (scripts rely on it) but in a preview it counts the rows
    that WOULD ship: "would_ship" and "changed" say so without reading "dry_run" (QA pass 11, #12)."""
    data = report.as_json()
    data["would_ship"] = report.shipped if report.dry_run else 0
    data["changed"] = not report.dry_run and report.shipped > 0
    return data


def _print_bulk(report, file: Path) -> None:
    table = Table(title=f"{file.name}: {'preview, nothing changed' if report.dry_run else 'shipped'}")
    table.add_column("")
    table.add_column("rows", justify="right")
    for name, value in (("would ship" if report.dry_run else "shipped", report.shipped),
                        ("unchanged", report.count("unchanged")), ("skipped", report.count("skipped")),
                        ("warnings", report.count("warning")), ("held (not confirmed)", len(report.held)),
                        ("rejected", len(report.rejected))):
        table.add_row(name, str(value))
    out.print(table)
    for r in [r for r in report.rows if r.verdict in ("error", "held", "warning")][:50]:
        out.print(f"  row {r.row} {r.verdict}: {r.code} {r.message}")


@scan_app.command("deadlines")
def scan_deadlines(full: bool = typer.Option(True, "--full/--incremental", help="scan everything (default)"),
                   as_json: bool = typer.Option(False, "--json")) -> None:
    """Derive missing ship-by times, record violations and due-soon reminders (idempotent)."""
    from ..bootstrap import open_context
    from .jobs import scan_all_shops

    ctx = open_context()
    try:
        reports = scan_all_shops(ctx.sessions, ctx.clock.now(), full=full, holder="cli")
    finally:
        ctx.engine.dispose()
    if as_json:
        typer.echo(json.dumps({"shops": [r.as_json() for r in reports]}, ensure_ascii=False))
        return
    for r in reports:
        state = "skipped (another worker is scanning)" if r.skipped else (
            f"ship-by derived {r.derived}, overdue {r.overdue}, late shipped {r.late_shipped}, "
            f"reminders {r.reminders} in {r.seconds:.2f}s")
        out.print(f"shop {r.shop_id}: {state}")


def violations(since: str = typer.Option(None, "--since", help="ship-by on or after YYYY-MM-DD (shop day)"),
               limit: int = typer.Option(500, "--limit", min=1, max=5000),
               as_json: bool = typer.Option(False, "--json"), shop: ShopOption = None) -> None:
    """Late-shipment violations with points and compensation (defaults are assumptions)."""
    from ..bootstrap import open_context
    from ..clock import SHOP_TZ
    from .reports import violations_report

    start = None
    if since:
        try:
            start = datetime.combine(date.fromisoformat(since), time(0), tzinfo=SHOP_TZ)
        except ValueError:
            fail(DomainError(f"--since must be a date like 2026-11-20, got {since!r}", code="usage"), 2)
    ctx = open_context()
    try:
        with ctx.sessions() as session:
            data = violations_report(session, _shop_id(ctx, shop), start, limit, now=ctx.clock.now())
    finally:
        ctx.engine.dispose()
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    money = data["compensation_fen"] / 100
    table = Table(title=f"{data['total']} violations · {data['points']} points · ¥{money:,.2f}")
    add_columns(table, ("order id", "kind", "ship-by", "late", "points", "compensation"))
    for v in data["violations"]:
        table.add_row(v["order_id"], v["kind"], (v["ship_by"] or "")[:16].replace("T", " "),
                      f"{v['late_by_seconds'] // 3600}h{v['late_by_seconds'] % 3600 // 60:02d}m", str(v["points"]),
                      f"¥{v['compensation_fen'] / 100:.2f}")
    out.print(table)
    out.print("[dim]points and compensation are configurable defaults (assumptions), not platform figures[/dim]")


def _capacity(value: float | None):
    from . import forecast as fc

    try:
        return None if value is None else fc.capacity_value(value)
    except ValueError as exc:
        fail(f"--capacity: {exc}", 2)  # bad usage, as --capacity 0 (QA pass 11, #7)


def forecast(capacity: float = typer.Option(None, "--capacity", min=0.1, max=100_000,
                                           help="orders packed per hour, at most one decimal (0.3)"),
             limit: int = typer.Option(50, "--limit", min=0, max=2000, help="pick-list rows"),
             within: int = typer.Option(None, "--within", min=1, max=24 * 366,
                                        help="pick list of the orders overdue or due within this many hours only "
                                             "(the page's default is 48); the plan still counts every order"),
             aftersale_sends: bool = typer.Option(True, "--aftersale-sends/--no-aftersale-sends",
                                                  help="list the after-sale goods to send the buyer (exchange, "
                                                       "re-send) by deadline among the orders, as the printed pick "
                                                       "list does"),
             as_json: bool = typer.Option(False, "--json"), shop: ShopOption = None) -> None:
    """Which awaiting orders will miss their ship-by at this packing pace, and the ship-first pick list (with the
    after-sale goods to send, as the printed pick list has them: QA pass 15, #3)."""
    from ..bootstrap import open_context
    from .reports import cases_to_send, forecast_report

    ctx = open_context()
    try:
        with ctx.sessions() as session:
            shop_id, now = _shop_id(ctx, shop), ctx.clock.now()
            sends = cases_to_send(session, shop_id, now) if aftersale_sends else ()
            data = forecast_report(session, shop_id, now, _capacity(capacity), limit, within_hours=within,
                                   sends=sends)
    finally:
        ctx.engine.dispose()
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    out.print(data["summary"])
    for i, p in enumerate(data["pick_list"], start=1):
        mark = "overdue" if p["already_overdue"] else ("MISS" if p["misses"] else "")
        moved = "  address changed" if p["address_changed"] else ""
        due = (p["ship_by"] or "")[:16].replace("T", " ") or "none"
        if p.get("aftersale_id"):
            out.print(f"{i:>4}. after-sale {p['case_type']} {p['aftersale_id']} (order {p['order_id']})  "
                      f"deadline {due}  {mark}", soft_wrap=True)
        else:
            out.print(f"{i:>4}. {p['order_id']}  ship-by {due}  {mark}{moved}")
        for item in p["items"]:
            after_sale = f"  [after-sale: {item['after_sale_status']}]" if item["after_sale_status"] else ""
            out.print(f"        {_item_text(item)} ×{item['quantity']}{after_sale}", markup=False, soft_wrap=True)
        for label, key in (("buyer note", "buyer_note"), ("merchant note", "merchant_note")):
            if p[key]:
                out.print(f"        {label}: {p[key]}", markup=False, soft_wrap=True)
    if data["later"]:
        out.print(f"{data['later']} more orders have a ship-by after {data['until'][:16].replace('T', ' ')}: "
                  "not on this list")
    if data["later_sends"]:
        out.print(f"{data['later_sends']} more after-sales to send are due after "
                  f"{data['until'][:16].replace('T', ' ')}: not on this list")
    if data["pick_totals"]:
        out.print("pick totals (the orders above):")
        for t in data["pick_totals"]:
            code = f"  [{t['merchant_code']}]" if t["merchant_code"] else ""
            orders = "1 order" if t["orders"] == 1 else f"{t['orders']} orders"
            out.print(f"  {t['quantity']:>5} × {_item_text(t)}{code}  ({orders})", markup=False, soft_wrap=True)
    if data["refund_pending"]:
        out.print(f"not planned, refund pending (do not pack; decide in after-sales first): {data['refund_pending']}")
        for h in data["refund_pending_orders"]:
            mark = "  overdue" if h["already_overdue"] else ""
            out.print(f"        {h['order_id']}  ship-by {h['ship_by'][:16].replace('T', ' ')}{mark}")
        if data["refund_pending"] > len(data["refund_pending_orders"]):
            out.print(f"        and {data['refund_pending'] - len(data['refund_pending_orders'])} more (--limit)")


def _item_text(item: dict) -> str:
    return f"{item['product_name']} {item['spec']}" if item["spec"] else item["product_name"]


def ship_template(output: Path = typer.Argument(..., help="the XLSX file to write"),
                  view: str = typer.Option("awaiting", "--view",
                                           help="awaiting (待发货: 备货中 and 部分发货), due24h or overdue"),
                  query: str = typer.Option(None, "--query", help="only the view's orders this search finds, e.g. a "
                                            "product packed together (as `orders search`)"),
                  shop: ShopOption = None) -> None:
    """Write the bulk-ship template: the view's orders, most urgent first, 快递公司 and 快递单号 left to fill in;
    `xiaodian ship --file` takes it back (blank rows are skipped)."""
    from ..bootstrap import open_context
    from .queries import VIEWS
    from .template import bulk_template

    if view not in VIEWS:
        fail(DomainError(f"--view must be one of {', '.join(VIEWS)}", code="usage"), 2)
    ctx = open_context()
    try:
        with ctx.sessions() as session:
            data, count = bulk_template(session, _shop_id(ctx, shop), view, ctx.clock.now(), query,
                                        ctx.cipher)
    finally:
        ctx.engine.dispose()
    try:
        output.write_bytes(data)
    except OSError as exc:  # a folder that does not exist or is not writable: say so, as `export orders` does
        fail(DomainError(f"cannot write {output}: {exc.strerror or exc}", code="cannot_write"), 2)
    out.print(f"{count} orders written to {output}")


def correct_tracking(
    order_id: str = typer.Argument(..., help="order id"),
    old: str = typer.Option(None, "--old", help="the package's current (wrong) tracking number"),
    shipment: int = typer.Option(None, "--shipment", help="or the package's shipment id"),
    carrier: str = typer.Option(..., "--carrier", help="carrier code or name, e.g. shunfeng / 顺丰速运"),
    tracking: str = typer.Option(..., "--tracking", help="the right tracking number"),
    reason: str = typer.Option(..., "--reason", help="why (kept in the order's timeline and the audit log)"),
    confirm_warnings: bool = typer.Option(False, "--confirm-warnings", help="save although the number looks unusual"),
    as_json: bool = typer.Option(False, "--json"),
    shop: ShopOption = None,
) -> None:
    """Correct a mistyped tracking number on one package (until the carrier has scanned it)."""
    from ..accounts.cli import cli_principal
    from .corrections import correct_tracking as correct

    if (old is None) == (shipment is None):
        fail(DomainError("give the package: --old NUMBER or --shipment ID", code="usage"), 2)
    result = _in_transaction(lambda session, shop_id, now: correct(
        session, shop_id=shop_id, order_id=order_id, shipment_id=shipment, old_tracking_no=old, carrier=carrier,
        tracking_no=tracking, reason=reason, confirm_warnings=confirm_warnings, principal=cli_principal(), now=now),
        shop)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
    else:
        b, a = result["before"], result["after"]
        out.print(f"{result['order_id']}: {b['carrier']} {b['tracking_no']} → {a['carrier']} {a['tracking_no']}",
                  highlight=False)


reminders_app = typer.Typer(no_args_is_help=True, help="Deadline reminders (due within 6 h / 2 h, overdue)")


@reminders_app.command("list")
def reminders_list(limit: int = typer.Option(100, "--limit", min=1, max=5000),
                   as_json: bool = typer.Option(False, "--json"), shop: ShopOption = None) -> None:
    """Orders with an open reminder, one line each at its most pressing one, most pressing first (overdue, due
    within 2 h, within 6 h); "earlier" counts the order's less pressing open reminders it stands for."""
    from ..bootstrap import open_context
    from .reminders import reminders_report

    ctx = open_context()
    try:
        with ctx.sessions() as session:
            data = reminders_report(session, _shop_id(ctx, shop), limit)
    finally:
        ctx.engine.dispose()
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    table = Table(title=f"{data['open']} orders with open reminders")
    add_columns(table, ("id", "kind", "order id", "ship-by", "earlier", "items"))
    for r in data["reminders"]:
        table.add_row(str(r["id"]), r["kind"], r["order_id"], r["ship_by"][:16].replace("T", " "),
                      str(r["superseded"] or ""), r["items"][:40])
    out.print(table)


@reminders_app.command("ack")
def reminders_ack(reminder_id: int = typer.Argument(..., help="reminder id (from `xiaodian reminders list`)"),
                  as_json: bool = typer.Option(False, "--json"), shop: ShopOption = None) -> None:
    """Acknowledge an order's reminder (someone has it in hand), with the order's earlier, less pressing ones."""
    from ..accounts.cli import cli_principal
    from .reminders import acknowledge

    result = _in_transaction(lambda session, shop_id, now: acknowledge(
        session, shop_id=shop_id, reminder_id=reminder_id, principal=cli_principal(), now=now), shop)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
    else:
        also = f" with {len(result['also_acknowledged'])} earlier" if result["also_acknowledged"] else ""
        out.print(f"reminder {result['id']} ({result['kind']}, order {result['order_id']}) acknowledged{also}")


def register(app: typer.Typer) -> None:
    from ..worker import worker

    app.command("ship")(ship)
    app.command("ship-template")(ship_template)
    app.command("correct-tracking")(correct_tracking)
    app.add_typer(reminders_app, name="reminders")
    app.add_typer(scan_app, name="scan")
    app.command("violations")(violations)
    app.command("forecast")(forecast)
    app.command("worker")(worker)
