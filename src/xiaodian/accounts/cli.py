"""CLI for people and credentials: ``xiaodian user …``, ``xiaodian token …``, ``xiaodian db upgrade``."""

from __future__ import annotations

import sys

import typer

from ..bootstrap import open_context
from ..db import transaction
from ..errors import DomainError
from . import service

user_app = typer.Typer(no_args_is_help=True, help="Users who log in to the desk")
token_app = typer.Typer(no_args_is_help=True, help="API tokens")
db_app = typer.Typer(no_args_is_help=True, help="Database schema")


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
    from ..cli import fail

    ctx = open_context()
    password = _read_password(password_stdin)
    try:
        with transaction(ctx.sessions) as session:
            service.add_user(session, login=login, password=password, role=role, now=ctx.clock.now(), display_name=name)
    except DomainError as exc:
        fail(exc)
    typer.echo(f"user {login} added (role {role})")


@token_app.command("create")
def token_create(login: str, name: str = typer.Option("cli", help="a name to recognise the token by")) -> None:
    """Create an API token for LOGIN and print it (shown once)."""
    from ..cli import fail

    ctx = open_context()
    try:
        with transaction(ctx.sessions) as session:
            user = service.require_user(session, login)
            row, secret = service.create_token(session, user, name, ctx.clock.now())
    except DomainError as exc:
        fail(exc)
    typer.echo(secret)
    typer.echo(f"token id {row.id} for {login}; it is shown only once", err=True)


@token_app.command("revoke")
def token_revoke(token_id: int) -> None:
    """Revoke an API token by id."""
    from ..cli import fail

    ctx = open_context()
    try:
        with transaction(ctx.sessions) as session:
            service.revoke_token(session, token_id, ctx.clock.now())
    except DomainError as exc:
        fail(exc)
    typer.echo(f"token {token_id} revoked")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
