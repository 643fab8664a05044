"""``xiaodian ask MESSAGE [--phone P] [--order ID] [--at TIME] [--json]`` and
``xiaodian inquiries eval [--set in_sample|holdout|fresh] [--cases FILE] [--errors] [--json]``.

Exit codes: 0 answered (or, for eval, every field met the target); 1 refused or below target; 2 bad usage.
"""

from __future__ import annotations

import json
from datetime import datetime

import typer
from rich.console import Console

from ..cli import ShopOption, fail
from ..errors import DomainError

out = Console()
err = Console(stderr=True)
inquiries_app = typer.Typer(no_args_is_help=True, help="Buyer inquiry assistant")



def ask(
    message: str = typer.Argument(..., help="the buyer's message, Chinese or English"),
    phone: str = typer.Option(None, "--phone",
                              help="the buyer's phone: 11 digits, the last 4, or masked (178****3424)"),
    order: str = typer.Option(None, "--order", help="an order number the buyer gave"),
    at: str = typer.Option(None, "--at", help="when the message was sent, ISO 8601 with offset (default now)"),
    as_json: bool = typer.Option(False, "--json"),
    shop: ShopOption = None,
) -> None:
    """Understand a buyer's message and answer it from the order data."""
    from ..accounts.cli import cli_principal
    from ..bootstrap import default_shop_id, open_context
    from ..db import transaction
    from . import service
    from .schemas import answer_out

    when = None
    if at:
        try:
            when = datetime.fromisoformat(at)
        except ValueError:
            fail(DomainError("--at: use ISO 8601, e.g. 2026-11-24T18:00:00+08:00", code="usage"), 2)
        if when.tzinfo is None:
            fail(DomainError("--at needs a UTC offset, e.g. +08:00", code="usage"), 2)
    ctx = open_context()
    try:
        shop_id = default_shop_id(ctx, shop)
        with transaction(ctx.sessions) as session:
            result = answer_out(service.answer(session, cli_principal(), shop_id=shop_id, message=message,
                                               phone=phone, order_id=order, at=when, now=ctx.clock.now(),
                                               cipher=ctx.cipher))
    except DomainError as exc:
        fail(exc, 2 if exc.code == "validation_failed" else 1)
    finally:
        ctx.engine.dispose()
    if as_json:
        typer.echo(json.dumps(result.model_dump(), ensure_ascii=False))
        return
    e = result.entities
    out.print(f"[bold]{result.intent}[/bold] ({result.language})  date {e.date_from or '-'}"
              f"{'' if e.date_to == e.date_from else ' → ' + str(e.date_to)}  product {e.product or '-'}  "
              f"qty {e.quantity or '-'}  order {e.order_id or '-'}  last4 {e.phone_last4 or '-'}", highlight=False)
    for m in result.matches:
        out.print(f"  {m.order_id}  {m.score:>3}  {m.status:<18} {'; '.join(m.why)}", highlight=False)
    out.print(f"[bold]{result.diagnosis.code}[/bold]  " + json.dumps(result.diagnosis.facts, ensure_ascii=False),
              highlight=False)
    out.print(result.reply, highlight=False)


@inquiries_app.command("eval")
def evaluate(
    which: str = typer.Option("in_sample", "--set",
                              help="built-in set: in_sample (written with the rules), holdout or fresh "
                              "(written after)"),
    cases: str = typer.Option(None, "--cases", help="another labelled set (JSON lines); overrides --set"),
    as_json: bool = typer.Option(False, "--json"),
    show_errors: bool = typer.Option(False, "--errors", help="list every wrong field"),
) -> None:
    """Accuracy per field on a labelled set, against the fixed evaluation shop (built in a temporary database)."""
    from .evaluation import SETS, TARGET, run

    name = which.replace("-", "_")
    if cases is None and name not in SETS:
        fail(DomainError(f"--set: one of {', '.join(SETS)}", code="usage"), 2)
    report = run(cases or SETS[name])
    if as_json:
        typer.echo(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        out.print(f"{report.total} labelled messages ({cases or name}), shop built for {report.now}",
                  highlight=False)
        for field, (right, total) in report.fields.items():
            share = right / total if total else 1.0
            mark = "[green]ok[/green]" if share >= TARGET else "[red]below target[/red]"
            out.print(f"  {field:<12} {right:>4}/{total:<4} {share:7.1%}  {mark}", highlight=False)
        if show_errors:
            for case_id, field, expected, got in report.errors:
                out.print(f"  ✗ {case_id} {field}: expected {expected!r}, got {got!r}", highlight=False)
    raise typer.Exit(0 if report.meets(TARGET) else 1)


def register(app: typer.Typer) -> None:
    app.command("ask")(ask)
    app.add_typer(inquiries_app, name="inquiries")
