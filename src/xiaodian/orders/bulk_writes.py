"""Bulk writes for intake. An import writes ~10 rows an order; on SQLite these go straight through the driver in
multi-row statements, with times formatted exactly as db.UTCDateTime stores them, because SQLAlchemy's per-parameter
work was most of an import's cost there. On PostgreSQL they are plain Core statements."""

from __future__ import annotations

from datetime import UTC, datetime
from operator import itemgetter

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session

from ..db import UTCDateTime, insert_values

IN_CHUNK = 900  # bound parameters per IN list, well under SQLite's limit


def sqlite_time(value: datetime | None) -> str | None:
    """What UTCDateTime + SQLAlchemy's SQLite DATETIME store, byte for byte (naive UTC, microseconds)."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]  # as db.UTCDateTime: the "+00:00" cut, no replace()


def driver_rows(table, names: list[str], rows: list[dict], extra: str | None = None) -> list:
    """Parameter tuples for the sqlite3 driver in ``names`` order (then ``extra``), times converted as
    UTCDateTime would. A batch repeats the same few instants (now, an order's times on its events), so each
    distinct time is formatted once."""
    cols = names + [extra] if extra else names
    get = itemgetter(*cols) if len(cols) > 1 else (lambda r: (r[cols[0]],))
    times = [i for i, n in enumerate(cols) if isinstance(table.c[n].type, UTCDateTime)]
    if not times:
        return [get(r) for r in rows]
    seen: dict = {None: None}
    out = []
    for r in rows:
        values = list(get(r))
        for i in times:
            value = values[i]
            text = seen.get(value, _MISSING)
            if text is _MISSING:
                text = seen[value] = sqlite_time(value)
            values[i] = text
        out.append(tuple(values))
    return out


_MISSING = object()


def bulk_insert(session: Session, table, rows: list[dict]) -> None:
    """INSERT many rows. On SQLite straight through the driver in multi-row statements (the per-parameter work of
    SQLAlchemy is most of an import's cost there), converting times exactly as UTCDateTime would."""
    if not rows:
        return
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        conn.execute(table.insert(), rows)
        return
    names = list(rows[0])
    insert_values(conn, f"INSERT INTO {table.name} ({', '.join(names)})", driver_rows(table, names, rows))


def bulk_update(session: Session, table, rows: list[dict]) -> None:
    """UPDATE table SET … WHERE id = row["id"] for many rows (same driver shortcut as bulk_insert)."""
    if not rows:
        return
    names = [n for n in rows[0] if n != "id"]
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        conn.execute(update(table).where(table.c.id == bindparam("b_id"))
                     .values({n: bindparam(f"v_{n}") for n in names}),
                     [{**{f"v_{n}": r[n] for n in names}, "b_id": r["id"]} for r in rows])
        return
    sql = f"UPDATE {table.name} SET {', '.join(f'{n} = ?' for n in names)} WHERE id = ?"
    conn.exec_driver_sql(sql, driver_rows(table, names, rows, extra="id"))


def chunks(values: list) -> list[list]:
    return [values[i:i + IN_CHUNK] for i in range(0, len(values), IN_CHUNK)] if values else []


def same(value):
    return value


def insert_tuples(session: Session, table, names: tuple[str, ...], rows: list[tuple]) -> None:
    """INSERT rows given as tuples in ``names`` order (times already as the driver wants them: see
    ``intake._insert_new``)."""
    if not rows:
        return
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        conn.execute(table.insert(), [dict(zip(names, r)) for r in rows])
        return
    insert_values(conn, f"INSERT INTO {table.name} ({', '.join(names)})", rows)

