"""Kuaidi100, the common Chinese tracking aggregator (domain.md §3): signatures, the query and subscribe calls,
reading a push, and the polling job's etiquette.

Etiquette, because Kuaidi100 locks a waybill queried too often and bills per query: at most one query per
waybill per 30 minutes, never again once the parcel is signed or returned, and a growing back-off after errors.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from ..clock import SHOP_TZ
from .ingest import Scan

MIN_INTERVAL = timedelta(minutes=30)  # Kuaidi100: do not query one waybill more often than this
POLL_INTERVAL = timedelta(hours=2)  # how often an unsubscribed waybill is queried when all is well
MAX_BACKOFF = timedelta(hours=12)
PHONE_CARRIERS = frozenset({"shunfeng", "zhongtong", "shunfengkuaiyun"})  # need the receiver's phone (last 4)
REPLY_OK = {"result": True, "returnCode": "200", "message": "成功"}


def query_sign(param: str, key: str, customer: str) -> str:
    return hashlib.md5((param + key + customer).encode("utf-8")).hexdigest().upper()


def push_sign(param: str, salt: str) -> str:
    return hashlib.md5((param + salt).encode("utf-8")).hexdigest().upper()


def push_sign_ok(param: str, sign: str, salt: str | None) -> bool:
    import hmac

    # bytes, not str: compare_digest raises TypeError on a non-ASCII str, and a forged form may carry any text
    return bool(salt) and bool(sign) and hmac.compare_digest(
        push_sign(param, salt).encode("ascii"), sign.strip().upper().encode("utf-8", "replace"))


class Kuaidi100Error(Exception):
    """A query or subscription Kuaidi100 refused; ``code`` is its returnCode, ``locked`` the 30-minute lock."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code} {message}")
        self.code, self.message = code, message

    @property
    def locked(self) -> bool:
        return "30" in self.message and ("分钟" in self.message or "minute" in self.message)


@dataclass
class Tracking:
    """What a query or push says about one waybill."""

    com: str
    nu: str
    state: int | None
    ischeck: bool
    scans: list[Scan]


def _time(text: str) -> datetime:
    return datetime.strptime(text.strip()[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHOP_TZ)


def read_result(data: dict) -> Tracking:
    """A query answer or a push's ``lastResult``. With ``resultv2`` each scan carries its own state code and
    area; without it only the newest scan gets the overall ``state`` and the others are read from their words."""
    items = data.get("data") or []
    state = _int(data.get("state"))
    scans = []
    newest = max((_time(i.get("ftime") or i.get("time")) for i in items), default=None)
    for item in items:
        at = _time(item.get("ftime") or item.get("time"))
        code = _int(item.get("statusCode"))
        if code is None and at == newest:
            code = state
        scans.append(Scan(at=at, context=str(item.get("context") or ""), code=code,
                          location=str(item.get("areaName") or item.get("location") or "")))
    return Tracking(str(data.get("com") or ""), str(data.get("nu") or ""), state, str(data.get("ischeck")) == "1", scans)


def _int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


@dataclass
class Push:
    status: str  # polling / shutdown / abort / updateall
    message: str
    tracking: Tracking | None


def read_push(param: str) -> Push:
    """Raises ValueError when the (correctly signed) param is not the documented shape."""
    body = json.loads(param)
    if not isinstance(body, dict):
        raise ValueError("param is not a JSON object")
    last = body.get("lastResult")
    return Push(str(body.get("status") or ""), str(body.get("message") or ""),
                read_result(last) if isinstance(last, dict) else None)


class Client:
    """The query and subscribe calls. ``base_url`` points at the real service or the local fake."""

    def __init__(self, settings, http: httpx.Client | None = None):
        self.customer, self.key = settings.kuaidi100_customer, settings.kuaidi100_key
        self.salt, self.callback = settings.kuaidi100_salt, settings.kuaidi100_callback_url
        self.base = settings.kuaidi100_base_url.rstrip("/")
        self.http = http or httpx.Client(timeout=10.0)

    @property
    def configured(self) -> bool:
        return bool(self.customer and self.key)

    def query(self, com: str, num: str, phone: str | None = None) -> Tracking:
        param = json.dumps({"com": com, "num": num, "phone": phone or "", "resultv2": "4"}, ensure_ascii=False,
                           separators=(",", ":"))
        response = self.http.post(f"{self.base}/poll/query.do", data={
            "customer": self.customer, "param": param, "sign": query_sign(param, self.key, self.customer)})
        data = _json(response)
        if str(data.get("status")) != "200" or data.get("message") not in (None, "ok"):
            raise Kuaidi100Error(str(data.get("returnCode") or data.get("status") or response.status_code),
                                 str(data.get("message") or "query failed"))
        return read_result(data)

    def subscribe(self, com: str, num: str, phone: str | None = None) -> str:
        """Returns "subscribed" (200) or "already" (501); raises Kuaidi100Error for the rest (600/601 key
        problems, 700/701/702 bad data or unknown carrier)."""
        param = json.dumps({"company": com, "number": num, "key": self.key, "parameters": {
            "callbackurl": self.callback or "", "salt": self.salt or "", "resultv2": "4", "phone": phone or ""}},
            ensure_ascii=False, separators=(",", ":"))
        data = _json(self.http.post(f"{self.base}/poll", data={"schema": "json", "param": param}))
        code = str(data.get("returnCode"))
        if code == "200":
            return "subscribed"
        if code == "501":
            return "already"
        raise Kuaidi100Error(code, str(data.get("message") or "subscribe failed"))


def _json(response: httpx.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        raise Kuaidi100Error(str(response.status_code), "not a JSON answer") from None
    if not isinstance(data, dict):
        raise Kuaidi100Error(str(response.status_code), "unexpected answer")
    return data


def backoff(failures: int, locked: bool) -> timedelta:
    """After an error: 30 min, 1 h, 2 h … up to 12 h; the 30-minute lock is waited out exactly."""
    if locked:
        return MIN_INTERVAL
    return min(MIN_INTERVAL * (2 ** max(failures - 1, 0)), MAX_BACKOFF)


def phone_hint(phone_masked: str | None) -> str | None:
    """SF and ZTO want the receiver's phone; the last 4 digits are enough and are in the masked copy."""
    digits = "".join(c for c in (phone_masked or "")[-4:] if c.isdigit())
    return digits if len(digits) == 4 else None
