"""Import over HTTP: the API (report JSON, 422 for unreadable files, permission) and the upload page
(preview as a dry run, then apply; CSRF on both forms)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from xiaodian.channels.exportfile.samplegen import export_row, write_rows

from ..conftest import SAMPLES, csrf_of, login

pytestmark = pytest.mark.both_backends

SAMPLE = SAMPLES / "douyin_orders_export.csv"


def _post(client, path, filename, content, **data):
    return client.post(path, files={"file": (filename, content, "text/csv")}, data=data,
                       headers={"x-csrf-token": csrf_of(client)})


def test_api_import_returns_the_report_and_reimport_is_unchanged(owner_client):
    first = _post(owner_client, "/api/v1/imports/orders", "export.csv", SAMPLE.read_bytes())
    assert first.status_code == 200, first.text
    body = first.json()  # the sample's five closed-unpaid rows with a payment time are imported, and named
    assert {k: body.pop(k) for k in ("created", "updated", "unchanged", "rejected", "dry_run")} == {
        "created": 43, "updated": 0, "unchanged": 0, "rejected": [], "dry_run": False}
    assert body["warnings_total"] == 5 and {w["code"] for w in body["warnings"]} == {"closed_unpaid_with_payment"}
    again = _post(owner_client, "/api/v1/imports/orders", "export.csv", SAMPLE.read_bytes())
    assert (again.json()["created"], again.json()["unchanged"]) == (0, 43)
    order = owner_client.get("/api/v1/orders/6938137276061005948").json()
    assert order["status"] == "partially_shipped" and len(order["items"]) == 2


def test_api_dry_run_as_query_or_form_changes_nothing(owner_client):
    by_query = _post(owner_client, "/api/v1/imports/orders?dry_run=true", "export.csv", SAMPLE.read_bytes())
    by_form = _post(owner_client, "/api/v1/imports/orders", "export.csv", SAMPLE.read_bytes(), dry_run="true")
    assert by_query.json()["dry_run"] and by_form.json()["dry_run"] and by_form.json()["created"] == 43
    assert owner_client.get("/api/v1/orders").json()["total"] == 0


def test_api_rejected_rows_come_back_with_row_column_code(owner_client, tmp_path):
    path = write_rows(tmp_path / "e.csv", [export_row(商品金额="九块九")])
    report = _post(owner_client, "/api/v1/imports/orders", "e.csv", path.read_bytes()).json()
    assert report["rejected"] == [{"row": 2, "column": "商品金额", "code": "amount_invalid",
                                   "message": report["rejected"][0]["message"]}]


def test_api_unreadable_file_is_422_with_the_error_shape(owner_client):
    response = _post(owner_client, "/api/v1/imports/orders", "junk.bin", bytes(range(256)) * 10)
    assert response.status_code == 422
    assert set(response.json()["error"]) == {"code", "message", "details"}
    assert response.json()["error"]["code"] == "file_not_export"
    empty = _post(owner_client, "/api/v1/imports/orders", "empty.csv", b"")
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "file_empty"


def test_api_import_needs_login_csrf_and_the_import_permission(app, users, owner_client):
    with TestClient(app) as anonymous:
        response = anonymous.post("/api/v1/imports/orders", files={"file": ("e.csv", b"x", "text/csv")})
        assert response.status_code == 401
    no_csrf = owner_client.post("/api/v1/imports/orders", files={"file": ("e.csv", SAMPLE.read_bytes(), "text/csv")})
    assert no_csrf.status_code == 403
    with TestClient(app) as warehouse:
        login(warehouse, "warehouse")
        refused = _post(warehouse, "/api/v1/imports/orders", "e.csv", SAMPLE.read_bytes())
        assert refused.status_code == 403
    assert owner_client.get("/api/v1/orders").json()["total"] == 0


def test_upload_page_previews_then_applies(owner_client, ctx, tmp_path):
    form = owner_client.get("/imports/orders")
    assert form.status_code == 200 and 'name="csrf_token"' in form.text and 'type="file"' in form.text
    rows = [export_row(), export_row(主订单编号="6938000000000000001", 子订单编号="6938000000000000001",
                                     订单提交时间="2026-13-01 00:00:00")]
    content = write_rows(tmp_path / "e.csv", rows).read_bytes()
    token = csrf_of(owner_client, "/imports/orders")
    preview = owner_client.post("/imports/orders", files={"file": ("my-export.csv", content, "text/csv")},
                                data={"csrf_token": token})
    assert preview.status_code == 200, preview.text
    assert "my-export.csv" in preview.text and "date_invalid" in preview.text and "订单提交时间" in preview.text
    # the reason in the page's language, the exact English message (with the value) kept as the cell's title
    assert "时间无效：应为 2026-11-13 07:04:00 这样的真实时间。" in preview.text and "2026-13-01 00:00:00" in preview.text
    assert owner_client.get("/api/v1/orders").json()["total"] == 0  # a preview changes nothing
    action = preview.text.split('action="/imports/orders/', 1)[1].split('"', 1)[0]
    assert action.endswith("/apply")
    refused = owner_client.post(f"/imports/orders/{action}", data={})
    assert refused.status_code == 403
    applied = owner_client.post(f"/imports/orders/{action}", data={"csrf_token": token})
    assert applied.status_code == 200 and "date_invalid" in applied.text  # on the result page it redirected to
    assert owner_client.get("/api/v1/orders").json()["total"] == 1
    assert not list((ctx.settings.data_dir / "uploads").glob("*.upload"))  # applied uploads are removed
    again = owner_client.post(f"/imports/orders/{action}", data={"csrf_token": token}, follow_redirects=False)
    assert again.status_code == 303  # to the same result (tests/e2e/test_import_apply_redirect.py)


def test_upload_page_shows_why_an_unreadable_file_was_refused(owner_client):
    token = csrf_of(owner_client, "/imports/orders")
    response = owner_client.post("/imports/orders", files={"file": ("x.csv", "名字,年龄\n张三,3\n".encode(), "text/csv")},
                                 data={"csrf_token": token})
    assert response.status_code == 422
    assert "主订单编号" in response.text and 'class="alert error"' in response.text
    assert "缺少必需的列：" in response.text  # the Chinese page says it in Chinese, naming the columns


def test_upload_page_rejects_a_forged_upload_id(owner_client):
    token = csrf_of(owner_client, "/imports/orders")
    response = owner_client.post("/imports/orders/..%2F..%2Fetc/apply", data={"csrf_token": token})
    assert response.status_code == 404


def test_a_large_file_is_checked_and_imported_in_the_background_and_its_page_follows(owner_client, ctx, tmp_path,
                                                                                       monkeypatch):
    """Above BACKGROUND_BYTES the upload page hands the file to a worker: its job page shows the progress, then the
    preview with Apply, then the import's report, as the upload page shows a small file's."""
    from xiaodian.channels.exportfile import pages
    from xiaodian.imports import runner

    monkeypatch.setattr(pages, "BACKGROUND_BYTES", 100)  # this file is "large"
    rows = [export_row(), export_row(主订单编号="6938000000000000001", 子订单编号="6938000000000000001",
                                     订单提交时间="2026-13-01 00:00:00")]
    content = write_rows(tmp_path / "e.csv", rows).read_bytes()
    token = csrf_of(owner_client, "/imports/orders")
    asked = owner_client.post("/imports/orders", files={"file": ("big-export.csv", content, "text/csv")},
                              data={"csrf_token": token}, follow_redirects=False)
    assert asked.status_code == 303 and asked.headers["location"].startswith("/imports/orders/jobs/")
    page = owner_client.get(asked.headers["location"])
    assert page.status_code == 200 and "data-refresh-seconds" in page.text and "big-export.csv" in page.text
    assert "等待后台处理" in page.text
    assert "big-export.csv" in owner_client.get("/imports/orders").text  # listed on the upload page meanwhile
    assert [status for _job, status in runner.run_waiting(ctx)] == ["done"]
    preview = owner_client.get(asked.headers["location"])
    assert "data-refresh-seconds" not in preview.text and "date_invalid" in preview.text
    assert owner_client.get("/api/v1/orders").json()["total"] == 0  # a preview changes nothing
    action = preview.text.split('class="apply" method="post" action="', 1)[1].split('"', 1)[0]
    assert action == asked.headers["location"] + "/apply"
    assert owner_client.post(action, data={}).status_code == 403  # CSRF
    applied = owner_client.post(action, data={"csrf_token": token}, follow_redirects=False)
    assert applied.status_code == 303 and applied.headers["location"] != asked.headers["location"]
    again = owner_client.post(action, data={"csrf_token": token}, follow_redirects=False)
    assert again.headers["location"] == applied.headers["location"]  # one import per preview
    assert [status for _job, status in runner.run_waiting(ctx)] == ["done"]
    done = owner_client.get(applied.headers["location"])
    assert "已导入" in done.text and "date_invalid" in done.text
    assert owner_client.get("/api/v1/orders").json()["total"] == 1
    assert "这个文件的导入已提交" in owner_client.get(asked.headers["location"]).text  # the preview links to it
    listed = owner_client.get("/imports/orders").text.split('class="grid import-jobs"', 1)[1]
    assert listed.count("新建 1 · 更新 0 · 无变化 0 · 未通过 1") == 2  # the check and the import, with their results
    for wrong in ("abc", "99999", "1%20OR%201=1"):
        assert owner_client.get(f"/imports/orders/jobs/{wrong}").status_code == 404


def test_a_large_file_that_is_no_export_is_refused_at_once(owner_client, ctx, monkeypatch):
    """Its header is read before it is handed to the worker: a wrong file needs no job to be refused."""
    from xiaodian.channels.exportfile import pages
    from xiaodian.imports.models import ImportJob

    monkeypatch.setattr(pages, "BACKGROUND_BYTES", 10)
    token = csrf_of(owner_client, "/imports/orders")
    for content, says in (("名字,年龄\n张三,3\n".encode(), "缺少必需的列："), (bytes(range(256)) * 100, "不是抖店的订单导出文件")):
        refused = owner_client.post("/imports/orders", files={"file": ("x.csv", content, "text/csv")},
                                    data={"csrf_token": token}, follow_redirects=False)
        assert refused.status_code == 422 and 'class="alert error"' in refused.text and says in refused.text
    with ctx.sessions() as session:
        assert session.query(ImportJob).count() == 0
    assert not list((ctx.settings.data_dir / "uploads").glob("*.upload"))  # nothing parked


def test_a_job_that_failed_says_why_on_its_page(owner_client, ctx, tmp_path):
    """A file whose header was right but which the worker could not import (here: asked through the service with a
    file that is no export): its page names the reason, and a failed check cannot be applied."""
    from sqlalchemy import select

    from xiaodian.accounts.models import User
    from xiaodian.accounts.service import Principal
    from xiaodian.bootstrap import default_shop_id
    from xiaodian.channels.exportfile import uploads
    from xiaodian.db import transaction
    from xiaodian.imports import runner, service

    path = tmp_path / "x.csv"
    path.write_text("名字,年龄\n张三,3\n", encoding="utf-8")
    with transaction(ctx.sessions) as session, open(path, "rb") as source:
        user = session.execute(select(User).where(User.login == "owner")).scalar_one()
        job = service.request_preview(session, shop_id=default_shop_id(ctx), now=ctx.clock.now(),
                                      principal=Principal(user.id, user.login, user.role, "web"),
                                      upload=uploads.save(ctx.settings.data_dir, source, "x.csv"))
    runner.run_waiting(ctx)
    page = owner_client.get(f"/imports/orders/jobs/{job.id}")
    assert 'class="alert error"' in page.text and "缺少必需的列：" in page.text and "主订单编号" in page.text
    token = csrf_of(owner_client, "/imports/orders")
    assert owner_client.post(f"/imports/orders/jobs/{job.id}/apply", data={"csrf_token": token}).status_code == 409


def test_a_background_check_can_be_stopped_from_its_page(owner_client, ctx, tmp_path, monkeypatch):
    from xiaodian.channels.exportfile import pages
    from xiaodian.imports import runner

    monkeypatch.setattr(pages, "BACKGROUND_BYTES", 100)
    content = write_rows(tmp_path / "e.csv", [export_row()]).read_bytes()
    token = csrf_of(owner_client, "/imports/orders")
    asked = owner_client.post("/imports/orders", files={"file": ("wrong-file.csv", content, "text/csv")},
                              data={"csrf_token": token}, follow_redirects=False)
    page = owner_client.get(asked.headers["location"]).text
    action = page.split('class="cancel-job"', 1)[0].rsplit('action="', 1)[1].split('"', 1)[0]
    assert action == asked.headers["location"] + "/cancel" and "停止检查" in page
    assert owner_client.post(action, data={}).status_code == 403  # CSRF
    stopped = owner_client.post(action, data={"csrf_token": token})
    assert stopped.status_code == 200 and "手动停止" in stopped.text and "data-refresh-seconds" not in stopped.text
    assert runner.run_waiting(ctx) == []
    again = owner_client.post(action, data={"csrf_token": token})
    assert again.status_code == 409 and "已经结束" in again.text


def test_the_upload_page_says_when_the_shops_queue_is_full(owner_client, ctx, tmp_path, monkeypatch):
    from xiaodian.channels.exportfile import pages
    from xiaodian.imports import service

    monkeypatch.setattr(pages, "BACKGROUND_BYTES", 100)
    monkeypatch.setattr(service, "MAX_OPEN_PER_SHOP", 1)
    content = write_rows(tmp_path / "e.csv", [export_row()]).read_bytes()
    token = csrf_of(owner_client, "/imports/orders")
    first = owner_client.post("/imports/orders", files={"file": ("a.csv", content, "text/csv")},
                              data={"csrf_token": token}, follow_redirects=False)
    assert first.status_code == 303
    full = owner_client.post("/imports/orders", files={"file": ("b.csv", content, "text/csv")},
                             data={"csrf_token": token}, follow_redirects=False)
    assert full.status_code == 409 and "最多 1 个" in full.text and "b.csv" in full.text
    assert len(list((ctx.settings.data_dir / "uploads").glob("*.upload"))) == 1


def test_a_file_with_only_its_header_offers_nothing_to_apply(owner_client, ctx, tmp_path):
    """QA: a header-only export previewed as 0 / 0 / 0 / 0 with an active Apply button."""
    content = write_rows(tmp_path / "header.csv", []).read_bytes()
    token = csrf_of(owner_client, "/imports/orders")
    preview = owner_client.post("/imports/orders", files={"file": ("header.csv", content, "text/csv")},
                                data={"csrf_token": token})
    assert preview.status_code == 200, preview.text
    assert "data-empty-file" in preview.text and "/apply" not in preview.text
    assert "文件里只有表头，没有订单行" in preview.text
    assert not list((ctx.settings.data_dir / "uploads").glob("*.upload"))  # nothing left parked
