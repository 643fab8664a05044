"""Export jobs (exports/): asked for, written by a worker, downloaded, cancelled, taken up again after a worker
died, expired; on SQLite and PostgreSQL. The file must equal the export written while the request waits."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from xiaodian.accounts.models import AuditEntry, User
from xiaodian.accounts.service import Principal
from xiaodian.channels.douyin import orders_export
from xiaodian.channels.douyin.export_request import ExportIn, order_filter
from xiaodian.db import transaction
from xiaodian.errors import Conflict, Forbidden, NotFound, ValidationFailed
from xiaodian.exports import runner, service
from xiaodian.exports.domain import MAX_ATTEMPTS, takeable
from xiaodian.exports.models import ExportJob
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..factories import make_record

IDS = [f"69384597040270{i:05d}" for i in range(30)]


@pytest.fixture
def desk(ctx, shop_id, users):
    records = [make_record(oid, status=OrderStatus.CANCELLED if i % 7 == 0 else OrderStatus.AWAITING_SHIPMENT)
               for i, oid in enumerate(IDS)]
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=records, cipher=ctx.cipher, now=ctx.clock.now())
    return ctx


def principal(ctx, login: str) -> Principal:
    with ctx.sessions() as session:
        user = session.execute(select(User).where(User.login == login)).scalar_one()
        return Principal(user.id, user.login, user.role, "api")


def ask(ctx, shop_id, who="owner", **fields) -> int:
    with transaction(ctx.sessions) as session:
        return service.request_export(session, shop_id=shop_id, principal=principal(ctx, who),
                                      body=ExportIn(**fields), now=ctx.clock.now(), cipher=ctx.cipher).id


def job(ctx, job_id) -> ExportJob:
    with ctx.sessions() as session:
        return session.get(ExportJob, job_id)


def direct_export(ctx, shop_id, **fields) -> bytes:
    body = ExportIn(**fields)
    out = io.BytesIO()
    with transaction(ctx.sessions) as session:
        orders_export.export_orders(session, shop_id=shop_id, flt=order_filter(body, ctx.clock.now()),
                                    cipher=ctx.cipher, principal=principal(ctx, "owner"), fmt=body.format,
                                    now=ctx.clock.now(), out=out, per=body.per)
    return out.getvalue()


def job_file(ctx, shop_id, job_id, who="owner") -> bytes:
    with transaction(ctx.sessions) as session:
        path, _name, _job = service.file_of(session, shop_id=shop_id, principal=principal(ctx, who), job_id=job_id,
                                            data_dir=ctx.settings.data_dir, now=ctx.clock.now())
    return path.read_bytes()


def export_files(ctx) -> list[str]:
    return sorted(p.name for p in service.folder(ctx.settings.data_dir).iterdir())


def test_a_job_writes_the_same_file_as_the_export_the_request_waits_for(desk, shop_id):
    ctx = desk
    for fields in ({"format": "csv", "status": "awaiting_shipment"}, {"format": "csv", "per": "order"},
                   {"format": "xlsx", "q": "五常"}):
        job_id = ask(ctx, shop_id, **fields)
        assert job(ctx, job_id).status == "queued"
        assert runner.run_waiting(ctx) == [(job_id, "done")]
        done = job(ctx, job_id)
        expected = direct_export(ctx, shop_id, **fields)
        if fields["format"] == "csv":
            assert job_file(ctx, shop_id, job_id) == expected
        else:  # an XLSX carries its own timestamps: compare the cells
            from openpyxl import load_workbook
            cells = [[[c.value for c in row] for row in load_workbook(io.BytesIO(data)).active.iter_rows()]
                     for data in (job_file(ctx, shop_id, job_id), expected)]
            assert cells[0] == cells[1] and len(cells[0]) == 31
        listed = 25 if fields.get("status") == "awaiting_shipment" else 30
        assert (done.orders_total, done.orders_done) == (listed, listed)
        assert done.rows_written == listed and done.size_bytes > 0
        assert done.expires_at - done.finished_at == timedelta(days=7)
    assert not [name for name in export_files(ctx) if name.endswith(".part")]
    folder = service.folder(ctx.settings.data_dir)
    assert {oct(path.stat().st_mode & 0o777) for path in folder.iterdir()} == {"0o600"}  # buyer data
    assert oct(folder.stat().st_mode & 0o777) == "0o700"


def test_a_list_too_long_to_download_at_once_is_exported_by_a_job_up_to_its_own_limit(desk, shop_id, monkeypatch):
    ctx = desk
    monkeypatch.setattr(orders_export, "MAX_ROWS", 29)
    with pytest.raises(ValidationFailed) as refused:
        direct_export(ctx, shop_id, format="csv")
    assert refused.value.code == "export_too_large"
    job_id = ask(ctx, shop_id, format="csv")
    runner.run_waiting(ctx)
    assert job(ctx, job_id).rows_written == 30
    monkeypatch.setattr(runner, "JOB_MAX_ORDERS", 29)  # the list grew past the limit after it was asked for
    too_long = ask(ctx, shop_id, format="csv")
    assert runner.run_waiting(ctx) == [(too_long, "failed")]
    failed = job(ctx, too_long)
    assert failed.error_code == "export_too_large" and "30" in failed.error_message and failed.file_name is None
    assert not [n for n in export_files(ctx) if n.startswith(f"{too_long}-")]


def test_everything_checkable_is_checked_when_asked_naming_the_field(desk, shop_id):
    ctx = desk
    for fields, field in (({"format": "pdf"}, "format"), ({"per": "line"}, "per"), ({"status": "nope"}, "status"),
                          ({"created_from": "2026-11-20", "created_to": "2026-11-01"}, "created_to"),
                          ({"reveal": True}, "reason"), ({"reveal": True, "reason": "短"}, "reason")):
        with pytest.raises(ValidationFailed) as refused:
            ask(ctx, shop_id, **fields)
        assert refused.value.details["field"] == field, fields
    with pytest.raises(Forbidden):
        ask(ctx, shop_id, who="warehouse", reveal=True, reason="快递理赔需要完整地址")
    with ctx.sessions() as session:
        assert session.scalar(select(ExportJob.id)) is None  # nothing stored by a refusal


def test_a_shop_has_at_most_three_open_jobs(desk, shop_id):
    ctx = desk
    for _ in range(3):
        ask(ctx, shop_id)
    with pytest.raises(Conflict) as full:
        ask(ctx, shop_id)
    assert full.value.code == "export_queue_full" and full.value.details == {"open": 3, "limit": 3}
    runner.run_waiting(ctx)
    ask(ctx, shop_id)  # the finished ones no longer count


def test_two_workers_never_take_the_same_job(desk, shop_id):
    ctx = desk
    job_id = ask(ctx, shop_id)
    now = ctx.clock.now()
    assert runner.claim_next(ctx.sessions, now, "worker-a") == job_id
    assert runner.claim_next(ctx.sessions, now, "worker-b") is None
    assert runner.run_job(ctx, job_id, "worker-b") == "stopped"  # b does not hold it: writes nothing
    assert job(ctx, job_id).holder == "worker-a" and export_files(ctx) == []
    assert runner.run_job(ctx, job_id, "worker-a") == "done"


def test_a_job_whose_worker_died_is_taken_up_again_then_given_up(desk, shop_id):
    ctx = desk
    job_id = ask(ctx, shop_id)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert runner.claim_next(ctx.sessions, ctx.clock.now(), f"worker-{attempt}") == job_id
        assert job(ctx, job_id).attempts == attempt
        ctx.clock.advance(timedelta(minutes=3))  # silent longer than its lease: that worker died
    assert runner.claim_next(ctx.sessions, ctx.clock.now(), "worker-last") is None
    gave_up = job(ctx, job_id)
    assert gave_up.status == "failed" and gave_up.error_code == "export_worker_lost"


def test_a_cancelled_job_stops_and_leaves_no_file(desk, shop_id):
    ctx = desk
    job_id = ask(ctx, shop_id)
    assert runner.claim_next(ctx.sessions, ctx.clock.now(), "w") == job_id
    with transaction(ctx.sessions) as session:
        service.cancel(session, shop_id=shop_id, principal=principal(ctx, "owner"), job_id=job_id,
                       now=ctx.clock.now())
    assert runner.run_job(ctx, job_id, "w") == "stopped"
    assert job(ctx, job_id).status == "cancelled" and export_files(ctx) == []
    with transaction(ctx.sessions) as session, pytest.raises(Conflict) as again:
        service.cancel(session, shop_id=shop_id, principal=principal(ctx, "owner"), job_id=job_id,
                       now=ctx.clock.now())
    assert again.value.code == "export_job_finished"


def test_only_the_requester_or_an_owner_cancels(desk, shop_id):
    ctx = desk
    job_id = ask(ctx, shop_id, who="cs")
    with transaction(ctx.sessions) as session, pytest.raises(NotFound):
        service.cancel(session, shop_id=shop_id, principal=principal(ctx, "warehouse"), job_id=job_id,
                       now=ctx.clock.now())
    with transaction(ctx.sessions) as session:
        service.cancel(session, shop_id=shop_id, principal=principal(ctx, "owner"), job_id=job_id,
                       now=ctx.clock.now())


def test_a_requester_disabled_or_stripped_of_the_right_gets_no_file(desk, shop_id):
    ctx = desk
    revealing = ask(ctx, shop_id, who="owner", reveal=True, reason="快递理赔需要完整地址")
    with transaction(ctx.sessions) as session:
        session.execute(User.__table__.update().where(User.login == "owner").values(role="cs"))
    plain = ask(ctx, shop_id, who="warehouse")
    with transaction(ctx.sessions) as session:
        session.execute(User.__table__.update().where(User.login == "warehouse")
                        .values(disabled_at=ctx.clock.now()))
    assert dict(runner.run_waiting(ctx)) == {revealing: "failed", plain: "failed"}
    assert job(ctx, revealing).error_code == "forbidden"
    assert job(ctx, plain).error_code == "export_requester_disabled"
    assert export_files(ctx) == []


def test_a_revealing_job_holds_full_details_and_only_a_revealing_role_downloads_it(desk, shop_id):
    ctx = desk
    with pytest.raises(Forbidden):  # cs reveals one buyer at a time (rate-limited), not a whole list: pii.export
        ask(ctx, shop_id, who="cs", format="csv", status="cancelled", reveal=True, reason="快递理赔需要完整地址")
    job_id = ask(ctx, shop_id, who="owner", format="csv", status="cancelled", reveal=True, reason="快递理赔需要完整地址")
    runner.run_waiting(ctx)
    assert "13812345678" in job_file(ctx, shop_id, job_id, who="owner").decode("utf-8-sig")
    for role in ("cs", "warehouse"):  # not even the owner's file
        with pytest.raises(Forbidden):
            job_file(ctx, shop_id, job_id, who=role)
    with ctx.sessions() as session:
        actions = session.execute(select(AuditEntry.action, AuditEntry.login).where(
            AuditEntry.target_id == str(job_id)).order_by(AuditEntry.id)).all()
        written = session.execute(select(AuditEntry).where(AuditEntry.action == "orders.export")).scalar_one()
    assert [tuple(a) for a in actions] == [("orders.export_requested", "owner"), ("orders.export_download", "owner")]
    assert written.login == "owner" and written.channel == "job" and '"reveal": true' in written.detail
    with ctx.sessions() as session:
        asked = session.execute(select(AuditEntry).where(AuditEntry.action == "orders.export_requested")).scalar_one()
    assert json.loads(asked.detail)["filter"] == json.loads(written.detail)["filter"] == {"query": None,
                                                                                          "tab": "cancelled"}


def test_files_are_deleted_after_a_week(desk, shop_id):
    ctx = desk
    job_id = ask(ctx, shop_id)
    runner.run_waiting(ctx)
    assert len(export_files(ctx)) == 1
    ctx.clock.advance(timedelta(days=7, seconds=-1))
    runner.run_waiting(ctx)
    assert job(ctx, job_id).status == "done"
    ctx.clock.advance(timedelta(seconds=2))
    runner.run_waiting(ctx)
    assert job(ctx, job_id).status == "expired" and export_files(ctx) == []
    with pytest.raises(Conflict) as gone:
        job_file(ctx, shop_id, job_id)
    assert gone.value.code == "export_expired"


def test_a_job_of_another_shop_or_a_wrong_id_is_not_found(desk, shop_id):
    ctx = desk
    from xiaodian.accounts.models import Shop

    with transaction(ctx.sessions) as session:
        other = Shop(name="隔壁小店", created_at=ctx.clock.now())
        session.add(other)
        session.flush()
        other_id = other.id
    job_id = ask(ctx, shop_id)
    for shop, wanted in ((other_id, job_id), (shop_id, "abc"), (shop_id, "9" * 30), (shop_id, job_id + 1)):
        with ctx.sessions() as session, pytest.raises(NotFound):
            service.get_job(session, shop_id=shop, principal=principal(ctx, "owner"), job_id=wanted)


def test_claiming_follows_the_pure_rule(desk, shop_id):
    """The worker's SQL picks exactly the jobs domain.takeable allows."""
    ctx = desk
    now = ctx.clock.now()
    cases = [("queued", None), ("running", now + timedelta(minutes=1)), ("running", now - timedelta(minutes=1)),
             ("done", None), ("failed", None), ("cancelled", None), ("expired", None)]
    ids = [ask(ctx, shop_id) for _ in range(3)]
    with transaction(ctx.sessions) as session:  # rows in every state, written directly
        owner = principal(ctx, "owner")
        for status, lease in cases[3:]:
            row = ExportJob(shop_id=shop_id, user_id=owner.user_id, login="owner", created_at=now, format="csv",
                            per="sku", filter_json="{}", reveal=False, status=status, orders_done=0, attempts=0)
            session.add(row)
            session.flush()
            ids.append(row.id)
        for job_id, (status, lease) in zip(ids, cases):
            session.execute(ExportJob.__table__.update().where(ExportJob.id == job_id)
                            .values(status=status, lease_until=lease))
    taken = set()
    while (got := runner.claim_next(ctx.sessions, now, "w")) is not None:
        taken.add(got)
    assert taken == {job_id for job_id, (status, lease) in zip(ids, cases) if takeable(status, lease, now)}
    assert len(taken) == 2


def test_an_excel_sheet_never_drops_rows_past_its_limit(desk, shop_id, monkeypatch):
    """Excel holds 1,048,575 rows below the header and XlsxWriter drops the rest silently; a million orders one row
    per item can pass that. The job fails naming the limit instead of handing out a file cut short."""
    from xiaodian import spreadsheets

    ctx = desk
    monkeypatch.setattr(spreadsheets, "MAX_SHEET_ROWS", 29)
    too_long = ask(ctx, shop_id, format="xlsx")
    fits = ask(ctx, shop_id, format="csv")
    assert dict(runner.run_waiting(ctx)) == {too_long: "failed", fits: "done"}
    assert job(ctx, too_long).error_code == "sheet_too_long" and job(ctx, fits).rows_written == 30
    assert [n for n in export_files(ctx) if not n.startswith(f"{fits}-")] == []


def test_an_excel_job_with_more_item_rows_than_a_sheet_holds_fails_before_writing(desk, shop_id, monkeypatch):
    """Fewer orders than the sheet's limit can still make more rows one per item: the job fails at once, naming
    the rows the list makes, instead of minutes later at the limit; one row per order still fits."""
    from xiaodian import spreadsheets
    from xiaodian.orders.domain import ItemRecord

    ctx = desk
    two = [make_record(f"69384597040271{i:05d}", items=[
        ItemRecord(sku_order_id=f"69384597040272{i:05d}{k}", product_name="东北大米 5kg", quantity=1,
                   unit_price_fen=5990, product_id="3512000000000000102") for k in range(2)]) for i in range(3)]
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=two, cipher=ctx.cipher, now=ctx.clock.now())
    orders, rows = len(IDS) + 3, len(IDS) + 6
    monkeypatch.setattr(spreadsheets, "MAX_SHEET_ROWS", orders)  # the orders fit, their item rows do not
    per_item = ask(ctx, shop_id, format="xlsx")
    per_order = ask(ctx, shop_id, format="xlsx", per="order")
    written = []
    real_write = orders_export.write_xlsx
    monkeypatch.setattr(orders_export, "write_xlsx", lambda out, records, columns=orders_export.COLUMNS:
                        written.append(columns) or real_write(out, records, columns))
    assert dict(runner.run_waiting(ctx)) == {per_item: "failed", per_order: "done"}
    failed = job(ctx, per_item)
    assert failed.error_code == "sheet_too_long" and f"{rows:,} rows one per item" in failed.error_message
    assert written == [orders_export.ORDER_COLUMNS]  # the failed job never started its sheet
    assert job(ctx, per_order).rows_written == orders
    assert [n for n in export_files(ctx) if not n.startswith(f"{per_order}-")] == []


def test_two_requests_at_once_never_pass_the_queue_limit(desk, shop_id, monkeypatch):
    """Each request counts the shop's open jobs before adding one; the second of two simultaneous requests waits
    for the first to commit, then counts it, instead of both seeing room for one more."""
    import threading

    ctx = desk
    monkeypatch.setattr(service, "MAX_OPEN_PER_SHOP", 1)
    first = ctx.sessions()
    service.request_export(first, shop_id=shop_id, principal=principal(ctx, "owner"), body=ExportIn(),
                           now=ctx.clock.now(), cipher=ctx.cipher)  # not committed yet
    outcome = {}

    def second():
        try:
            outcome["job"] = ask(ctx, shop_id)
        except Conflict as exc:
            outcome["refused"] = exc.code

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(0.5)
    assert thread.is_alive()  # waiting for the first request's transaction
    first.commit()
    first.close()
    thread.join(15)
    assert outcome == {"refused": "export_queue_full"}
    with ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ExportJob)) == 1


def test_export_jobs_have_a_worker_lane_of_their_own(desk, shop_id, monkeypatch):
    """A million-order export takes minutes; the deadline scans run in another thread meanwhile."""
    from xiaodian import worker

    ctx = desk
    assert {"main", "exports"} <= set(worker.lanes())
    ran = []
    monkeypatch.setattr(worker, "JOBS", [worker.Job("a", 60, lambda c: ran.append("a")),
                                         worker.Job("b", 60, lambda c: ran.append("b"), lane="exports")])
    worker.run_due(ctx, {}, lambda: 0.0, lane="exports")
    assert ran == ["b"]
    worker.run_due(ctx, {}, lambda: 0.0)
    assert ran == ["b", "a", "b"]


def test_files_a_killed_worker_left_behind_are_removed_once_their_job_is_not_running(desk, shop_id):
    ctx = desk
    kept_id = ask(ctx, shop_id)
    runner.run_waiting(ctx)
    kept = job(ctx, kept_id).file_name
    running = ask(ctx, shop_id)
    assert runner.claim_next(ctx.sessions, ctx.clock.now(), "alive") == running
    exports = service.folder(ctx.settings.data_dir)
    left = [f"{kept_id}-0123456789abcdef.csv.part", f"{kept_id}-fedcba9876543210.csv", "999-0000.csv", "notes.txt"]
    for name in left + [f"{running}-aaaaaaaaaaaaaaaa.csv.part"]:
        (exports / name).write_bytes(b"13812345678")
    assert runner.sweep_orphans(ctx) == len(left)
    assert export_files(ctx) == sorted([kept, f"{running}-aaaaaaaaaaaaaaaa.csv.part"])  # the one being written stays


def test_a_list_longer_than_a_job_takes_is_refused_when_asked_and_a_waiting_job_shows_its_count(desk, shop_id,
                                                                                                monkeypatch):
    ctx = desk
    monkeypatch.setattr(service, "JOB_MAX_ORDERS", 29)
    with pytest.raises(ValidationFailed) as refused:
        ask(ctx, shop_id)
    assert refused.value.code == "export_too_large" and refused.value.details == {"orders": 30, "limit": 29}
    waiting = ask(ctx, shop_id, status="cancelled")  # 5 orders
    assert (job(ctx, waiting).status, job(ctx, waiting).orders_total) == ("queued", 5)
    with pytest.raises(ValidationFailed):  # a search by phone is counted too (blind index): every order has it
        ask(ctx, shop_id, q="13812345678")
    monkeypatch.setattr(service, "JOB_MAX_ORDERS", 30)
    assert job(ctx, ask(ctx, shop_id, q="13812345678")).orders_total == 30


def test_an_excel_job_of_more_orders_than_a_sheet_holds_is_refused_when_asked(desk, shop_id, monkeypatch):
    from xiaodian.exports import service as export_service

    ctx = desk
    monkeypatch.setattr(export_service, "MAX_SHEET_ROWS", 29)
    with pytest.raises(ValidationFailed) as refused:
        ask(ctx, shop_id, format="xlsx", per="order")
    assert refused.value.code == "sheet_too_long" and refused.value.details["field"] == "format"
    ask(ctx, shop_id, format="csv")  # CSV has no such limit
    ask(ctx, shop_id, format="xlsx", status="cancelled")  # 5 orders fit


def watched(ctx, login: str) -> list[int]:
    """The export jobs every page of ``login`` marks for the notice watcher (web/job_watch.py)."""
    from xiaodian.job_queue import NOTICE_WINDOW

    with ctx.engine.connect() as connection:
        return [row.id for row in connection.execute(service.WATCHED_OF_USER, {
            "user_id": principal(ctx, login).user_id, "since": ctx.clock.now() - NOTICE_WINDOW})]


def tell(ctx, shop_id, job_id, who):
    with transaction(ctx.sessions) as session:
        service.noticed(session, shop_id=shop_id, principal=principal(ctx, who), job_id=job_id, now=ctx.clock.now())


def test_a_finished_job_is_announced_to_its_asker_until_told_and_for_a_week_at_most(desk, shop_id):
    """The pages follow a user's open jobs, and their finished ones until the watcher says it announced them: a job
    that ended while none of their pages was open is announced on the next. A Stop is nobody's news; a notice is
    the asker's own (an owner looking at it takes nothing away); after a week it is not news any more."""
    ctx = desk
    done, stopped = ask(ctx, shop_id, who="cs"), ask(ctx, shop_id, who="cs")
    theirs = ask(ctx, shop_id, who="owner")
    assert watched(ctx, "cs") == [stopped, done] and watched(ctx, "owner") == [theirs]
    with transaction(ctx.sessions) as session:
        service.cancel(session, shop_id=shop_id, principal=principal(ctx, "cs"), job_id=stopped, now=ctx.clock.now())
    with pytest.raises(Conflict) as early:
        tell(ctx, shop_id, done, "cs")
    assert early.value.code == "export_job_open"
    assert dict(runner.run_waiting(ctx)) == {done: "done", theirs: "done"}
    assert watched(ctx, "cs") == [done] and watched(ctx, "owner") == [theirs]
    with pytest.raises(NotFound):
        tell(ctx, shop_id, done, "owner")
    assert watched(ctx, "cs") == [done]
    tell(ctx, shop_id, done, "cs")
    assert watched(ctx, "cs") == []
    with transaction(ctx.sessions) as session:  # the owner's was done 7 days minus a minute ago, then a minute more
        session.execute(ExportJob.__table__.update().where(ExportJob.id == theirs)
                        .values(finished_at=ctx.clock.now() - timedelta(days=7) + timedelta(minutes=1)))
    assert watched(ctx, "owner") == [theirs]
    ctx.clock.advance(timedelta(minutes=2))
    assert watched(ctx, "owner") == []


def test_jobs_finished_before_the_migration_are_not_announced_after_it(desk, shop_id, settings):
    """Migration 0028 counts the jobs that had finished as told (months of old exports announced at once would help
    nobody); one still open is announced when it finishes."""
    from alembic import command

    from xiaodian.migrate import alembic_config, upgrade

    ctx = desk
    finished = ask(ctx, shop_id, who="cs")
    runner.run_waiting(ctx)
    waiting = ask(ctx, shop_id, who="cs")
    ctx.engine.dispose()
    command.downgrade(alembic_config(settings.database_url), "0027")
    upgrade(ctx.engine, settings.database_url)
    assert watched(ctx, "cs") == [waiting]
    runner.run_waiting(ctx)
    assert watched(ctx, "cs") == [waiting]
    assert job(ctx, finished).noticed_at == job(ctx, finished).finished_at and job(ctx, waiting).noticed_at is None
