"""Test helper: the SQLite query plans of the statements a piece of the desk runs, to check that a filter reads the
index meant for it (a desk's file has no planner statistics, so the plan is what the statement makes it)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event


def plans_of(engine, marker: str, action: Callable[[], None]) -> list[tuple[str, str]]:
    """(statement, its EXPLAIN QUERY PLAN in one line) for each statement on ``orders`` containing ``marker`` that
    ``action`` ran."""
    ran = []

    def keep(conn, cursor, statement, params, context, many):
        if "FROM orders" in statement and marker in statement:
            ran.append((statement, params))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    with engine.connect() as conn:
        return [(statement, " ".join(row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement,
                                                                              params)))
                for statement, params in ran]
