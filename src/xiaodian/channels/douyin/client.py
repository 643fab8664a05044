"""The signed Douyin Open Platform client (domain.md §5): one ``call`` that signs the exact bytes it sends,
keeps the self-use (自用型) app's token fresh, retries throttling and server errors with back-off, and turns a
``code != 10000`` envelope into a ``DouyinError`` carrying the platform's ``sub_code``/``sub_msg``.

Which envelope codes mean "throttled" or "token expired" is not fully public; the sets below are assumptions
kept in one place (and followed by the local fake), so they can be corrected without touching callers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from .signing import canonical_param_json, path_of, sign

log = logging.getLogger("xiaodian.douyin.client")
SUCCESS = 10000
THROTTLE_CODES = frozenset({20000, 20001, 90000})  # assumption: 服务繁忙 / 限流
TOKEN_SUB_CODES = frozenset({"isv.access-token-expired", "isv.access-token-no-exist", "isv.access-token-invalid"})
REFRESH_MARGIN = timedelta(hours=6)  # refresh this long before the token's expiry (tokens last days)


class DouyinError(Exception):
    """The platform said no (``code != 10000``) or could not be reached; ``retryable`` tells the sync whether
    trying later may help."""

    def __init__(self, method: str, code: int | None, msg: str, sub_code: str = "", sub_msg: str = "",
                 log_id: str = "", http_status: int | None = None, retryable: bool = False):
        detail = f"{method}: code {code} {msg}"
        if sub_code or sub_msg:
            detail += f" [{sub_code}] {sub_msg}"
        super().__init__(detail)
        self.method, self.code, self.msg, self.sub_code, self.sub_msg = method, code, msg, sub_code, sub_msg
        self.log_id, self.http_status, self.retryable = log_id, http_status, retryable

    @property
    def token_problem(self) -> bool:
        return self.sub_code in TOKEN_SUB_CODES

    def as_json(self) -> dict:
        return {"method": self.method, "code": self.code, "msg": self.msg, "sub_code": self.sub_code,
                "sub_msg": self.sub_msg, "log_id": self.log_id}


@dataclass
class Token:
    access_token: str
    refresh_token: str
    expires_at: datetime


class DouyinClient:
    """One shop's connection. ``on_token`` is called with each new token so the caller can store it encrypted;
    ``now`` is the desk clock (token expiry, request timestamps); ``sleep`` is injectable for tests."""

    def __init__(self, *, gateway: str, app_key: str, app_secret: str, shop_id: str, now: Callable[[], datetime],
                 token: Token | None = None, on_token: Callable[[Token], None] | None = None,
                 http: httpx.Client | None = None, sleep: Callable[[float], None] = time.sleep,
                 max_attempts: int = 4, backoff_seconds: float = 0.5, timeout_seconds: float = 10.0,
                 sign_method: str = "hmac-sha256"):
        self.gateway = gateway.rstrip("/")
        self.app_key, self.app_secret, self.shop_id = app_key, app_secret, str(shop_id)
        self.now, self.token, self.on_token = now, token, on_token
        self.http = http or httpx.Client(timeout=timeout_seconds)
        self.sleep, self.max_attempts, self.backoff = sleep, max_attempts, backoff_seconds
        self.sign_method = sign_method
        self.calls = 0  # requests sent, for status and benchmarks

    # ---- tokens --------------------------------------------------------------------------------------------
    def create_token(self) -> Token:
        data = self._send("token.create", {"grant_type": "authorization_self", "shop_id": self.shop_id},
                          access_token=None)
        return self._keep(data)

    def refresh_token(self) -> Token:
        if self.token is None:
            return self.create_token()
        try:
            data = self._send("token.refresh", {"grant_type": "refresh_token",
                                                "refresh_token": self.token.refresh_token}, access_token=None)
        except DouyinError as exc:
            if exc.retryable:
                raise
            return self.create_token()  # a self-use app may always create a fresh token
        return self._keep(data)

    def ensure_token(self) -> Token:
        if self.token is None:
            return self.create_token()
        if self.token.expires_at - REFRESH_MARGIN <= self.now():
            return self.refresh_token()
        return self.token

    def _keep(self, data: dict) -> Token:
        try:
            token = Token(str(data["access_token"]), str(data.get("refresh_token") or ""),
                          self.now() + timedelta(seconds=int(data["expires_in"])))
        except (KeyError, TypeError, ValueError) as exc:
            raise DouyinError("token", None, f"token answer lacks access_token/expires_in: {exc}") from exc
        self.token = token
        if self.on_token:
            self.on_token(token)
        return token

    # ---- calls ---------------------------------------------------------------------------------------------
    def call(self, method: str, params: dict | None = None) -> dict:
        """Calls ``method`` (``order.searchList``) and returns its ``data``. A rejected token is refreshed
        once and the call repeated."""
        token = self.ensure_token()
        try:
            return self._send(method, params, access_token=token.access_token)
        except DouyinError as exc:
            if not exc.token_problem:
                raise
        token = self.refresh_token()
        return self._send(method, params, access_token=token.access_token)

    def _send(self, method: str, params: dict | None, *, access_token: str | None) -> dict:
        param_json = canonical_param_json(params)
        body = param_json.encode("utf-8")
        last: DouyinError | None = None
        for attempt in range(self.max_attempts):
            if attempt:
                self.sleep(self.backoff * (2 ** (attempt - 1)))
            timestamp = str(int(self.now().timestamp()))
            query = {"app_key": self.app_key, "method": method, "timestamp": timestamp, "v": "2",
                     "sign": sign(self.app_key, method, param_json, timestamp, self.app_secret, self.sign_method),
                     "sign_method": self.sign_method}
            if access_token:
                query["access_token"] = access_token
            self.calls += 1
            try:
                response = self.http.post(self.gateway + path_of(method), params=query, content=body,
                                          headers={"Content-Type": "application/json;charset=UTF-8"})
            except httpx.TimeoutException as exc:
                last = DouyinError(method, None, f"timeout: {exc}", retryable=True)
                continue
            except httpx.TransportError as exc:
                last = DouyinError(method, None, f"network error: {exc}", retryable=True)
                continue
            if response.status_code == 429 or response.status_code >= 500:
                last = DouyinError(method, None, f"HTTP {response.status_code}", http_status=response.status_code,
                                   retryable=True)
                continue
            envelope = _envelope(method, response)
            code = envelope.get("code")
            if code == SUCCESS:
                data = envelope.get("data")
                return data if isinstance(data, dict) else {}
            last = DouyinError(method, code, str(envelope.get("msg") or ""), str(envelope.get("sub_code") or ""),
                               str(envelope.get("sub_msg") or ""), str(envelope.get("log_id") or ""),
                               response.status_code, retryable=code in THROTTLE_CODES)
            if not last.retryable:
                raise last
        log.warning("giving up on %s after %d attempts: %s", method, self.max_attempts, last)
        assert last is not None
        raise last


def _envelope(method: str, response: httpx.Response) -> dict:
    try:
        data = response.json()
    except ValueError as exc:
        raise DouyinError(method, None, f"HTTP {response.status_code}: answer is not JSON",
                          http_status=response.status_code) from exc
    if not isinstance(data, dict):
        raise DouyinError(method, None, "answer is not a JSON object", http_status=response.status_code)
    try:
        data["code"] = int(data.get("code"))
    except (TypeError, ValueError):
        raise DouyinError(method, None, f"envelope without a numeric code: {str(data)[:200]}") from None
    return data
