"""The import jobs API over HTTP: a file handed to the worker (202 and a Location), followed, applied, stopped;
errors in the API's shape."""

from __future__ import annotations

from fastapi.testclient import TestClient

from xiaodian.channels.exportfile.samplegen import export_row, write_rows
from xiaodian.imports import runner

from ..conftest import csrf_of

JOBS = "/api/v1/imports/orders/jobs"


def _post(client, path, **kwargs):
    return client.post(path, headers={"x-csrf-token": csrf_of(client)}, **kwargs)


def _file(tmp_path) -> bytes:
    rows = [export_row(), export_row(主订单编号="6938000000000000001", 子订单编号="6938000000000000001",
                                     收件人手机号="1234567")]
    return write_rows(tmp_path / "e.csv", rows).read_bytes()


def test_a_file_is_checked_then_imported_by_the_worker(owner_client, ctx, tmp_path):
    asked = _post(owner_client, JOBS, files={"file": ("export.csv", _file(tmp_path), "text/csv")},
                  data={"dry_run": "true"})
    assert asked.status_code == 202, asked.text
    body = asked.json()
    assert asked.headers["location"] == f"{JOBS}/{body['id']}"
    assert (body["status"], body["dry_run"], body["percent"], body["report"]) == ("queued", True, 0, None)
    runner.run_waiting(ctx)
    checked = owner_client.get(asked.headers["location"]).json()
    assert checked["status"] == "done" and checked["percent"] == 100 and checked["applied_by"] is None
    report = checked["report"]
    assert (report["created"], report["rejected_total"], report["dry_run"]) == (1, 1, True)
    assert report["rejected"][0] | {"message": ""} == {"row": 3, "column": "收件人手机号", "code": "phone_invalid",
                                                       "message": ""}
    assert owner_client.get("/api/v1/orders").json()["total"] == 0
    applied = _post(owner_client, f"{JOBS}/{body['id']}/apply")
    assert applied.status_code == 202 and applied.json()["preview_of"] == body["id"]
    assert _post(owner_client, f"{JOBS}/{body['id']}/apply").json()["id"] == applied.json()["id"]  # once
    runner.run_waiting(ctx)
    done = owner_client.get(applied.headers["location"]).json()
    assert done["status"] == "done" and done["report"]["created"] == 1 and done["report"]["dry_run"] is False
    assert owner_client.get(asked.headers["location"]).json()["applied_by"] == applied.json()["id"]
    assert owner_client.get("/api/v1/orders").json()["total"] == 1


def test_an_import_asked_for_straight_away_and_the_errors_in_the_api_shape(app, owner_client, ctx, tmp_path):
    asked = _post(owner_client, JOBS, files={"file": ("export.csv", _file(tmp_path), "text/csv")})
    assert asked.status_code == 202 and asked.json()["dry_run"] is False
    refused = _post(owner_client, f"{JOBS}/{asked.json()['id']}/apply")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "import_not_previewed"
    stopped = _post(owner_client, f"{JOBS}/{asked.json()['id']}/cancel")
    assert stopped.status_code == 200 and stopped.json()["status"] == "cancelled"
    again = _post(owner_client, f"{JOBS}/{asked.json()['id']}/cancel")
    assert again.status_code == 409 and again.json()["error"]["code"] == "import_job_finished"
    assert runner.run_waiting(ctx) == [] and owner_client.get("/api/v1/orders").json()["total"] == 0
    for wrong in ("abc", "99999", "1%20OR%201%3D1", "9" * 30):
        missing = owner_client.get(f"{JOBS}/{wrong}")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "import_job_not_found"
    unreadable = _post(owner_client, JOBS, files={"file": ("x.csv", "名字,年龄\n张三,3\n".encode(), "text/csv")})
    runner.run_waiting(ctx)
    failed = owner_client.get(unreadable.headers["location"]).json()
    assert failed["status"] == "failed" and failed["error"]["code"] == "missing_columns"
    assert "主订单编号" in failed["error"]["details"]["missing"]
    assert TestClient(app).get(f"{JOBS}/{asked.json()['id']}").status_code == 401
    assert owner_client.post(JOBS, files={"file": ("e.csv", b"x", "text/csv")}).status_code == 403  # no CSRF


def test_a_full_queue_is_a_409_and_keeps_no_copy_of_the_file(owner_client, ctx, tmp_path, monkeypatch):
    from xiaodian.imports import service

    monkeypatch.setattr(service, "MAX_OPEN_PER_SHOP", 1)
    first = _post(owner_client, JOBS, files={"file": ("a.csv", _file(tmp_path), "text/csv")})
    assert first.status_code == 202
    full = _post(owner_client, JOBS, files={"file": ("b.csv", _file(tmp_path), "text/csv")})
    assert full.status_code == 409 and full.json()["error"]["code"] == "import_queue_full"
    assert len(list((ctx.settings.data_dir / "uploads").glob("*.upload"))) == 1  # only the first's


def test_an_import_taken_over_from_a_dead_worker_says_where_it_carries_on(owner_client, ctx, tmp_path):
    """What the page and the API show while a second worker carries on from a dead one's last committed batch."""
    import json

    from xiaodian.db import transaction
    from xiaodian.imports.models import ImportJob

    asked = _post(owner_client, JOBS, files={"file": ("export.csv", _file(tmp_path), "text/csv")})
    job_id = asked.json()["id"]
    assert asked.json()["orders_committed"] is None and asked.json()["attempts"] == 0
    with transaction(ctx.sessions) as session:  # as the first worker left it, and the second took it up
        job = session.get(ImportJob, job_id)
        job.status, job.attempts, job.bytes_done = "running", 2, 0
        job.checkpoint_json = json.dumps({"orders_done": 5000, "report": {}})
    followed = owner_client.get(f"{JOBS}/{job_id}").json()
    assert (followed["orders_committed"], followed["attempts"], followed["resumed_after_orders"]) == (5000, 2, 5000)
    page = owner_client.get(f"/imports/orders/jobs/{job_id}")
    assert page.status_code == 200 and "在导入 5,000 个订单后中断" in page.text and "从头" not in page.text


def test_every_page_lists_the_users_jobs_for_the_notice_watcher_until_told(app, owner_client, ctx, tmp_path):
    """A job asked for through the API (or from another browser) is announced on the desk's pages too: each page
    marks the signed-in user's open jobs for static/app.js. Only their own. Once finished it stays marked until the
    watcher says it was announced (POST …/noticed), so a job that ended while no page was open is announced on the
    next one; then no more."""
    from ..conftest import login

    asked = _post(owner_client, JOBS, files={"file": ("export.csv", _file(tmp_path), "text/csv")},
                  data={"dry_run": "true"})
    job_id = asked.json()["id"]
    marker = f'data-watch-job="{job_id}" data-watch-kind="import"'
    assert marker in owner_client.get("/orders").text and marker in owner_client.get("/shipping").text
    clerk = TestClient(app)
    login(clerk, "cs")
    assert "data-watch-job" not in clerk.get("/orders").text  # another user's job is not theirs to hear about
    still_open = _post(owner_client, f"{JOBS}/{job_id}/noticed")
    assert still_open.status_code == 409 and still_open.json()["error"]["code"] == "import_job_open"
    runner.run_waiting(ctx)
    assert marker in owner_client.get("/orders").text  # done while no page looked: the next page announces it
    assert _post(owner_client, f"{JOBS}/{job_id}/noticed").status_code == 204
    assert marker not in owner_client.get("/orders").text  # told once, not again
    assert _post(owner_client, f"{JOBS}/{job_id}/noticed").status_code == 204  # a second tab's word changes nothing
    assert _post(owner_client, f"{JOBS}/999999/noticed").json()["error"]["code"] == "import_job_not_found"


def test_a_check_applied_through_the_api_is_no_longer_announced(owner_client, ctx, tmp_path):
    """QA 5 E12: a check applied by a client without the page script (POST …/apply) was still announced on the next
    page as "checked: see the preview and import it", inviting a second import of the file. Applying it counts as
    being told; the import itself is announced instead."""
    asked = _post(owner_client, JOBS, files={"file": ("export.csv", _file(tmp_path), "text/csv")},
                  data={"dry_run": "true"})
    preview_id = asked.json()["id"]
    runner.run_waiting(ctx)
    marker = 'data-watch-job="{}" data-watch-kind="import"'
    assert marker.format(preview_id) in owner_client.get("/orders").text  # checked, not yet told
    applied = _post(owner_client, f"{JOBS}/{preview_id}/apply")
    assert applied.status_code == 202, applied.text
    page = owner_client.get("/orders").text
    assert marker.format(preview_id) not in page and marker.format(applied.json()["id"]) in page
    runner.run_waiting(ctx)
    page = owner_client.get("/orders").text
    assert marker.format(preview_id) not in page and marker.format(applied.json()["id"]) in page  # done: told next


def test_the_audit_log_names_an_imported_file_as_it_was_uploaded(owner_client, ctx, tmp_path):
    """QA pass 9, #14: the log named the desk's stored copy (357fdd61….upload), which nobody can recognise."""
    asked = _post(owner_client, JOBS, files={"file": ("十一月订单.csv", _file(tmp_path), "text/csv")})
    runner.run_waiting(ctx)
    assert owner_client.get(asked.headers["location"]).json()["status"] == "done"
    direct = _post(owner_client, "/api/v1/imports/orders", files={"file": ("补录.csv", _file(tmp_path), "text/csv")})
    assert direct.status_code == 200, direct.text
    entries = owner_client.get("/api/v1/audit", params={"action": "orders.import"}).json()["entries"]
    assert sorted(e["target_id"] for e in entries) == ["十一月订单.csv", "补录.csv"]
