"""Signatures of the Douyin Open Platform (domain.md §5): the request sign over the exact ``param_json`` bytes
sent, and the push ``event-sign``. Pure: stdlib only.

The platform recomputes the sign over the body it receives, so the bytes we sign must be the bytes we send:
``canonical_param_json`` is used for both, never a second ``json.dumps``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

SIGN_METHODS = ("hmac-sha256", "md5")


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _sorted(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, (list, tuple)):
        return [_sorted(v) for v in value]
    return value


def canonical_param_json(params: dict | None) -> str:
    """Keys sorted recursively, compact separators, non-ASCII kept as is (the platform signs UTF-8 text)."""
    return json.dumps(_sorted(params or {}), ensure_ascii=False, separators=(",", ":"))


def sign_string(app_key: str, method: str, param_json: str, timestamp: str | int, secret: str) -> str:
    """``secret + "app_key"K + "method"M + "param_json"PJ + "timestamp"T + "v2" + secret``."""
    return f"{secret}app_key{app_key}method{method}param_json{param_json}timestamp{timestamp}v2{secret}"


def sign(app_key: str, method: str, param_json: str, timestamp: str | int, secret: str,
         sign_method: str = "hmac-sha256") -> str:
    text = sign_string(app_key, method, param_json, timestamp, secret).encode("utf-8")
    if sign_method == "hmac-sha256":
        return hmac.new(secret.encode("utf-8"), text, hashlib.sha256).hexdigest()
    if sign_method == "md5":
        return hashlib.md5(text).hexdigest()
    raise ValueError(f"unknown sign_method {sign_method!r}; expected one of {SIGN_METHODS}")


def method_of(path: str) -> str:
    """``/order/searchList`` → ``order.searchList``."""
    return path.strip("/").replace("/", ".")


def path_of(method: str) -> str:
    return "/" + method.replace(".", "/")


def event_sign(app_key: str, raw_body: bytes, app_secret: str) -> str:
    """Push signature: ``md5hex(app_key + raw_body + app_secret)`` over the raw bytes received."""
    return hashlib.md5(app_key.encode("utf-8") + raw_body + app_secret.encode("utf-8")).hexdigest()


def event_sign_ok(app_key: str, raw_body: bytes, app_secret: str, given: str | None) -> bool:
    if not (app_key and app_secret and given):
        return False
    # bytes, not str: compare_digest raises TypeError on a non-ASCII str, and a forged header may carry any byte
    return hmac.compare_digest(event_sign(app_key, raw_body, app_secret).encode("ascii"),
                               given.strip().lower().encode("utf-8", "replace"))
