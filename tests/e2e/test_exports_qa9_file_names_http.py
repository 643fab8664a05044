"""QA pass 9, #19 through HTTP: the list exports (written while waiting, or by a job) download under a name that
says the tab or 筛选 and the layout, to the second (and the job), in the page's words with an ASCII fallback; the
Excel file's money cells are numbers shown with two decimals."""

from __future__ import annotations

import io
import re
from urllib.parse import unquote

from openpyxl import load_workbook

from xiaodian.clock import SHOP_TZ
from xiaodian.db import transaction
from xiaodian.exports import runner
from xiaodian.orders.intake import upsert_orders

from ..conftest import csrf_of
from ..factories import make_record

IDS = [f"69384597040281{i:05d}" for i in range(3)]


def seed(ctx, shop_id):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=ctx.clock.now(),
                      records=[make_record(oid, unit_price_fen=5990) for oid in IDS])


def names(response) -> tuple[str, str | None]:
    header = response.headers["content-disposition"]
    plain = re.search(r'; filename="([^"]+)"', header).group(1)
    encoded = re.search(r"; filename\*=UTF-8''([^;\s]+)$", header)
    return plain, unquote(encoded.group(1)) if encoded else None


def test_a_list_export_is_named_for_its_tab_filter_and_layout(ctx, shop_id, owner_client):
    seed(ctx, shop_id)
    stamp = ctx.clock.now().astimezone(SHOP_TZ).strftime("%Y%m%d-%H%M%S")
    per_order = owner_client.get("/api/v1/exports/orders", params={"format": "csv", "per": "order",
                                                                   "status": "awaiting_shipment"})
    assert per_order.status_code == 200
    assert names(per_order) == (f"orders-awaiting-shipment-per-order-{stamp}.csv",
                                f"订单-备货中-每单一行-{stamp}.csv")
    per_sku = owner_client.get("/api/v1/exports/orders", params={"format": "xlsx", "status": "awaiting_shipment",
                                                                 "q": IDS[0]})
    assert names(per_sku) == (f"orders-awaiting-shipment-filtered-per-sku-{stamp}.xlsx",
                              f"订单-备货中-筛选-每个商品一行-{stamp}.xlsx")
    owner_client.get("/lang/en")
    english = owner_client.get("/api/v1/exports/orders", params={"format": "csv", "per": "order"})
    assert names(english) == (f"orders-all-per-order-{stamp}.csv", None)
    owner_client.get("/lang/zh")


def test_a_jobs_file_is_named_for_what_it_holds_and_which_job(ctx, shop_id, owner_client):
    seed(ctx, shop_id)
    csrf = {"x-csrf-token": csrf_of(owner_client)}
    jobs = [owner_client.post("/api/v1/exports/jobs", headers=csrf, json=body).json() for body in (
        {"format": "csv", "per": "order", "status": "awaiting_shipment", "q": IDS[1]}, {"format": "csv"})]
    runner.run_waiting(ctx)
    first, second = (owner_client.get(owner_client.get(f"/api/v1/exports/jobs/{j['id']}").json()["download_url"])
                     for j in jobs)
    (plain1, words1), (plain2, words2) = names(first), names(second)
    assert re.fullmatch(rf"订单-备货中-筛选-每单一行-\d{{8}}-\d{{6}}-{jobs[0]['id']}\.csv", words1)
    assert re.fullmatch(rf"orders-awaiting-shipment-filtered-per-order-\d{{8}}-\d{{6}}-{jobs[0]['id']}\.csv", plain1)
    assert re.fullmatch(rf"订单-全部-每个商品一行-\d{{8}}-\d{{6}}-{jobs[1]['id']}\.csv", words2)
    assert plain1 != plain2 and words1 != words2  # asked for in the same second, two names


def test_the_excel_files_money_cells_are_numbers_with_two_decimals(ctx, shop_id, owner_client):
    seed(ctx, shop_id)
    for per in ("order", "sku"):
        book = owner_client.get("/api/v1/exports/orders", params={"format": "xlsx", "per": per}).content
        sheet = load_workbook(io.BytesIO(book)).active
        header = [c.value for c in sheet[1]]
        money = [i for i, name in enumerate(header) if name in ("订单应付金额", "运费", "商品金额")]
        assert money
        for row in sheet.iter_rows(min_row=2):
            for i in money:
                cell = row[i]
                if cell.value is not None:
                    assert isinstance(cell.value, (int, float)) and cell.number_format == "0.00", (header[i], cell)
