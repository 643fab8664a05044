"""Import jobs (imports/): a large file's check and import run by a worker, on SQLite and PostgreSQL. The job's
report must be the report of the same import done in the request; applying it must store what the import does."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from xiaodian.accounts.models import AuditEntry, User
from xiaodian.accounts.service import Principal
from xiaodian.channels.exportfile import uploads
from xiaodian.channels.exportfile.samplegen import export_row, write_rows
from xiaodian.channels.exportfile import service as import_service
from xiaodian.channels.exportfile.service import import_order_file
from xiaodian.db import transaction
from xiaodian.errors import Conflict, Forbidden, NotFound
from xiaodian.imports import runner, service
from xiaodian.imports.domain import KEPT_REJECTIONS, stored_report
from xiaodian.imports.models import ImportJob
from xiaodian.job_queue import LEASE, MAX_ATTEMPTS
from xiaodian.orders.models import Order

from ..conftest import SAMPLES

SAMPLE = SAMPLES / "douyin_orders_export.csv"


def principal(ctx, login: str) -> Principal:
    with ctx.sessions() as session:
        user = session.execute(select(User).where(User.login == login)).scalar_one()
        return Principal(user.id, user.login, user.role, "web")


def park(ctx, path) -> uploads.StoredUpload:
    with open(path, "rb") as source:
        return uploads.save(ctx.settings.data_dir, source, path.name)


def preview(ctx, shop_id, path, who="owner") -> int:
    with transaction(ctx.sessions) as session:
        return service.request_preview(session, shop_id=shop_id, principal=principal(ctx, who),
                                       upload=park(ctx, path), now=ctx.clock.now()).id


def apply(ctx, shop_id, job_id, who="owner") -> int:
    with transaction(ctx.sessions) as session:
        return service.request_apply(session, shop_id=shop_id, principal=principal(ctx, who), job_id=job_id,
                                     now=ctx.clock.now(), data_dir=ctx.settings.data_dir).id


def job(ctx, job_id) -> ImportJob:
    with ctx.sessions() as session:
        return session.get(ImportJob, job_id)


def orders(ctx) -> int:
    with ctx.sessions() as session:
        return session.scalar(select(func.count()).select_from(Order))


@pytest.fixture
def bad_file(tmp_path):
    good = [export_row(主订单编号=f"69380000000000{i:05d}", 子订单编号=f"69380000000000{i:05d}") for i in range(5)]
    return write_rows(tmp_path / "export.csv", good + [export_row(收件人手机号="1234567")])


def test_a_checked_file_is_imported_with_the_report_the_request_would_have_given(ctx, shop_id, users, bad_file):
    expected = import_order_file(ctx.sessions, shop_id=shop_id, path=bad_file, cipher=ctx.cipher,
                                 now=ctx.clock.now(), dry_run=True, principal=principal(ctx, "owner"))
    checked = preview(ctx, shop_id, bad_file)
    assert job(ctx, checked).status == "queued"
    assert runner.run_waiting(ctx) == [(checked, "done")]
    done = job(ctx, checked)
    assert json.loads(done.report_json) == stored_report(expected) and done.bytes_done == done.size_bytes
    assert json.loads(done.report_json)["rejected"] == [
        {"row": 7, "column": "收件人手机号", "code": "phone_invalid", "message": expected.rejected[0].message}]
    assert orders(ctx) == 0  # a check changes nothing
    imported = apply(ctx, shop_id, checked)
    assert apply(ctx, shop_id, checked) == imported  # a second click gets the same import
    assert runner.run_waiting(ctx) == [(imported, "done")]
    report = json.loads(job(ctx, imported).report_json)
    assert (report["created"], report["rejected_total"], report["dry_run"]) == (5, 1, False)
    assert orders(ctx) == 5
    with pytest.raises(NotFound):  # the parked file is gone once imported
        uploads.load(ctx.settings.data_dir, done.upload_id)
    with pytest.raises(Conflict) as refused:  # an import is not a preview to apply
        apply(ctx, shop_id, imported)
    assert refused.value.code == "import_not_previewed"


def test_the_kept_report_holds_the_first_rejections_and_counts_them_all(ctx, shop_id, users, tmp_path,
                                                                          monkeypatch):
    from xiaodian.imports import domain

    monkeypatch.setattr(domain, "KEPT_REJECTIONS", 2)
    rows = [export_row(主订单编号=f"69380000000000{i:05d}", 子订单编号=f"69380000000000{i:05d}", 商品数量="0")
            for i in range(4)]
    checked = preview(ctx, shop_id, write_rows(tmp_path / "e.csv", rows))
    runner.run_waiting(ctx)
    report = json.loads(job(ctx, checked).report_json)
    assert report["rejected_total"] == 4 and [e["row"] for e in report["rejected"]] == [2, 3]
    assert KEPT_REJECTIONS == 500


def test_a_file_that_cannot_be_read_fails_naming_why_and_is_not_kept(ctx, shop_id, users, tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("订单号,金额\n1,2\n", encoding="utf-8")
    checked = preview(ctx, shop_id, path)
    assert runner.run_waiting(ctx) == [(checked, "failed")]
    failed = job(ctx, checked)
    assert failed.error_code == "missing_columns" and "主订单编号" in failed.error_message
    with pytest.raises(NotFound):
        uploads.load(ctx.settings.data_dir, failed.upload_id)
    with pytest.raises(Conflict):
        apply(ctx, shop_id, checked)


def test_a_job_whose_worker_died_is_done_again_and_writes_nothing_twice(ctx, shop_id, users, bad_file):
    checked = preview(ctx, shop_id, bad_file)
    runner.run_waiting(ctx)
    imported = apply(ctx, shop_id, checked)
    now = ctx.clock.now()
    assert runner.claim_next(ctx.sessions, now, "died") == imported  # then the worker dies before finishing
    assert runner.claim_next(ctx.sessions, now, "other") is None  # its lease still runs
    import_order_file(ctx.sessions, shop_id=shop_id, path=uploads.load(ctx.settings.data_dir, job(ctx, imported)
                      .upload_id).path, cipher=ctx.cipher, now=now, principal=principal(ctx, "owner"))  # it got far
    later = now + LEASE + timedelta(seconds=1)
    assert runner.claim_next(ctx.sessions, later, "other") == imported
    assert runner.run_job(ctx, imported, "other") == "done"
    report = json.loads(job(ctx, imported).report_json)
    assert (report["created"], report["unchanged"], job(ctx, imported).attempts) == (0, 5, 2)
    assert orders(ctx) == 5


def test_a_job_that_keeps_killing_its_worker_is_given_up(ctx, shop_id, users, bad_file):
    checked = preview(ctx, shop_id, bad_file)
    now = ctx.clock.now()
    for attempt in range(MAX_ATTEMPTS):
        now += LEASE + timedelta(seconds=1)
        assert runner.claim_next(ctx.sessions, now, f"w{attempt}") == checked
    assert runner.claim_next(ctx.sessions, now + LEASE + timedelta(seconds=1), "last") is None
    assert job(ctx, checked).status == "failed" and job(ctx, checked).error_code == "import_worker_lost"


def test_only_the_uploader_and_an_owner_see_a_job_and_never_from_another_shop(ctx, shop_id, users, bad_file):
    from xiaodian.accounts.models import Shop

    mine = preview(ctx, shop_id, bad_file, who="cs")
    with transaction(ctx.sessions) as session:
        other_shop = Shop(name="另一家", created_at=ctx.clock.now())
        session.add(other_shop)
        session.flush()
        other_shop = other_shop.id
    with ctx.sessions() as session:
        for who, shop, job_id in (("cs", shop_id, mine), ("owner", shop_id, mine)):
            assert service.get_job(session, shop_id=shop, principal=principal(ctx, who), job_id=job_id).id == mine
        for who, shop, job_id in (("owner", other_shop, mine), ("cs", shop_id, "abc"), ("cs", shop_id, 10**30),
                                  ("cs", shop_id, "1 OR 1=1")):
            with pytest.raises(NotFound):
                service.get_job(session, shop_id=shop, principal=principal(ctx, who), job_id=job_id)
    theirs = preview(ctx, shop_id, bad_file, who="owner")
    with ctx.sessions() as session:
        with pytest.raises(NotFound):
            service.get_job(session, shop_id=shop_id, principal=principal(ctx, "cs"), job_id=theirs)
        assert [j.id for j in service.recent_jobs(session, shop_id=shop_id, principal=principal(ctx, "cs"))] == [mine]
        assert [j.id for j in service.recent_jobs(session, shop_id=shop_id, principal=principal(ctx, "owner"))] == [
            theirs, mine]


def test_a_disabled_uploader_gets_no_import(ctx, shop_id, users, bad_file):
    from xiaodian.accounts import users as accounts

    checked = preview(ctx, shop_id, bad_file, who="cs")
    with transaction(ctx.sessions) as session:
        accounts.disable_user(session, principal(ctx, "owner"), login="cs", now=ctx.clock.now())
    assert runner.run_waiting(ctx) == [(checked, "failed")]
    assert job(ctx, checked).error_code == "import_requester_disabled" and orders(ctx) == 0


def test_a_parked_file_gone_before_apply_is_a_404_naming_it(ctx, shop_id, users, bad_file):
    checked = preview(ctx, shop_id, bad_file)
    runner.run_waiting(ctx)
    uploads.delete(ctx.settings.data_dir, job(ctx, checked).upload_id)
    with pytest.raises(NotFound) as gone:
        apply(ctx, shop_id, checked)
    assert gone.value.code == "upload_not_found"


def test_parked_files_are_deleted_after_a_day_unless_a_job_still_reads_them(ctx, shop_id, users, bad_file):
    """An export file holds buyer data in clear: a preview never applied must not keep it in the data folder."""
    import os
    import time

    working = job(ctx, preview(ctx, shop_id, bad_file)).upload_id  # queued: its worker will read it
    stale = park(ctx, bad_file).upload_id  # previewed in the request, never applied
    fresh = park(ctx, bad_file).upload_id
    folder = ctx.settings.data_dir / "uploads"
    day_ago = time.time() - uploads.KEEP_PARKED_SECONDS - 60
    for upload_id in (working, stale):
        for suffix in (".upload", ".json"):
            os.utime(folder / f"{upload_id}{suffix}", (day_ago, day_ago))
    assert runner.sweep_uploads(ctx) == 1
    assert sorted(p.name.split(".")[0] for p in folder.glob("*.upload")) == sorted([working, fresh])
    assert not (folder / f"{stale}.json").exists()
    assert runner.run_waiting(ctx)[0][1] == "done"  # the queued check still finds its file


def test_apply_from_two_tabs_at_once_queues_one_import(ctx, shop_id, users, bad_file):
    """The second Apply, sent while the first is still being written, ends on the unique preview_of and returns
    the first's import instead of a second one."""
    import threading

    checked = preview(ctx, shop_id, bad_file)
    runner.run_waiting(ctx)
    first = ctx.sessions()
    first_job = service.request_apply(first, shop_id=shop_id, principal=principal(ctx, "owner"), job_id=checked,
                                      now=ctx.clock.now(), data_dir=ctx.settings.data_dir).id  # not committed yet
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.setdefault("job", apply(ctx, shop_id, checked)))
    thread.start()
    thread.join(0.5)
    first.commit()
    first.close()
    thread.join(15)
    assert outcome == {"job": first_job}
    with ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ImportJob).where(ImportJob.preview_of == checked)) == 1


def cancel(ctx, shop_id, job_id, who="owner"):
    with transaction(ctx.sessions) as session:
        return service.cancel(session, shop_id=shop_id, principal=principal(ctx, who), job_id=job_id,
                              now=ctx.clock.now(), data_dir=ctx.settings.data_dir)


def test_a_check_or_an_import_can_be_stopped_while_it_waits_or_runs(ctx, shop_id, users, bad_file, tmp_path,
                                                                    monkeypatch):
    waiting = preview(ctx, shop_id, bad_file, who="cs")
    with pytest.raises(Forbidden):  # the warehouse does not import
        cancel(ctx, shop_id, waiting, who="warehouse")
    assert cancel(ctx, shop_id, waiting, who="cs").status == "cancelled"
    with ctx.sessions() as session:  # a stop is a change of state: in the audit log, by whom
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "orders.import_stopped")).scalar_one()
        assert (entry.target_type, entry.target_id, entry.login) == ("import_job", str(waiting), "cs")
    assert runner.run_waiting(ctx) == []  # nothing left to do
    with pytest.raises(NotFound):  # its parked file went with it
        uploads.load(ctx.settings.data_dir, job(ctx, waiting).upload_id)
    # An import stopped while its worker runs: the worker stops at its next progress report.
    rows = [export_row(主订单编号=f"69381000000000{i:05d}", 子订单编号=f"69381000000000{i:05d}") for i in range(30)]
    checked = preview(ctx, shop_id, write_rows(tmp_path / "many.csv", rows))
    runner.run_waiting(ctx)
    imported = apply(ctx, shop_id, checked)
    assert runner.claim_next(ctx.sessions, ctx.clock.now(), "w") == imported

    def importing(*args, progress, **kwargs):
        def first_batch_written(done, size):
            cancel(ctx, shop_id, imported)  # someone presses Stop meanwhile
            progress(done, size)
        return import_order_file(*args, progress=first_batch_written, batch_orders=10, **kwargs)

    monkeypatch.setattr(runner, "import_order_file", importing)
    assert runner.run_job(ctx, imported, "w") == "stopped"
    assert job(ctx, imported).status == "cancelled" and orders(ctx) == 10  # the first batch, whole
    with pytest.raises(Conflict) as finished:
        cancel(ctx, shop_id, checked)
    assert finished.value.code == "import_job_finished"


def test_a_heartbeat_keeps_a_long_silent_step_leased_and_notices_a_stop(ctx, shop_id, users, bad_file):
    """An import's first pass over a large file reports no progress for longer than a lease; the heartbeat renews
    it meanwhile, so no other worker takes the job over as lost, and it tells the job when it was stopped."""
    import time

    from xiaodian.job_queue import Heartbeat

    checked = preview(ctx, shop_id, bad_file)
    start = ctx.clock.now()
    assert runner.claim_next(ctx.sessions, start, "w") == checked

    class Later:
        def now(self):
            return start + timedelta(minutes=10)

    with Heartbeat(ctx.sessions, ImportJob, checked, "w", Later(), every_seconds=0.05) as beat:
        deadline = time.monotonic() + 5
        while job(ctx, checked).lease_until != start + timedelta(minutes=10) + LEASE and time.monotonic() < deadline:
            time.sleep(0.02)
        assert job(ctx, checked).lease_until == start + timedelta(minutes=10) + LEASE
        assert runner.claim_next(ctx.sessions, start + timedelta(minutes=11), "other") is None  # still held
        assert not beat.lost
        cancel(ctx, shop_id, checked)
        while not beat.lost and time.monotonic() < deadline:
            time.sleep(0.02)
        assert beat.lost


def test_a_shop_has_at_most_three_checks_or_imports_open(ctx, shop_id, users, bad_file):
    """Each open job holds a parked copy of a file of up to 4 GB: the fourth waits until one is done."""
    from xiaodian.imports.domain import MAX_OPEN_PER_SHOP

    open_jobs = [preview(ctx, shop_id, bad_file, who="cs" if i % 2 else "owner") for i in range(MAX_OPEN_PER_SHOP)]
    with pytest.raises(Conflict) as full:
        preview(ctx, shop_id, bad_file)
    assert full.value.code == "import_queue_full" and full.value.details == {"open": 3, "limit": 3}
    runner.run_job(ctx, runner.claim_next(ctx.sessions, ctx.clock.now(), "w"), "w")  # one check done
    assert job(ctx, open_jobs[0]).status == "done"
    fourth = preview(ctx, shop_id, bad_file)
    with pytest.raises(Conflict):  # applying a check queues an import too
        apply(ctx, shop_id, open_jobs[0])
    cancel(ctx, shop_id, fourth)
    assert job(ctx, apply(ctx, shop_id, open_jobs[0])).status == "queued"


class Killed(BaseException):
    """The worker's process dies: nothing in the worker catches it, so the job stays running with its lease."""


def thirty_orders(tmp_path, bad_rows=(3, 6, 27)):
    """30 orders, one row each; the orders at ``bad_rows`` (0-based) have a quantity of 0 and are rejected."""
    rows = [export_row(主订单编号=f"69382000000000{i:05d}", 子订单编号=f"69382000000000{i:05d}",
                       商品数量="0" if i in bad_rows else "1") for i in range(30)]
    return write_rows(tmp_path / "thirty.csv", rows)


def checked_and_applied(ctx, shop_id, path):
    """(the report of one clean import of ``path``, the id of its import job, checked and applied, waiting)."""
    clean = import_order_file(ctx.sessions, shop_id=shop_id, path=path, cipher=ctx.cipher, now=ctx.clock.now(),
                              dry_run=True, principal=principal(ctx, "owner"))
    clean.dry_run = False
    checked = preview(ctx, shop_id, path)
    runner.run_waiting(ctx)
    return clean, apply(ctx, shop_id, checked)


def batches_of_ten(monkeypatch, after_batch=None):
    """Import jobs run in batches of 10 orders; ``after_batch(n)`` is called once the n-th batch is committed."""
    def importing(*args, progress, **kwargs):
        calls = {"n": 0}

        def reported(done, size):
            progress(done, size)
            if kwargs.get("resume") is None or calls["n"] > 0:  # not the read past the committed orders
                calls["n"] += 1
                if after_batch and done < size:
                    after_batch(calls["n"])
        return import_order_file(*args, progress=reported, batch_orders=10, **kwargs)

    monkeypatch.setattr(runner, "import_order_file", importing)


def dies_after_two_batches(ctx, monkeypatch, job_id: int):
    """Worker "dies" claims the import job and dies once its second batch of 10 orders is committed; returns the
    time it claimed the job at."""
    def dies_after_two(n):
        if n == 2:
            raise Killed
    batches_of_ten(monkeypatch, dies_after_two)
    now = ctx.clock.now()
    assert runner.claim_next(ctx.sessions, now, "dies") == job_id
    with pytest.raises(Killed):
        runner.run_job(ctx, job_id, "dies")
    return now


def test_a_worker_taking_over_a_dead_ones_import_carries_on_and_reports_the_whole_file(ctx, shop_id, users,
                                                                                       tmp_path, monkeypatch):
    """The dead worker committed 2 batches of 10 orders. The next one reads past them without writing, and the
    report is the one a clean run gives: the orders the dead worker created count as created, not unchanged, and
    its rejections (only the first kept, as KEPT_REJECTIONS says) are counted."""
    from xiaodian.imports import domain

    monkeypatch.setattr(domain, "KEPT_REJECTIONS", 1)
    clean, imported = checked_and_applied(ctx, shop_id, thirty_orders(tmp_path))
    now = dies_after_two_batches(ctx, monkeypatch, imported)
    assert orders(ctx) == 18  # two batches of 10 orders, 2 of them rejected
    assert job(ctx, imported).checkpoint["orders_done"] == 20

    written = []
    real_upsert = import_service.upsert_orders
    monkeypatch.setattr(import_service, "upsert_orders",
                        lambda session, **kw: written.extend(r.order_id for r in kw["records"]) or real_upsert(
                            session, **kw))
    batches_of_ten(monkeypatch)
    assert runner.claim_next(ctx.sessions, now + LEASE + timedelta(seconds=1), "next") == imported
    assert runner.run_job(ctx, imported, "next") == "done"
    done = job(ctx, imported)
    assert json.loads(done.report_json) == stored_report(clean)
    assert (clean.created, clean.unchanged, clean.rejected_total) == (27, 0, 3)
    assert len(written) == 9  # only the last batch's orders were compared and written again
    assert orders(ctx) == 27 and done.attempts == 2 and done.resumed_from == 20
    with ctx.sessions() as session:
        from xiaodian.imports.api import job_out

        shown = job_out(session, done)
        assert (shown.orders_committed, shown.attempts, shown.report.created) == (30, 2, 27)
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "orders.import")).scalar_one()
        detail = json.loads(entry.detail)
        assert (detail["created"], detail["rejected"]) == (27, 3)  # the whole file, once


def test_a_worker_taken_for_dead_commits_nothing_more_once_another_holds_the_job(ctx, shop_id, users, tmp_path,
                                                                                 monkeypatch):
    """A worker that stalled past its lease but still runs must not write beside the one that took its job over:
    its next batch is rolled back with the checkpoint that the job no longer lets it write."""
    path = thirty_orders(tmp_path, bad_rows=())
    checked = preview(ctx, shop_id, path)
    runner.run_waiting(ctx)
    imported = apply(ctx, shop_id, checked)
    now = ctx.clock.now()

    def taken_over_after_one(n):
        if n == 1:
            assert runner.claim_next(ctx.sessions, now + LEASE + timedelta(seconds=1), "next") == imported
    batches_of_ten(monkeypatch, taken_over_after_one)
    assert runner.claim_next(ctx.sessions, now, "stalled") == imported
    assert runner.run_job(ctx, imported, "stalled") == "stopped"
    assert orders(ctx) == 10 and job(ctx, imported).checkpoint["orders_done"] == 10  # its second batch undone
    batches_of_ten(monkeypatch)
    assert runner.run_job(ctx, imported, "next") == "done"
    report = json.loads(job(ctx, imported).report_json)
    assert (report["created"], report["unchanged"], orders(ctx)) == (30, 0, 30)


def test_a_worker_that_died_after_its_last_commit_leaves_a_job_the_next_one_only_marks_done(ctx, shop_id, users,
                                                                                             tmp_path, monkeypatch):
    """The whole file imported and its audit entry written, then the worker died before marking the job done: the
    next worker does not read the file again, and the import is in the audit log once."""
    clean, imported = checked_and_applied(ctx, shop_id, thirty_orders(tmp_path))

    def imports_then_dies(*args, **kwargs):
        import_order_file(*args, batch_orders=10, **kwargs)
        raise Killed
    monkeypatch.setattr(runner, "import_order_file", imports_then_dies)
    now = ctx.clock.now()
    assert runner.claim_next(ctx.sessions, now, "dies") == imported
    with pytest.raises(Killed):
        runner.run_job(ctx, imported, "dies")
    assert job(ctx, imported).status == "running" and job(ctx, imported).checkpoint["complete"] is True

    def must_not_run(*args, **kwargs):
        raise AssertionError("the file was read again")
    monkeypatch.setattr(runner, "import_order_file", must_not_run)
    assert runner.claim_next(ctx.sessions, now + LEASE + timedelta(seconds=1), "next") == imported
    assert runner.run_job(ctx, imported, "next") == "done"
    assert json.loads(job(ctx, imported).report_json) == stored_report(clean)
    with ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "orders.import")) == 1
    with pytest.raises(NotFound):  # the parked file is gone, as after any import
        uploads.load(ctx.settings.data_dir, job(ctx, imported).upload_id)


def test_a_job_whose_worker_process_on_this_machine_has_ended_is_taken_up_at_once(ctx, shop_id, users, bad_file):
    """A desk restarted after a crash picks its dead process's job up without waiting out the lease; a job held by
    a process that still runs (here: this one) or by another machine's waits for its lease as before."""
    import socket
    import subprocess
    import sys

    from xiaodian.job_queue import holder_name

    ended = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                               text=True, check=True).stdout)
    host = socket.gethostname()[:40]
    first = preview(ctx, shop_id, bad_file)
    second = preview(ctx, shop_id, bad_file)
    third = preview(ctx, shop_id, bad_file)
    now = ctx.clock.now()
    assert runner.claim_next(ctx.sessions, now, holder_name()) == first
    assert runner.claim_next(ctx.sessions, now, f"elsewhere-{host}:{ended}:1") == second
    assert runner.claim_next(ctx.sessions, now, f"{host}:{ended}:1") == third
    assert runner.claim_next(ctx.sessions, now, "restarted") == third  # at once, not after LEASE
    assert runner.claim_next(ctx.sessions, now, "restarted") is None  # the live one and the other machine's wait
    assert (job(ctx, third).holder, job(ctx, third).attempts) == ("restarted", 2)
    assert runner.claim_next(ctx.sessions, now + LEASE + timedelta(seconds=1), "later") == first  # leases as before
