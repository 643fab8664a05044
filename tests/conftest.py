"""Shared fixtures: a migrated database per test on SQLite and PostgreSQL, a fixed clock, logged-in clients."""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text

from xiaodian.clock import FixedClock
from xiaodian.settings import Settings

# Property tests check rules, not speed: hypothesis's 200 ms deadline per example fails at random on a slow 2-core
# machine running the suite on both cores (speed is the benchmarks' to measure).
hypothesis_settings.register_profile("desk", deadline=None)
hypothesis_settings.load_profile("desk")

# The sample export in ../shared/samples was taken at this instant.
NOW = datetime.fromisoformat("2026-11-24T18:00:00+08:00")
REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO.parent / "shared" / "samples"
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
TEST_KEYS = {  # fixed test keys (base64url of 32 bytes); never used outside tests
    "pii_key": "dGVzdC1waWkta2V5LTAwMDAwMDAwMDAwMDAwMDAwMDA",
    "index_key": "dGVzdC1pbmRleC1rZXktMDAwMDAwMDAwMDAwMDAwMDA",
    "session_secret": "dGVzdC1zZXNzaW9uLXNlY3JldC0wMDAwMDAwMDAwMDA",
}


@pytest.fixture(autouse=True, scope="session")
def offline_douyin_gateway():
    """Connecting a shop asks the Douyin gateway for a token (channels/douyin/credentials.py): a test that does not
    start the local fake must never reach the real platform, so the default gateway is a closed local port (the
    connection is saved unchecked). Tests with the fake set its address, which wins."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XIAODIAN_DOUYIN_GATEWAY", os.environ.get("XIAODIAN_DOUYIN_GATEWAY", "http://127.0.0.1:9"))
        yield


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing():
    """argon2id as the desk runs it costs 50-250 ms a hash on a 2-core machine, and most tests add three users
    and log in: the suite hashes with one pass over 256 KiB instead (the same code path, the same argon2id
    format). tests/unit/test_password_hashing.py checks the standard figures; servers the tests start in their
    own process (browser tests, the demo) keep them."""
    from argon2 import PasswordHasher

    from xiaodian.accounts import passwords

    cheap = PasswordHasher(time_cost=1, memory_cost=256, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", cheap)
        patch.setattr(passwords, "_DUMMY_HASH", cheap.hash("not-a-real-password-0"))
        yield


def postgres_url() -> str:
    return os.environ.get("XIAODIAN_TEST_POSTGRES_URL", PG_DEFAULT)


def postgres_available() -> bool:
    try:
        engine = create_engine(postgres_url().replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def _require_postgres() -> None:
    if postgres_available():
        return
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required in CI but {postgres_url()} is not reachable")
    pytest.skip("PostgreSQL not reachable")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """One migrated SQLite file, copied for each test (running migrations per test is slow)."""
    from xiaodian.db import make_engine
    from xiaodian.migrate import upgrade

    path = tmp_path_factory.mktemp("template") / "template.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine, url)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database():
    """A throwaway PostgreSQL database for this test run, migrated once, dropped at the end."""
    _require_postgres()
    from xiaodian.db import make_engine
    from xiaodian.migrate import upgrade

    admin = create_engine(postgres_url().replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")
    name = f"xiaodian_test_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = postgres_url().rsplit("/", 1)[0]
    url = f"{base}/{name}"
    engine = make_engine(url)
    upgrade(engine, url)
    engine.dispose()
    yield url
    if url in _RESETS:
        _RESETS.pop(url)[0].dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


_RESETS: dict[str, tuple] = {}


def _truncate_postgres(url: str) -> None:
    """Empty every table and restart every sequence, as a fresh migrated database. DELETE with triggers and
    foreign keys switched off for the transaction (session_replication_role; the test server's user is a
    superuser) instead of TRUNCATE, which makes new files for each of the ~40 tables: 40 ms against 200 ms a
    test, paid by some 1,400 PostgreSQL tests. Tables come from the database itself, so a table a migration
    makes outside the models (order_search) is emptied too."""
    from xiaodian.db import make_engine

    if url not in _RESETS:
        engine = make_engine(url)
        with engine.connect() as conn:
            tables = conn.execute(text("SELECT table_name FROM information_schema.tables WHERE table_schema = "
                                       "'public' AND table_type = 'BASE TABLE' AND table_name <> 'alembic_version'"))
            sequences = conn.execute(text("SELECT sequence_name FROM information_schema.sequences "
                                          "WHERE sequence_schema = 'public'"))
            statements = ["SET LOCAL session_replication_role = replica"]
            statements += [f'DELETE FROM "{name}"' for name in sorted(tables.scalars())]
            statements += [f'ALTER SEQUENCE "{name}" RESTART' for name in sorted(sequences.scalars())]
        _RESETS[url] = (engine, ";".join(statements))
    engine, script = _RESETS[url]
    with engine.begin() as conn:
        conn.exec_driver_sql(script)


def make_settings(url: str, data_dir: Path, **extra) -> Settings:
    return Settings(database_url=url, data_dir=data_dir, now=NOW, **TEST_KEYS, **extra)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request) -> str:
    return request.param


@pytest.fixture
def database_url(backend, tmp_path, request) -> str:
    if backend == "sqlite":
        target = tmp_path / "desk.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite:///{target}"
    url = request.getfixturevalue("postgres_database")
    _truncate_postgres(url)
    return url


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    return make_settings(database_url, tmp_path / "data")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def ctx(settings, clock):
    """A ready AppContext (migrated database, default shop) on the parametrised backend."""
    from xiaodian.bootstrap import open_context

    context = open_context(settings, clock=clock)
    yield context
    context.engine.dispose()


@pytest.fixture
def cli_env(settings, monkeypatch):
    """The CLI pointed at this test's desk (its database, data folder, keys and NOW) through the environment, as a
    merchant's shell would be, with its commands registered. Yields the Typer app to invoke."""
    from xiaodian.cli import _register, app

    monkeypatch.setenv("XIAODIAN_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("XIAODIAN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("XIAODIAN_NOW", NOW.isoformat())
    for key, value in TEST_KEYS.items():
        monkeypatch.setenv(f"XIAODIAN_{key.upper()}", value)
    _register()
    return app


@pytest.fixture
def shop_id(ctx) -> int:
    from xiaodian.bootstrap import default_shop_id

    return default_shop_id(ctx)


PASSWORD = "Passw0rd-for-tests"


@pytest.fixture
def users(ctx):
    """One user per role: owner, cs, warehouse (login = role name)."""
    from xiaodian.accounts import service
    from xiaodian.db import transaction

    with transaction(ctx.sessions) as session:
        for role in service.ROLES:
            service.add_user(session, login=role, password=PASSWORD, role=role, now=ctx.clock.now())
    return {role: PASSWORD for role in service.ROLES}


@pytest.fixture
def app(ctx):
    from xiaodian.web.app import create_app

    return create_app(ctx)


def login(client, login_name: str, password: str = PASSWORD) -> None:
    """Log a TestClient in through the real login form (CSRF cookie included)."""
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post("/login", data={"login": login_name, "password": password, "csrf_token": token,
                                           "next": "/orders"}, follow_redirects=False)
    assert response.status_code == 303, response.text


def csrf_of(client, path: str = "/orders") -> str:
    html = client.get(path).text
    return html.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]


@pytest.fixture
def owner_client(app, users):
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        login(client, "owner")
        yield client


def cli_desk(tmp_path: Path, seed=None):
    """A migrated SQLite desk for CLI tests (optionally seeded by ``seed(ctx, shop_id)``) and a function that runs
    ``xiaodian ARGS…`` against it in-process, as a shell would with the XIAODIAN_* variables set."""
    from typer.testing import CliRunner

    from xiaodian.bootstrap import default_shop_id, open_context
    from xiaodian.cli import _register
    from xiaodian.cli import app as cli_app

    if not cli_app.registered_groups:  # the commands are registered by main(), which a test does not run
        _register()

    env = {"XIAODIAN_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "XIAODIAN_DATA_DIR": str(tmp_path / "data"),
           "XIAODIAN_NOW": NOW.isoformat(), **{f"XIAODIAN_{k.upper()}": v for k, v in TEST_KEYS.items()}}

    def run(*args):
        return CliRunner().invoke(cli_app, list(args), env=env)

    assert run("db", "upgrade").exit_code == 0
    if seed is not None:
        ctx = open_context(Settings(database_url=env["XIAODIAN_DATABASE_URL"], data_dir=env["XIAODIAN_DATA_DIR"],
                                    now=NOW, **TEST_KEYS))
        seed(ctx, default_shop_id(ctx))
        ctx.engine.dispose()
    return run


# ---------------------------------------------------------------- the demo shop, built once per worker

_DEMO_COPIES: dict[tuple[str, int], tuple[str, dict]] = {}


def _pristine(ctx) -> bool:
    """A freshly migrated desk with only its default shop: no user, order or shop more. Only such a desk may be
    replaced by a copy of a demo built on another pristine desk (a test that added users first keeps them)."""
    with ctx.engine.connect() as conn:
        return conn.execute(text("SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM orders) "
                                 "+ (SELECT count(*) FROM shops)")).scalar_one() <= 1


def _sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def _copy_demo_in(ctx, copy: str) -> None:
    """Replace the test's database with ``copy`` (a file for SQLite, a template database for PostgreSQL)."""
    url = ctx.settings.database_url
    ctx.engine.dispose()
    if ctx.settings.is_sqlite:
        target = _sqlite_path(url)
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copy(copy, target)
        return
    if url in _RESETS:
        _RESETS[url][0].dispose()
    name = url.rsplit("/", 1)[1]
    with _postgres_admin() as admin:
        admin.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{copy}"'))


def _keep_demo(ctx, orders: int) -> str:
    """Keep the demo just built in the test's database as a copy for the next tests: its file, or a template."""
    url = ctx.settings.database_url
    if ctx.settings.is_sqlite:
        with ctx.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        ctx.engine.dispose()
        copy = Path(_demo_folder()) / f"demo-{orders}.db"
        shutil.copy(_sqlite_path(url), copy)
        return str(copy)
    ctx.engine.dispose()
    if url in _RESETS:
        _RESETS[url][0].dispose()
    name = url.rsplit("/", 1)[1]
    copy = f"{name}_demo_{orders}"
    with _postgres_admin() as admin:
        admin.execute(text(f'DROP DATABASE IF EXISTS "{copy}"'))
        admin.execute(text(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"'))
    _DEMO_TEMPLATES.append(copy)
    return copy


_DEMO_TEMPLATES: list[str] = []
_DEMO_FOLDER: list[str] = []


def _demo_folder() -> str:
    if not _DEMO_FOLDER:
        import tempfile

        _DEMO_FOLDER.append(tempfile.mkdtemp(prefix="xiaodian-demo-copies-"))
    return _DEMO_FOLDER[0]


class _postgres_admin:
    """An autocommit connection to the test server's maintenance database (CREATE/DROP DATABASE)."""

    def __enter__(self):
        self.engine = create_engine(postgres_url().replace("postgresql://", "postgresql+psycopg://", 1),
                                    isolation_level="AUTOCOMMIT")
        self.conn = self.engine.connect()
        return self.conn

    def __exit__(self, *exc):
        self.conn.close()
        self.engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def _drop_demo_copies():
    yield
    if _DEMO_TEMPLATES:
        with _postgres_admin() as admin:
            for name in _DEMO_TEMPLATES:
                admin.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    if _DEMO_FOLDER:
        shutil.rmtree(_DEMO_FOLDER[0], ignore_errors=True)


@pytest.fixture
def built_demo(ctx):
    """``built_demo(orders)`` = ``build_demo_shop(ctx, orders=orders, progress=False)``, built once per worker,
    backend and size: the next test on a pristine desk gets a copy of the database the build left (the SQLite file;
    a PostgreSQL database made from it as a template) and the same summary. The demo is deterministic for the fixed
    clock and seed, so the copy is what a build would write; building it for each of some 100 inquiry tests cost
    minutes of CI. Tests of the build itself (tests/integration/test_demo_shop.py) call build_demo_shop."""
    import copy as copies

    from xiaodian.demo.shop import build_demo_shop

    def build(orders: int) -> dict:
        key = ("sqlite" if ctx.settings.is_sqlite else "postgres", orders)
        if not _pristine(ctx):
            return build_demo_shop(ctx, orders=orders, progress=False)
        if key in _DEMO_COPIES:
            kept, summary = _DEMO_COPIES[key]
            _copy_demo_in(ctx, kept)
            return copies.deepcopy(summary)
        summary = build_demo_shop(ctx, orders=orders, progress=False)
        _DEMO_COPIES[key] = (_keep_demo(ctx, orders), copies.deepcopy(summary))
        return summary

    return build
