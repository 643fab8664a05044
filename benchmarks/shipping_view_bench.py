"""A deadline view's first page + count, alone: warm, in-process (the 24-hour view unless --view says otherwise).

    python benchmarks/shipping_view_bench.py --db sqlite:////tmp/xiaodian-bench/shipping.db [--runs 300] \
        [--view awaiting|due24h|overdue]

The database is the one shipping_bench.py uses (1M orders, 50,000 awaiting shipment). Measures, each in its own
session as a request has: the lean path the shipping page uses (shipping.listing.view_page: the view's count and
its first page of 50 ORDER JSON objects), the page's data as a whole (the three tab counts + that page), and, for
comparison, the order list's paths with the same filter (orders.service.list_data + JSON, what GET /api/v1/orders?view=
answers; orders.service.list_orders, what `xiaodian orders search --view` prints). Prints wall and CPU percentiles; the collector is frozen after warm-up
as `xiaodian serve` does. ``--profile`` prints a cProfile of the lean path instead.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from search_data import KEYS, NOW  # noqa: E402

from xiaodian.bootstrap import default_shop_id, open_context  # noqa: E402
from xiaodian.orders import service  # noqa: E402
from xiaodian.orders.queries import OrderFilter  # noqa: E402
from xiaodian.settings import Settings  # noqa: E402
from xiaodian.shipping.listing import view_page  # noqa: E402
from xiaodian.shipping.queries import view_counts  # noqa: E402


def pct(values, p):
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def measure(fn, runs: int) -> tuple[list[float], list[float]]:
    for _ in range(20):
        fn()
    gc.collect()
    gc.freeze()
    wall, cpu = [], []
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    return sorted(wall), sorted(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--view", default="due24h", choices=("awaiting", "due24h", "overdue"),
                        help="the deadline view to read (待发货 / 24小时内需发货 / 已超时)")
    args = parser.parse_args()
    view = args.view
    ctx = open_context(Settings(database_url=args.db, data_dir="/tmp/xiaodian-bench/data", now=NOW, **KEYS),
                       migrate=True)
    shop_id = default_shop_id(ctx)

    def lean():
        with ctx.sessions() as session:
            return view_page(session, shop_id, view, NOW)

    def page_data():
        with ctx.sessions() as session:
            counts = view_counts(session, shop_id, NOW)
            return view_page(session, shop_id, view, NOW, total=counts[view])

    def order_list():
        with ctx.sessions() as session:
            return service.list_orders(session, shop_id=shop_id, flt=OrderFilter(view=view, now=NOW),
                                       cipher=ctx.cipher)

    def api():
        with ctx.sessions() as session:
            return service.list_data(session, shop_id=shop_id, flt=OrderFilter(view=view, now=NOW),
                                     cipher=ctx.cipher).json()

    first = lean()
    assert first.as_json() == order_list().model_dump(), "the lean page differs from the order list's"
    if args.profile:
        for _ in range(20):
            lean()
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(200):
            lean()
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
        return
    print(f"{view} view on {ctx.engine.dialect.name}: first page ({len(first.orders)}) + count ({first.total:,}), "
          f"{args.runs} runs each, "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    for name, fn in (("lean path (shipping.listing.view_page)", lean),
                     ("page data: three tab counts + lean page", page_data),
                     (f"API path, GET /api/v1/orders?view={view} (orders.service.list_data + JSON)", api),
                     ("CLI path, OrderPage models (orders.service.list_orders)", order_list)):
        wall, cpu = measure(fn, args.runs)
        print(f"  {name}: wall p50 {pct(wall, 50):.2f} / p99 {pct(wall, 99):.2f} ms; "
              f"CPU p50 {pct(cpu, 50):.2f} / p99 {pct(cpu, 99):.2f} ms (target p99 ≤ 2 ms)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
