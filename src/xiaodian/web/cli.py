"""``xiaodian serve`` and ``xiaodian demo``: run the desk (web app and, later, its jobs) in one process."""

from __future__ import annotations

import secrets
from pathlib import Path

import typer

from ..settings import Settings


def _serve(ctx, host: str, port: int, workers: int = 1, jobs: bool = True, trust_proxy: str | None = None) -> None:
    """The web app and, in this process, the background jobs (deadline scan every minute, issue 4).
    With several workers, uvicorn starts that many web processes (each builds its own context from the
    same settings); the jobs still run once, here, and coordinate through the database anyway.
    ``jobs=False`` (``--no-jobs``): web only, for deployments that run ``xiaodian worker`` apart, so a long
    scan never takes a web process's cores. ``trust_proxy``: the addresses of a reverse proxy (TLS in front of the
    desk) whose X-Forwarded-For and X-Forwarded-Proto are believed, so that the audit log and the login throttle see
    the address of the person signing in and cookies are marked Secure on https; headers from anyone else are ignored."""
    import gc
    import os

    import uvicorn

    from ..logs import configure_logging
    from ..worker import start_background
    from .app import create_app

    configure_logging()
    if jobs:
        start_background(ctx)
    # uvicorn's own access log prints query strings (phone searches); the desk logs requests without them.
    # log_config=None: uvicorn's own lines go through the desk's handler (logs.configure_logging, in each web process
    # too), with its timestamp and secret masking, instead of a format of uvicorn's without the time (QA pass 12, #5).
    options = dict(host=host, port=port, log_level="info", proxy_headers=bool(trust_proxy), access_log=False,
                   log_config=None)
    if trust_proxy:
        options["forwarded_allow_ips"] = trust_proxy
    if workers > 1:
        os.environ["XIAODIAN_DATABASE_URL"] = ctx.settings.database_url
        os.environ["XIAODIAN_DATA_DIR"] = str(ctx.settings.data_dir)
        uvicorn.run("xiaodian.web.asgi:create", factory=True, workers=workers, **options)
        return
    app = create_app(ctx)
    # Start-up objects (templates, mappers, catalogues) live for the whole process: freezing them keeps the
    # collector from walking them again and again (its pauses were most of the list's p99, benchmarks/).
    gc.collect()
    gc.freeze()
    uvicorn.run(app, **options)


def serve(host: str = typer.Option("127.0.0.1", "--host"), port: int = typer.Option(8000, "--port"),
          workers: int = typer.Option(1, "--workers", min=1, max=64, help="web processes (one per core)"),
          no_jobs: bool = typer.Option(False, "--no-jobs", help="web only: the background jobs run in `xiaodian "
                                       "worker` processes of their own"),
          trust_proxy: str = typer.Option(None, "--trust-proxy", help="behind a reverse proxy: its address(es), "
                                          "comma-separated, whose X-Forwarded-For / -Proto headers are believed")
          ) -> None:
    """Start the desk on an existing, migrated database."""
    from ..bootstrap import open_context

    _serve(open_context(), host, port, workers, jobs=not no_jobs, trust_proxy=trust_proxy)


def demo(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    orders: int = typer.Option(5000, "--orders", min=0, max=2_000_000, help="how many demo orders"),
    no_serve: bool = typer.Option(False, "--no-serve", help="build the demo database, then exit"),
    as_json: bool = typer.Option(False, "--json", help="quiet; print the logins as JSON"),
) -> None:
    """Build a fresh demo shop (a grain and produce store) in its own SQLite file, DATA_DIR/demo.db, and start the
    desk on it. It never writes to XIAODIAN_DATABASE_URL: building a demo wipes its database first."""
    import json
    import os

    from ..accounts import service as accounts
    from ..bootstrap import open_context
    from ..db import transaction
    from ..demo.shop import build_demo_shop

    base = Settings()
    data_dir = Path(base.data_dir)
    db_path = (data_dir / "demo.db").resolve()
    for suffix in ("", "-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    demo_url = f"sqlite:///{db_path}"
    settings = base.model_copy(update={"database_url": demo_url, "demo": True})
    given = os.environ.get("XIAODIAN_DATABASE_URL")
    if given and given != demo_url:
        # QA pass 7, #11: the demo went into SQLite while the operator meant PostgreSQL, and the next command on
        # the same environment found an empty database. The demo is never built in a database one names (it wipes
        # it first), so it says where it went and how to reach it.
        typer.echo(f"note: the demo is built in its own SQLite file, not in XIAODIAN_DATABASE_URL ({_masked(given)}); "
                   f"to run other commands on it: export XIAODIAN_DATABASE_URL={demo_url}", err=True)
    ctx = open_context(settings, migrate=True)
    logins = {"owner": "owner", "cs": "kefu", "warehouse": "cangku"}
    passwords = {}
    with transaction(ctx.sessions) as session:
        for role, login in logins.items():
            passwords[login] = "demo-" + secrets.token_urlsafe(9) + "7"
            accounts.add_user(session, login=login, password=passwords[login], role=role, now=ctx.clock.now())
    summary = build_demo_shop(ctx, orders=orders, progress=not as_json)
    if as_json:
        typer.echo(json.dumps({"database": str(db_path), "database_url": demo_url, "url": f"http://{host}:{port}",
                               "users": passwords,
                               "orders": summary["orders"]}, ensure_ascii=False))
    else:
        typer.echo(f"\n小店 demo shop ready: {summary['orders']} orders in {db_path}")
        typer.echo(f"(other commands on it: XIAODIAN_DATABASE_URL={demo_url})")
        typer.echo(f"Open http://{host}:{port} and log in:")
        for role, login in logins.items():
            typer.echo(f"  {role:<10} {login:<8} {passwords[login]}")
    if not no_serve:
        _serve(ctx, host, port)


def _masked(url: str) -> str:
    """A database URL without its password, for a message."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL at all: say nothing of it
        return "?"


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("demo")(demo)
