"""QA pass 14, #2: the import page opened for one shop (``/imports/orders?shop=2``, as a link or the header shows it)
imported into the desk's first shop: its forms posted to a bare /imports/orders. Every form and link of the page now
keeps the ``shop`` it was opened with, through preview, apply and the result page, and the page names the shop."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ..conftest import csrf_of, login
from ..integration.test_orders_several_shops import two_shops

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "samples" / "douyin_orders_export.csv"


def _totals(client, shop) -> int:
    return client.get("/api/v1/orders/counts", params={"shop": shop}).json()["counts"]["all"]


def test_a_file_previewed_for_the_second_shop_is_imported_into_it(app, users, ctx, shop_id):
    second = two_shops(ctx, shop_id)
    with TestClient(app) as client:
        login(client, "owner")
        before = (_totals(client, shop_id), _totals(client, second))
        page = client.get(f"/imports/orders?shop={second}")
        assert "导入到店铺：第二家店" in page.text
        assert f'action="/imports/orders?shop={second}"' in page.text
        csrf = csrf_of(client, f"/imports/orders?shop={second}")
        preview = client.post(f"/imports/orders?shop={second}", data={"csrf_token": csrf},
                              files={"file": ("export.csv", SAMPLE.read_bytes(), "text/csv")})
        assert preview.status_code == 200 and "导入到店铺：第二家店" in preview.text
        action = preview.text.split('form class="apply" method="post" action="', 1)[1].split('"', 1)[0]
        assert action.endswith(f"/apply?shop={second}")
        done = client.post(action, data={"csrf_token": csrf})
        assert done.status_code == 200 and str(done.url).endswith(f"/result?shop={second}")
        assert "导入到店铺：第二家店" in done.text and "已导入" in done.text
        assert f'href="/orders?shop={second}"' in done.text  # QA pass 15, #5: 去订单列表 stays in the shop
        after = (_totals(client, shop_id), _totals(client, second))
    assert after[0] == before[0] and after[1] > before[1]  # the first shop untouched


def test_a_file_already_in_the_desk_says_there_is_nothing_to_import(app, users):
    """QA pass 14, #9: the preview of a file that changes nothing said only 无变化 in its table."""
    with TestClient(app) as client:
        login(client, "owner")
        csrf = csrf_of(client, "/imports/orders")
        upload = {"file": ("export.csv", SAMPLE.read_bytes(), "text/csv")}
        first = client.post("/imports/orders", data={"csrf_token": csrf}, files=upload)
        action = first.text.split('form class="apply" method="post" action="', 1)[1].split('"', 1)[0]
        client.post(action, data={"csrf_token": csrf})
        again = client.post("/imports/orders", data={"csrf_token": csrf}, files=upload)
    nothing = again.text.split("data-nothing-to-apply>", 1)[1].split("</p>", 1)[0]
    assert "没有可导入的内容：文件中的订单都已在工作台中" in nothing and 'class="apply"' not in again.text


def test_a_totals_row_is_a_note_in_chinese_not_a_rejection(app, users):
    """QA pass 14, #7 on the page: the skipped 合计 row reads in Chinese (errtext_summary_row_skipped)."""
    rows = SAMPLE.read_text(encoding="utf-8-sig").splitlines()
    header = rows[0].split(",")
    total = ["合计"] + [""] * (len(header) - 1)
    total[header.index("商品数量")], total[header.index("商品金额")] = "2", "75.80"
    text = "\n".join(rows[:3] + [",".join(total)]) + "\n"
    with TestClient(app) as client:
        login(client, "owner")
        csrf = csrf_of(client, "/imports/orders")
        page = client.post("/imports/orders", data={"csrf_token": csrf},
                           files={"file": ("export.csv", text.encode("utf-8"), "text/csv")}).text
    notes = page.split('class="card import-warnings"', 1)[1].split("</section>", 1)[0]
    assert "合计行（合计），不是订单：已跳过。" in notes
    assert page.split('data-count="rejected"', 1)[1].split("</tr>", 1)[0].count(">0<") == 2


def test_a_file_of_rejected_rows_only_says_every_row_was_rejected(app, users):
    header = SAMPLE.read_text(encoding="utf-8-sig").splitlines()[0]
    with TestClient(app) as client:
        login(client, "owner")
        csrf = csrf_of(client, "/imports/orders")
        page = client.post("/imports/orders", data={"csrf_token": csrf}, files={
            "file": ("bad.csv", (header + "\n12345,1,米,1,1,1,1\n").encode("utf-8"), "text/csv")}).text
    nothing = page.split("data-nothing-to-apply>", 1)[1].split("</p>", 1)[0]
    assert "没有可导入的内容：所有行都未通过（见下方）。" in nothing and "已在工作台中" not in nothing


def test_a_preview_with_notes_does_not_claim_the_file_agrees(app, users):
    """QA pass 15, #1: an older export (or an edited placing time) changes nothing but is not 与文件一致."""
    text = SAMPLE.read_text(encoding="utf-8-sig")
    with TestClient(app) as client:
        login(client, "owner")
        csrf = csrf_of(client, "/imports/orders")
        first = client.post("/imports/orders", data={"csrf_token": csrf},
                            files={"file": ("export.csv", SAMPLE.read_bytes(), "text/csv")})
        client.post(first.text.split('form class="apply" method="post" action="', 1)[1].split('"', 1)[0],
                    data={"csrf_token": csrf})
        older = client.post("/imports/orders", data={"csrf_token": csrf}, files={
            "file": ("older.csv", text.replace(",已完成,", ",备货中,").encode("utf-8"), "text/csv")}).text
    nothing = older.split("data-nothing-to-apply>", 1)[1].split("</p>", 1)[0]
    assert "不会新建或更改任何订单" in nothing and "与文件一致" not in nothing
