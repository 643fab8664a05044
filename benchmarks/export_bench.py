"""Order export benchmark: the filtered list of the last N days at 1M orders written as CSV and XLSX, end to end
(read the ids, read the orders, write the file), with the process's peak resident memory. Each run is a fresh
Python process, so the peak is the run's own.

    python benchmarks/search_data.py --db sqlite:////tmp/xiaodian-bench/search.db      # once (or the shipping DB)
    python benchmarks/export_bench.py --db sqlite:////tmp/xiaodian-bench/search.db [--days 1 7 30]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--days", type=int, nargs="+", default=[1, 7, 30])
    args = parser.parse_args()
    bench = str(Path(__file__).parent)
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, {args.db}")
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
