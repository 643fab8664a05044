"""Import throughput: generate a realistic order export, import it into a fresh SQLite database, print rows/s.

    python benchmarks/import_bench.py [--orders 200000] [--postgres URL] [--profile]

Runs in-process, end to end (read, validate, group, encrypt, upsert, commit), then re-imports the same
file (every row unchanged) and dry-runs a later export in which statuses moved on.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import os
import pstats
import tempfile
import time
from datetime import datetime
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import default

from xiaodian.bootstrap import default_shop_id, open_context
from xiaodian.channels.exportfile.samplegen import write_export
from xiaodian.channels.exportfile.service import import_order_file
from xiaodian.settings import Settings

NOW = datetime.fromisoformat("2026-11-24T18:00:00+08:00")
KEYS = {"pii_key": "YmVuY2gtcGlpLWtleS0wMDAwMDAwMDAwMDAwMDAwMDA",
        "index_key": "YmVuY2gtaW5kZXgta2V5LTAwMDAwMDAwMDAwMDAwMDA",
        "session_secret": "YmVuY2gtc2Vzc2lvbi1zZWNyZXQtMDAwMDAwMDAwMDA"}


def as_workbook(path: Path) -> Path:
    """The CSV's cells, all text, as an XLSX workbook beside it."""
    import csv

    import xlsxwriter

    target = path.with_suffix(".xlsx")
    book = xlsxwriter.Workbook(str(target), {"strings_to_numbers": False, "strings_to_formulas": False,
                                             "strings_to_urls": False})
    sheet = book.add_worksheet("订单")
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for r, row in enumerate(csv.reader(handle)):
            for c, value in enumerate(row):
                sheet.write_string(r, c, value)
    book.close()
    return target


def run(ctx, shop_id, path: Path, label: str, rows: int, dry_run: bool = False, profile: bool = False,
        batch: int | None = None) -> None:
    profiler = cProfile.Profile() if profile else None
    start, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    report = import_order_file(ctx.sessions, shop_id=shop_id, path=path, cipher=ctx.cipher, now=ctx.clock.now(),
                               dry_run=dry_run, **({"batch_orders": batch} if batch else {}))
    if profiler:
        profiler.disable()
    took, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"| {label:<34} | {rows:>8,} | {took:>7.2f} s | {rows / took:>9,.0f} | {cpu:>7.2f} s | {rows / cpu:>9,.0f} | "
          f"c={report.created} u={report.updated} n={report.unchanged} r={len(report.rejected)} |", flush=True)
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


def sql_timer(engine) -> collections.Counter:
    """CPU time (thread_time) spent inside each kind of statement and in commits, by the first three words."""
    spent: collections.Counter = collections.Counter()

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, params, context, many):
        conn.info["xd_t0"] = time.thread_time()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, params, context, many):
        spent[" ".join(statement.split()[:3])[:50]] += time.thread_time() - conn.info.pop("xd_t0")

    do_commit = default.DefaultDialect.do_commit

    def timed_commit(self, dbapi_connection):
        t0 = time.thread_time()
        do_commit(self, dbapi_connection)
        spent["COMMIT"] += time.thread_time() - t0

    default.DefaultDialect.do_commit = timed_commit
    return spent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--postgres", help="PostgreSQL URL of an empty, throwaway database")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--batch", type=int, help="orders per transaction (default: the service's)")
    parser.add_argument("--sql", action="store_true", help="CPU time inside SQL statements during the first import")
    parser.add_argument("--drop-insert-triggers", action="store_true",
                        help="price the AFTER INSERT triggers (tab counters, 售后中 flag, paid counts): drop them in "
                             "the throwaway SQLite database first; the counters are then wrong, so only for comparison")
    parser.add_argument("--xlsx", action="store_true",
                        help="the same files as XLSX workbooks (shared strings, as spreadsheet programs write them)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        first, later = folder / "export.csv", folder / "export-later.csv"
        t0 = time.perf_counter()
        rows = write_export(first, args.orders, now=NOW)
        write_export(later, args.orders, now=NOW, status_shift=True)
        if args.xlsx:
            first, later = as_workbook(first), as_workbook(later)
        size = first.stat().st_size
        print(f"generated {rows:,} rows ({args.orders:,} orders, {size / 1e6:.0f} MB) in "
              f"{time.perf_counter() - t0:.1f} s")
        url = args.postgres or f"sqlite:///{folder / 'bench.db'}"
        ctx = open_context(Settings(database_url=url, data_dir=folder / "data", now=NOW, **KEYS), migrate=True)
        shop_id = default_shop_id(ctx)
        if args.drop_insert_triggers:
            with ctx.engine.begin() as conn:
                names = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger' AND ("
                                             "sql LIKE '%AFTER INSERT ON orders%' "
                                             "OR sql LIKE '%AFTER INSERT ON order_items%')").scalars().all()
                for name in names:
                    conn.exec_driver_sql(f"DROP TRIGGER {name}")
            print(f"dropped {len(names)} insert triggers: {', '.join(names)}")
        print(f"database: {url.split('://')[0]}, nproc {os.cpu_count()}")
        model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo", encoding="utf-8")
                      if line.startswith("model name")), "?")
        print(f"CPU {model}; load average before: {os.getloadavg()[0]:.2f}")
        print("| run | rows | wall time | rows/s (wall) | CPU time | rows/s (CPU) | report |\n"
              "|---|---:|---:|---:|---:|---:|---|")
        spent = sql_timer(ctx.engine) if args.sql else None
        run(ctx, shop_id, first, "first import (all created)", rows, profile=args.profile, batch=args.batch)
        if spent is not None:
            total = sum(spent.values())
            print(f"  SQL during the first import: {total:.2f} s CPU ({total * 1e6 / rows:.0f} µs/row)")
            for what, cpu in spent.most_common(10):
                print(f"    {cpu:6.2f} s  {what}")
            spent.clear()
        run(ctx, shop_id, first, "re-import (all unchanged)", rows, batch=args.batch)
        run(ctx, shop_id, later, "later export, dry run", rows, dry_run=True, batch=args.batch)
        run(ctx, shop_id, later, "later export (statuses move on)", rows, batch=args.batch)
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        ctx.engine.dispose()


if __name__ == "__main__":
    main()
