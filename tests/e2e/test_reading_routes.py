"""The order reads (list, counts, one order, shops) run on the web process's event loop with a session that
cannot write (web.deps.read_db); every other route keeps its worker thread. And `xiaodian serve --no-jobs`."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, update

from xiaodian.db import reading, transaction
from xiaodian.orders import service
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import Order, OrderEvent

from ..conftest import NOW
from ..factories import make_record

pytestmark = pytest.mark.both_backends


def _on_the_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def test_the_order_list_runs_on_the_event_loop_and_a_threaded_route_does_not(owner_client, monkeypatch):
    from xiaodian.shipping import reminders

    seen: dict[str, bool] = {}
    list_data, report = service.list_data, reminders.reminders_report

    def probed_list(*args, **kwargs):
        seen["orders"] = _on_the_loop()
        return list_data(*args, **kwargs)

    def probed_report(*args, **kwargs):
        seen["reminders"] = _on_the_loop()
        return report(*args, **kwargs)

    monkeypatch.setattr(service, "list_data", probed_list)
    monkeypatch.setattr(reminders, "reminders_report", probed_report)
    assert owner_client.get("/api/v1/orders").status_code == 200
    assert owner_client.get("/api/v1/shipping/reminders").status_code == 200
    assert seen == {"orders": True, "reminders": False}  # the control: the probe does tell a worker thread apart
    seen.clear()
    assert owner_client.get("/orders").status_code == 200  # the page, through service.list_orders
    assert seen == {"orders": True}


@pytest.mark.parametrize(("module", "path", "on_loop"), [
    ("orders", "/orders", True), ("shipping", "/shipping?view=due24h", True), ("logistics", "/logistics", True),
    ("aftersales", "/aftersales", True), ("shipping.plan_pages", "/shipping/forecast", False)])
def test_the_worklist_pages_render_on_the_event_loop(owner_client, monkeypatch, module, path, on_loop):
    """The pages reloaded all day (order list, 24-hour view, anomaly worklist, after-sales list) are read on the
    loop; the forecast page, like every other, keeps its worker thread (the control)."""
    import importlib

    pages = importlib.import_module(f"xiaodian.{module}" if module.endswith("pages") else f"xiaodian.{module}.pages")
    seen = []
    render = pages.render

    def probed(*args, **kwargs):
        seen.append(_on_the_loop())
        return render(*args, **kwargs)

    monkeypatch.setattr(pages, "render", probed)
    assert owner_client.get(path).status_code == 200
    assert seen == [on_loop]


def test_the_reads_answer_as_before_for_every_login_path(owner_client, app, ctx, shop_id, users):
    """Cookie login (the owner's client) and bearer token alike; an unknown order is still a 404 JSON."""
    from fastapi.testclient import TestClient

    from xiaodian.accounts import service as accounts

    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=[make_record()], cipher=ctx.cipher, now=NOW)
        _row, secret = accounts.create_token(session, accounts.require_user(session, "owner"), "t", NOW)
    cookie = owner_client.get("/api/v1/orders").json()
    with TestClient(app) as client:
        bearer = client.get("/api/v1/orders", headers={"Authorization": f"Bearer {secret}"}).json()
        missing = client.get("/api/v1/orders/1234567890123456789", headers={"Authorization": f"Bearer {secret}"})
        anonymous = client.get("/api/v1/orders/counts")
    assert cookie == bearer and bearer["total"] == 1
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "unauthenticated"


def test_a_reading_session_refuses_writes_and_nothing_is_written(ctx, shop_id):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=[make_record()], cipher=ctx.cipher, now=NOW)
        events_before = session.execute(select(func.count()).select_from(OrderEvent)).scalar_one()
    with reading(ctx.sessions) as session:
        order = session.execute(select(Order)).scalar_one()
        order.merchant_note = "written by a read"
        with pytest.raises(RuntimeError, match="reads only"):
            session.flush()
    with reading(ctx.sessions) as session:
        with pytest.raises(RuntimeError, match="reads only"):
            session.execute(update(Order).values(merchant_note="written by a read"))
    with transaction(ctx.sessions) as session:
        assert session.execute(select(Order.merchant_note)).scalar_one() != "written by a read"
        assert session.execute(select(func.count()).select_from(OrderEvent)).scalar_one() == events_before


@pytest.mark.parametrize("no_jobs", [False, True])
def test_serve_without_jobs_starts_no_background_thread(ctx, monkeypatch, no_jobs):
    import gc

    import uvicorn

    from xiaodian import worker
    from xiaodian.web.cli import _serve

    started, served = [], []
    monkeypatch.setattr(worker, "start_background", lambda c: started.append(c))
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.append(options["port"]))
    monkeypatch.setattr(gc, "freeze", lambda: None)
    _serve(ctx, "127.0.0.1", 18999, jobs=not no_jobs)
    assert served == [18999]
    assert started == ([] if no_jobs else [ctx])
