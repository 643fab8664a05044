"""QA pass 10, D7: the Excel export writes 商品数量 as a number (SUM works, no "number stored as text"), per SKU and
per order, while ids stay text; the CSV is as before; the desk's own XLSX export imports back unchanged."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from ..conftest import SAMPLES, csrf_of

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
SAMPLE = SAMPLES / "douyin_orders_export.csv"


def _post(client, content, name, **params):
    return client.post("/api/v1/imports/orders", params=params, headers={"x-csrf-token": csrf_of(client)},
                       files={"file": (name, content, "application/octet-stream")})


def _sheet(client, per):
    download = client.get("/api/v1/exports/orders", params={"format": "xlsx", "per": per})
    assert download.status_code == 200
    return download.content, load_workbook(io.BytesIO(download.content)).active


@pytest.mark.parametrize("per", ["sku", "order"])
def test_quantities_are_numbers_and_ids_text(owner_client, per):
    assert _post(owner_client, SAMPLE.read_bytes(), "export.csv").json()["created"] == 43
    _content, sheet = _sheet(owner_client, per)
    header = [c.value for c in sheet[1]]
    qty, oid = header.index("商品数量") + 1, header.index("主订单编号") + 1
    cells = [sheet.cell(row=r, column=qty) for r in range(2, sheet.max_row + 1)]
    assert cells and all(type(c.value) is int and c.value >= 1 and c.data_type == "n" for c in cells)
    assert all(c.number_format == "0" for c in cells)
    ids = [sheet.cell(row=r, column=oid) for r in range(2, sheet.max_row + 1)]
    assert all(isinstance(c.value, str) and c.number_format == "@" for c in ids)


def test_the_csv_keeps_quantities_as_before(owner_client):
    _post(owner_client, SAMPLE.read_bytes(), "export.csv")
    text = owner_client.get("/api/v1/exports/orders", params={"format": "csv"}).content.decode("utf-8-sig")
    header, first = list(csv.reader(io.StringIO(text)))[:2]
    assert first[header.index("商品数量")].isdigit()


def test_the_own_xlsx_export_imports_back_unchanged(owner_client):
    _post(owner_client, SAMPLE.read_bytes(), "export.csv")
    content, _sheet_ = _sheet(owner_client, "sku")
    report = _post(owner_client, content, "export.xlsx").json()
    assert (report["created"], report["updated"], report["unchanged"], report["rejected"]) == (0, 0, 43, [])
