"""CLI for people and credentials: ``xiaodian user …``, ``xiaodian token …``, ``xiaodian audit``, ``db upgrade``.

The CLI is run by whoever operates the machine, so it acts as an owner; the audit log records it as
``cli:<os user>`` through the ``cli`` channel.
"""

from __future__ import annotations

import getpass
import json
import sys
from datetime import date, datetime, time

import typer
from rich.console import Console
from rich.table import Table

from ..bootstrap import open_context
from ..clock import SHOP_TZ, iso
from ..db import transaction
from ..errors import DomainError
from . import audit, users
from .service import ROLES, Principal

user_app = typer.Typer(no_args_is_help=True, help="Users who log in to the desk")
token_app = typer.Typer(no_args_is_help=True, help="API tokens")
db_app = typer.Typer(no_args_is_help=True, help="Database schema")
out = Console()


def cli_principal() -> Principal:
    try:
        who = getpass.getuser()
    except Exception:  # no passwd entry (containers)
        who = "unknown"
    return Principal(user_id=None, login=f"cli:{who}"[:64], role="owner", channel="cli")


def _run(action):
    """Run one use case in a transaction; a refused action prints the reason and exits 1."""
    from ..cli import fail

    ctx = open_context()
    try:
        with transaction(ctx.sessions) as session:
            return action(session, ctx)
    except DomainError as exc:
        fail(exc)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the schema to the version this code needs."""
    from ..migrate import current_revision

    ctx = open_context(migrate=True)
    typer.echo(f"database at revision {current_revision(ctx.engine)}")


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return typer.prompt("password", hide_input=True, confirmation_prompt=True)


@user_app.command("add")
def user_add(
    login: str,
    role: str = typer.Option("owner", help="owner | cs | warehouse"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="read the password from standard input"),
    name: str = typer.Option(None, help="display name"),
) -> None:
    """Add a user who can log in."""
    password = _read_password(password_stdin)
    _run(lambda s, ctx: users.create_user(s, cli_principal(), login=login, password=password, role=role,
                                          now=ctx.clock.now(), display_name=name))
    typer.echo(f"user {login} added (role {role})")


@user_app.command("disable")
def user_disable(login: str) -> None:
    """Disable a user: their sessions end and their API tokens are revoked at once."""
    _run(lambda s, ctx: users.disable_user(s, cli_principal(), login=login, now=ctx.clock.now()))
    typer.echo(f"user {login} disabled; sessions ended and API tokens revoked")


@user_app.command("enable")
def user_enable(login: str) -> None:
    """Let a disabled user log in again (their old tokens stay revoked)."""
    _run(lambda s, ctx: users.enable_user(s, cli_principal(), login=login, now=ctx.clock.now()))
    typer.echo(f"user {login} enabled")


@user_app.command("role")
def user_role(login: str, role: str = typer.Argument(..., help=" | ".join(ROLES))) -> None:
    """Change a user's role (takes effect at their next login)."""
    _run(lambda s, ctx: users.change_role(s, cli_principal(), login=login, role=role, now=ctx.clock.now()))
    typer.echo(f"user {login} is now {role}")


@user_app.command("password")
def user_password(login: str, password_stdin: bool = typer.Option(False, "--password-stdin")) -> None:
    """Set a new password for a user (ends their sessions)."""
    password = _read_password(password_stdin)
    _run(lambda s, ctx: users.reset_password(s, cli_principal(), login=login, password=password,
                                             now=ctx.clock.now()))
    typer.echo(f"password of {login} changed")


@user_app.command("list")
def user_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """List users and their roles."""
    rows = _run(lambda s, ctx: [(u.login, u.role, u.disabled_at, u.created_at)
                                for u in users.list_users(s, cli_principal())])
    if as_json:
        typer.echo(json.dumps([{"login": l, "role": r, "disabled": d is not None, "created_at": iso(c)}
                               for l, r, d, c in rows], ensure_ascii=False))
        return
    table = Table()
    for col in ("login", "role", "state", "created (Beijing time)"):
        table.add_column(col)
    for login, role, disabled, created in rows:
        table.add_row(login, role, "disabled" if disabled else "active", iso(created)[:16])
    out.print(table)


@token_app.command("create")
def token_create(login: str, name: str = typer.Option("cli", "--name", help="a name to recognise the token by")) -> None:
    """Create an API token for LOGIN and print it (shown once; stored only as a hash)."""
    row_id, secret = _run(lambda s, ctx: (lambda r: (r[0].id, r[1]))(
        users.create_token(s, cli_principal(), login=login, name=name, now=ctx.clock.now())))
    typer.echo(secret)
    typer.echo(f"token id {row_id} for {login}; it is shown only once", err=True)


@token_app.command("revoke")
def token_revoke(token_id: int) -> None:
    """Revoke an API token by id."""
    _run(lambda s, ctx: users.revoke_token(s, cli_principal(), token_id=token_id, now=ctx.clock.now()))
    typer.echo(f"token {token_id} revoked")


@token_app.command("list")
def token_list(login: str = typer.Option(None, "--user"), as_json: bool = typer.Option(False, "--json")) -> None:
    """List API tokens (never their secrets)."""
    rows = _run(lambda s, ctx: [
        {"id": t.id, "login": owner, "name": t.name, "prefix": t.prefix, "created_at": iso(t.created_at),
         "last_used_at": iso(t.last_used_at), "revoked": t.revoked_at is not None}
        for t, owner in users.list_tokens(s, cli_principal(), login=login)])
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    table = Table()
    for col in ("id", "user", "name", "prefix", "created", "last used", "state"):
        table.add_column(col)
    table.caption = "times in Beijing time (UTC+8), as the desk shows every time"
    for r in rows:
        table.add_row(str(r["id"]), r["login"], r["name"], r["prefix"] + "…", (r["created_at"] or "")[:16],
                      (r["last_used_at"] or "never")[:16], "revoked" if r["revoked"] else "active")
    out.print(table)


def _since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        from ..cli import fail

        fail(f"--since must be a date (2026-11-20) or an ISO time, got {value!r}", 2)
    if isinstance(parsed, datetime) and len(value) <= 10:
        parsed = datetime.combine(date.fromisoformat(value), time.min)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=SHOP_TZ)


def audit_command(
    user: str = typer.Option(None, "--user", help="only this login"),
    since: str = typer.Option(None, "--since", help="YYYY-MM-DD (shop time) or ISO time"),
    action: str = typer.Option(None, "--action"),
    limit: int = typer.Option(200, "--limit", min=1, max=10000),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Read the audit log, newest first."""
    from ..web.audit_words import who  # the actor named as the web's audit page names it (QA pass 11, #13)

    flt = audit.AuditFilter(login=user, since=_since(since), action=action, limit=limit)
    total, entries = _run(lambda s, ctx: (lambda r: (r[0], [audit.entry_json(e) for e in r[1]]))(audit.search(s, flt)))
    if as_json:
        typer.echo(json.dumps({"total": total, "entries": entries}, ensure_ascii=False))
        return
    table = Table(title=f"{total} entries")
    for col in ("at", "who", "via", "action", "target", "change"):
        table.add_column(col)
    for e in entries:
        change = (f"{_readable(e['before'])} → {_readable(e['after'])}" if (e["before"] or e["after"])
                  else _readable(e["detail"]))
        table.add_row(e["at"][:19], who(e["login"], e["channel"]), e["channel"], e["action"],
                      f"{e['target_type'] or ''} {e['target_id'] or ''}", change[:120])
    out.print(table)


def _readable(value) -> str:
    """An audit entry's before/after/detail as a person reads it: ``code: not_found, identity: last4`` rather than a
    Python dict repr (QA pass 11, #13); --json keeps the structure."""
    if value is None or value == "":
        return ""
    if isinstance(value, dict):
        parts = ((key, f"({_readable(item)})" if isinstance(item, dict) else _readable(item))
                 for key, item in value.items())
        return ", ".join(f"{key}: {text}" for key, text in parts if text not in ("", "()"))
    if isinstance(value, list | tuple):
        return ", ".join(_readable(item) for item in value)
    return str(value)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
    from .shops_cli import shop_app

    app.add_typer(shop_app, name="shop")
    app.command("audit")(audit_command)
