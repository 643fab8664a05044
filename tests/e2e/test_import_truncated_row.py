"""QA pass 5 (E11): a download cut off mid-row leaves a last row with fewer fields than the header; that row is
rejected as ``row_truncated`` (and so is its order), never imported with its missing columns taken as empty."""

from __future__ import annotations

from xiaodian.channels.exportfile.samplegen import HEADER, export_row, write_rows

from ..conftest import csrf_of


def test_api_rejects_the_cut_off_last_row_and_imports_the_rest(owner_client, tmp_path):
    whole = export_row()
    shipped = export_row(主订单编号="6938000000000000001", 子订单编号="6938000000000000001", 订单状态="已发货",
                         快递公司="圆通速递", 快递单号="YT9541369884671", 发货时间="2026-11-14 10:00:00")
    path = write_rows(tmp_path / "e.csv", [whole, shipped])
    content = path.read_bytes().rstrip(b"\r\n")
    cut = content[:content.rindex("赵敏".encode()) + len("赵敏".encode())]  # cut after 收件人, as in QA's file
    response = owner_client.post("/api/v1/imports/orders", files={"file": ("e.csv", cut, "text/csv")},
                                 data={"dry_run": "true"}, headers={"x-csrf-token": csrf_of(owner_client)})
    report = response.json()
    assert (report["created"], report["updated"]) == (1, 0), report
    [rejected] = report["rejected"]
    assert (rejected["row"], rejected["column"], rejected["code"]) == (3, "收件人手机号", "row_truncated")
    assert f"{HEADER.index('收件人') + 1} fields but the header has {len(HEADER)}" in rejected["message"]
