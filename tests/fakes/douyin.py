"""A small, real Douyin Open Platform on 127.0.0.1 following the documented contract (domain.md §5).

Every request's sign is recomputed over the raw body received (wrong sign → error envelope); tokens are created
(``authorization_self`` for the configured shop), refreshed, and expire on the fake's own clock; order.searchList
pages (from 0, size ≤ 100) through orders whose ``update_time`` falls in the asked window (at most
``max_window`` wide); order.orderDetail; order.logisticsAdd ships the whole order (refused once any of it has
shipped) and order.logisticsAddSinglePack ships the given SKU orders (``shipped_order_info``: each SKU order once,
its whole quantity; ``request_id`` idempotent), both appending the waybill to the order's ``logistics_info`` and
moving it to 101 (partly shipped) or 3 (all shipped);
``throttle`` makes the next requests answer as throttled (an envelope code, or HTTP 429/503).
afterSale.operate takes the desk's assumed contract (channels/douyin/operate.py): a known ``type``, items naming
after-sales the fake holds, a ``reject_reason_code`` on every reject, and one answer per case and type.
Pushes are built and signed as the platform does: ``md5hex(app_key + raw_body + app_secret)``.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

APP_KEY, APP_SECRET, SHOP_ID = "7000000000000000001", "fake-secret-0123456789", "88990011"
# afterSale.operate types as the desk assumes them (first review return / after receipt / refund-only / re-send).
OPERATE_AGREE, OPERATE_REJECT = frozenset({101, 111, 201, 301}), frozenset({102, 112, 202, 302})


def _sign(app_key, method, param_json, timestamp, secret, sign_method):
    text = f"{secret}app_key{app_key}method{method}param_json{param_json}timestamp{timestamp}v2{secret}".encode()
    if sign_method == "md5":
        return hashlib.md5(text).hexdigest()
    return hmac.new(secret.encode(), text, hashlib.sha256).hexdigest()


def _ok(data):
    return {"code": 10000, "msg": "success", "sub_code": "", "sub_msg": "", "data": data, "log_id": "fake-log"}


def _err(code, msg, sub_code, sub_msg):
    return {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg, "data": {}, "log_id": "fake-log"}


class FakeDouyin:
    def __init__(self, now: datetime, app_key: str = APP_KEY, app_secret: str = APP_SECRET,
                 shop_id: str = SHOP_ID, token_ttl: timedelta = timedelta(days=7),
                 max_window: timedelta = timedelta(days=7)):
        self.now, self.app_key, self.app_secret, self.shop_id = now, app_key, app_secret, shop_id
        self.token_ttl, self.max_window = token_ttl, max_window
        self.orders: dict[str, dict] = {}
        self.aftersales: dict[str, dict] = {}
        self.tokens: dict[str, datetime] = {}  # access token → expiry
        self.refresh_tokens: set[str] = set()
        self.requests: list[dict] = []  # {"method", "params", "signed_ok"}
        self.logistics: dict[str, dict] = {}  # order id → the order.logisticsAdd that shipped it whole
        self.waybills: list[dict] = []  # every accepted waybill: {"order_id", "logistics_code", "company_code", "skus"}
        self._pack_requests: dict[str, dict] = {}  # request_id → the answer of its first success
        self.operations: list[dict] = []  # accepted afterSale.operate calls: {"type", "aftersale_id", ...}
        self.throttle: list[str] = []  # "code" / "429" / "503", consumed one per request
        self.list_omits: set[str] = set()  # fields searchList leaves out (so the client needs orderDetail)
        self._n = 0
        self._window_cache: dict = {}  # (start, end, asc) → sorted rows, so paging a large shop stays cheap
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    # ---- data -----------------------------------------------------------------------------------------------
    def put_order(self, order: dict) -> dict:
        """Adds or changes an order; its update_time becomes the fake's now (as the platform stamps it)."""
        order = copy.deepcopy(order)
        order["update_time"] = int(self.now.timestamp())
        self.orders[str(order["order_id"])] = order
        self._window_cache.clear()
        return order

    def put_aftersale(self, case: dict) -> dict:
        case = copy.deepcopy(case)
        case["update_time"] = int(self.now.timestamp())
        self.aftersales[str(case["aftersale_id"])] = case
        return case

    def expire_tokens(self) -> None:
        for token in self.tokens:
            self.tokens[token] = self.now - timedelta(seconds=1)

    # ---- the contract ---------------------------------------------------------------------------------------
    def handle(self, path: str, query: dict, raw: bytes) -> tuple[int, dict]:
        with self._lock:
            return self._handle(path, query, raw)

    def _handle(self, path, query, raw):
        method = query.get("method", "")
        param_json = raw.decode("utf-8")
        expected = _sign(self.app_key, method, param_json, query.get("timestamp", ""), self.app_secret,
                         query.get("sign_method", "md5"))
        signed_ok = (query.get("app_key") == self.app_key and query.get("v") == "2"
                     and method == path.strip("/").replace("/", ".")
                     and hmac.compare_digest(expected, query.get("sign", "")))
        try:
            params = json.loads(param_json or "{}")
        except ValueError:
            params = None
        self.requests.append({"method": method, "params": params, "signed_ok": signed_ok})
        if self.throttle:
            mode = self.throttle.pop(0)
            if mode in ("429", "503"):
                return int(mode), {"message": "busy"}
            return 200, _err(20000, "服务繁忙", "isp.service-busy", "请求过于频繁，请稍后重试")
        if not signed_ok:
            return 200, _err(40003, "签名校验失败", "isv.invalid-sign", "sign 校验失败")
        if not isinstance(params, dict):
            return 200, _err(40001, "参数错误", "isv.invalid-param", "param_json 不是 JSON 对象")
        if method == "token.create":
            if params.get("grant_type") != "authorization_self" or str(params.get("shop_id")) != self.shop_id:
                return 200, _err(40001, "参数错误", "isv.invalid-shop", "shop_id 与应用不匹配")
            return 200, _ok(self._new_token())
        if method == "token.refresh":
            if params.get("refresh_token") not in self.refresh_tokens:
                return 200, _err(40001, "参数错误", "isv.refresh-token-invalid", "refresh_token 无效")
            self.refresh_tokens.discard(params["refresh_token"])
            return 200, _ok(self._new_token())
        expiry = self.tokens.get(query.get("access_token", ""))
        if expiry is None:
            return 200, _err(30001, "access_token 无效", "isv.access-token-no-exist", "access_token 不存在")
        if expiry <= self.now:
            return 200, _err(30001, "access_token 已过期", "isv.access-token-expired", "access_token 已过期")
        handler = {"order.searchList": self._search, "order.orderDetail": self._detail,
                   "order.logisticsAdd": self._logistics_add,
                   "order.logisticsAddSinglePack": self._logistics_single_pack, "afterSale.List": self._aftersale_list,
                   "afterSale.Detail": self._aftersale_detail, "afterSale.operate": self._aftersale_operate}.get(method)
        if handler is None:
            return 200, _err(40001, "参数错误", "isv.method-not-exist", f"未知方法 {method}")
        return 200, handler(params)

    def _new_token(self) -> dict:
        self._n += 1
        access, refresh = f"AT-{self._n}", f"RT-{self._n}"
        self.tokens[access] = self.now + self.token_ttl
        self.refresh_tokens.add(refresh)
        return {"access_token": access, "refresh_token": refresh, "expires_in": int(self.token_ttl.total_seconds()),
                "scope": "SCOPE", "shop_id": int(self.shop_id), "shop_name": "假店"}

    def _search(self, params: dict) -> dict:
        size, page = int(params.get("size", 10)), int(params.get("page", 0))
        if not 1 <= size <= 100 or page < 0:
            return _err(40001, "参数错误", "isv.invalid-param", "size 须在 1–100 之间，page 从 0 开始")
        start, end = params.get("update_time_start"), params.get("update_time_end")
        if start is None or end is None or end < start or end - start > self.max_window.total_seconds():
            return _err(40001, "参数错误", "isv.invalid-time-range", "更新时间跨度不能超过限制")
        key = (start, end, bool(params.get("order_asc", False)))
        rows = self._window_cache.get(key)
        if rows is None:
            rows = self._window_cache[key] = sorted(
                (o for o in self.orders.values() if start <= o["update_time"] <= end),
                key=lambda o: (o["update_time"], o["order_id"]), reverse=not key[2])
        chunk = [{k: v for k, v in copy.deepcopy(o).items() if k not in self.list_omits}
                 for o in rows[page * size:(page + 1) * size]]
        return _ok({"shop_order_list": chunk, "total": len(rows), "page": page, "size": size})

    def _aftersale_list(self, params: dict) -> dict:
        size, page = int(params.get("size", 10)), int(params.get("page", 0))
        start, end = params.get("update_start_time"), params.get("update_end_time")
        if not 1 <= size <= 100 or start is None or end is None or end - start > self.max_window.total_seconds():
            return _err(40001, "参数错误", "isv.invalid-param", "size 1–100，更新时间跨度受限")
        rows = sorted((c for c in self.aftersales.values() if start <= c["update_time"] <= end),
                      key=lambda c: (c["update_time"], c["aftersale_id"]))
        return _ok({"items": copy.deepcopy(rows[page * size:(page + 1) * size]), "total": len(rows),
                    "page": page, "size": size})

    def _aftersale_detail(self, params: dict) -> dict:
        case = self.aftersales.get(str(params.get("after_sale_id")))
        if case is None:
            return _err(50002, "业务处理失败", "isv.aftersale-not-exist", "售后单不存在")
        return _ok({"process_info": {"after_sale_info": copy.deepcopy(case)}})

    def _detail(self, params: dict) -> dict:
        order = self.orders.get(str(params.get("shop_order_id")))
        if order is None:
            return _err(50002, "业务处理失败", "isv.order-not-exist", "订单不存在")
        return _ok({"shop_order_detail": copy.deepcopy(order)})

    def _logistics_add(self, params: dict) -> dict:
        order_id = str(params.get("order_id"))
        if order_id not in self.orders:
            return _err(50002, "业务处理失败", "isv.order-not-exist", "订单不存在")
        if not params.get("company_code") or not params.get("logistics_code"):
            return _err(40001, "参数错误", "isv.invalid-param", "company_code 和 logistics_code 必填")
        if order_id in self.logistics or self._shipped_skus(order_id):
            return _err(50002, "业务处理失败", "isv.order-already-shipped", "订单已发货，不能重复发货")
        self.logistics[order_id] = dict(params)
        skus = [str(s["order_id"]) for s in self.orders[order_id].get("sku_order_list") or []]
        self._ship(order_id, skus, str(params["company_code"]), str(params["logistics_code"]))
        return _ok({})

    def _shipped_skus(self, order_id: str) -> set[str]:
        return {sku for w in self.waybills if w["order_id"] == order_id for sku in w["skus"]}

    def _ship(self, order_id: str, skus: list[str], company_code: str, logistics_code: str) -> None:
        order = self.orders[order_id]
        stamp = int(self.now.timestamp())
        self.waybills.append({"order_id": order_id, "logistics_code": logistics_code, "company_code": company_code,
                              "skus": list(skus)})
        order.setdefault("logistics_info", []).append({
            "tracking_no": logistics_code, "company": company_code, "company_name": company_code, "ship_time": stamp,
            "product_info": [{"sku_order_id": sku} for sku in skus]})
        every = {str(s["order_id"]) for s in order.get("sku_order_list") or []}
        order.update(order_status=3 if self._shipped_skus(order_id) >= every else 101, update_time=stamp)
        order["ship_time"] = order.get("ship_time") or stamp
        self._window_cache.clear()

    def _logistics_single_pack(self, params: dict) -> dict:
        """One parcel holding the given SKU orders (of one order here; the platform allows several orders)."""
        request_id = str(params.get("request_id") or "")
        if request_id and request_id in self._pack_requests:
            return _ok(self._pack_requests[request_id])  # idempotent: the first success's answer, nothing shipped
        orders, info = params.get("order_id_list"), params.get("shipped_order_info")
        if not params.get("company_code") or not params.get("logistics_code"):
            return _err(40001, "参数错误", "isv.invalid-param", "company_code 和 logistics_code 必填")
        if not isinstance(orders, list) or not orders or not isinstance(info, list) or not info:
            return _err(40001, "参数错误", "isv.invalid-param", "order_id_list 和 shipped_order_info 必填")
        owner = {str(s["order_id"]): (oid, s) for oid in map(str, orders) if oid in self.orders
                 for s in self.orders[oid].get("sku_order_list") or []}
        if any(str(o) not in self.orders for o in orders):
            return _err(50002, "业务处理失败", "isv.order-not-exist", "订单不存在")
        by_order: dict[str, list[str]] = {}
        for item in info:
            sku = str(item.get("shipped_order_id") or "") if isinstance(item, dict) else ""
            if sku not in owner:
                return _err(40001, "参数错误", "isv.invalid-param", f"子订单 {sku} 不属于 order_id_list 中的订单")
            oid, sku_row = owner[sku]
            if sku in self._shipped_skus(oid) or sku in by_order.get(oid, []):
                return _err(50002, "业务处理失败", "isv.order-already-shipped", f"子订单 {sku} 已发货，不能重复发货")
            if item.get("shipped_num") != int(sku_row.get("item_num") or 0):
                return _err(40001, "参数错误", "isv.invalid-param", f"子订单 {sku} 的 shipped_num 须为待发货数")
            by_order.setdefault(oid, []).append(sku)
        for oid, skus in by_order.items():
            self._ship(oid, skus, str(params["company_code"]), str(params["logistics_code"]))
        answer = {"pack_id": f"PACK-{len(self.waybills)}"}
        if request_id:
            self._pack_requests[request_id] = answer
        return _ok(answer)

    def _aftersale_operate(self, params: dict) -> dict:
        kind, items = params.get("type"), params.get("items")
        if kind not in OPERATE_AGREE | OPERATE_REJECT or not isinstance(items, list) or not items:
            return _err(40001, "参数错误", "isv.invalid-param", "type 或 items 不合法")
        for item in items:
            case = self.aftersales.get(str(item.get("aftersale_id")))
            if case is None:
                return _err(50002, "业务处理失败", "isv.aftersale-not-exist", "售后单不存在")
            if kind in OPERATE_REJECT and not item.get("reject_reason_code"):
                return _err(40001, "参数错误", "isv.invalid-param", "拒绝售后需填写拒绝原因 reject_reason_code")
            if any(op["aftersale_id"] == item["aftersale_id"] and op["type"] == kind for op in self.operations):
                return _err(50002, "业务处理失败", "isv.aftersale-already-operated", "售后单已处理，请勿重复操作")
        for item in items:
            self.operations.append({"type": kind, **item})
            self.aftersales[str(item["aftersale_id"])]["update_time"] = int(self.now.timestamp())
        return _ok({"items": [{"aftersale_id": i["aftersale_id"], "status_code": 0} for i in items]})

    # ---- pushes ---------------------------------------------------------------------------------------------
    def push_body(self, messages: list[dict]) -> bytes:
        """``messages``: {"tag", "msg_id", "data": dict}; data is sent as a JSON string, as the platform does."""
        wire = [{"tag": str(m["tag"]), "msg_id": str(m["msg_id"]),
                 "data": json.dumps(m["data"], ensure_ascii=False)} for m in messages]
        return json.dumps(wire, ensure_ascii=False).encode("utf-8")

    def push_headers(self, body: bytes, forged: bool = False) -> dict:
        secret = "not-the-secret" if forged else self.app_secret
        sign = hashlib.md5(self.app_key.encode() + body + secret.encode()).hexdigest()
        return {"app-id": self.app_key, "event-sign": sign, "content-type": "application/json"}

    # ---- the HTTP server ------------------------------------------------------------------------------------
    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                split = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(split.query).items()}
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                status, body = fake.handle(split.path, query, raw)
                data = json.dumps(body, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("content-type", "application/json;charset=utf-8")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def platform_order(order_id: str, *, status: int = 2, create: datetime, pay: datetime | None = None,
                   exp_ship: datetime | None = None, amount_fen: int = 5990, phone: str = "13800135678",
                   sku: str | None = None, name: str = "五常大米 5kg", qty: int = 2) -> dict:
    """An order as order.searchList / order.orderDetail return it (the fields the desk reads)."""
    ts = lambda d: int(d.timestamp()) if d else 0  # noqa: E731
    return {
        "order_id": order_id, "order_status": status, "main_status": status, "b_type": 2,
        "create_time": ts(create), "pay_time": ts(pay or create), "update_time": ts(create),
        "exp_ship_time": ts(exp_ship), "finish_time": 0, "ship_time": 0,
        "order_amount": amount_fen, "pay_amount": amount_fen, "post_amount": 0,
        "buyer_words": "", "seller_words": "", "cancel_reason": "",
        "post_receiver": "张三", "post_tel": phone,
        "post_addr": {"province": {"name": "浙江省"}, "city": {"name": "杭州市"}, "town": {"name": "西湖区"},
                      "detail": "文三路 100 号"},
        "mask_post_receiver": "张*", "mask_post_tel": phone[:3] + "****" + phone[-4:],
        "sku_order_list": [{"order_id": sku or order_id, "parent_order_id": order_id,
                            "product_id": "3500000000000000001",
                            "product_name": name, "code": "RICE-5KG", "spec": [{"name": "规格", "value": "5kg"}],
                            "item_num": qty, "origin_amount": amount_fen // max(qty, 1), "sum_amount": amount_fen}],
        "logistics_info": [],
    }


def platform_aftersale(aftersale_id: str, order_id: str, *, status: int = 6, kind: int = 1, apply: datetime,
                       reason: str = "质量问题", reason_code: str = "1", refund_fen: int = 5990,
                       deadline: datetime | None = None) -> dict:
    """An after-sale as afterSale.List / afterSale.Detail return it (the fields the desk reads)."""
    return {"aftersale_id": aftersale_id, "shop_order_id": order_id, "order_id": order_id, "aftersale_type": kind,
            "aftersale_status": status, "apply_time": int(apply.timestamp()), "update_time": int(apply.timestamp()),
            "status_deadline": int(deadline.timestamp()) if deadline else 0, "refund_amount": refund_fen,
            "refund_post_amount": 0, "aftersale_num": 1, "reason": reason, "reason_code": reason_code,
            "reason_remark": "", "evidence": [], "return_logistics_code": "", "close_by_buyer": False}
