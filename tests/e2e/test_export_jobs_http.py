"""Export jobs through the API and the pages: ask (202), follow, download (the same bytes as the export the request
waits for), cancel; the order list's 后台导出 form for a list too long to download at once; bad input."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from xiaodian.db import transaction
from xiaodian.exports import runner
from xiaodian.orders.intake import upsert_orders

from ..conftest import csrf_of, login
from ..factories import make_record

IDS = [f"69384597040280{i:05d}" for i in range(12)]


@pytest.fixture
def seeded(ctx, shop_id):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=[make_record(oid) for oid in IDS], cipher=ctx.cipher,
                      now=ctx.clock.now())
    return ctx


def test_ask_follow_and_download(seeded, owner_client):
    csrf = {"x-csrf-token": csrf_of(owner_client)}
    asked = owner_client.post("/api/v1/exports/jobs", headers=csrf, json={"format": "csv", "q": "五常"})
    assert asked.status_code == 202
    job = asked.json()
    assert asked.headers["location"] == f"/api/v1/exports/jobs/{job['id']}"
    assert job["status"] == "queued" and job["filter"] == {"q": "五常"} and job["download_url"] is None
    assert job["requested_by"] == "owner" and job["orders_total"] == 12 and job["percent"] == 0
    not_yet = owner_client.get(f"/api/v1/exports/jobs/{job['id']}/file")
    assert not_yet.status_code == 409 and not_yet.json()["error"]["code"] == "export_not_ready"
    runner.run_waiting(seeded)
    done = owner_client.get(f"/api/v1/exports/jobs/{job['id']}").json()
    assert done["status"] == "done" and done["percent"] == 100 and done["rows"] == 12
    assert done["expires_at"].endswith("+08:00")
    file = owner_client.get(done["download_url"])
    assert file.status_code == 200 and file.headers["x-row-count"] == "12"
    assert f"-{job['id']}.csv" in file.headers["content-disposition"]
    direct = owner_client.get("/api/v1/exports/orders", params={"format": "csv", "q": "五常"})
    assert file.content == direct.content
    assert [j["id"] for j in owner_client.get("/api/v1/exports/jobs").json()] == [job["id"]]


def test_bad_input_names_the_field_and_stores_nothing(seeded, owner_client):
    csrf = {"x-csrf-token": csrf_of(owner_client)}
    for body, field in (({"format": "pdf"}, "format"), ({"created_from": "2026-11-20", "created_to": "2026-11-01"},
                                                        "created_to"), ({"reveal": True}, "reason")):
        refused = owner_client.post("/api/v1/exports/jobs", headers=csrf, json=body)
        assert refused.status_code == 422 and refused.json()["error"]["details"]["field"] == field
    refused = owner_client.post("/api/v1/exports/jobs", headers=csrf, json={"created_from": "not a date"})
    assert refused.status_code == 422
    for wrong in ("abc", "0", "-1", "9" * 40, "1%20OR%201=1"):
        missing = owner_client.get(f"/api/v1/exports/jobs/{wrong}")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "export_job_not_found", wrong
    assert owner_client.get("/api/v1/exports/jobs").json() == []


def test_cancel_through_the_api(seeded, owner_client):
    csrf = {"x-csrf-token": csrf_of(owner_client)}
    job = owner_client.post("/api/v1/exports/jobs", headers=csrf, json={}).json()
    cancelled = owner_client.post(f"/api/v1/exports/jobs/{job['id']}/cancel", headers=csrf)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = owner_client.post(f"/api/v1/exports/jobs/{job['id']}/cancel", headers=csrf)
    assert again.status_code == 409 and again.json()["error"]["code"] == "export_job_finished"
    assert runner.run_waiting(seeded) == []


def test_the_order_list_asks_for_a_job_when_the_list_is_too_long(seeded, owner_client, monkeypatch):
    from xiaodian.orders import pages

    monkeypatch.setattr(pages, "PAGE_EXPORT_ORDERS", 11)
    html = owner_client.get("/orders", params={"tab": "awaiting_shipment"}).text
    assert 'action="/exports?status=awaiting_shipment"' in html and "/api/v1/exports/orders" not in html
    # the page's threshold only: the export API still writes such a list while its request waits
    direct = owner_client.get("/api/v1/exports/orders", params={"status": "awaiting_shipment"})
    assert direct.status_code == 200 and direct.headers["x-row-count"] == "12"
    token = html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    asked = owner_client.post("/exports?status=awaiting_shipment", data={"csrf_token": token, "format": "xlsx",
                                                                          "per": "order"}, follow_redirects=False)
    assert asked.status_code == 303 and asked.headers["location"].startswith("/exports?created=")
    page = owner_client.get(asked.headers["location"]).text
    assert "已排队" in page and "排队中" in page and 'data-refresh-seconds="3"' in page and "备货中" in page
    runner.run_waiting(seeded)
    page = owner_client.get(asked.headers["location"]).text
    assert "已完成，请在下方下载文件" in page and "已排队" not in page
    assert "已完成" in page and "data-refresh-seconds" not in page and 'class="download"' in page
    assert "Excel · 每个订单一行" in page and " KB</span>" in page


def test_the_form_refuses_a_bad_filter_on_the_page(seeded, owner_client):
    token = csrf_of(owner_client, "/exports")
    refused = owner_client.post("/exports?created_from=2026-13-01", data={"csrf_token": token, "format": "csv"})
    assert refused.status_code == 422 and 'data-code="validation_failed"' in refused.text
    assert "created_from" in refused.text and "暂无导出任务" in refused.text


def test_a_revealing_job_is_downloadable_by_the_owner_alone(seeded, app, users):
    """A file with every buyer's full details is the owner's (pii.export): cs reveals one order at a time."""
    with TestClient(app) as owner, TestClient(app) as cs, TestClient(app) as warehouse:
        login(owner, "owner")
        login(cs, "cs")
        login(warehouse, "warehouse")
        refused = cs.post("/api/v1/exports/jobs", headers={"x-csrf-token": csrf_of(cs)},
                          json={"reveal": True, "reason": "快递理赔需要完整地址"})
        assert refused.status_code == 403
        job = owner.post("/api/v1/exports/jobs", headers={"x-csrf-token": csrf_of(owner)},
                         json={"reveal": True, "reason": "快递理赔需要完整地址"}).json()
        runner.run_waiting(seeded)
        assert owner.get(f"/api/v1/exports/jobs/{job['id']}/file").status_code == 200
        for other in (cs, warehouse):
            assert other.get(f"/api/v1/exports/jobs/{job['id']}/file").status_code == 403
            assert 'class="download"' not in other.get("/exports").text  # not offered either
        cancel = warehouse.post(f"/api/v1/exports/jobs/{job['id']}/cancel",
                                headers={"x-csrf-token": csrf_of(warehouse)})
        assert cancel.status_code == 404  # someone else's job


def test_cancel_on_the_page_and_a_wrong_id_named(seeded, owner_client):
    token = csrf_of(owner_client, "/exports")
    job = owner_client.post("/api/v1/exports/jobs", headers={"x-csrf-token": token}, json={"format": "csv"}).json()
    page = owner_client.get("/exports").text
    assert f'action="/exports/{job["id"]}/cancel"' in page
    done = owner_client.post(f"/exports/{job['id']}/cancel", data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/exports"
    page = owner_client.get("/exports").text
    assert "已取消" in page and f'action="/exports/{job["id"]}/cancel"' not in page
    again = owner_client.post(f"/exports/{job['id']}/cancel", data={"csrf_token": token})
    assert again.status_code == 409 and 'data-code="export_job_finished"' in again.text and "已经结束" in again.text
    wrong = owner_client.post("/exports/abc/cancel", data={"csrf_token": token})
    assert wrong.status_code == 404 and "找不到这个导出任务" in wrong.text
    forged = owner_client.post(f"/exports/{job['id']}/cancel", data={"csrf_token": "forged"})
    assert forged.status_code == 403
