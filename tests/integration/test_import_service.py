"""Importing export files into a real database (SQLite and PostgreSQL): idempotency, later exports,
dry runs, rejections with row/column/code, and orders written whole or not at all."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from xiaodian.channels.exportfile.reader import FileUnreadable
from xiaodian.channels.exportfile.samplegen import export_row, write_rows
from xiaodian.channels.exportfile.service import import_order_file
from xiaodian.orders.models import Order, OrderEvent, OrderItem, Shipment

from ..conftest import NOW, SAMPLES

SAMPLE = SAMPLES / "douyin_orders_export.csv"


def _import(ctx, shop_id, path, **kw):
    return import_order_file(ctx.sessions, shop_id=shop_id, path=path, cipher=ctx.cipher, now=NOW, **kw)


def _counts(ctx) -> dict[str, int]:
    with ctx.sessions() as session:
        return {m.__tablename__: session.execute(select(func.count()).select_from(m)).scalar_one()
                for m in (Order, OrderItem, OrderEvent, Shipment)}


def _order(ctx, order_id):
    with ctx.sessions() as session:
        return session.execute(select(Order).where(Order.order_id == order_id)).scalar_one_or_none()


def _events(ctx, order_id) -> list[tuple[str, str | None]]:
    with ctx.sessions() as session:
        return [(e.kind, e.to_status) for e in session.execute(
            select(OrderEvent).join(Order, Order.id == OrderEvent.order_pk).where(Order.order_id == order_id)
            .order_by(OrderEvent.id)).scalars()]


def test_sample_export_imports_every_row_with_its_real_values(ctx, shop_id):
    report = _import(ctx, shop_id, SAMPLE)
    assert (report.created, report.updated, report.unchanged, report.rejected) == (43, 0, 0, [])
    assert report.orders["created"] == 40 and report.exit_code == 0
    assert _counts(ctx)["orders"] == 40 and _counts(ctx)["order_items"] == 43
    order = _order(ctx, "6938137276061005948")
    assert order.status == "partially_shipped" and order.pay_amount_fen == 12480
    assert sorted(i.sku_order_id for i in order.items) == ["6939137276061005900", "6939137276061005901"]
    assert [(i.unit_price_fen, i.amount_fen) for i in order.items] == [(2490, 2490), (9990, 9990)]
    done = _order(ctx, "6938459704022656025")
    assert done.status == "completed" and done.phone_masked == "139****6605" and done.buyer_name_masked == "赵*"
    assert done.created_at == datetime(2026, 11, 12, 23, 4, tzinfo=UTC)  # 07:04 China time
    assert done.ship_by == datetime(2026, 11, 14, 23, 9, tzinfo=UTC)  # 承诺发货时间 2026-11-15 07:09
    closed = _order(ctx, "6938538366292908046")
    assert closed.status == "cancelled" and closed.cancel_reason == "超时未支付"
    with ctx.sessions() as session:
        tracking = session.execute(select(Shipment.carrier_name, Shipment.tracking_no).join(
            Order, Order.id == Shipment.order_pk).where(Order.order_id == "6938459704022656025")).all()
    assert tracking == [("顺丰速运", "SF8759230024422")]
    assert [k for k, _ in _events(ctx, "6938459704022656025")] == ["created", "paid", "shipped", "completed",
                                                                     "tracking_added"]


def test_reimporting_the_same_file_changes_nothing(ctx, shop_id):
    _import(ctx, shop_id, SAMPLE)
    before = _counts(ctx)
    again = _import(ctx, shop_id, SAMPLE)
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 43, [])
    assert _counts(ctx) == before


def test_later_export_updates_status_and_adds_timeline_events(ctx, shop_id, tmp_path):
    waiting = export_row()
    _import(ctx, shop_id, write_rows(tmp_path / "first.csv", [waiting]))
    shipped = export_row(订单状态="已发货", 快递公司="顺丰速运", 快递单号="SF1234567890123", 发货时间="2026-11-14 09:00:00")
    report = _import(ctx, shop_id, write_rows(tmp_path / "later.csv", [shipped]))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    order = _order(ctx, "6938459704022656025")
    assert order.status == "shipped" and order.shipped_at == datetime(2026, 11, 14, 1, 0, tzinfo=UTC)
    # the created event claims no status; the shipping is one line, the status change (QA pass 14, #5)
    assert _events(ctx, "6938459704022656025") == [("created", None), ("paid", None), ("status_changed", "shipped"),
                                                    ("tracking_added", None)]


def test_dry_run_reports_exactly_what_the_import_then_does_and_changes_nothing(ctx, shop_id, tmp_path):
    _import(ctx, shop_id, write_rows(tmp_path / "first.csv", [export_row()]))
    before = _counts(ctx)
    rows = [export_row(订单状态="已发货", 快递单号="SF1234567890123", 发货时间="2026-11-14 09:00:00"),
            export_row(主订单编号="6938000000000000001", 子订单编号="6938000000000000001"),
            export_row(主订单编号="6938000000000000002", 子订单编号="6938000000000000002", 收件人手机号="12345")]
    path = write_rows(tmp_path / "later.csv", rows)
    preview = _import(ctx, shop_id, path, dry_run=True)
    assert _counts(ctx) == before
    assert _order(ctx, "6938459704022656025").status == "awaiting_shipment"
    real = _import(ctx, shop_id, path)
    assert preview.dry_run and not real.dry_run
    assert (preview.created, preview.updated, preview.unchanged) == (real.created, real.updated, real.unchanged) == (
        1, 1, 0)
    assert [e.as_dict() for e in preview.rejected] == [e.as_dict() for e in real.rejected]


@pytest.mark.parametrize("cells,column,code", [
    ({"主订单编号": "4.90754E+18"}, "主订单编号", "id_scientific_notation"),
    ({"子订单编号": "12345"}, "子订单编号", "id_invalid"),
    ({"收件人手机号": "1234567"}, "收件人手机号", "phone_invalid"),
    ({"商品金额": "45.9x"}, "商品金额", "amount_invalid"),
    ({"订单提交时间": "13/11/2026"}, "订单提交时间", "date_invalid"),
    ({"订单状态": "火星状态"}, "订单状态", "status_unknown"),
    ({"商品数量": "0"}, "商品数量", "quantity_invalid"),
    # rows that cannot all be true (QA: they went in unremarked)
    ({"支付完成时间": "2026-11-13 07:03:59"}, "支付完成时间", "paid_before_created"),
    ({"订单状态": "待支付"}, "订单状态", "status_conflict"),
    ({"订单状态": "待确认"}, "订单状态", "status_conflict"),
])
def test_bad_row_is_rejected_with_row_column_and_code_and_the_rest_is_imported(ctx, shop_id, tmp_path, cells, column,
                                                                               code):
    good = export_row(主订单编号="6938000000000000001", 子订单编号="6938000000000000001")
    report = _import(ctx, shop_id, write_rows(tmp_path / "e.csv", [good, export_row(**cells)]))
    assert [(e.row, e.column, e.code) for e in report.rejected] == [(3, column, code)]
    assert report.created == 1 and report.exit_code == 1
    assert _counts(ctx)["orders"] == 1


def test_a_rejected_row_leaves_no_part_of_its_order_written(ctx, shop_id, tmp_path):
    first = export_row(主订单编号="6938000000000000001", 子订单编号="6939000000000000001")
    second = export_row(主订单编号="6938000000000000001", 子订单编号="6939000000000000002", 订单提交时间="昨天")
    report = _import(ctx, shop_id, write_rows(tmp_path / "e.csv", [first, second]))
    assert [(e.row, e.code) for e in report.rejected] == [(2, "order_row_rejected"), (3, "date_invalid")]
    assert report.created == 0 and _order(ctx, "6938000000000000001") is None
    assert _counts(ctx)["order_items"] == 0


def test_older_export_cannot_move_an_order_back_and_its_rows_count_unchanged(ctx, shop_id, tmp_path):
    _import(ctx, shop_id, SAMPLE)
    target = tmp_path / "older.csv"
    target.write_text(SAMPLE.read_text(encoding="utf-8-sig").replace(",已完成,", ",备货中,"), encoding="utf-8-sig")
    report = _import(ctx, shop_id, target)
    # an older file is nothing to fix: no rejection, exit 0, every row unchanged (QA pass 14, #8)
    assert report.rejected == [] and report.exit_code == 0
    assert (report.created, report.updated, report.unchanged) == (0, 0, 43)
    assert _order(ctx, "6938459704022656025").status == "completed"  # row 2, 已完成 in the sample


def test_sku_order_id_claimed_by_two_orders_in_one_file_rejects_the_second(ctx, shop_id, tmp_path):
    a = export_row(主订单编号="6938000000000000001", 子订单编号="6939000000000000001")
    b = export_row(主订单编号="6938000000000000002", 子订单编号="6939000000000000001")
    report = _import(ctx, shop_id, write_rows(tmp_path / "e.csv", [a, b]))
    assert [(e.row, e.column, e.code) for e in report.rejected] == [(3, "子订单编号", "sku_order_id_conflict")]
    assert report.created == 1


def test_unreadable_file_imports_nothing(ctx, shop_id, tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("订单号,金额\n1,2\n", encoding="utf-8")
    with pytest.raises(FileUnreadable):
        _import(ctx, shop_id, path)
    assert _counts(ctx)["orders"] == 0


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_progress_is_reported_to_the_end_of_the_file(ctx, shop_id, tmp_path):
    """The terminal's progress bar is fed after every batch, the last one included: the reader has closed the file
    by then, which once made `xiaodian import orders` on a terminal crash after everything was written."""
    from xiaodian.channels.exportfile.samplegen import write_export

    path = tmp_path / "export.csv"
    rows = write_export(path, 300, now=NOW)
    seen: list[tuple[int, int]] = []
    report = _import(ctx, shop_id, path, progress=lambda done, size: seen.append((done, size)))
    assert report.created == rows and not report.rejected
    assert seen and seen[-1] == (path.stat().st_size, path.stat().st_size)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_batch_ends_early_once_it_has_read_batch_bytes_of_the_file(ctx, shop_id, tmp_path, monkeypatch):
    """Rows with long buyer notes must not make one transaction hold 5,000 orders' worth of text (the 1 GB
    export's peak memory): a batch is cut at BATCH_BYTES of the file as well as at BATCH_ORDERS orders."""
    from xiaodian.channels.exportfile import service
    from xiaodian.channels.exportfile.samplegen import write_export

    path = tmp_path / "export.csv"
    write_export(path, 300, now=NOW, note_chars=2000)
    commits: list[int] = []
    monkeypatch.setattr(service, "BATCH_BYTES", 100_000)  # ~40 orders of ~2.5 KB
    real_apply = service._apply_batch
    monkeypatch.setattr(service, "_apply_batch", lambda session, batch, *a, **k: (commits.append(len(batch)),
                                                                                   real_apply(session, batch, *a, **k)))
    report = _import(ctx, shop_id, path)
    assert report.orders["created"] == 300
    assert len(commits) > 4 and max(commits) < 100 and sum(commits) == 300


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_a_bulk_import_keeps_postgresql_statistics_in_step_with_what_it_loaded(ctx, shop_id, tmp_path):
    """PostgreSQL plans the per-batch look-ups by order and SKU id from table statistics; left to autovacuum they
    still describe the empty table for minutes after a load, and re-importing 20,000 orders took 16 s instead of
    2 s. The import analyses the tables as they grow. Autovacuum is off here, so only the import can have done it."""
    from sqlalchemy import text

    from xiaodian.channels.exportfile.samplegen import write_export

    export = tmp_path / "export.csv"
    write_export(export, 3000, now=NOW)
    tables = ("orders", "order_items", "shipments")

    def counted() -> dict[str, float]:
        with ctx.sessions() as session:
            return {t: session.execute(text("SELECT reltuples FROM pg_class WHERE oid = CAST(:t AS regclass)"),
                                       {"t": t}).scalar_one() for t in tables}

    with ctx.engine.begin() as conn:
        for table in tables:
            conn.exec_driver_sql(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
            # The test database is shared by the run and emptied between tests, so an earlier test's import may
            # have left statistics of its own orders: describe the empty tables first, as a fresh shop has them.
            conn.exec_driver_sql(f"ANALYZE {table}")
    try:
        assert all(n <= 0 for n in counted().values())  # empty as far as plans know
        report = _import(ctx, shop_id, export, batch_orders=500)
        assert report.orders["created"] == 3000
        after = counted()
        assert after["orders"] >= 2000 and after["order_items"] >= 2000 and after["shipments"] > 0, after
    finally:
        with ctx.engine.begin() as conn:
            for table in tables:
                conn.exec_driver_sql(f"ALTER TABLE {table} RESET (autovacuum_enabled)")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_planner_statistics_are_left_alone_on_sqlite(ctx):
    """SQLite plans these index look-ups without statistics: the helper never analyses there."""
    from sqlalchemy import text

    from xiaodian.db import PlannerStatistics

    with ctx.sessions() as session:
        statistics = PlannerStatistics(session, ("orders",))
        statistics.written_so_far(session, 10**9)
        assert not statistics.active
        assert session.execute(text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")).scalar_one() == 0


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_dry_run_lets_other_writers_in_between_its_batches(ctx, shop_id, tmp_path):
    """A dry run rolls each batch back as it goes: SQLite's write lock is free between batches, so a clerk's write
    (or the job's own progress report) is not kept waiting for the whole file."""
    from sqlalchemy import update

    from xiaodian.accounts.models import Shop
    from xiaodian.db import best_effort_write

    rows = [export_row(主订单编号=f"69380000000000{i:05d}", 子订单编号=f"69380000000000{i:05d}") for i in range(6)]
    got_in = []
    report = import_order_file(ctx.sessions, shop_id=shop_id, path=write_rows(tmp_path / "e.csv", rows),
                               cipher=ctx.cipher, now=NOW, dry_run=True, batch_orders=2,
                               progress=lambda done, size: got_in.append(best_effort_write(
                                   ctx.engine, update(Shop).where(Shop.id == shop_id).values(name="小店"))))
    assert len(got_in) >= 3 and all(got_in)
    assert report.created == 6 and _counts(ctx)["orders"] == 0
