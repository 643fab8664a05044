"""QA pass 7, background jobs: an Apply after its import was stopped is refused, not a 202 with the stopped job
(#10); "nothing to apply" says why by the case (#12); a job no worker is on says so (#9); an open page can learn of
a job asked for after it was loaded (#8)."""

from __future__ import annotations

import pytest
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from xiaodian.channels.exportfile.samplegen import export_row, write_rows
from xiaodian.exports.models import ExportJob
from xiaodian.imports import runner
from xiaodian.imports.domain import nothing_to_apply
from xiaodian.imports.models import ImportJob
from xiaodian.job_queue import LEASE

from ..conftest import csrf_of, login

pytestmark = pytest.mark.both_backends

JOBS = "/api/v1/imports/orders/jobs"
EXPORTS = "/api/v1/exports/jobs"


def _post(client, path, **kwargs):
    return client.post(path, headers={"x-csrf-token": csrf_of(client)}, **kwargs)


def _file(tmp_path, bad_row: bool = True) -> bytes:
    rows = [export_row()]
    if bad_row:
        rows.append(export_row(主订单编号="6938000000000000001", 子订单编号="6938000000000000001",
                               收件人手机号="1234567"))
    return write_rows(tmp_path / "e.csv", rows).read_bytes()


def _checked(client, ctx, data: bytes) -> int:
    asked = _post(client, JOBS, files={"file": ("export.csv", data, "text/csv")}, data={"dry_run": "true"})
    assert asked.status_code == 202, asked.text
    runner.run_waiting(ctx)
    assert client.get(f"{JOBS}/{asked.json()['id']}").json()["status"] == "done"
    return asked.json()["id"]


def _import_jobs(ctx) -> int:
    with ctx.sessions() as session:
        return session.scalar(select(func.count()).select_from(ImportJob))


def test_applying_a_check_whose_import_was_stopped_is_refused_not_a_202_with_the_stopped_job(owner_client, ctx,
                                                                                             tmp_path):
    preview = _checked(owner_client, ctx, _file(tmp_path))
    applied = _post(owner_client, f"{JOBS}/{preview}/apply")
    assert applied.status_code == 202
    stopped = _post(owner_client, f"{JOBS}/{applied.json()['id']}/cancel")
    assert stopped.json()["status"] == "cancelled"
    jobs = _import_jobs(ctx)
    again = _post(owner_client, f"{JOBS}/{preview}/apply")
    assert again.status_code == 409, again.text
    error = again.json()["error"]
    assert error["code"] == "import_stopped"
    assert error["details"] == {"import_job": applied.json()["id"], "status": "cancelled"}
    assert "upload the file again" in error["message"]
    assert _import_jobs(ctx) == jobs  # nothing queued, nothing claimed to be
    # The preview's page no longer points at the stopped import as "asked for": it says to upload again.
    page = owner_client.get(f"/imports/orders/jobs/{preview}")
    assert f'data-import-stopped="{applied.json()["id"]}"' in page.text and "请重新上传文件" in page.text
    assert "这个文件的导入已提交" not in page.text
    # A stale page's Apply is refused on the page, with a 409 too.
    refused = owner_client.post(f"/imports/orders/jobs/{preview}/apply",
                                data={"csrf_token": csrf_of(owner_client)})
    assert refused.status_code == 409 and 'data-code="import_stopped"' in refused.text
    # The stopped import's own page says how to go on, truthfully: upload again.
    stopped_page = owner_client.get(f"/imports/orders/jobs/{applied.json()['id']}").text
    assert "重新上传并导入这个文件即可完成导入" in stopped_page


def test_applying_a_check_whose_import_failed_is_refused_too(owner_client, ctx, tmp_path):
    preview = _checked(owner_client, ctx, _file(tmp_path))
    applied = _post(owner_client, f"{JOBS}/{preview}/apply").json()
    with ctx.sessions.begin() as session:
        session.get(ImportJob, applied["id"]).status = "failed"
    again = _post(owner_client, f"{JOBS}/{preview}/apply")
    assert again.status_code == 409 and again.json()["error"]["details"]["status"] == "failed"


def test_nothing_to_apply_says_the_file_changes_nothing_when_no_row_was_rejected(owner_client, ctx, tmp_path):
    data = _file(tmp_path, bad_row=False)
    first = _checked(owner_client, ctx, data)
    _post(owner_client, f"{JOBS}/{first}/apply")
    runner.run_waiting(ctx)
    unchanged = _checked(owner_client, ctx, data)  # the same file again: every row is already so
    refused = _post(owner_client, f"{JOBS}/{unchanged}/apply")
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "nothing_to_apply" and error["details"] == {"apply": "import", "rejected": 0}
    assert "rejected" not in error["message"] and "fix" not in error["message"]
    assert "already in the desk" in error["message"]


def test_nothing_to_apply_names_the_rejected_rows_when_there_are_some(owner_client, ctx, tmp_path):
    data = _file(tmp_path)
    first = _checked(owner_client, ctx, data)
    _post(owner_client, f"{JOBS}/{first}/apply")
    runner.run_waiting(ctx)
    again = _checked(owner_client, ctx, data)  # one row unchanged, one rejected
    error = _post(owner_client, f"{JOBS}/{again}/apply").json()["error"]
    assert error["code"] == "nothing_to_apply" and error["details"]["rejected"] == 1
    assert "1 row was rejected: fix them in the file and upload it again" in error["message"]


def test_nothing_to_apply_without_the_count_says_both_cases():
    message = nothing_to_apply("import").message
    assert "if rows were rejected" in message
    assert nothing_to_apply("ship").details == {"apply": "ship"}


def _export(client) -> dict:
    asked = _post(client, EXPORTS, json={"format": "csv"})
    assert asked.status_code == 202, asked.text
    return asked.json()


def test_an_export_no_worker_takes_up_says_so_after_two_minutes(owner_client, ctx):
    job = _export(owner_client)
    assert owner_client.get(f"{EXPORTS}/{job['id']}").json()["unattended_minutes"] is None  # just asked for
    assert "data-unattended" not in owner_client.get("/exports").text
    ctx.clock.advance(timedelta(minutes=3))
    assert owner_client.get(f"{EXPORTS}/{job['id']}").json()["unattended_minutes"] == 3
    assert owner_client.get(EXPORTS).json()[0]["unattended_minutes"] == 3
    page = owner_client.get("/exports").text
    assert 'data-unattended="3"' in page and "没有后台进程在处理这个任务（已等待 3 分钟）" in page
    owner_client.get("/lang/en")
    assert "No background worker is on this job (waiting 3 minutes)" in owner_client.get("/exports").text


def test_an_export_waiting_its_turn_behind_a_running_one_is_not_flagged(owner_client, ctx):
    running, waiting = _export(owner_client), _export(owner_client)
    ctx.clock.advance(timedelta(minutes=5))
    with ctx.sessions.begin() as session:  # a live worker is on the first one
        first = session.get(ExportJob, running["id"])
        first.status, first.holder, first.lease_until = "running", "elsewhere:1:1", ctx.clock.now() + LEASE
    assert owner_client.get(f"{EXPORTS}/{waiting['id']}").json()["unattended_minutes"] is None
    assert owner_client.get(f"{EXPORTS}/{running['id']}").json()["unattended_minutes"] is None
    assert "data-unattended" not in owner_client.get("/exports").text
    ctx.clock.advance(LEASE + timedelta(minutes=1))  # that worker stopped renewing its lease: nobody is on either
    assert owner_client.get(f"{EXPORTS}/{running['id']}").json()["unattended_minutes"] == 3
    assert owner_client.get(f"{EXPORTS}/{waiting['id']}").json()["unattended_minutes"] == 8


def test_an_import_whose_worker_stopped_says_so_on_its_page(owner_client, ctx, tmp_path):
    asked = _post(owner_client, JOBS, files={"file": ("export.csv", _file(tmp_path), "text/csv")}).json()
    with ctx.sessions.begin() as session:  # a worker took it up, wrote 10 %, and died
        job = session.get(ImportJob, asked["id"])
        job.status, job.holder, job.bytes_done = "running", "elsewhere:1:1", job.size_bytes // 10
        job.started_at, job.lease_until, job.attempts = ctx.clock.now(), ctx.clock.now() + LEASE, 1
    page = owner_client.get(f"/imports/orders/jobs/{asked['id']}").text
    assert "data-unattended" not in page
    ctx.clock.advance(LEASE + timedelta(minutes=4))
    assert owner_client.get(f"{JOBS}/{asked['id']}").json()["unattended_minutes"] == 6  # silent since its last renewal
    page = owner_client.get(f"/imports/orders/jobs/{asked['id']}").text
    assert 'data-unattended="6"' in page and "请确认 xiaodian worker 在运行" in page


def test_an_open_page_can_ask_for_the_users_jobs_asked_for_after_it_was_loaded(app, owner_client, ctx, tmp_path):
    assert owner_client.get("/jobs/watched").json() == {"jobs": []}
    job = _export(owner_client)
    imported = _post(owner_client, JOBS, files={"file": ("export.csv", _file(tmp_path), "text/csv")}).json()
    listed = owner_client.get("/jobs/watched")
    assert "no-store" in listed.headers["cache-control"]
    shop = listed.json()["jobs"][0]["shop"]
    assert {(w["kind"], w["job"]) for w in listed.json()["jobs"]} == {("export", str(job["id"])),
                                                                      ("import", str(imported["id"]))}
    assert all(w["shop"] == shop for w in listed.json()["jobs"])
    warehouse = TestClient(app)
    login(warehouse, "warehouse")
    assert warehouse.get("/jobs/watched").json() == {"jobs": []}  # only one's own
    assert TestClient(app).get("/jobs/watched", follow_redirects=False).status_code in (303, 401)



def test_the_recent_import_list_can_say_which_jobs_no_worker_is_on(owner_client, ctx, tmp_path):
    """The upload page's list of recent jobs carries the hint once its page passes the time (recent_jobs(now=…)):
    one query for the whole list at most."""
    from xiaodian.accounts.service import Principal
    from xiaodian.imports.service import recent_jobs

    asked = _post(owner_client, JOBS, files={"file": ("export.csv", _file(tmp_path), "text/csv")}).json()
    with ctx.sessions() as session:
        job = session.get(ImportJob, asked["id"])
        owner = Principal(job.user_id, "owner", "owner", "web")
        assert [j.unattended_minutes for j in recent_jobs(session, shop_id=job.shop_id, principal=owner,
                                                          now=ctx.clock.now())] == [None]
    ctx.clock.advance(timedelta(minutes=5))
    with ctx.sessions() as session:
        assert [j.unattended_minutes for j in recent_jobs(session, shop_id=job.shop_id, principal=owner,
                                                          now=ctx.clock.now())] == [5]
