"""A small, real Kuaidi100 on 127.0.0.1 implementing the documented contract (domain.md §3): the signed query
(with the 30-minute lock and the phone SF/ZTO need), subscribe (200 / 501 already / 600-601 key / 700-702 data
or unknown carrier) and pushes signed with the subscriber's salt.

Tests set ``waybills`` to what the carriers "know" and ``now`` to the fake's clock.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

KNOWN_CARRIERS = {"zhongtong", "yuantong", "shentong", "yunda", "shunfeng", "jtexpress", "ems", "youzhengguonei",
                  "jd", "debangkuaidi"}
NEEDS_PHONE = {"shunfeng", "zhongtong"}
LOCK = timedelta(minutes=30)


def md5_upper(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()


@dataclass
class Waybill:
    state: int = 0
    ischeck: bool = False
    data: list[dict] = field(default_factory=list)  # newest first, as Kuaidi100 sends them

    def add(self, time: str, context: str, status_code: int | None = None, area: str = "") -> None:
        item = {"time": time, "ftime": time, "context": context, "areaName": area}
        if status_code is not None:
            item["statusCode"] = str(status_code)
            self.state = status_code
        self.data.insert(0, item)


class FakeKuaidi100:
    def __init__(self, customer: str = "FAKECUSTOMER", key: str = "fake-key", now: datetime | None = None):
        self.customer, self.key = customer, key
        self.now = now or datetime(2026, 11, 24, 10, 0)
        self.waybills: dict[tuple[str, str], Waybill] = {}
        self.subscriptions: dict[tuple[str, str], dict] = {}
        self.last_query: dict[str, datetime] = {}
        self.queries: list[dict] = []
        self._server: ThreadingHTTPServer | None = None

    # ---- the contract ------------------------------------------------------------------------------------
    def query(self, form: dict) -> dict:
        param_text = form.get("param", "")
        if form.get("customer") != self.customer or form.get("sign") != md5_upper(param_text + self.key + self.customer):
            return {"result": False, "returnCode": "503", "message": "验证签名失败"}
        param = json.loads(param_text)
        com, num = param.get("com", ""), param.get("num", "")
        self.queries.append(param)
        if com not in KNOWN_CARRIERS:
            return {"result": False, "returnCode": "400", "message": "找不到对应公司"}
        if com in NEEDS_PHONE and len(str(param.get("phone") or "")) < 4:
            return {"result": False, "returnCode": "408", "message": "该快递公司需要提供收件人手机号"}
        last = self.last_query.get(num)
        if last is not None and self.now - last < LOCK:
            return {"result": False, "returnCode": "500", "message": "该单号查询过于频繁，已被锁定，请30分钟后再查"}
        self.last_query[num] = self.now
        bill = self.waybills.get((com, num))
        if bill is None or not bill.data:
            return {"result": False, "returnCode": "500", "message": "查询无结果，请隔段时间再查"}
        return {"message": "ok", "nu": num, "ischeck": "1" if bill.ischeck else "0", "com": com, "status": "200",
                "condition": "F00", "state": str(bill.state), "data": bill.data}

    def subscribe(self, form: dict) -> dict:
        if form.get("schema") != "json":
            return {"result": False, "returnCode": "700", "message": "不支持的schema"}
        param = json.loads(form.get("param", "{}"))
        if param.get("key") != self.key:
            return {"result": False, "returnCode": "600", "message": "您不是合法的订阅者（即授权Key出错）"}
        com, num = param.get("company", ""), param.get("number", "")
        if not num:
            return {"result": False, "returnCode": "700", "message": "订阅方的订阅数据存在错误"}
        if com not in KNOWN_CARRIERS:
            return {"result": False, "returnCode": "701", "message": "拒绝订阅的快递公司"}
        if (com, num) in self.subscriptions:
            return {"result": True, "returnCode": "501", "message": "重复订阅"}
        self.subscriptions[(com, num)] = param.get("parameters") or {}
        return {"result": True, "returnCode": "200", "message": "提交成功"}

    def push_form(self, com: str, num: str, status: str = "polling", salt: str | None = None,
                  message: str = "") -> dict:
        """The form a push carries: ``param`` and ``sign = MD5(param + salt)`` with the subscriber's salt."""
        bill = self.waybills.get((com, num)) or Waybill()
        param = json.dumps({"status": status, "billstatus": "got", "message": message, "lastResult": {
            "message": "ok", "state": str(bill.state), "status": "200", "condition": "F00",
            "ischeck": "1" if bill.ischeck else "0", "com": com, "nu": num, "data": bill.data}}, ensure_ascii=False)
        salt = salt if salt is not None else self.subscriptions.get((com, num), {}).get("salt", "")
        return {"param": param, "sign": md5_upper(param + salt)}

    def push(self, com: str, num: str, status: str = "polling") -> dict:
        """Really POST the push to the subscriber's callback URL, as Kuaidi100 does."""
        import httpx

        url = self.subscriptions[(com, num)]["callbackurl"]
        return httpx.post(url, data=self.push_form(com, num, status), timeout=10).json()

    # ---- the HTTP server ---------------------------------------------------------------------------------
    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("content-length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode("utf-8")).items()}
                if self.path.startswith("/poll/query.do"):
                    body = fake.query(form)
                elif self.path.rstrip("/") == "/poll":
                    body = fake.subscribe(form)
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body, ensure_ascii=False).encode("utf-8")
                self.send_response(200)
                self.send_header("content-type", "application/json;charset=utf-8")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
