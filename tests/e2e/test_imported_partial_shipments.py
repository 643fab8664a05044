"""A partly shipped order from an export file knows which SKU orders its parcel holds, as a shipment made in the desk
does (QA: the export's one shipped item could be shipped again, 201, and the ship form offered it ticked); and the
per-SKU export names a parcel only on the SKU rows it holds (it put the order's number on every row)."""

from __future__ import annotations

import csv
import io

from xiaodian.channels.exportfile.service import import_order_file

from ..conftest import NOW, SAMPLES, csrf_of

ORDER, SHIPPED_SKU, WAITING_SKU = "6938137276061005948", "6939137276061005900", "6939137276061005901"


def _import_sample(ctx, shop_id):
    report = import_order_file(ctx.sessions, shop_id=shop_id, path=SAMPLES / "douyin_orders_export.csv",
                               cipher=ctx.cipher, now=NOW)
    assert report.rejected == []


def test_the_sku_a_file_shows_shipped_cannot_ship_again_and_the_other_can(ctx, shop_id, owner_client):
    _import_sample(ctx, shop_id)
    headers = {"x-csrf-token": csrf_of(owner_client)}
    again = owner_client.post(f"/api/v1/orders/{ORDER}/shipments", headers=headers, json={
        "carrier": "yuantong", "tracking_no": "YT1111111111111", "items": [SHIPPED_SKU]})
    assert again.status_code == 409 and again.json()["error"]["code"] == "item_already_shipped"
    form = owner_client.get(f"/shipping/orders/{ORDER}/ship").text
    assert f'value="{WAITING_SKU}" checked' in form and f'value="{SHIPPED_SKU}" disabled' in form
    rest = owner_client.post(f"/api/v1/orders/{ORDER}/shipments", headers=headers, json={
        "carrier": "yuantong", "tracking_no": "YT1111111111111", "items": [WAITING_SKU]})
    assert rest.status_code == 201, rest.text
    assert owner_client.get(f"/api/v1/orders/{ORDER}").json()["status"] == "shipped"


def test_the_per_sku_export_names_each_parcel_on_the_rows_it_holds(ctx, shop_id, owner_client):
    _import_sample(ctx, shop_id)
    exported = owner_client.get("/api/v1/exports/orders", params={"format": "csv", "q": ORDER})
    assert exported.status_code == 200
    rows = {r["子订单编号"].strip(): r for r in csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig")))}
    assert rows[SHIPPED_SKU]["快递单号"].strip() == "YT9541369884671"
    assert rows[WAITING_SKU]["快递单号"].strip() == "" and rows[WAITING_SKU]["快递公司"] == ""
