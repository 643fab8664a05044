"""The 24-hour view's first page + count, alone: warm, in-process, through orders.service.list_orders.

    python benchmarks/shipping_view_bench.py --db sqlite:////tmp/xiaodian-bench/shipping.db [--runs 300]

The database is the one shipping_bench.py uses (1M orders, 50,000 awaiting shipment). Prints wall and CPU
percentiles; the collector is frozen after warm-up as `xiaodian serve` does.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from search_data import KEYS, NOW  # noqa: E402

from xiaodian.bootstrap import default_shop_id, open_context  # noqa: E402
from xiaodian.orders import service  # noqa: E402
from xiaodian.orders.queries import OrderFilter  # noqa: E402
from xiaodian.settings import Settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    ctx = open_context(Settings(database_url=args.db, data_dir="/tmp/xiaodian-bench/data", now=NOW, **KEYS),
                       migrate=True)
    shop_id = default_shop_id(ctx)

    def once():
        with ctx.sessions() as session:
            return service.list_orders(session, shop_id=shop_id, flt=OrderFilter(view="due24h", now=NOW),
                                       cipher=ctx.cipher)

    for _ in range(20):
        page = once()
    gc.collect()
    gc.freeze()
    wall, cpu = [], []
    for _ in range(args.runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        once()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    wall.sort()
    cpu.sort()

    def pct(values, p):
        return values[min(len(values) - 1, int(len(values) * p / 100))]

    print(f"24-hour view, first page ({len(page.orders)}) + count ({page.total:,}), {args.runs} runs: "
          f"wall p50 {pct(wall, 50):.2f} / p99 {pct(wall, 99):.2f} ms; CPU p50 {pct(cpu, 50):.2f} / "
          f"p99 {pct(cpu, 99):.2f} ms (target p99 ≤ 2 ms)")


if __name__ == "__main__":
    main()
