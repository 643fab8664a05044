"""Douyin connection throughput: (1) order sync of N orders from the local fake Open Platform into a fresh SQLite
(or PostgreSQL) desk, end to end over loopback HTTP (signing, paging, mapping, encrypting, upsert, commit);
(2) the push receiver under wrk on loopback: signed single-message batches with distinct msg_ids, counting
messages accepted per second and checking every accepted one is in the inbox.

    python benchmarks/douyin_bench.py sync [--orders 100000] [--postgres URL]
    python benchmarks/douyin_bench.py push [--seconds 10] [--connections 16]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fakes.douyin import APP_KEY, APP_SECRET, SHOP_ID, FakeDouyin, platform_order  # noqa: E402
from xiaodian.bootstrap import default_shop_id, open_context  # noqa: E402
from xiaodian.clock import FixedClock  # noqa: E402
from xiaodian.db import transaction  # noqa: E402
from xiaodian.settings import Settings  # noqa: E402

NOW = datetime.fromisoformat("2026-11-24T18:00:00+08:00")
KEYS = {"pii_key": "YmVuY2gtcGlpLWtleS0wMDAwMDAwMDAwMDAwMDAwMDA",
        "index_key": "YmVuY2gtaW5kZXgta2V5LTAwMDAwMDAwMDAwMDAwMDA",
        "session_secret": "YmVuY2gtc2Vzc2lvbi1zZWNyZXQtMDAwMDAwMDAwMDA"}


def desk(url: str, folder: Path, gateway: str):
    settings = Settings(database_url=url, data_dir=folder / "data", now=NOW, douyin_gateway=gateway, **KEYS)
    ctx = open_context(settings, migrate=True, clock=FixedClock(NOW))
    from xiaodian.channels.douyin import service

    with transaction(ctx.sessions) as session:
        service.connect(session, shop_id=default_shop_id(ctx), platform_shop_id=SHOP_ID, app_key=APP_KEY,
                        app_secret=APP_SECRET, cipher=ctx.cipher, principal=service.SYNC, now=NOW)
    return ctx


def bench_sync(args) -> None:
    from xiaodian.channels.douyin import service, sync

    fake = FakeDouyin(now=NOW)
    fake.start()
    for i in range(args.orders):  # spread over three days of update times
        fake.now = NOW - timedelta(seconds=(i * 259_200) // args.orders + 60)
        fake.put_order(platform_order(str(4907538400000000000 + i), create=fake.now - timedelta(hours=1),
                                      amount_fen=1000 + i % 5000, phone=f"138{i % 100_000_000:08d}"))
    fake.now = NOW
    with tempfile.TemporaryDirectory() as tmp:
        url = args.postgres or f"sqlite:///{tmp}/bench.db"
        ctx = desk(url, Path(tmp), fake.url)
        shop_id = default_shop_id(ctx)
        ctx.settings = ctx.settings.model_copy(update={"douyin_first_sync_days": 4})
        client = service.build_client(ctx.sessions, shop_id=shop_id, settings=ctx.settings, cipher=ctx.cipher,
                                      clock=ctx.clock)
        for label in ("first sync", "re-sync (all unchanged)"):
            start, cpu = time.perf_counter(), time.process_time()
            since = NOW - timedelta(days=4)
            report = sync.sync_orders(ctx.sessions, shop_id=shop_id, client=client, cipher=ctx.cipher, now=NOW,
                                      settings=ctx.settings, since=since)
            took, cpu = time.perf_counter() - start, time.process_time() - cpu
            print(f"| {label} | {args.orders:,} | {report.pages} | {took:.1f} s | {cpu:.1f} s | "
                  f"{args.orders / took:,.0f} | {json.dumps(report.orders)} | {len(report.errors)} |")
        ctx.engine.dispose()
    fake.stop()


WRK_SCRIPT = r"""
local bodies, signs = {}, {}
local f = io.open(os.getenv("DY_BENCH_FILE"), "r")
for line in f:lines() do
  local sign, body = line:match("^(%x+)\t(.*)$")
  table.insert(signs, sign); table.insert(bodies, body)
end
f:close()
local counter, threads = 0, 2
local next_id = 0
function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end
request = function()
  local i = (counter * threads + tid) % #bodies + 1
  counter = counter + 1
  return wrk.format("POST", "/hooks/douyin", {["content-type"] = "application/json", ["app-id"] = os.getenv("DY_APP"),
                    ["event-sign"] = signs[i]}, bodies[i])
end
"""


def bench_push(args) -> None:
    """Processing is pointed at a fake that answers every detail, so the measure is the receiver as deployed."""
    import hashlib

    from sqlalchemy import func, select

    from xiaodian.channels.douyin.models import DouyinInbox

    fake = FakeDouyin(now=NOW)
    fake.start()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = args.postgres or f"sqlite:///{tmp}/bench.db"
        desk(url, folder, fake.url).engine.dispose()
        lines = []
        per_thread = args.messages
        for i in range(per_thread):
            body = json.dumps([{"tag": "999", "msg_id": f"bench-{i}-{k}", "data": "{}"} for k in range(args.per_batch)],
                              separators=(",", ":"))
            sign = hashlib.md5((APP_KEY + body + APP_SECRET).encode()).hexdigest()
            lines.append(f"{sign}\t{body}")
        (folder / "bodies.txt").write_text("\n".join(lines) + "\n")
        (folder / "push.lua").write_text(WRK_SCRIPT)
        env = dict(os.environ, XIAODIAN_DATABASE_URL=url, XIAODIAN_DATA_DIR=str(folder / "data"),
                   XIAODIAN_DOUYIN_GATEWAY=fake.url, DY_BENCH_FILE=str(folder / "bodies.txt"), DY_APP=APP_KEY,
                   **{f"XIAODIAN_{k.upper()}": v for k, v in KEYS.items()})
        server = subprocess.Popen([sys.executable, "-c", "from xiaodian.cli import main; main()", "serve", "--port",
                                   str(args.port)], env=env, stdout=subprocess.DEVNULL, stderr=open(folder / "server.log", "w"))
        try:
            wait_for_port(args.port)
            cpu_before = process_cpu_seconds(server.pid)
            out = subprocess.run(["wrk", "-t", "2", "-c", str(args.connections), "-d", f"{args.seconds}s", "-s",
                                  str(folder / "push.lua"), f"http://127.0.0.1:{args.port}/"],
                                 capture_output=True, text=True, env=env).stdout
            cpu_used = process_cpu_seconds(server.pid) - cpu_before
        finally:
            server.terminate()
            server.wait(60)
        print(out)
        print(f"server CPU during the run: {cpu_used:.1f} s")
        if "Requests/sec" not in out:
            print("the load run failed; server log:\n" + (folder / "server.log").read_text()[-3000:])
        settings = Settings(database_url=url, data_dir=folder / "data", now=NOW, **KEYS)
        ctx = open_context(settings, clock=FixedClock(NOW))
        with ctx.sessions() as session:
            stored = session.execute(select(func.count()).select_from(DouyinInbox)).scalar_one()
        ctx.engine.dispose()
        print(f"messages per batch: {args.per_batch}; distinct messages stored in the inbox: {stored}")
    fake.stop()


def wait_for_port(port: int, seconds: float = 60) -> None:
    """The server is up when it accepts connections (a fixed sleep is too short on a loaded machine)."""
    import socket

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server did not start on port {port}")


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux): on a shared machine, CPU per request is the fair figure."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=("sync", "push"))
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--port", type=int, default=18931)
    parser.add_argument("--per-batch", type=int, default=1, help="messages per pushed batch")
    parser.add_argument("--postgres")
    args = parser.parse_args()
    if args.what == "sync":
        print("| run | orders | pages | wall | CPU | orders/s | result | errors |\n|---|---|---|---|---|---|---|---|")
        bench_sync(args)
    else:
        bench_push(args)


if __name__ == "__main__":
    main()
