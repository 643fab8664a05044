"""The server's and worker's logs never carry the Douyin access token (QA: httpx logged every platform call's URL,
access_token included, at INFO, into the logs the desk writes; the token lasts days and reads and ships every
order). The real logging set-up (xiaodian.logs.configure_logging, what `xiaodian serve` and `xiaodian worker` run)
is exercised in a fresh interpreter against the fake Open Platform, and the lines it writes are read back."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

from xiaodian.logs import RedactSecrets, redact

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
from datetime import UTC, datetime
from tests.fakes.douyin import APP_KEY, APP_SECRET, SHOP_ID, FakeDouyin, platform_order
from xiaodian.channels.douyin.client import DouyinClient
from xiaodian.logs import configure_logging

configure_logging()
now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
fake = FakeDouyin(now=now)
fake.start()
try:
    fake.put_order(platform_order("4907538423936588900", create=now))
    client = DouyinClient(gateway=fake.url, app_key=APP_KEY, app_secret=APP_SECRET, shop_id=SHOP_ID,
                          now=lambda: now, sleep=lambda s: None, on_token=lambda t: None)
    client.call("order.orderDetail", {"shop_order_id": "4907538423936588900"})
    print("TOKENS", *fake.tokens)
finally:
    fake.stop()
"""


def test_a_platform_call_logs_its_request_without_the_access_token():
    run = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    tokens = run.stdout.split("TOKENS", 1)[1].split()
    assert tokens, run.stdout
    assert "order/orderDetail" in run.stderr and "access_token=***" in run.stderr, run.stderr  # logged, masked
    for token in tokens:
        assert token not in run.stderr, run.stderr


def test_secret_parameters_are_masked_wherever_they_appear():
    assert redact("GET /x?app_key=K&access_token=AT-1&sign=abc") == "GET /x?app_key=K&access_token=***&sign=abc"
    assert redact('refresh_token=RT-9 "HTTP/1.1 200"') == 'refresh_token=*** "HTTP/1.1 200"'
    assert redact("page=2&size=50") == "page=2&size=50"
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "HTTP Request: %s %s", ("POST", "u?token=s3"), None)
    assert RedactSecrets().filter(record) and record.getMessage() == "HTTP Request: POST u?token=***"
