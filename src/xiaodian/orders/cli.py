"""``xiaodian orders search|show``: the order list and one order, as text or JSON."""

from __future__ import annotations

import json
from datetime import date

import typer
from rich.console import Console
from rich.table import Table

from ..bootstrap import default_shop_id, desk_shops, open_context
from ..cli_tables import add_columns
from ..clock import check_filter_range, plausible_date
from ..errors import DomainError, ValidationFailed
from ..orders.domain import ADDRESS_FILTERS, FILTER_YEARS, FLAG_FILTERS, TABS
from ..web.i18n import label
from . import service
from .queries import OrderFilter

orders_app = typer.Typer(no_args_is_help=True, help="Find and show orders")
out = Console()


def _yuan(fen: int) -> str:
    return f"¥{fen / 100:,.2f}"


@orders_app.command("search")
def search(
    query: str = typer.Argument(None, help="order id, phone, last 4 digits, tracking number or product text"),
    status: str = typer.Option("all", "--status", help="tab: " + ", ".join(TABS)),
    created_from: str = typer.Option(None, "--created-from", help="YYYY-MM-DD (shop time)"),
    created_to: str = typer.Option(None, "--created-to", help="YYYY-MM-DD (shop time)"),
    flag: str = typer.Option(None, "--flag", help="the merchant's flag: any, or " + ", ".join(FLAG_FILTERS[1:])),
    address_changed: str = typer.Option(None, "--address-changed", help="改地址: to_ship (still to ship) or any"),
    limit: int = typer.Option(20, "--limit", min=1, max=200),
    view: str = typer.Option(None, "--view", help="shipping view, most urgent first: awaiting, due24h, overdue"),
    sort: str = typer.Option("ship_by", "--sort", help="with --view: ship_by (most urgent first) or created (placed "
                             "first)"),
    shop: str = typer.Option(None, "--shop", help="a shop id (see `xiaodian orders shops`) or all; default: the "
                             "desk's default shop"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Search orders, newest first (a --view: by ship-by, most urgent first). Over all shops each order carries
    its shop_id."""
    from ..cli import fail

    if status not in TABS:
        fail(f"--status must be one of {', '.join(TABS)}", 2)
    if flag is not None and flag not in FLAG_FILTERS:
        fail(f"--flag must be one of {', '.join(FLAG_FILTERS)}", 2)
    if address_changed is not None and address_changed not in ADDRESS_FILTERS:
        fail(f"--address-changed must be one of {', '.join(ADDRESS_FILTERS)}", 2)
    if view is not None and view not in ("awaiting", "due24h", "overdue"):
        fail("--view must be one of awaiting, due24h, overdue", 2)
    if sort not in ("ship_by", "created"):
        fail("--sort must be one of ship_by, created", 2)
    try:
        flt = OrderFilter(query=query, tab=status, created_from=_date(created_from, "--created-from"),
                          created_to=_date(created_to, "--created-to"), page=1, page_size=200, flag=flag,
                          address_changed=address_changed)
        check_filter_range("--created-from", flt.created_from, "--created-to", flt.created_to)
    except (ValueError, ValidationFailed) as exc:
        fail(str(exc), 2)
    ctx = open_context()
    shop_id = shop_option(ctx, shop, allow_all=True)
    flt.view, flt.now, flt.view_sort = view, ctx.clock.now(), sort
    with ctx.sessions() as session:
        page = service.list_orders(session, shop_id=shop_id, flt=flt, cipher=ctx.cipher)
    orders = page.orders[:limit]
    # PostgreSQL stops counting a very common product-text match at a cap (search_index.COUNT_CAP): the total is then
    # "at least", said as the API says it (total_is_capped) and as the web list does ("10,000+"), never as exact
    # (QA 5 E5). Counting on would cost the search what the cap saves.
    if as_json:
        typer.echo(json.dumps({"total": page.total, "total_is_capped": page.total_is_capped,
                               "orders": [o.model_dump() for o in orders]}, ensure_ascii=False))
        return
    several = shop_id == service.ALL_SHOPS
    table = Table(title=f"{page.total:,}{'+' if page.total_is_capped else ''} orders", show_lines=False)
    # A --view is sorted by ship-by: show it and the time left, as /shipping does (QA pass 11, #6), or the table reads
    # as if sorted by "created". Sorted by ship-by, the placing time gives way to them (an 80-column pipe is narrow).
    deadline = ("ship-by", "left") if view is not None else ()
    created = ("created",) if view is None or sort == "created" else ()
    add_columns(table, (("shop",) if several else ()) + ("order id", *created, *deadline, "items", "amount", "buyer",
                                                        "status"))
    for o in orders:
        items = "；".join(f"{i.product_name} ×{i.quantity}" for i in o.items)
        due = (_short_time(o.ship_by), _time_left(o.ship_by, flt.now)) if view is not None else ()
        placed = ((o.created_at or "")[5:16].replace("T", " "),) if created else ()
        table.add_row(*((str(o.shop_id),) if several else ()), o.order_id, *placed, *due, items[:40],
                      _yuan(o.pay_amount_fen), o.buyer.phone_masked or "", label("status", o.status))
    out.print(table)


def _short_time(value: str | None) -> str:
    """An ISO time in the shop's zone as the lists show it: 11-24 18:00."""
    return (value or "—")[5:16].replace("T", " ") if value else "—"


def _time_left(ship_by: str | None, now) -> str:
    """The time to the ship-by, or how long it is overdue: 5h20m, 2d3h, overdue 1h05m."""
    from datetime import datetime

    if not ship_by:
        return "—"
    seconds = int((datetime.fromisoformat(ship_by) - now).total_seconds())
    span = abs(seconds) // 60
    days, hours, minutes = span // 1440, span % 1440 // 60, span % 60
    text = f"{days}d{hours}h" if days else f"{hours}h{minutes:02d}m"
    return f"overdue {text}" if seconds < 0 else text


@orders_app.command("show")
def show(order_id: str,
         shop: str = typer.Option(None, "--shop", help="the order's shop id; default: every shop, the default "
                                  "shop's order first when two shops share the id"),
         as_json: bool = typer.Option(False, "--json")) -> None:
    """One order with its items, buyer (masked), tracking and timeline."""
    from ..cli import fail

    ctx = open_context()
    try:
        if shop is not None:
            shops, prefer = shop_option(ctx, shop, allow_all=False), None
        else:
            shops, prefer = service.ALL_SHOPS, default_shop_id(ctx)
        with ctx.sessions() as session:
            detail = service.order_detail(session, shop_id=shops, order_id=order_id.strip(), prefer=prefer,
                                          now=ctx.clock.now())
    except DomainError as exc:
        if exc.code == "order_ambiguous":
            fail(f"{exc.message}: shops {', '.join(map(str, exc.details['shops']))}")
        fail(exc)
    if as_json:
        typer.echo(json.dumps(detail.model_dump(), ensure_ascii=False))
        return
    _print_detail(detail)


def _print_detail(detail) -> None:
    """The order as a clerk at a terminal needs it: what the page's header, deadline, parcels, notes and timeline
    say (QA: the text view left out the ship-by, tracking, notes, flag and after-sale state that --json has)."""
    from rich.markup import escape

    from ..web.templating import shop_time
    from .event_lines import describe_event

    def say(text: str) -> None:
        out.print(text, soft_wrap=True)  # a long title or timeline line stays one line, as grep expects

    def when(value) -> str:
        return shop_time(value, "%Y-%m-%d %H:%M:%S") if value else ""

    def line(name: str, value) -> None:
        if value not in (None, ""):
            say(f"  {name:<14}{escape(str(value))}")

    # Status words as `orders search` and the web show them, in the run's language (QA pass 11, #5); --json keeps codes.
    say(f"[bold]{detail.order_id}[/bold]  {label('status', detail.status)}  {_yuan(detail.pay_amount_fen)}"
              f"  (postage {_yuan(detail.post_amount_fen)})")
    for name, value in (("placed", detail.created_at), ("paid", detail.paid_at), ("ship by", detail.ship_by),
                        ("shipped", detail.shipped_at), ("completed", detail.completed_at),
                        ("cancelled", detail.cancelled_at)):
        line(name, when(value))
    line("ship-by rule", detail.ship_by_explanation)
    if detail.overdue:
        say("  [red]OVERDUE: past its ship-by and not shipped[/red]")
    if detail.violation is not None:
        line("violation", f"{detail.violation.kind}  -{detail.violation.points} points  "
                          f"compensation {_yuan(detail.violation.compensation_fen)}")
    for i in detail.items:
        say(f"  {escape(i.product_name)} {escape(i.spec or '')} ×{i.quantity}  {_yuan(i.amount_fen)}"
                  f"  [dim]{i.sku_order_id}[/dim]")
    b = detail.buyer
    line("buyer", f"{b.name_masked or ''} {b.phone_masked or ''} {b.province or ''}{b.city or ''}{b.district or ''}"
                  f" {b.address_masked or ''}".strip())
    if detail.address_changed_at:
        line("address", f"changed by the buyer at {when(detail.address_changed_at)}: check the label")
    for t in detail.tracking:
        line("tracking", f"{t.carrier or ''} {t.tracking_no}".strip())
    line("parcels", detail.logistics_state)
    line("after-sale", detail.after_sale_status)
    line("cancel reason", detail.cancel_reason)
    line("buyer note", detail.buyer_note)
    line("merchant note", detail.merchant_note)
    if detail.flag_colour:
        line("flag", detail.flag_colour)
    say("  timeline")
    for e in detail.events:
        move = (f"{label('status', e.from_status) + ' → ' if e.from_status else ''}{label('status', e.to_status)}"
                if e.to_status else "")
        facts = "  ".join(f"{name}: {value}" for name, value in describe_event(e.kind, e.detail))
        say(f"    {when(e.at)}  {e.kind}  {move}  {escape(facts)}  [dim]{label('via', e.source)}"
                  f"{' ' + escape(e.actor) if e.actor else ''}[/dim]".rstrip())


@orders_app.command("shops")
def shops(as_json: bool = typer.Option(False, "--json")) -> None:
    """The shops of this desk: the ids --shop takes (the first is the default shop); the same as `xiaodian shop
    list`."""
    from ..accounts.shops_cli import list_shops

    list_shops(as_json)


def shop_option(ctx, value: str | None, *, allow_all: bool, name: str = "--shop"):
    """--shop: a shop id of this desk, or all (where a list can show every shop); exit 2 otherwise. None: the
    default shop."""
    from ..cli import fail

    if value is None:
        return default_shop_id(ctx)
    value = value.strip().lower()
    if value == service.ALL_SHOPS and allow_all:
        return service.ALL_SHOPS
    if not (value.isascii() and value.isdigit()):
        fail(f"{name} must be a shop id{' or all' if allow_all else ''} (see `xiaodian shop list`), got {value!r}", 2)
    if not any(s.id == int(value) for s in desk_shops(ctx)):
        fail(f"{name}: no shop with id {value} (see `xiaodian shop list`)", 2)
    return int(value)


def _date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} must be a date like 2026-11-20, got {value!r}") from None
    if not plausible_date(parsed):
        raise ValueError(f"{name} must be between {FILTER_YEARS[0]} and {FILTER_YEARS[1]}, got {value!r}")
    return parsed


def register(app: typer.Typer) -> None:
    app.add_typer(orders_app, name="orders")
