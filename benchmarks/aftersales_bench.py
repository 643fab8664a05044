"""After-sales benchmark at 1M orders and 50,000 after-sale cases (issue 6's performance targets).

    cp /tmp/xiaodian-bench/search.db /tmp/xiaodian-bench/aftersales.db   # a copy of the search benchmark's 1M orders
    python benchmarks/aftersales_bench.py --db sqlite:////tmp/xiaodian-bench/aftersales.db

Takes a database holding the search benchmark's orders (benchmarks/search_data.py builds one; an empty database
is filled with it first) and, when it has no after-sale case yet, adds 50,000 cases on paid SKU orders with
realistic types, statuses that fit each type's flow and the case's age, node deadlines, buyer reasons in both
families (a share changed by the buyer, kept as reason history) and an application event each; product rows
are added for products the order data names (the 品退率 page shows product names).

Times, in-process and warm, p50/p99 over many runs (wall and CPU of this process: the machine is shared):
the 品退率 page's data for all products over 30 days (rates for every product + the shop's trend + the
breakdown; target ≤ 200 ms) and the 待我处理 tab's first page (page of 50 + tab counts; target ≤ 10 ms); then
the two pages rendered through the ASGI app (HTTP in-process, logged in as an owner). Not a timed test; the
figures go to RESULTS-aftersales.md by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import func, insert, select  # noqa: E402

from search_data import KEYS, NOW, load  # noqa: E402
from xiaodian.aftersales import domain, quality, views  # noqa: E402
from xiaodian.aftersales.domain import CaseStatus, CaseType  # noqa: E402
from xiaodian.aftersales.models import AfterSaleCase, AfterSaleEvent, AfterSaleReason  # noqa: E402
from xiaodian.aftersales.pages import PRODUCTS_SHOWN  # noqa: E402
from xiaodian.aftersales.queries import CaseFilter  # noqa: E402
from xiaodian.aftersales.reasons import OTHER_REASONS, QUALITY_REASONS  # noqa: E402
from xiaodian.bootstrap import default_shop_id, open_context  # noqa: E402
from xiaodian.clock import FixedClock  # noqa: E402
from xiaodian.orders.models import Order, OrderItem, Product  # noqa: E402
from xiaodian.settings import Settings  # noqa: E402

CASES = 50_000
SEED = 6
PASSWORD = "Xd-measure-passw0rd-77"
TYPES = [(CaseType.REFUND_SHIPPED, 30), (CaseType.RETURN_REFUND, 35), (CaseType.EXCHANGE, 7), (CaseType.RESEND, 5),
         (CaseType.PRICE_PROTECTION, 2), (CaseType.REPAIR, 1)]
# Where a case stands by its age: old cases are finished; young ones spread over their flow's open statuses.
OPEN_BY_FLOW = {
    domain.Flow.REFUND: [(CaseStatus.WAITING_MERCHANT, 50), (CaseStatus.REFUNDING, 25), (CaseStatus.REJECTED, 10),
                         (CaseStatus.ARBITRATING, 3), (CaseStatus.REFUND_FAILED, 2)],
    domain.Flow.RETURN_REFUND: [(CaseStatus.WAITING_MERCHANT, 30), (CaseStatus.WAITING_BUYER_RETURN, 30),
                                (CaseStatus.WAITING_RECEIPT, 20), (CaseStatus.REFUNDING, 8), (CaseStatus.REJECTED, 5),
                                (CaseStatus.REJECTED_SECOND, 2), (CaseStatus.ARBITRATING, 2),
                                (CaseStatus.REFUND_FAILED, 1)],
    domain.Flow.RETURN_RESHIP: [(CaseStatus.WAITING_MERCHANT, 30), (CaseStatus.WAITING_BUYER_RETURN, 30),
                                (CaseStatus.WAITING_RECEIPT, 20), (CaseStatus.WAITING_MERCHANT_SHIP, 10),
                                (CaseStatus.WAITING_BUYER_RECEIVE, 10)],
    domain.Flow.RESHIP: [(CaseStatus.WAITING_MERCHANT, 40), (CaseStatus.WAITING_MERCHANT_SHIP, 30),
                         (CaseStatus.WAITING_BUYER_RECEIVE, 30)],
}
UNSHIPPED_REASONS = ("多拍/拍错/不想要", "地址填错", "价格原因", "未按约定时间发货", "其他")


def _pick(rng: random.Random, weighted):
    return rng.choices([v for v, _w in weighted], [w for _v, w in weighted])[0]


def add_cases(ctx, shop_id: int, n: int = CASES) -> dict:
    """n cases on distinct paid SKU orders, inserted in bulk with explicit ids (reasons are append-only: the
    case rows name their first and current reason ids up front, so nothing is updated afterwards)."""
    rng = random.Random(SEED)
    started = time.perf_counter()
    with ctx.sessions() as session:
        rows = session.execute(select(OrderItem.order_pk, OrderItem.sku_order_id, OrderItem.product_id,
                                      OrderItem.quantity, OrderItem.amount_fen, Order.paid_at, Order.shipped_at)
                               .join(Order, Order.id == OrderItem.order_pk)
                               .where(Order.shop_id == shop_id, Order.paid_at.is_not(None),
                                      Order.status != "cancelled")).all()
        products = session.execute(select(OrderItem.product_id, func.min(OrderItem.product_name))
                                   .where(OrderItem.shop_id == shop_id).group_by(OrderItem.product_id)).all()
        known = set(session.execute(select(Product.product_id).where(Product.shop_id == shop_id)).scalars())
    now = NOW
    chosen = rng.sample(rows, n)
    cases, reasons, events = [], [], []
    reason_id = 0
    for i, r in enumerate(chosen, start=1):
        shipped = r.shipped_at is not None and r.shipped_at < now
        kind = CaseType.REFUND_UNSHIPPED if not shipped else _pick(rng, TYPES)
        start = (r.shipped_at + timedelta(days=rng.uniform(1, 8))) if shipped else (r.paid_at + timedelta(hours=rng.uniform(1, 30)))
        applied = min(start, now - timedelta(minutes=rng.randint(5, 600)))
        age = now - applied
        flow = domain.FLOW_OF[kind]
        if age > timedelta(days=12) or rng.random() < 0.25:
            status = CaseStatus.SUCCEEDED if rng.random() < 0.62 else CaseStatus.CLOSED
        else:
            status = _pick(rng, OPEN_BY_FLOW[flow])
        since = applied + (now - applied) * rng.uniform(0.1, 0.9) if status is not CaseStatus.WAITING_MERCHANT else applied
        span = domain.Deadlines().for_status(status)
        due = since + span if span is not None and status not in domain.FINISHED else None
        cancelled = status is CaseStatus.CLOSED and rng.random() < 0.5
        # reasons: quality ~45% of shipped cases; a buyer changes ~15% of reasons (mostly quality → other)
        if shipped and rng.random() < 0.45:
            first = rng.choice(QUALITY_REASONS)
        else:
            first = rng.choice(OTHER_REASONS if shipped else UNSHIPPED_REASONS)
        texts = [first]
        if shipped and rng.random() < 0.15:
            texts.append(rng.choice(OTHER_REASONS) if first in QUALITY_REASONS and rng.random() < 0.8
                         else rng.choice(QUALITY_REASONS))
        ids = []
        for seq, text in enumerate(texts, start=1):
            reason_id += 1
            ids.append(reason_id)
            given = applied + timedelta(hours=seq - 1)
            reasons.append({"id": reason_id, "shop_id": shop_id, "case_id": i, "seq": seq, "text": text, "code": None,
                            "remark": None, "evidence_count": rng.randint(0, 4) if text in QUALITY_REASONS else 0,
                            "given_at": given, "recorded_at": given, "source": "import"})
        finished = status in domain.FINISHED
        cases.append({
            "id": i, "shop_id": shop_id, "aftersale_id": f"7{i:018d}", "provisional": False, "order_pk": r.order_pk,
            "sku_order_id": r.sku_order_id, "product_id": r.product_id, "case_type": kind.value,
            "status": status.value, "refund_status": "succeeded" if status is CaseStatus.SUCCEEDED and flow in (
                domain.Flow.REFUND, domain.Flow.RETURN_REFUND) else "failed" if status is CaseStatus.REFUND_FAILED
            else "pending" if status is CaseStatus.REFUNDING else None,
            "refund_fen": r.amount_fen, "postage_fen": 0, "quantity": r.quantity, "applied_at": applied,
            "status_since": since, "due_by": due, "due_by_source": "platform" if due else None,
            "return_carrier": None, "return_tracking_no": None, "reship_carrier": None, "reship_tracking_no": None,
            "inspection": None, "reject_code": None, "reject_note": None, "cancelled_by_buyer": cancelled,
            "first_reason_id": ids[0], "current_reason_id": ids[-1], "source": "import", "recorded_at": applied,
            "modified_at": since, "finished_at": since if finished else None})
        events.append({"shop_id": shop_id, "case_id": i, "at": applied, "recorded_at": applied, "action": "apply",
                       "from_status": None, "to_status": "waiting_merchant", "source": "import", "actor": None,
                       "detail": None})
        if status is not CaseStatus.WAITING_MERCHANT:
            events.append({"shop_id": shop_id, "case_id": i, "at": since, "recorded_at": since,
                           "action": "status_synced", "from_status": "waiting_merchant", "to_status": status.value,
                           "source": "import", "actor": None, "detail": json.dumps({"via": "import"})})
    product_rows = [{"shop_id": shop_id, "product_id": pid, "name": name, "created_at": now}
                    for pid, name in products if pid and pid not in known]
    with ctx.sessions.begin() as session:
        for table, values in ((Product, product_rows), (AfterSaleCase, cases), (AfterSaleReason, reasons),
                              (AfterSaleEvent, events)):
            for start in range(0, len(values), 5000):
                session.execute(insert(table), values[start:start + 5000])
    if ctx.engine.dialect.name == "sqlite":
        with ctx.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    else:
        with ctx.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    return {"cases": len(cases), "reasons": len(reasons), "events": len(events), "products": len(product_rows),
            "seconds": round(time.perf_counter() - started, 1)}


CPU: dict[str, float] = {}


def timed(fn, runs: int, label: str) -> tuple[float, float]:
    samples, cpu = [], []
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    samples.sort()
    CPU[label] = statistics.median(cpu)
    CPU[label + ":p99"] = sorted(cpu)[min(len(cpu) - 1, int(len(cpu) * 0.99))]
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def http_pages(ctx, shop_id: int, runs: int) -> list[tuple]:
    """The two pages through the ASGI app in this process (TestClient: no network, no server threads)."""
    from fastapi.testclient import TestClient

    from xiaodian.accounts import service as accounts
    from xiaodian.accounts.models import User
    from xiaodian.web.app import create_app

    with ctx.sessions.begin() as session:
        if session.execute(select(User.id).where(User.login == "bench-owner")).first() is None:
            accounts.add_user(session, login="bench-owner", password=PASSWORD, role="owner", now=NOW)
    out = []
    with TestClient(create_app(ctx)) as client:
        page = client.get("/login")
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        assert client.post("/login", data={"login": "bench-owner", "password": PASSWORD, "csrf_token": token,
                                           "next": "/orders"}, follow_redirects=False).status_code == 303
        for path, label in (("/quality-rate?window=30", "http_quality"), ("/aftersales", "http_todo")):
            sizes = []

            def get(path=path, sizes=sizes):
                response = client.get(path)
                assert response.status_code == 200, response.text[:300]
                sizes.append(len(response.content))
            get()
            p50, p99 = timed(get, runs, label)
            out.append((f"HTTP GET {path} (rendered page, {sizes[-1] / 1024:,.0f} KiB)", p50, p99, label))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=200, help="runs of the 待我处理 page (the 品退率 data runs a tenth)")
    args = parser.parse_args()
    settings = Settings(database_url=args.db, data_dir="/tmp/xiaodian-bench/data", now=NOW, **KEYS)
    ctx = open_context(settings, migrate=True, clock=FixedClock(NOW))
    shop_id = default_shop_id(ctx)
    with ctx.sessions() as session:
        orders = session.execute(select(func.count()).select_from(Order)).scalar_one()
    if not orders:
        print(load(args.db, args.orders), file=sys.stderr)
    with ctx.sessions() as session:
        have = session.execute(select(func.count()).select_from(AfterSaleCase)).scalar_one()
    if not have:
        print(add_cases(ctx, shop_id), file=sys.stderr)
    with ctx.sessions() as session:
        orders = session.execute(select(func.count()).select_from(Order)).scalar_one()
        by_status = dict(session.execute(select(AfterSaleCase.status, func.count()).group_by(AfterSaleCase.status)).all())
        changed = session.execute(select(func.count()).select_from(AfterSaleReason)
                                  .where(AfterSaleReason.seq > 1)).scalar_one()
    print(f"orders {orders:,}; after-sale cases {sum(by_status.values()):,} ({changed:,} with a changed reason): "
          + ", ".join(f"{k} {v:,}" for k, v in sorted(by_status.items())))
    families = views.families_from(settings)
    results = []

    def quality_page_data():  # what GET /quality-rate computes (pages.quality_page), the mapping included
        with ctx.sessions() as session:
            mapping = views.families_for(session, shop_id, settings)
            data = quality.page_data(session, shop_id, NOW, 30, mapping, limit=PRODUCTS_SHOWN)
            assert data["rows"][0]["paid"] > 0 and len(data["trend"]) == 30
            return data["products"]

    def rates_only():
        with ctx.sessions() as session:
            return len(quality.rates(session, shop_id, NOW, 30, families))

    def todo_page():  # what GET /aftersales computes (pages.case_list), the mapping included
        with ctx.sessions() as session:
            mapping = views.families_for(session, shop_id, settings)
            page = views.case_page(session, shop_id=shop_id, flt=CaseFilter(tab="todo"), now=NOW, families=mapping)
            assert page.cases
            return page.total

    products = quality_page_data()
    total = todo_page()
    runs = max(args.runs // 10, 10)
    p50, p99 = timed(quality_page_data, runs, "quality")
    results.append((f"品退率 page data, all products, 30 days ({products:,} products rated, {PRODUCTS_SHOWN} listed; "
                    "trend + breakdown)",
                    p50, p99, "≤ 200 ms", "quality"))
    p50, p99 = timed(rates_only, runs, "rates")
    results.append(("  of which the per-product rates alone", p50, p99, "", "rates"))
    p50, p99 = timed(todo_page, args.runs, "todo")
    results.append((f"待我处理 tab, first page of 50 + tab counts ({total:,} cases in the tab)", p50, p99, "≤ 10 ms",
                    "todo"))
    http = http_pages(ctx, shop_id, max(args.runs // 20, 5))
    load1 = os.getloadavg()
    print(f"\nload average {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f} on {os.cpu_count()} CPUs")
    print(f"\n| {ctx.engine.dialect.name} | wall p50 (ms) | wall p99 (ms) | CPU p50 (ms) | CPU p99 (ms) | target |\n"
          "|---|---:|---:|---:|---:|---|")
    for name, a, b, target, key in results + [(n, a, b, "", k) for n, a, b, k in http]:
        print(f"| {name} | {a:,.1f} | {b:,.1f} | {CPU[key]:,.1f} | {CPU[key + ':p99']:,.1f} | {target} |")
    ctx.engine.dispose()


if __name__ == "__main__":
    main()
