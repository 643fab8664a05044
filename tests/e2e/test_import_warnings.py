"""A row the file contradicts itself on, in a way a real order can (closed as 超时未支付 yet with a 支付完成时间: a
pre-sale deposit whose balance was never paid), is imported as the file gives it and named in the report apart from
the rejections: on the preview, the result, a background job's report, the API and the CLI's --json (QA pass 6: the
sample export's five such rows went in unremarked, and the assistant could tell a buyer "you never paid")."""

from __future__ import annotations

import json
import re

from xiaodian.channels.exportfile.samplegen import export_row, write_rows
from xiaodian.channels.exportfile.service import import_order_file
from xiaodian.imports import runner

from ..conftest import NOW, SAMPLES, TEST_KEYS, csrf_of

SAMPLE = SAMPLES / "douyin_orders_export.csv"
CLOSED_UNPAID = "6938000000000000101"
CLOSED_REFUNDED = "6938000000000000102"
UNPAID_NO_TIME = "6938000000000000103"


def _file(tmp_path):
    rows = [
        export_row(主订单编号=CLOSED_UNPAID, 子订单编号=CLOSED_UNPAID, 订单状态="已关闭", 取消原因="超时未支付",
                   支付完成时间="2026-11-23 01:25:00"),
        # closed after a refund before shipping: paid, then closed; nothing contradicts
        export_row(主订单编号=CLOSED_REFUNDED, 子订单编号=CLOSED_REFUNDED, 订单状态="已关闭", 取消原因="发货前退款完结",
                   支付完成时间="2026-11-23 01:25:00"),
        export_row(主订单编号=UNPAID_NO_TIME, 子订单编号=UNPAID_NO_TIME, 订单状态="已关闭", 取消原因="超时未支付",
                   支付完成时间=""),
    ]
    return write_rows(tmp_path / "e.csv", rows)


def test_the_sample_export_imports_whole_and_names_its_five_contradictory_rows(ctx, shop_id):
    report = import_order_file(ctx.sessions, shop_id=shop_id, path=SAMPLE, cipher=ctx.cipher, now=ctx.clock.now())
    assert (report.created, report.rejected_total, report.exit_code) == (43, 0, 0)
    assert [w.row for w in report.warnings] == [20, 21, 29, 32, 35]
    first = report.as_json()["warnings"][0]
    assert first["order_id"] == "6938538366292908046" and first["column"] == "支付完成时间"
    assert first["code"] == "closed_unpaid_with_payment" and "2026-11-23 01:25:00" in first["message"]
    again = import_order_file(ctx.sessions, shop_id=shop_id, path=SAMPLE, cipher=ctx.cipher, now=ctx.clock.now())
    assert (again.unchanged, again.warnings_total) == (43, 5)  # the file still says so; nothing changes


def test_the_preview_and_the_result_name_the_row_and_link_the_imported_order(owner_client, tmp_path):
    content = _file(tmp_path).read_bytes()
    preview = owner_client.post("/imports/orders", files={"file": ("e.csv", content, "text/csv")},
                                data={"csrf_token": csrf_of(owner_client, "/imports/orders")})
    assert preview.status_code == 200 and "将会导入，但请核对" in preview.text and "已导入，但请核对" not in preview.text
    section = preview.text.split('class="grid warnings"', 1)[1].split("</table>", 1)[0]
    assert CLOSED_UNPAID in section and CLOSED_REFUNDED not in section and UNPAID_NO_TIME not in section
    assert "取消原因为未支付，但支付完成时间有值" in section  # the Chinese text, not the English message
    apply_url = re.search(r'action="(/imports/orders/[^"]+/apply)"', preview.text).group(1)
    done = owner_client.post(apply_url, data={"csrf_token": csrf_of(owner_client, "/imports/orders")},
                             follow_redirects=True)
    assert done.status_code == 200 and f'<a href="/orders/{CLOSED_UNPAID}">' in done.text
    assert "已导入，但请核对" in done.text
    order = owner_client.get(f"/api/v1/orders/{CLOSED_UNPAID}").json()
    assert order["status"] == "cancelled" and order["paid_at"].startswith("2026-11-23T01:25:00")  # as the file gives


def test_the_api_and_a_background_job_report_the_warnings(owner_client, ctx, tmp_path):
    content = _file(tmp_path).read_bytes()
    headers = {"x-csrf-token": csrf_of(owner_client)}
    checked = owner_client.post("/api/v1/imports/orders", files={"file": ("e.csv", content, "text/csv")},
                                data={"dry_run": "true"}, headers=headers).json()
    assert checked["warnings_total"] == 1 and checked["warnings"][0]["order_id"] == CLOSED_UNPAID
    asked = owner_client.post("/api/v1/imports/orders/jobs", files={"file": ("e.csv", content, "text/csv")},
                              data={"dry_run": "true"}, headers=headers)
    runner.run_waiting(ctx)
    job = owner_client.get(f"/api/v1/imports/orders/jobs/{asked.json()['id']}").json()
    assert job["report"]["warnings_total"] == 1 and job["report"]["warnings"][0]["row"] == 2
    page = owner_client.get(f"/imports/orders/jobs/{asked.json()['id']}").text
    assert "将会导入，但请核对" in page and CLOSED_UNPAID in page


def test_the_cli_json_lists_the_warnings_and_still_exits_0(tmp_path):
    from typer.testing import CliRunner

    from xiaodian.cli import _register, app

    _register()
    env = {"XIAODIAN_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "XIAODIAN_DATA_DIR": str(tmp_path / "data"),
           "XIAODIAN_NOW": NOW.isoformat(), **{f"XIAODIAN_{k.upper()}": v for k, v in TEST_KEYS.items()}}
    assert CliRunner().invoke(app, ["db", "upgrade"], env=env).exit_code == 0
    result = CliRunner().invoke(app, ["import", "orders", str(_file(tmp_path)), "--json"], env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [w["order_id"] for w in data["warnings"]] == [CLOSED_UNPAID] and data["rejected"] == []
