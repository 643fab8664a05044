"""`xiaodian serve --trust-proxy ADDR`: behind a TLS reverse proxy the desk believes X-Forwarded-Proto / -For from
that proxy only, so its login cookies are Secure on https (cookie_secure=auto) and the audit log names the real
client; without the option (the default) such headers are ignored, as anyone could send them (QA pass 5, E15)."""

from __future__ import annotations

import socket
import subprocess
import time

import httpx
import pytest

from .test_import_cli import CLI, env  # noqa: F401  (env is a fixture)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(env, *extra):
    port = _free_port()
    proc = subprocess.Popen([*CLI, "serve", "--port", str(port), "--no-jobs", *extra], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/login", timeout=1)
            return proc, f"http://127.0.0.1:{port}"
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    pytest.fail("the desk did not start")


def _login_cookie(base: str) -> str:
    page = httpx.get(f"{base}/login", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"})
    assert page.status_code == 200
    return page.headers["set-cookie"]


@pytest.mark.parametrize("trusted", [True, False])
def test_forwarded_https_counts_only_from_the_trusted_proxy(env, trusted):  # noqa: F811
    proc, base = _serve(env, *(["--trust-proxy", "127.0.0.1"] if trusted else []))
    try:
        cookie = _login_cookie(base)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert ("; secure" in cookie.lower()) is trusted, cookie
