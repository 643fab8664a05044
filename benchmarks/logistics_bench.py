"""Logistics benchmark (issue 5's targets): 200,000 active packages with 5,000,000 tracking events.

    python benchmarks/logistics_bench.py scan --db sqlite:////tmp/xiaodian-bench/logistics.db
    python benchmarks/logistics_bench.py push --seconds 60      # wrk on loopback against one uvicorn process

``scan`` builds the database when empty (orders, shipments, parcels and 25 scans per package, written with plain
INSERTs in large transactions, parcel rows projected by the same pure fold the desk uses), then times: the first
full anomaly scan (which raises the cases), a repeat full scan (idempotent, what the hourly scan costs), and an
incremental scan after 1,000 packages got new scans. ``push`` starts the desk on a fresh SQLite database with
2,000 shipped parcels, drives POST /hooks/kuaidi100 with wrk (pre-signed bodies cycled by a Lua script), then
counts the stored pushes. Not a timed test; figures go to RESULTS-logistics.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text

from xiaodian.bootstrap import default_shop_id, open_context
from xiaodian.clock import FixedClock
from xiaodian.logistics import domain
from xiaodian.logistics.ingest import Scan, find_parcels, record_scans
from xiaodian.logistics.jobs import scan_shop
from xiaodian.logistics.models import Kuaidi100Push, Parcel
from xiaodian.settings import Settings

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
KEYS = {"pii_key": "YmVuY2gtcGlpLWtleS0wMDAwMDAwMDAwMDAwMDAwMDA", "index_key": "YmVuY2gtaW5kZXgta2V5LTAwMDAwMDAwMDAwMDAwMDA",
        "session_secret": "YmVuY2gtc2Vzc2lvbi1zZWNyZXQtMDAwMDAwMDAwMDA"}
TEXTS = ["快件已到达【{h}】", "快件已从【{h}】发出", "【{h}】正在派件", "快件已揽收"]
HUBS = ["哈尔滨转运中心", "沈阳转运中心", "廊坊转运中心", "杭州转运中心", "广州转运中心", "武汉转运中心"]


def context(url: str, data: Path, **extra):
    settings = Settings(database_url=url, data_dir=data, now=NOW, **KEYS, **extra)
    return open_context(settings, clock=FixedClock(NOW), migrate=True) if "migrate" in open_context.__code__.co_varnames \
        else open_context(settings, clock=FixedClock(NOW))


def build(ctx, shop_id: int, packages: int, per_package: int) -> None:
    """Plain bulk INSERTs (the benchmark measures the scan, not the loading)."""
    rng = random.Random(5)
    conn = ctx.engine.raw_connection()
    cur = conn.cursor()
    ph = "?" if ctx.settings.is_sqlite else "%s"

    def many(sql, rows):
        cur.executemany(sql.replace("?", ph), rows)

    ts = (lambda d: d.replace(tzinfo=None).isoformat(sep=" ")) if ctx.settings.is_sqlite else (lambda d: d)
    base = 10_000_000
    for start in range(0, packages, 10_000):
        orders, shipments, parcels, events = [], [], [], []
        for i in range(start, min(start + 10_000, packages)):
            pk = base + i
            shipped = NOW - timedelta(hours=rng.uniform(2, 24 * 9))
            orders.append((pk, shop_id, f"69{pk:017d}", "shipped", ts(shipped - timedelta(days=1)), ts(shipped),
                           ts(shipped), 0, 0, 0, "", 1, "bench", ts(NOW), ts(NOW)))
            number = f"7{pk:013d}"
            shipments.append((pk, shop_id, pk, "zhongtong", "中通快递", number, ts(shipped), ts(NOW), "bench"))
            quiet = rng.random()
            span = (NOW - shipped) * (0.3 if quiet < 0.05 else 0.97)
            scans = []
            for k in range(per_package):
                at = shipped + timedelta(hours=1) + span * (k / per_package)
                code = 1 if k == 0 else (5 if k == per_package - 1 and quiet > 0.7 else 0)
                ctx_text = TEXTS[k % 3].format(h=HUBS[k % len(HUBS)]) if k else "快件已揽收"
                scans.append(domain.Event.of(at, code, f"{ctx_text} #{k}", HUBS[k % len(HUBS)]))
                events.append((shop_id, pk, ts(at), code, scans[-1].state.value, HUBS[k % len(HUBS)], scans[-1].context,
                               hashlib.md5(scans[-1].context.encode()).hexdigest(), "bench", ts(NOW)))
            p = domain.project(scans)
            parcels.append((pk, shop_id, pk, "zhongtong", number, ts(shipped), p.state.value, ts(p.state_since),
                            ts(p.first_scan.at), ts(p.newest.at), p.newest.code, p.newest.context, p.newest.location,
                            p.count, p.is_final, True, ts(NOW - timedelta(days=1)), None, 0))
        many("INSERT INTO orders (id, shop_id, order_id, status, created_at, paid_at, shipped_at, pay_amount_fen, "
             "post_amount_fen, flag_colour, items_summary, item_count, source, recorded_at, modified_at) VALUES "
             "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", orders)
        many("INSERT INTO shipments (id, shop_id, order_pk, carrier_code, carrier_name, tracking_no, shipped_at, "
             "recorded_at, source) VALUES (?,?,?,?,?,?,?,?,?)", shipments)
        many("INSERT INTO logistics_parcels (shipment_id, shop_id, order_pk, carrier_code, tracking_no, shipped_at, "
             "state, state_since, picked_up_at, last_event_at, last_code, last_context, last_location, event_count, "
             "is_final, watch, changed_at, next_check_at, poll_failures) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
             parcels)
        many("INSERT INTO tracking_events (shop_id, shipment_id, at, code, state, location, context, digest, source, "
             "recorded_at) VALUES (?,?,?,?,?,?,?,?,?,?)", events)
        conn.commit()
        print(f"  built {min(start + 10_000, packages):,} packages", flush=True)
    cur.close()
    conn.close()


def timed(fn):
    started = time.perf_counter()
    cpu = time.process_time()
    result = fn()
    return result, time.perf_counter() - started, time.process_time() - cpu


def run_scan(args) -> None:
    folder = Path(args.data or tempfile.mkdtemp(prefix="xiaodian-logistics-"))
    url = args.db or f"sqlite:///{folder / 'logistics.db'}"
    ctx = context(url, folder)
    shop_id = default_shop_id(ctx)
    with ctx.sessions() as session:
        have = session.execute(select(func.count()).select_from(Parcel)).scalar_one()
    if have == 0:
        started = time.perf_counter()
        build(ctx, shop_id, args.packages, args.events // args.packages)
        print(f"built in {time.perf_counter() - started:.0f}s")
    with ctx.sessions() as session:
        parcels = session.execute(select(func.count()).select_from(Parcel)).scalar_one()
        events = session.execute(text("select count(*) from tracking_events")).scalar_one()
        session.execute(text("delete from job_leases"))
        # a re-run starts from no cases, so the first full scan raises them again
        session.execute(text("delete from logistics_anomaly_actions"))
        session.execute(text("delete from logistics_anomalies"))
        session.execute(text("delete from order_events where kind like 'logistics_%'"))
        session.commit()
    rows = [("packages", f"{parcels:,}", ""), ("events", f"{events:,}", "")]
    first, wall, cpu = timed(lambda: scan_shop(ctx.sessions, shop_id, NOW, full=True))
    rows.append(("full scan, first (raises the cases)", f"{wall:.2f} s (cpu {cpu:.2f})", f"raised {first.raised:,}"))
    again, wall, cpu = timed(lambda: scan_shop(ctx.sessions, shop_id, NOW + timedelta(minutes=1), full=True))
    rows.append(("full scan, repeat (idempotent)", f"{wall:.2f} s (cpu {cpu:.2f})", f"raised {again.raised}"))
    later = NOW + timedelta(minutes=2)
    with ctx.sessions.begin() as session:
        ids = list(session.execute(select(Parcel.tracking_no).where(Parcel.shop_id == shop_id).limit(1000)).scalars())
        for number in ids:
            parcel = find_parcels(session, shop_id, number, later)[0]
            record_scans(session, parcel, [Scan(later, f"快件已到达【杭州转运中心】 bench {number}", 0, "杭州转运中心")],
                         source="push", now=later)
    inc, wall, cpu = timed(lambda: scan_shop(ctx.sessions, shop_id, later + timedelta(minutes=1), full=False))
    rows.append(("incremental scan after 1,000 packages moved", f"{wall * 1000:.0f} ms (cpu {cpu * 1000:.0f})",
                 f"parcels {inc.parcels}, resolved {inc.resolved}"))
    print(f"\n{'measure':<46} {'time':<24} note")
    for name, value, note in rows:
        print(f"{name:<46} {value:<24} {note}")
    ctx.engine.dispose()


LUA = """
local bodies = {}
for line in io.lines("%s") do bodies[#bodies + 1] = line end
local i = 0
request = function()
  i = i %% #bodies + 1
  return wrk.format("POST", "/hooks/kuaidi100", {["Content-Type"] = "application/x-www-form-urlencoded"}, bodies[i])
end
"""


def run_push(args) -> None:
    from urllib.parse import urlencode

    from xiaodian.db import transaction
    from xiaodian.orders.intake import upsert_orders
    from xiaodian.orders.domain import ItemRecord, OrderRecord, OrderStatus
    from xiaodian.logistics.kuaidi100 import push_sign

    folder = Path(tempfile.mkdtemp(prefix="xiaodian-push-"))
    url = f"sqlite:///{folder / 'push.db'}"
    salt = "bench-salt"
    ctx = context(url, folder, kuaidi100_salt=salt)
    shop_id = default_shop_id(ctx)
    numbers = [f"YT{9000000000000 + i}" for i in range(args.parcels)]
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[OrderRecord(
            order_id=f"69000000000{i:08d}", status=OrderStatus.SHIPPED, created_at=NOW - timedelta(days=2),
            paid_at=NOW - timedelta(days=2), pay_amount_fen=100, carrier="圆通速递", tracking_no=n,
            shipped_at=NOW - timedelta(days=1), items=[ItemRecord(sku_order_id=f"69000000000{i:08d}",
                                                               product_name="五常大米", quantity=1, unit_price_fen=100)])
            for i, n in enumerate(numbers)])
    bodies = folder / "bodies.txt"
    with bodies.open("w") as handle:
        for i, n in enumerate(numbers):
            data = [{"context": f"快件已到达【杭州转运中心】 {k}", "time": (NOW - timedelta(hours=20 - k)).astimezone(
                domain.__dict__.get("SHOP_TZ") or __import__("zoneinfo").ZoneInfo("Asia/Shanghai")).strftime(
                "%Y-%m-%d %H:%M:%S"), "ftime": "", "statusCode": "0", "areaName": "杭州"} for k in range(1 + i % 3)]
            for d in data:
                d["ftime"] = d["time"]
            param = json.dumps({"status": "polling", "lastResult": {"state": "0", "ischeck": "0", "com": "yuantong",
                                                                    "nu": n, "data": data}}, ensure_ascii=False)
            handle.write(urlencode({"param": param, "sign": push_sign(param, salt)}) + "\n")
    script = folder / "push.lua"
    script.write_text(LUA % bodies)
    env = {**os.environ, "XIAODIAN_DATABASE_URL": url, "XIAODIAN_DATA_DIR": str(folder),
           "XIAODIAN_NOW": NOW.isoformat(), "XIAODIAN_KUAIDI100_SALT": salt,
           **{f"XIAODIAN_{k.upper()}": v for k, v in KEYS.items()}}
    server = subprocess.Popen([sys.executable, "-c", (
        "import uvicorn; from xiaodian.bootstrap import open_context; from xiaodian.web.app import create_app; "
        f"uvicorn.run(create_app(open_context()), host='127.0.0.1', port={args.port}, log_level='warning', "
        "access_log=False)")], env=env)
    try:
        time.sleep(4)
        cpu_before = process_cpu_seconds(server.pid)
        out = subprocess.run(["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "--latency", "-s",
                              str(script), f"http://127.0.0.1:{args.port}"], capture_output=True, text=True).stdout
        cpu_used = process_cpu_seconds(server.pid) - cpu_before
        print(out)
        print(f"server CPU during the run: {cpu_used:.1f} s")
    finally:
        server.terminate()
        server.wait(timeout=120)
    with ctx.sessions() as session:
        stored = session.execute(select(func.count()).select_from(Kuaidi100Push)).scalar_one()
        applied = session.execute(select(func.count()).select_from(Kuaidi100Push)
                                  .where(Kuaidi100Push.processed_at.is_not(None))).scalar_one()
    print(f"pushes stored in the database: {stored:,} (applied {applied:,})")
    ctx.engine.dispose()


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux): on a shared machine, CPU per request is the fair figure."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    scan = sub.add_parser("scan")
    scan.add_argument("--db")
    scan.add_argument("--data")
    scan.add_argument("--packages", type=int, default=200_000)
    scan.add_argument("--events", type=int, default=5_000_000)
    push = sub.add_parser("push")
    push.add_argument("--seconds", type=int, default=60)
    push.add_argument("--connections", type=int, default=16)
    push.add_argument("--parcels", type=int, default=2000)
    push.add_argument("--port", type=int, default=18765)
    args = parser.parse_args()
    run_scan(args) if args.cmd == "scan" else run_push(args)


if __name__ == "__main__":
    main()
