"""The desk deployed as the README says (QA pass 12): web processes started by `serve --workers N` log their
requests through the desk's redacting handler, and `serve` / `worker` pointed at a database that does not answer
say so in one line instead of 470 lines of traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from ..browser.conftest import _free_port
from ..conftest import NOW, TEST_KEYS

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.mark.parametrize("command", [["serve", "--port", "1"], ["worker", "--once"]])
def test_a_database_that_does_not_answer_is_one_line_naming_it_without_its_password(cli_env, monkeypatch, command):
    port = _free_port()  # nothing listens there
    monkeypatch.setenv("XIAODIAN_DATABASE_URL", f"postgresql://postgres:S3cretPW@127.0.0.1:{port}/nowhere")
    result = CliRunner().invoke(cli_env, command)
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) <= 3 and "Traceback" not in result.output, result.output
    flat = " ".join(result.output.split())
    assert f"127.0.0.1:{port}/nowhere cannot be used" in flat and "S3cretPW" not in flat, flat
    assert "XIAODIAN_DATABASE_URL" in flat


def test_a_web_process_of_serve_workers_logs_through_the_desks_redacting_handler(settings, ctx, tmp_path):
    """What uvicorn runs in each process of `serve --workers N` (web.asgi.create), in a fresh interpreter: a desk
    log line reaches stderr, and a Douyin access token in it is masked."""
    env = {**os.environ, "XIAODIAN_DATABASE_URL": settings.database_url, "XIAODIAN_DATA_DIR": str(settings.data_dir),
           "XIAODIAN_NOW": NOW.isoformat(), **{f"XIAODIAN_{k.upper()}": v for k, v in TEST_KEYS.items()}}
    script = ("import logging\nfrom xiaodian.web.asgi import create\ncreate()\n"
              "logging.getLogger('xiaodian.access').info('GET /x?access_token=abcdef123456 200 1.0ms')\n")
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    line = next((line for line in run.stderr.splitlines() if "xiaodian.access" in line), None)
    assert line is not None, run.stderr
    assert "INFO" in line and "abcdef123456" not in line, line


def test_the_access_line_of_a_refusal_names_its_code(owner_client, caplog):
    """QA pass 12, #5: `POST …/shipments 409 104.4ms` did not say whether the order was already shipped or changed
    by someone else; the line now carries the error's stable code (never the query string)."""
    with caplog.at_level("INFO", logger="xiaodian.access"):
        owner_client.get("/api/v1/orders/6938459704022656099?q=13812345678", headers={"accept": "application/json"})
    line = next(r.getMessage() for r in caplog.records if r.name == "xiaodian.access")
    assert line.startswith("GET /api/v1/orders/6938459704022656099 404 order_not_found ") or \
        line.startswith("GET /api/v1/orders/6938459704022656099 404 not_found "), line
    assert "13812345678" not in line


def test_uvicorns_own_lines_carry_the_desks_timestamp(settings, ctx):
    """QA pass 12, #5: `INFO:     Started server process [5240]` had no time, beside the desk's lines that do."""
    import re
    import time

    env = {**os.environ, "XIAODIAN_DATABASE_URL": settings.database_url, "XIAODIAN_DATA_DIR": str(settings.data_dir),
           **{f"XIAODIAN_{k.upper()}": v for k, v in TEST_KEYS.items()}}
    server = subprocess.Popen([sys.executable, "-c", "from xiaodian.cli import main; main()", "serve", "--port",
                               str(_free_port()), "--no-jobs"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        lines, deadline = [], time.monotonic() + 30
        while time.monotonic() < deadline and not any("startup complete" in line for line in lines):
            lines.append(server.stderr.readline())
    finally:
        server.terminate()
        server.wait(timeout=15)
    started = [line for line in lines if "Started server process" in line]
    assert started and re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO uvicorn", started[0]), lines
