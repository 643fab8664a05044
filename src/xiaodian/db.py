"""Engine, sessions and the shared column types; SQLite and PostgreSQL behave the same through here."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from itertools import chain

from sqlalchemy import (BigInteger, DateTime, Integer, MetaData, Text, bindparam, create_engine, event, inspect, text,
                        type_coerce)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import QueuePool
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeDecorator

from .clock import iso, shop_iso_of_utc

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT on PostgreSQL, INTEGER on SQLite (so that SQLite primary keys stay rowid aliases).
BigId = BigInteger().with_variant(Integer(), "sqlite")
MAX_ROW_ID = 2 ** 63 - 1  # the largest id a BigId row can have; a larger one cannot exist


def row_id(value: object) -> int | None:
    """A row id given by a person (path segment, CLI argument): a positive whole number the database can hold,
    else None (the caller answers "not found"). Never an exception: 10**30 would overflow the SQLite driver."""
    text = str(value).strip() if value is not None else ""
    if not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if 0 < number <= MAX_ROW_ID else None


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class _SQLiteTimeText(sqlite.DATETIME):
    """DATETIME in the DDL, as before; values pass through untouched (UTCDateTime converts them itself)."""

    def bind_processor(self, dialect):
        return None

    def result_processor(self, dialect, coltype):
        return None


def stored_time_iso(value: str | datetime | None) -> str | None:
    """A UTC column's value as the driver returned it (``stored_time``) in the shop's ISO 8601, the ORDER JSON form:
    SQLite's text goes straight to the ISO text without an aware datetime in between (0.45 µs against 1.2 µs; a
    page of 50 orders shows ~300 times), anything else through ``UTCDateTime``'s own reading."""
    if value is None:
        return None
    if isinstance(value, str) and len(value) == 26 and value[10] == " ":  # UTCDateTime's own text: naive UTC
        try:
            return shop_iso_of_utc(datetime.fromisoformat(value))
        except ValueError:
            pass
    return iso(_read_utc(value, None))


def stored_time(column) -> ColumnElement:
    """A UTC column read as the driver returns it (text on SQLite, a datetime on PostgreSQL), without the
    conversion to an aware datetime: for reads that only show the time (``stored_time_iso``)."""
    return type_coerce(column, Text()).label(column.name)


class UTCDateTime(TypeDecorator):
    """Stores UTC; always hands back tz-aware UTC datetimes, on SQLite as on PostgreSQL.

    On SQLite the value is text, ``YYYY-MM-DD HH:MM:SS.ffffff`` in UTC (the format SQLAlchemy's SQLite DATETIME
    writes, so rows written before this type did its own conversion read and compare the same). It is converted
    here with the C ISO parser and formatter: the generic type's regex parsing and strftime cost 3.4 and 7.6 µs
    a value, ten times this, and every list page reads hundreds of times."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(_SQLiteTimeText())
        return dialect.type_descriptor(self.impl)

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"a datetime is needed for a UTC column, got {type(value).__name__}")
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.isoformat(" ", "microseconds")[:26]
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value + "+00:00")
            except ValueError:  # written in another shape (with an offset, or a date only)
                parsed = datetime.fromisoformat(value)
                return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_read_utc = UTCDateTime().process_result_value  # stored_time_iso's reading of anything but its own text


class IdList(TypeDecorator):
    """A list of integer ids bound as one parameter: JSON text on SQLite (unpacked by json_each), an array on
    PostgreSQL. See ``in_ids``."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.ARRAY(BigInteger))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        ids = [int(v) for v in value]
        return json.dumps(ids) if dialect.name == "sqlite" else ids


class InIds(ColumnElement):
    """``column`` is one of a list of ids given as a single parameter (``in_ids``)."""

    _traverse_internals = [("column", InternalTraversal.dp_clauseelement), ("ids", InternalTraversal.dp_clauseelement)]

    def __init__(self, column, ids) -> None:
        self.column = column
        self.ids = ids


@compiles(InIds)
def _in_ids_any(element: InIds, compiler, **kw) -> str:
    return f"{compiler.process(element.column, **kw)} = ANY({compiler.process(element.ids, **kw)})"


@compiles(InIds, "sqlite")
def _in_ids_json(element: InIds, compiler, **kw) -> str:
    return (f"{compiler.process(element.column, **kw)} IN "
            f"(SELECT value FROM json_each({compiler.process(element.ids, **kw)}))")


def in_ids(column, name: str = "pks") -> InIds:
    """``column IN (ids)`` for a statement built once and run with ``{name: [id, ...]}``. An expanding
    ``IN (...)`` renders and binds one placeholder per id on every execution: for the order list's five
    per-page look-ups (50 ids each) that was a quarter of the request's Python time."""
    return InIds(column, bindparam(name, type_=IdList()))


def _sqlite_index_hint(self, table, text: str | None) -> str | None:
    """SQLAlchemy's SQLite compiler drops table hints (``Select.with_hint``), but SQLite has one, ``INDEXED BY``,
    which the desk uses where the planner, lacking statistics, would walk the wrong index (queries.exceptions_first).
    Only that hint is passed through."""
    return text if text and text.startswith("INDEXED BY ") else None


sqlite.base.SQLiteCompiler.get_from_hint_text = _sqlite_index_hint


# How long a SQLite connection waits for another's write lock before giving up (an import's batch holds it
# for well under a second; a backup or a long migration may take longer).
BUSY_TIMEOUT_MS = 10_000


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()
    from .orders.search_index import sqlite_functions  # noqa: PLC0415 - search_index imports this module

    sqlite_functions(dbapi_connection)


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **kwargs)


def pool_capacity(engine: Engine) -> int | None:
    """How many connections the engine's pool hands out at most (size + overflow), or None when it does not
    queue (SQLite in memory, NullPool)."""
    pool = engine.pool
    if isinstance(pool, QueuePool):
        return pool.size() + max(pool._max_overflow, 0)  # noqa: SLF001 - SQLAlchemy has no public accessor
    return None


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


class ReadOnlySession(Session):
    """A session for a request that only reads (the order list, counts, one order): it refuses to write.

    Why: such a request runs on the web process's event loop (web.deps.read_db) and is closed without a commit,
    so a write slipped into it would be rolled back silently. Refusing it names the mistake at once."""

    def flush(self, objects=None) -> None:
        if self.new or self.dirty or self.deleted:
            raise RuntimeError("this request reads only (web.deps.read_db): it cannot write; use db instead")
        super().flush(objects)


@event.listens_for(ReadOnlySession, "do_orm_execute")
def _refuse_statement_writes(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise RuntimeError("this request reads only (web.deps.read_db): it cannot write; use db instead")


@contextmanager
def reading(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A read-only unit of work with ``factory``'s engine and settings: never committed, closed at the end."""
    session = ReadOnlySession(**factory.kw)
    try:
        yield session
    finally:
        session.close()


def claim_writer(session: Session) -> None:
    """Take SQLite's write lock now, at the start of a transaction that reads and then writes.

    Why: such a transaction starts as a reader with a snapshot; if another connection commits before its first
    write, SQLite cannot upgrade it and fails at once with "database is locked" (SQLITE_BUSY_SNAPSHOT) instead of
    waiting. Asking for the lock first makes it wait its turn (busy_timeout) like any writer. PostgreSQL needs
    nothing: it locks rows, not the database."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DELETE FROM alembic_version WHERE 0"))  # a write that changes nothing


def _lock_key(name: str) -> int:
    """A signed 64-bit key for PostgreSQL's advisory locks, one per name."""
    return int.from_bytes(hashlib.blake2b(f"xiaodian.{name}".encode(), digest_size=8).digest(), "big", signed=True)


_ADVISORY_LOCKS = text("SELECT count(pg_advisory_xact_lock(k)) FROM unnest(:keys) AS k").bindparams(
    bindparam("keys", type_=IdList()))


def hold_locks(session: Session, names: Iterable[str]) -> None:
    """Hold these names until the transaction ends, before a read that decides a write (who owns a tracking number,
    which orders exist, how many failed logins): without it two writers both read "free" and both write. The one
    way the desk serialises a check-then-write across processes (shipping, intake, login).

    PostgreSQL: a transaction-scoped advisory lock per name, taken in key order, so two holders of overlapping
    names cannot deadlock; a waiter reads the winner's rows once it commits (READ COMMITTED). SQLite has one writer
    at a time: its write lock taken now (claim_writer) serialises the check with every other writer."""
    if session.get_bind().dialect.name == "postgresql":
        keys = sorted({_lock_key(name) for name in names})
        if keys:
            session.execute(_ADVISORY_LOCKS, {"keys": keys})
    else:
        claim_writer(session)


def mark_dry_run(session: Session) -> None:
    """Say that the session's transaction is a dry run, to be rolled back: on PostgreSQL the counting triggers
    then rest (migration 0018). Why: an open transaction that updates one counter row per order makes PostgreSQL
    walk an ever longer chain of that row's versions (a dry run of 200,000 orders: 120 s, 94 of them there).
    SQLite updates rows in place: nothing to do."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL xiaodian.dry_run = 'on'"))


def best_effort_write(engine: Engine, statement, wait_ms: int = 200) -> bool:
    """Run one small write in its own short transaction, waiting at most ``wait_ms`` for a lock; False when it
    could not (the caller treats the write as optional and tries again later).

    Why: bookkeeping such as an API token's last-used time must not turn a read request into a writer (on SQLite
    a reader cannot become a writer once another connection has committed) nor make it wait out the normal
    busy timeout behind an import's batch."""
    with engine.connect() as conn:
        try:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql(f"PRAGMA busy_timeout={int(wait_ms)}")
            else:
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(wait_ms)}ms'")
            conn.execute(statement)
            conn.commit()
            return True
        except OperationalError:
            conn.rollback()
            return False
        finally:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


class PlannerStatistics:
    """Keeps PostgreSQL's table statistics in step with a bulk load (an import, a first sync).

    Why: PostgreSQL plans every query from statistics that only ANALYZE refreshes, and autovacuum runs it minutes
    after a load. Until then the look-ups by order id and SKU id that each import batch makes are planned for the
    table as it was (empty, or a fraction of its size): re-importing 20,000 orders just after importing them took
    16 s instead of 2 s, and a first import slowed down batch after batch. A bulk writer creates one of these per
    run, before its first batch (it analyses at once if the tables already changed by more than the rule below since
    their last ANALYZE), and after each committed batch says how many rows it has written so far; the tables are
    analysed again whenever the rows written since reach a fifth of what the statistics counted (autovacuum's own
    rule, applied at once). ANALYZE reads a fixed sample and blocks no reader or writer. SQLite plans these index
    look-ups without statistics: nothing is done there."""

    SHARE = 0.2
    MIN_ROWS = 1000

    def __init__(self, session: Session, tables: tuple[str, ...]):
        self.tables = tables
        self.active = session.get_bind().dialect.name == "postgresql"
        self.counted = self.since = 0.0
        self.written = 0
        if self.active:
            self.counted, self.since = self._read(session)
            self._maybe_analyse(session)

    def written_so_far(self, session: Session, rows: int) -> None:
        """The run has written and committed ``rows`` rows in all; analyse (and commit that) when the rule says so."""
        if self.active and rows > self.written:
            self.since += rows - self.written
            self.written = rows
            self._maybe_analyse(session)

    def _read(self, session: Session) -> tuple[float, float]:
        """What the statistics counted in the first table, and the rows changed there since its last ANALYZE."""
        counted, since = session.execute(text(
            "SELECT greatest(c.reltuples, 0), coalesce(s.n_mod_since_analyze, 0) "
            "FROM pg_class AS c LEFT JOIN pg_stat_user_tables AS s ON s.relid = c.oid "
            "WHERE c.oid = CAST(:name AS regclass)"), {"name": self.tables[0]}).one()
        return float(counted), float(since)

    def _maybe_analyse(self, session: Session) -> None:
        if self.since < max(self.MIN_ROWS, self.SHARE * self.counted):
            return
        session.execute(text(f"ANALYZE {', '.join(self.tables)}"))
        session.commit()
        self.counted = self._read(session)[0]
        self.since = 0.0


def insert_ignore(session: Session, table, rows: list[dict], keys: list[str] | None = None) -> list:
    """INSERT rows, skipping those that break a unique constraint; returns the inserted rows' ``keys[0]`` (or
    primary key). ``keys``: the unique key to skip on; None skips on any of the table's unique keys (two writers
    racing on different keys). Rows go as parameters of one cached statement (SQLAlchemy batches them into
    multi-row INSERTs): a ``.values(rows)`` statement is compiled afresh for every batch."""
    if not rows:
        return []
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    returned = table.c[keys[0]] if keys else list(table.primary_key.columns)[0]
    stmt = insert(table).on_conflict_do_nothing(index_elements=keys).returning(returned)
    return list(session.execute(stmt, rows).scalars())


# Rows per multi-row INSERT on SQLite (its bound-parameter limit is 32,766 since 3.32; 500 rows of intake's widest
# table, orders, use 18,500).
VALUES_ROWS = 500


def _values_sql(head: str, width: int, rows: int) -> str:
    one = "(" + ",".join("?" * width) + ")"
    return f"{head} VALUES {','.join([one] * rows)}"


_full_values_sql = cache(_values_sql)  # only full chunks are kept: a batch's last chunk may be any size


def insert_values(conn, head: str, rows: Sequence[tuple], per: int = VALUES_ROWS) -> None:
    """``head`` ("INSERT INTO t (a, b)") with ``rows`` as multi-row VALUES statements through the SQLite driver.
    Each statement steps once for its rows where executemany steps and re-binds once per row; a bulk import
    writes ~10 rows per order, and this took 6–8 % off a first import (benchmarks/RESULTS-import.md). Statements of
    a full chunk are built and compiled once (the driver's statement cache keeps them)."""
    if not rows:
        return
    width = len(rows[0])
    for start in range(0, len(rows), per):
        chunk = rows[start:start + per]
        sql = _full_values_sql(head, width, per) if len(chunk) == per else _values_sql(head, width, len(chunk))
        conn.exec_driver_sql(sql, tuple(chain.from_iterable(chunk)))


def has_table(engine: Engine, name: str) -> bool:
    return inspect(engine).has_table(name)
