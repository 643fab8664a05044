"""Sweep over every route the app registers: anonymous callers are turned away, and each role gets exactly
what the permission matrix says. A route missing from ROUTE_PERMISSIONS fails the sweep, so nothing new
can slip in without a decision about who may use it."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount

from xiaodian.accounts.permissions import ROLE_PERMISSIONS, allowed
from xiaodian.db import transaction
from xiaodian.orders.intake import upsert_orders
from xiaodian.web.app import all_routers

from ..conftest import NOW, PASSWORD, csrf_of, login
from ..factories import make_record

PUBLIC = None
# (method, path) → the permission it needs (PUBLIC: reachable without login).
ROUTE_PERMISSIONS: dict[tuple[str, str], str | None] = {
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): "session",
    ("POST", "/logout/everywhere"): "session",
    ("GET", "/lang/{code}"): "orders.read",
    ("GET", "/"): "orders.read",
    ("GET", "/orders"): "orders.read",
    ("GET", "/orders/{order_id}"): "orders.read",
    ("POST", "/orders/{order_id}/note"): "orders.note",
    ("GET", "/api/v1/orders"): "orders.read",
    ("GET", "/api/v1/orders/counts"): "orders.read",
    ("GET", "/api/v1/orders/{order_id}"): "orders.read",
    ("PATCH", "/api/v1/orders/{order_id}/note"): "orders.note",
    ("POST", "/api/v1/orders/notes"): "orders.note",
    ("POST", "/orders/batch-note"): "orders.note",
    ("GET", "/api/v1/shops"): "orders.read",
    ("POST", "/shops/select"): "orders.read",
    ("GET", "/settings/users"): "users.manage",
    ("POST", "/settings/users"): "users.manage",
    ("POST", "/settings/users/{login}/disable"): "users.manage",
    ("POST", "/settings/users/{login}/enable"): "users.manage",
    ("POST", "/settings/users/{login}/role"): "users.manage",
    ("POST", "/settings/users/{login}/password"): "users.manage",
    ("GET", "/settings"): "tokens.own",  # the index of the settings pages a role may open (QA pass 9, #17)
    ("GET", "/settings/tokens"): "tokens.own",
    ("POST", "/settings/tokens"): "tokens.own",
    ("POST", "/settings/tokens/{token_id}/revoke"): "tokens.own",
    ("GET", "/audit"): "audit.read",
    ("GET", "/audit/export.csv"): "audit.read",
    ("GET", "/api/v1/me"): "tokens.own",
    ("PUT", "/api/v1/me/password"): "account.own",
    ("GET", "/settings/password"): "account.own",
    ("POST", "/settings/password"): "account.own",
    ("GET", "/api/v1/users"): "users.manage",
    ("POST", "/api/v1/users"): "users.manage",
    ("POST", "/api/v1/users/{login}/disable"): "users.manage",
    ("POST", "/api/v1/users/{login}/enable"): "users.manage",
    ("PUT", "/api/v1/users/{login}/role"): "users.manage",
    ("PUT", "/api/v1/users/{login}/password"): "users.manage",
    ("GET", "/api/v1/tokens"): "tokens.own",
    ("POST", "/api/v1/tokens"): "tokens.own",
    ("DELETE", "/api/v1/tokens/{token_id}"): "tokens.own",
    ("GET", "/api/v1/audit"): "audit.read",
    ("GET", "/api/v1/audit.csv"): "audit.read",
    ("POST", "/orders/{order_id}/reveal"): "pii.reveal",
    ("POST", "/api/v1/orders/{order_id}/reveal"): "pii.reveal",
    ("GET", "/openapi.json"): "orders.read",
    ("GET", "/docs"): "orders.read",
    ("GET", "/imports/orders"): "orders.import",
    ("POST", "/imports/orders"): "orders.import",
    ("POST", "/imports/orders/{upload_id}/apply"): "orders.import",
    ("GET", "/imports/orders/{upload_id}/result"): "orders.import",
    ("GET", "/imports/orders/jobs/{job_id}"): "orders.import",
    ("POST", "/imports/orders/jobs/{job_id}/apply"): "orders.import",
    ("POST", "/imports/orders/jobs/{job_id}/cancel"): "orders.import",
    ("POST", "/api/v1/imports/orders/jobs"): "orders.import",
    ("GET", "/api/v1/imports/orders/jobs/{job_id}"): "orders.import",
    ("POST", "/api/v1/imports/orders/jobs/{job_id}/apply"): "orders.import",
    ("POST", "/api/v1/imports/orders/jobs/{job_id}/cancel"): "orders.import",
    ("POST", "/api/v1/imports/orders/jobs/{job_id}/noticed"): "orders.import",
    ("POST", "/api/v1/imports/orders"): "orders.import",
    ("GET", "/shipping"): "orders.read",
    ("GET", "/shipping/orders/{order_id}/ship"): "shipping.ship",
    ("POST", "/shipping/orders/{order_id}/ship"): "shipping.ship",
    ("GET", "/shipping/bulk"): "shipping.ship",
    ("POST", "/shipping/bulk"): "shipping.ship",
    ("POST", "/shipping/bulk/{upload_id}/apply"): "shipping.ship",
    ("GET", "/shipping/bulk/{upload_id}/result"): "shipping.ship",
    ("GET", "/shipping/health"): "orders.read",
    ("GET", "/shipping/forecast"): "orders.read",
    ("POST", "/shipping/settings"): "settings.manage",
    ("POST", "/shipping/products/{product_id}/promise"): "settings.manage",
    ("GET", "/shipping/picklist"): "orders.read",
    ("POST", "/api/v1/orders/{order_id}/shipments"): "shipping.ship",
    ("POST", "/api/v1/shipments/bulk"): "shipping.ship",
    ("GET", "/api/v1/shipments/template"): "shipping.ship",
    ("GET", "/shipping/bulk/template.xlsx"): "shipping.ship",
    ("GET", "/api/v1/violations"): "orders.read",
    ("GET", "/api/v1/forecast"): "orders.read",
    ("GET", "/inquiries"): "inquiries.answer",
    ("POST", "/inquiries"): "inquiries.answer",
    ("POST", "/api/v1/inquiries"): "inquiries.answer",
    ("GET", "/logistics"): "orders.read",
    ("GET", "/logistics/anomalies/{anomaly_id}"): "orders.read",
    ("POST", "/logistics/anomalies/{anomaly_id}/act"): "logistics.handle",
    ("GET", "/logistics/orders/{order_id}"): "orders.read",
    ("GET", "/logistics/import"): "logistics.handle",
    ("POST", "/logistics/import"): "logistics.handle",
    ("GET", "/api/v1/orders/{order_id}/tracking"): "orders.read",
    ("GET", "/api/v1/anomalies"): "orders.read",
    ("POST", "/api/v1/anomalies/{anomaly_id}/actions"): "logistics.handle",
    ("POST", "/hooks/kuaidi100"): PUBLIC,  # no login: the Kuaidi100 signature is the credential (SIGNED_HOOKS)
}
# Public routes that answer only to a valid signature: anonymous callers with a bad one get a 4xx.
SIGNED_HOOKS = {("POST", "/hooks/kuaidi100"): {"param": '{"status":"polling"}', "sign": "FORGED"}}
ORDER_ID = "6938459704022656025"
PATH_VALUES = {"order_id": ORDER_ID, "login": "victim", "token_id": "1", "code": "en", "upload_id": "nonexistent",
               "product_id": "3512000000000000101", "anomaly_id": "1"}
BODIES = {
    ("PATCH", "/api/v1/orders/{order_id}/note"): {"merchant_note": "sweep"},
    ("POST", "/api/v1/orders/notes"): {"order_ids": [ORDER_ID], "flag_colour": 2},
    ("POST", "/api/v1/users"): {"login": "newbie", "password": "Newbie-pass-123", "role": "cs"},
    ("PUT", "/api/v1/users/{login}/role"): {"role": "cs"},
    ("PUT", "/api/v1/users/{login}/password"): {"password": "Another-pass-456"},
    ("POST", "/api/v1/tokens"): {"name": "sweep"},
    ("POST", "/api/v1/orders/{order_id}/reveal"): {"reason": "buyer asked to check the address"},
    ("POST", "/api/v1/inquiries"): {"message": "我这个月20号拍了2份五常大米，怎么还没有订单信息？"},
    ("POST", "/api/v1/anomalies/{anomaly_id}/actions"): {"action": "contacted_carrier"},
}
FORMS = {
    ("POST", "/inquiries"): {"message": "我的订单怎么还没发货？"},
    ("POST", "/orders/{order_id}/note"): {"merchant_note": "sweep", "flag_colour": "1"},
    ("POST", "/orders/batch-note"): {"order_id": ORDER_ID, "flag_colour": "3"},
    ("POST", "/settings/users"): {"login": "newbie", "password": "Newbie-pass-123", "role": "cs"},
    ("POST", "/settings/users/{login}/role"): {"role": "cs"},
    ("POST", "/settings/users/{login}/password"): {"password": "Another-pass-456"},
    ("POST", "/settings/tokens"): {"name": "sweep"},
    ("POST", "/orders/{order_id}/reveal"): {"reason": "buyer asked to check the address"},
    ("POST", "/shipping/settings"): {"capacity_per_hour": "120", "work_start": "09:00", "work_end": "18:00",
                                     "default_promise": "48h"},
}


# After-sales (issue 6): the case list, one case, merchant decisions, the contact log, the import, 品退率.
ROUTE_PERMISSIONS.update({
    ("GET", "/aftersales"): "orders.read",
    ("GET", "/aftersales/{aftersale_id}"): "orders.read",
    ("POST", "/aftersales/{aftersale_id}/act"): "aftersales.ship",
    ("POST", "/aftersales/{aftersale_id}/contacts"): "aftersales.decide",
    ("GET", "/quality-rate"): "orders.read",
    ("GET", "/imports/aftersales"): "orders.import",
    ("POST", "/imports/aftersales"): "orders.import",
    ("GET", "/api/v1/aftersales"): "orders.read",
    ("GET", "/api/v1/aftersales/{aftersale_id}"): "orders.read",
    ("POST", "/api/v1/aftersales/{aftersale_id}/actions"): "aftersales.ship",
    ("POST", "/api/v1/aftersales/{aftersale_id}/contacts"): "aftersales.decide",
    ("POST", "/api/v1/imports/aftersales"): "orders.import",
    ("GET", "/api/v1/quality-rate"): "orders.read",
})
PATH_VALUES["aftersale_id"] = "7000000000000000001"
# shipping to the buyer is the one action the route's permission (aftersales.ship) gives alone; the service keeps
# agree / reject / refund for aftersales.decide (tests/integration/test_aftersale_to_send_for_the_warehouse.py)
BODIES[("POST", "/api/v1/aftersales/{aftersale_id}/actions")] = {"action": "reship", "carrier": "zhongtong",
                                                                 "tracking_no": "73123456789012"}
BODIES[("POST", "/api/v1/aftersales/{aftersale_id}/contacts")] = {"channel": "phone", "summary": "sweep"}
# 设置 → 售后设置: owners change which buyer reasons count toward 品退率.
ROUTE_PERMISSIONS.update({
    ("GET", "/settings/aftersales"): "settings.manage",
    ("POST", "/settings/aftersales/families"): "settings.manage",
    ("GET", "/api/v1/aftersales/reason-families"): "settings.manage",
    ("PUT", "/api/v1/aftersales/reason-families"): "settings.manage",
})
BODIES[("PUT", "/api/v1/aftersales/reason-families")] = {"reason_text": "口感不好", "family": "quality"}
FORMS[("POST", "/settings/aftersales/families")] = {"reason_text": "口感不好", "family": "quality"}

# Douyin Open Platform connection (issue 8): owners manage it; the push hook answers only to a valid event-sign.
ROUTE_PERMISSIONS.update({
    ("GET", "/api/v1/douyin/status"): "settings.manage",
    ("PUT", "/api/v1/douyin/connection"): "settings.manage",
    ("PUT", "/api/v1/douyin/write-switch"): "settings.manage",
    ("POST", "/hooks/douyin"): PUBLIC,  # no login: the event-sign is the credential (SIGNED_HOOKS)
    ("GET", "/settings/douyin"): "settings.manage",
    ("POST", "/settings/douyin"): "settings.manage",
    ("POST", "/settings/douyin/writes"): "settings.manage",
    ("POST", "/settings/douyin/retry"): "settings.manage",
    ("GET", "/api/v1/exports/orders"): "orders.export",
    ("POST", "/api/v1/exports/orders"): "orders.export",
})
SIGNED_HOOKS[("POST", "/hooks/douyin")] = {"tag": "101", "msg_id": "1", "data": "{}"}
BODIES[("PUT", "/api/v1/douyin/connection")] = {"shop_id": "88990011", "app_key": "sweep-key", "app_secret": "sweep"}
BODIES[("PUT", "/api/v1/douyin/write-switch")] = {"write_enabled": False}
BODIES[("POST", "/api/v1/exports/orders")] = {"format": "csv"}
# A wrong current password: the sweep's own sessions must survive (a right one would end the others).
BODIES[("PUT", "/api/v1/me/password")] = {"current_password": "not-the-password-1", "new_password": "sweep-password-2"}
FORMS[("POST", "/settings/password")] = {"current_password": "not-the-password-1", "password": "sweep-password-2",
                                         "password_again": "sweep-password-2"}
# Shipping: correcting a tracking number (order page → 更正单号) and the deadline reminders list.
ROUTE_PERMISSIONS.update({
    ("GET", "/shipping/orders/{order_id}/tracking"): "shipping.correct",
    ("POST", "/shipping/orders/{order_id}/shipments/{shipment_id}/correct"): "shipping.correct",
    ("GET", "/shipping/reminders"): "orders.read",
    ("POST", "/shipping/reminders/{reminder_id}/ack"): "shipping.ship",
    ("GET", "/api/v1/orders/{order_id}/shipments"): "orders.read",
    ("PATCH", "/api/v1/orders/{order_id}/shipments/{shipment_id}"): "shipping.correct",
    ("GET", "/api/v1/shipping/reminders"): "orders.read",
    ("POST", "/api/v1/shipping/reminders/{reminder_id}/ack"): "shipping.ship",
})
PATH_VALUES.update({"shipment_id": "1", "reminder_id": "1"})
BODIES[("PATCH", "/api/v1/orders/{order_id}/shipments/{shipment_id}")] = {
    "carrier": "shunfeng", "tracking_no": "SF1234567890123", "reason": "sweep"}
FORMS[("POST", "/shipping/orders/{order_id}/shipments/{shipment_id}/correct")] = {
    "carrier": "shunfeng", "tracking_no": "SF1234567890123", "reason": "sweep"}
# 设置 → 物流异常设置: owners set the shop's anomaly thresholds (page, API, reset); everyone may read them.
ROUTE_PERMISSIONS.update({
    ("GET", "/settings/logistics"): "settings.manage",
    ("POST", "/settings/logistics"): "settings.manage",
    ("POST", "/settings/logistics/reset"): "settings.manage",
    ("GET", "/api/v1/logistics/thresholds"): "orders.read",
    ("PUT", "/api/v1/logistics/thresholds"): "settings.manage",
    ("DELETE", "/api/v1/logistics/thresholds"): "settings.manage",
})
BODIES[("PUT", "/api/v1/logistics/thresholds")] = {"pickup_warning": 18}
FORMS[("POST", "/settings/logistics")] = {"pickup_warning": "18", "pickup_timeout": "24", "pickup_serious": "48",
                                          "stalled_warning": "36", "stalled_timeout": "48", "stalled_serious": "72",
                                          "suspected_lost": "168", "locker_uncollected": "48"}


# Export jobs: a list too long to download at once is written in the background and downloaded later.
ROUTE_PERMISSIONS.update({
    ("GET", "/exports"): "orders.export",
    ("GET", "/jobs/watched"): "orders.export",
    ("POST", "/exports"): "orders.export",
    ("POST", "/exports/{job_id}/cancel"): "orders.export",
    ("POST", "/api/v1/exports/jobs"): "orders.export",
    ("GET", "/api/v1/exports/jobs"): "orders.export",
    ("GET", "/api/v1/exports/jobs/{job_id}"): "orders.export",
    ("POST", "/api/v1/exports/jobs/{job_id}/cancel"): "orders.export",
    ("POST", "/api/v1/exports/jobs/{job_id}/noticed"): "orders.export",
    ("GET", "/api/v1/exports/jobs/{job_id}/file"): "orders.export",
})
PATH_VALUES.update({"job_id": "1"})
BODIES[("POST", "/api/v1/exports/jobs")] = {"format": "csv"}
FORMS[("POST", "/exports")] = {"format": "csv", "per": "sku"}


def registered_routes() -> list[tuple[str, str, APIRoute]]:
    out = []
    for router in all_routers():
        for route in router.routes:
            if isinstance(route, Mount):
                continue
            for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
                out.append((method, route.path, route))
    return out


def declared_permission(route: APIRoute) -> str | None:
    """The permission named by the route's require(...) dependency; "session" for login-only routes."""
    stack = list(route.dependant.dependencies)
    found = None
    while stack:
        dep = stack.pop()
        permission = getattr(dep.call, "permission", None)
        if permission:
            found = permission
        if getattr(dep.call, "__name__", "") == "current_principal" and found is None:
            found = "session"
        stack.extend(dep.dependencies)
    return found


def test_every_route_is_in_the_matrix_with_the_permission_it_declares(app):
    seen = set()
    for method, path, route in registered_routes():
        key = (method, path)
        assert key in ROUTE_PERMISSIONS, f"{method} {path} is not in the permission matrix of this test"
        assert declared_permission(route) == ROUTE_PERMISSIONS[key], f"{method} {path}"
        seen.add(key)
    assert not set(ROUTE_PERMISSIONS) - seen, f"matrix lists routes that no longer exist: {set(ROUTE_PERMISSIONS) - seen}"


def _walk(routes):
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # FastAPI's wrapper around an included router
            yield from _walk(route.original_router.routes)
        elif not isinstance(route, Mount):
            raise AssertionError(f"unexpected route type {type(route).__name__}: {route}")


def test_every_route_the_app_serves_comes_from_all_routers(app):
    served = {(m, r.path) for r in _walk(app.routes) for m in r.methods - {"HEAD", "OPTIONS"}}
    assert served <= set(ROUTE_PERMISSIONS), served - set(ROUTE_PERMISSIONS)


def _fill(path: str) -> str:
    for name, value in PATH_VALUES.items():
        path = path.replace("{" + name + "}", value)
    return path


def _call(client, method, path, csrf=None):
    headers = {"x-csrf-token": csrf} if csrf else {}
    key = (method, path)
    kwargs = {}
    if key in BODIES:
        kwargs["json"] = BODIES[key]
    elif key in FORMS:
        kwargs["data"] = FORMS[key]
    elif method != "GET":
        kwargs["data"] = {}
    return client.request(method, _fill(path), headers=headers, follow_redirects=False, **kwargs)


@pytest.fixture(scope="module")
def sweep_app(tmp_path_factory, sqlite_template):
    """One SQLite desk for the whole sweep (logging in with argon2 per route would be slow), with an order,
    one user per role, and a 'victim' user with a token that the user-management routes act on."""
    import shutil

    from xiaodian.accounts import service
    from xiaodian.bootstrap import default_shop_id, open_context
    from xiaodian.clock import FixedClock
    from xiaodian.web.app import create_app

    from ..conftest import make_settings

    folder = tmp_path_factory.mktemp("sweep")
    shutil.copy(sqlite_template, folder / "desk.db")
    ctx = open_context(make_settings(f"sqlite:///{folder / 'desk.db'}", folder / "data"), clock=FixedClock(NOW))
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=default_shop_id(ctx), records=[make_record(order_id=ORDER_ID)],
                      cipher=ctx.cipher, now=NOW)
        for role in ROLE_PERMISSIONS:
            service.add_user(session, login=role, password=PASSWORD, role=role, now=NOW)
        victim = service.add_user(session, login="victim", password=PASSWORD, role="cs", now=NOW)
        service.create_token(session, victim, "victim-token", NOW)
    app = create_app(ctx)
    clients = {}
    for role in ROLE_PERMISSIONS:
        client = TestClient(app)
        login(client, role)
        clients[role] = (client, csrf_of(client, "/orders"))
    yield app, clients
    for client, _ in clients.values():
        client.close()
    ctx.engine.dispose()


SWEEP = [(m, p) for (m, p), perm in ROUTE_PERMISSIONS.items() if perm not in (PUBLIC, "session")]


@pytest.mark.parametrize("method,path", SWEEP, ids=[f"{m} {p}" for m, p in SWEEP])
def test_route_refuses_anonymous_and_admits_exactly_the_roles_of_the_matrix(sweep_app, method, path):
    app, clients = sweep_app
    permission = ROUTE_PERMISSIONS[(method, path)]
    with TestClient(app) as anonymous:
        response = _call(anonymous, method, path)
    if path.startswith("/api/") or path == "/openapi.json":
        assert response.status_code == 401, response.text
        assert response.json()["error"]["code"] == "unauthenticated"
    else:
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), response.text
    for role, (client, csrf) in clients.items():
        response = _call(client, method, path, csrf=csrf)
        if allowed(role, permission):
            assert response.status_code not in (401, 403), f"{role} refused: {response.status_code} {response.text[:300]}"
        else:
            assert response.status_code == 403, f"{role} admitted: {response.status_code}"
            if path.startswith("/api/"):
                assert response.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("method,path", sorted(SIGNED_HOOKS))
def test_a_signed_hook_refuses_an_anonymous_caller_with_a_bad_signature(sweep_app, method, path):
    app, _clients = sweep_app
    assert ROUTE_PERMISSIONS[(method, path)] is PUBLIC
    with TestClient(app) as anonymous:
        response = anonymous.request(method, path, data=SIGNED_HOOKS[(method, path)])
    assert 400 <= response.status_code < 500, response.text


@pytest.mark.parametrize("path", ["/logout", "/logout/everywhere"])
def test_logout_needs_a_session_and_ends_it(sweep_app, path):
    app, _clients = sweep_app
    with TestClient(app) as anonymous:
        assert _call(anonymous, "POST", path).status_code == 303
    with TestClient(app) as client:
        login(client, "warehouse")
        csrf = csrf_of(client, "/orders")
        assert _call(client, "POST", path, csrf=csrf).headers["location"] == "/login"
        assert client.get("/orders", follow_redirects=False).status_code == 303


def test_every_database_session_commits_before_the_response_is_sent():
    """A session whose commit ran after the response (FastAPI's "request" scope) let a browser follow the
    login redirect before its session row existed, and would report success for a write whose commit failed."""
    from xiaodian.web.deps import db

    late = []
    for method, path, route in registered_routes():
        stack = list(route.dependant.dependencies)
        while stack:
            dep = stack.pop()
            if dep.call is db and dep.scope != "function":
                late.append(f"{method} {path}")
            stack.extend(dep.dependencies)
    assert late == []
