"""db.insert_values: rows go into SQLite as multi-row INSERTs in chunks, every row exactly once and in order,
whatever the count against the chunk size; a bad row fails its statement and the caller's transaction keeps
nothing of the call."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import IntegrityError

from xiaodian.db import insert_values


@pytest.mark.parametrize("count", [0, 1, 6, 7, 13, 50])
def test_every_row_once_in_order_across_chunk_boundaries(count):
    engine = create_engine("sqlite://")
    rows = [(i, f"名{i}", None if i % 3 else i * 1.5) for i in range(count)]
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT, c REAL)")
        insert_values(conn, "INSERT INTO t (a, b, c)", rows, per=7)
        assert [tuple(r) for r in conn.exec_driver_sql("SELECT a, b, c FROM t ORDER BY a")] == rows


def test_a_bad_row_leaves_nothing_of_the_call_once_the_transaction_rolls_back():
    engine = create_engine("sqlite://")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT NOT NULL)")
        conn.exec_driver_sql("INSERT INTO t VALUES (100, 'kept')")
    rows = [(i, "x") for i in range(20)] + [(20, None)]  # the last chunk breaks NOT NULL
    with pytest.raises(IntegrityError), engine.begin() as conn:
        insert_values(conn, "INSERT INTO t (a, b)", rows, per=7)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT a, b FROM t").all() == [(100, "kept")]
