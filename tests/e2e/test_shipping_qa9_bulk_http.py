"""QA pass 9, #13 on the page: the bulk-ship preview and the apply report give each reason in words after the column
it is about, as the file spells that column (物流单号: …), with no English code in front (the code stays in a data
attribute), and both rows sharing a number for different orders are held."""

from __future__ import annotations

import re

from xiaodian.db import transaction
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, csrf_of
from ..factories import make_record

CODE = re.compile(r"^[a-z]+(_[a-z]+)+")


def oid(i: int) -> str:
    return f"69384597040298{i:05d}"


def reasons(page: str) -> dict[int, list[tuple[str, str, str]]]:
    """Row number → [(code, column, text)] of the verdicts table's reasons."""
    body = page.split('class="grid verdicts"', 1)[1].split("</table>", 1)[0]
    found = {}
    for tr in body.split("<tr")[2:]:
        row = int(re.search(r'<td class="num">(\d+)</td>', tr).group(1))
        found[row] = re.findall(r'<span class="reason" data-code="([^"]*)" data-column="([^"]*)">([^<]*)</span>', tr)
    return found


def test_reasons_name_the_files_column_in_words_and_hold_both_rows(ctx, shop_id, owner_client):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW,
                      records=[make_record(oid(i)) for i in range(1, 6)])
    lines = ["订单编号,物流公司,物流单号",
             f"{oid(1)},顺丰,SF1234567890101",  # 2: shares its number with row 6
             f"{oid(2)},不存在的快递,SF1234567890102",  # 3: unknown carrier
             f"{oid(3)},顺丰,x!",  # 4: not a tracking number
             f"{oid(9)},顺丰,SF1234567890109",  # 5: no such order
             f"{oid(4)},顺丰,SF1234567890101",  # 6: shares its number with row 2
             f"{oid(5)},顺丰,SF1234567890105"]  # 7: ships
    csrf = csrf_of(owner_client, "/shipping/bulk")
    preview = owner_client.post("/shipping/bulk", data={"csrf_token": csrf},
                                files={"file": ("ship.csv", ("\n".join(lines) + "\n").encode(), "text/csv")})
    assert preview.status_code == 200, preview.text
    found = reasons(preview.text)
    assert [(c, col) for c, col, _t in found[3]] == [("carrier_unknown", "快递公司")]
    assert [(c, col) for c, col, _t in found[4]] == [("tracking_malformed", "快递单号")]
    assert [(c, col) for c, col, _t in found[5]] == [("order_not_found", "订单号")]
    assert found[3][0][2].startswith("物流公司：") and found[4][0][2].startswith("物流单号：")
    assert found[5][0][2].startswith("订单编号：")
    assert found[2][0][:2] == ("duplicate_tracking_in_file", "快递单号") and "第 6 行" in found[2][0][2]
    assert found[6][0][:2] == ("duplicate_tracking_in_file", "快递单号") and "第 2 行" in found[6][0][2]
    for row, said in found.items():  # no reason a person reads starts with (or holds) an English code
        for code, _column, text in said:
            assert not CODE.match(text.split("：", 1)[-1]) and code not in text, (row, text)
    assert "<code>" not in preview.text
    assert re.search(r'data-count="shipped"><td>[^<]*</td><td class="num">1<', preview.text)
    action = re.search(r'action="(/shipping/bulk/[^"]+/apply)"', preview.text).group(1)
    done = owner_client.post(action, data={"csrf_token": csrf}, follow_redirects=True)
    assert done.status_code == 200
    after = reasons(done.text)
    assert after[6][0][2].startswith("物流单号：") and "第 2 行" in after[6][0][2]  # the apply report says it too
    assert after[3][0][2].startswith("物流公司：")
    statuses = {i: owner_client.get(f"/api/v1/orders/{oid(i)}").json()["status"] for i in range(1, 6)}
    assert [i for i, status in statuses.items() if status == "shipped"] == [5]


def test_the_api_keeps_the_codes_and_names_the_other_rows(ctx, shop_id, owner_client):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW,
                      records=[make_record(oid(i)) for i in range(1, 3)])
    lines = ["订单号,快递公司,物流单号", f"{oid(1)},顺丰,SF1234567890101", f"{oid(2)},顺丰,SF1234567890101"]
    out = owner_client.post("/api/v1/shipments/bulk", data={"dry_run": "true"},
                            headers={"x-csrf-token": csrf_of(owner_client)},
                            files={"file": ("ship.csv", ("\n".join(lines) + "\n").encode(), "text/csv")})
    assert out.status_code == 200, out.text
    body = out.json()
    assert [(r["row"], r["column"], r["code"]) for r in body["rejected"]] == [
        (2, "快递单号", "duplicate_tracking_in_file"), (3, "快递单号", "duplicate_tracking_in_file")]
    assert body["headers"]["快递单号"] == "物流单号" and body["rows"][0]["details"]["rows"] == [3]
    assert body["shipped"] == 0
