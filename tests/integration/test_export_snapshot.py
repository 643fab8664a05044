"""An export reads the filtered list's orders once, then writes them: an order arriving while the file is written
(a push, a sync) neither appears twice nor pushes another out, and a list longer than an export takes is refused
naming its size instead of a file cut short (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from xiaodian.channels.douyin import orders_export
from xiaodian.db import transaction
from xiaodian.errors import ValidationFailed
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.queries import OrderFilter

from ..conftest import NOW
from ..factories import make_record


def _orders(ctx, shop_id, ids, minutes_ago):
    records = [make_record(order_id, created_at=NOW - timedelta(minutes=minutes_ago + i))
               for i, order_id in enumerate(ids)]
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=records, cipher=ctx.cipher, now=NOW)


def test_an_order_arriving_during_an_export_does_not_shift_it(ctx, shop_id):
    ids = [f"69384597040230{i:05d}" for i in range(450)]  # three chunks of 200
    _orders(ctx, shop_id, ids, minutes_ago=10)
    with ctx.sessions() as session:
        written = orders_export.rows(session, shop_id=shop_id, flt=OrderFilter(), cipher=ctx.cipher)
        exported = [next(written)["主订单编号"]]
        _orders(ctx, shop_id, ["6938459704023999999"], minutes_ago=0)  # the newest, while the file is written
        exported += [row["主订单编号"] for row in written]
    assert exported == ids  # newest first, each once, the late one not in this file


def test_a_list_longer_than_an_export_takes_is_refused_naming_its_size(ctx, shop_id, monkeypatch):
    _orders(ctx, shop_id, [f"69384597040240{i:05d}" for i in range(30)], minutes_ago=10)
    monkeypatch.setattr(orders_export, "MAX_ROWS", 29)
    with ctx.sessions() as session:
        for flt in (OrderFilter(), OrderFilter(query="五常", tab="awaiting_shipment")):  # plain list, text search
            with pytest.raises(ValidationFailed) as refused:
                orders_export.order_ids(session, shop_id=shop_id, flt=flt, cipher=ctx.cipher)
            assert refused.value.code == "export_too_large" and refused.value.details == {"orders": 30, "limit": 29}
            assert "narrow it by date" in refused.value.message
        monkeypatch.setattr(orders_export, "MAX_ROWS", 30)
        assert len(orders_export.order_ids(session, shop_id=shop_id, flt=OrderFilter(), cipher=ctx.cipher)) == 30


def test_the_list_page_offers_a_background_export_instead_of_one_it_would_refuse(ctx, shop_id, owner_client,
                                                                                 monkeypatch):
    from xiaodian.orders import pages

    _orders(ctx, shop_id, [f"69384597040250{i:05d}" for i in range(30)], minutes_ago=10)
    assert "/api/v1/exports/orders?format=xlsx" in owner_client.get("/orders").text
    monkeypatch.setattr(pages, "PAGE_EXPORT_ORDERS", 29)
    html = owner_client.get("/orders").text
    assert "/api/v1/exports/orders" not in html and "导出：超过 29 单，后台生成" in html
    assert '<form class="exports export-too-large" method="post" action="/exports">' in html
    narrowed = owner_client.get("/orders", params={"q": "6938459704025000001"}).text
    assert "/api/v1/exports/orders?format=xlsx" in narrowed


def test_a_refused_cli_export_leaves_no_file_behind(tmp_path, monkeypatch):
    """The CLI writes beside the output and moves the file over it at the end: refused, nothing is left."""
    from xiaodian.exports import domain as export_jobs

    from ..conftest import cli_desk

    run = cli_desk(tmp_path, lambda c, s: _orders(c, s, [f"69384597040260{i:05d}" for i in range(30)], 10))
    output = tmp_path / "out.csv"
    monkeypatch.setattr(orders_export, "MAX_ROWS", 29)  # the web's limit: the CLI takes as long a list as a job
    monkeypatch.setattr(export_jobs, "JOB_MAX_ORDERS", 29)
    refused = run("export", "orders", "--output", str(output))
    assert refused.exit_code == 2 and "more than an export takes (29)" in refused.output
    assert not output.exists() and not list(tmp_path.glob("*.part"))
    monkeypatch.setattr(export_jobs, "JOB_MAX_ORDERS", 30)
    written = run("export", "orders", "--output", str(output))
    assert written.exit_code == 0 and "30 rows written" in written.output
    assert output.read_bytes().startswith("\ufeff主订单编号".encode()) and not list(tmp_path.glob("*.part"))


def test_a_control_character_in_a_note_does_not_break_the_excel_export(ctx, shop_id, owner_client):
    """openpyxl refused the whole workbook (a 500) for one buyer note holding a control character, which the platform's
    data can carry; the cell is written as the escape Excel reads (_x0001_) and the other cells as they are."""
    import io

    from openpyxl import load_workbook

    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW,
                      records=[make_record("6938459704027000001", buyer_note="放门口\x01谢谢", created_at=NOW)])
    download = owner_client.get("/api/v1/exports/orders", params={"format": "xlsx"})
    assert download.status_code == 200 and download.headers["x-row-count"] == "1"
    assert int(download.headers["content-length"]) == len(download.content)
    sheet = load_workbook(io.BytesIO(download.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    note = rows[1][rows[0].index("买家留言")]
    assert note == "放门口_x0001_谢谢" and rows[1][0] == "6938459704027000001"
    assert sheet["A2"].number_format == "@"


def test_a_capped_count_is_not_given_as_the_size(ctx, shop_id, monkeypatch):
    """PostgreSQL counts a product-text search only up to a cap ("10,000+"): the refusal then says "over" the limit
    rather than a size smaller than the limit it refuses for."""
    from xiaodian.orders import search_index

    _orders(ctx, shop_id, [f"69384597040280{i:05d}" for i in range(30)], minutes_ago=10)
    monkeypatch.setattr(search_index, "COUNT_CAP", 5)
    monkeypatch.setattr(orders_export, "MAX_ROWS", 29)
    with ctx.sessions() as session, pytest.raises(ValidationFailed) as refused:
        orders_export.order_ids(session, shop_id=shop_id, flt=OrderFilter(query="五常"), cipher=ctx.cipher)
    capped = ctx.engine.dialect.name == "postgresql"
    assert refused.value.details == {"orders": None if capped else 30, "limit": 29}
    assert ("holds over 29 orders" if capped else "holds 30 orders") in refused.value.message


def test_a_capped_text_count_still_offers_the_export(ctx, shop_id, owner_client, monkeypatch):
    """PostgreSQL shows a common word's count as "10,000+": that says nothing about the export's limit, so the links
    stay (the export itself refuses a list that is really too long)."""
    from xiaodian.orders import pages, search_index

    _orders(ctx, shop_id, [f"69384597040300{i:05d}" for i in range(30)], minutes_ago=10)
    monkeypatch.setattr(search_index, "COUNT_CAP", 5)
    monkeypatch.setattr(pages, "PAGE_EXPORT_ORDERS", 100)  # the list's 30 fit; PostgreSQL counts them as "5+"
    monkeypatch.setattr(pages, "LAZY_COUNTS_ABOVE", 0)  # the list's own count (the tab counts are not capped)
    html = owner_client.get("/orders", params={"q": "五常"}).text
    assert "/api/v1/exports/orders?format=xlsx" in html and "export-too-large" not in html
