"""Demo shop build time: generate the demo for a fixed now and write it into a fresh database, print the split.

    python benchmarks/demo_build.py [--orders 5000] [--runs 3] [--postgres URL] [--profile]

In-process, the way ``xiaodian demo`` calls it (after migrations and the demo users, which are not timed):
the pure generation, then the products and the orders through ``upsert_orders`` in batches of 1,000, then
the flags. Target (issue 2): under 10 s for 5,000 orders.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import tempfile
import time
from datetime import datetime
from pathlib import Path

from sqlalchemy import text

from xiaodian.bootstrap import open_context
from xiaodian.demo.generator import generate_shop
from xiaodian.demo.shop import build_demo_shop
from xiaodian.settings import Settings

NOW = datetime.fromisoformat("2026-11-24T18:00:00+08:00")
KEYS = {"pii_key": "YmVuY2gtcGlpLWtleS0wMDAwMDAwMDAwMDAwMDAwMDA",
        "index_key": "YmVuY2gtaW5kZXgta2V5LTAwMDAwMDAwMDAwMDAwMDA",
        "session_secret": "YmVuY2gtc2Vzc2lvbi1zZWNyZXQtMDAwMDAwMDAwMDA"}


def _empty_postgres(url: str) -> None:
    from xiaodian.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


def one_run(folder: Path, orders: int, postgres: str | None, profile: bool) -> dict:
    if postgres:
        _empty_postgres(postgres)
    url = postgres or f"sqlite:///{folder / 'demo.db'}"
    ctx = open_context(Settings(database_url=url, data_dir=folder / "data", now=NOW, **KEYS), migrate=True)
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    summary = build_demo_shop(ctx, orders=orders, progress=False)
    if profiler:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    ctx.engine.dispose()
    return summary


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", help="PostgreSQL URL of a throwaway database (its public schema is dropped)")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    start = time.perf_counter()
    generate_shop(NOW, orders=args.orders)
    print(f"pure generation alone: {time.perf_counter() - start:.2f} s")
    print(f"database: {'postgresql' if args.postgres else 'sqlite'}; {platform.python_implementation()} "
          f"{platform.python_version()}; nproc {os.cpu_count()}")
    print("| run | orders | generate | write (products, upsert, flags) | total | orders/s |")
    print("|---:|---:|---:|---:|---:|---:|")
    for run in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory() as tmp:
            summary = one_run(Path(tmp), args.orders, args.postgres, args.profile and run == 1)
        s = summary["seconds"]
        print(f"| {run} | {summary['orders']:,} | {s['generate']:.2f} s | {s['write']:.2f} s | {s['total']:.2f} s "
              f"| {summary['orders'] / s['total']:,.0f} |")


if __name__ == "__main__":
    main()
