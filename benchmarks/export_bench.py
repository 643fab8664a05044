"""Order export benchmark: the filtered list of the last N days at 1M orders written as CSV and XLSX, end to end
(read the ids, read the orders, write the file), with the process's peak resident memory. Each run is a fresh
Python process, so the peak is the run's own.

    python benchmarks/search_data.py --db sqlite:////tmp/xiaodian-bench/search.db      # once (or the shipping DB)
    python benchmarks/export_bench.py --db sqlite:////tmp/xiaodian-bench/search.db [--days 1 7 30]
    python benchmarks/export_bench.py --db sqlite:////tmp/xiaodian-bench/copy.db --job [--days 0]   # writes: a copy

``--job``: the same lists through an export job (exports/runner.run_job: the worker's whole path, progress reports
and lease renewals included), ``--days 0`` for every order of the desk (1M: the job's own limit). It adds a user
and its jobs to the database, so give it a copy.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from pathlib import Path

RUN = r"""
import json, resource, sys, tempfile, time
from datetime import timedelta
sys.path.insert(0, {bench!r})
from search_data import KEYS, NOW
from xiaodian.accounts.service import Principal
from xiaodian.bootstrap import default_shop_id, open_context
from xiaodian.channels.douyin.orders_export import export_orders
from xiaodian.orders.queries import OrderFilter
from xiaodian.settings import Settings

ctx = open_context(Settings(database_url={db!r}, data_dir="/tmp/xiaodian-bench/data", now=NOW, **KEYS), migrate=False)
flt = OrderFilter(created_from=(NOW - timedelta(days={days})).date())
flt.now = NOW
with ctx.sessions() as session, tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as out:
    started = time.perf_counter()
    rows = export_orders(session, shop_id=default_shop_id(ctx), flt=flt, cipher=ctx.cipher,
                         principal=Principal(1, "owner", "owner", "cli"), fmt={fmt!r}, now=NOW, out=out)
    took = time.perf_counter() - started
    size = out.tell()
    session.rollback()  # the audit entry: a benchmark leaves the data as it found it
print(json.dumps({{"rows": rows, "seconds": took, "bytes": size,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

RUN_JOB = r"""
import json, resource, sys, time
from datetime import timedelta
sys.path.insert(0, {bench!r})
from search_data import KEYS, NOW
from sqlalchemy import select
from xiaodian.accounts import service as accounts
from xiaodian.accounts.models import User
from xiaodian.accounts.service import Principal
from xiaodian.bootstrap import default_shop_id, open_context
from xiaodian.channels.douyin.export_request import ExportIn
from xiaodian.db import transaction
from xiaodian.exports import runner, service
from xiaodian.exports.models import ExportJob
from xiaodian.settings import Settings

ctx = open_context(Settings(database_url={db!r}, data_dir="/tmp/xiaodian-bench/data", now=NOW, **KEYS), migrate=False)
with transaction(ctx.sessions) as session:
    user = session.execute(select(User).where(User.login == "bench")).scalar_one_or_none()
    if user is None:  # a run of its own (argon2's memory would count as the export's peak)
        accounts.add_user(session, login="bench", password="export-timing-9", role="owner", now=NOW)
if user is None:
    print("{{}}")
    sys.exit(0)
with transaction(ctx.sessions) as session:
    who = Principal(user.id, user.login, user.role, "api")
    body = ExportIn(format={fmt!r}, per={per!r}, created_from=(NOW - timedelta(days={days})).date() if {days} else None)
    job_id = service.request_export(session, shop_id=default_shop_id(ctx), principal=who, body=body, now=NOW,
                                        cipher=ctx.cipher).id
assert runner.claim_next(ctx.sessions, NOW, "bench") == job_id
started = time.perf_counter()
status = runner.run_job(ctx, job_id, "bench")
took = time.perf_counter() - started
with ctx.sessions() as session:
    job = session.get(ExportJob, job_id)
    if job.file_name:
        (service.folder(ctx.settings.data_dir) / job.file_name).unlink()
print(json.dumps({{"rows": job.rows_written or 0, "seconds": took, "bytes": job.size_bytes or 0, "status": status,
                  "error": job.error_code, "orders": job.orders_total,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def run_jobs(args, bench: str) -> None:
    print("| last N days (0: all) | format | per | orders | rows | file | seconds | rows/s | peak RSS | status |")
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|---|")
    setup = RUN_JOB.format(bench=bench, db=args.db, days=1, fmt="csv", per="sku")
    subprocess.run([sys.executable, "-c", setup], capture_output=True, text=True, check=True)  # the user
    for days in args.days:
        # a whole 1M desk one row per item is over Excel's 1,048,575 rows: refused after minutes, not timed here
        shapes = (("csv", "sku"), ("xlsx", "order")) if days == 0 else (("csv", "sku"), ("xlsx", "sku"))
        for fmt, per in shapes:
            code = RUN_JOB.format(bench=bench, db=args.db, days=days, fmt=fmt, per=per)
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            rate = f"{r['rows'] / r['seconds']:,.0f}" if r["rows"] else "–"
            print(f"| {days} | {fmt} | {per} | {r['orders'] or 0:,} | {r['rows']:,} | {r['bytes'] / 1e6:.1f} MB | "
                  f"{r['seconds']:.1f} | {rate} | {r['peak_mb']:.0f} MB | {r['status']}"
                  f"{' (' + r['error'] + ')' if r['error'] else ''} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--days", type=int, nargs="+", default=[1, 7, 30])
    parser.add_argument("--job", action="store_true", help="through an export job (writes to the database)")
    args = parser.parse_args()
    bench = str(Path(__file__).parent)
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, {args.db}")
    if args.job:
        run_jobs(args, bench)
        return
    print("| last N days | format | rows | file | seconds | rows/s | peak RSS |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for days in args.days:
        for fmt in ("csv", "xlsx"):
            code = RUN.format(bench=bench, db=args.db, days=days, fmt=fmt)
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"| {days} | {fmt} | {r['rows']:,} | {r['bytes'] / 1e6:.1f} MB | {r['seconds']:.1f} | "
                  f"{r['rows'] / r['seconds']:,.0f} | {r['peak_mb']:.0f} MB |", flush=True)


if __name__ == "__main__":
    main()
