"""QA pass 14, #8: an older export imported after a newer one is skipped with a warning, not rejected."""

from __future__ import annotations

from xiaodian.channels.exportfile.service import import_order_file

from ..conftest import NOW
from .test_import_service import SAMPLE, _order


def test_an_older_export_warns_row_by_row_and_exits_0(ctx, shop_id, tmp_path):
    import_order_file(ctx.sessions, shop_id=shop_id, path=SAMPLE, cipher=ctx.cipher, now=NOW)
    older = tmp_path / "older.csv"
    older.write_text(SAMPLE.read_text(encoding="utf-8-sig").replace(",已完成,", ",备货中,"), encoding="utf-8-sig")
    report = import_order_file(ctx.sessions, shop_id=shop_id, path=older, cipher=ctx.cipher, now=NOW)
    assert report.rejected == [] and report.exit_code == 0 and report.unchanged == 43
    skipped = [w.as_warning() for w in report.warnings if w.code == "older_snapshot_skipped"]
    assert skipped[0] == {"row": 2, "column": "订单状态", "code": "older_snapshot_skipped",
                          "order_id": "6938459704022656025", "details": {},
                          "message": "the desk already has a later state (completed); this row (awaiting_shipment) "
                                     "is older and was skipped"}
    assert len(skipped) == 8  # one per order the older file would move back: the sample's 8 已完成 orders
    assert _order(ctx, "6938459704022656025").status == "completed"


def test_a_file_placing_a_stored_order_at_another_time_says_so(ctx, shop_id, tmp_path):
    """QA pass 14, #11: a file that disagrees on 订单提交时间 (which never changes) was counted unchanged without a
    word; the desk keeps its own time and the report notes the row, naming both times."""
    import_order_file(ctx.sessions, shop_id=shop_id, path=SAMPLE, cipher=ctx.cipher, now=NOW)
    before = _order(ctx, "6938459704022656025").created_at
    edited = tmp_path / "edited.csv"
    edited.write_text(SAMPLE.read_text(encoding="utf-8-sig").replace(
        "6938459704022656025,6938459704022656025,东北长粒香大米 10斤 家庭装,3512000000000000102,,1,45.90,45.90,"
        "2026-11-13 07:04:00", "6938459704022656025,6938459704022656025,东北长粒香大米 10斤 家庭装,"
        "3512000000000000102,,1,45.90,45.90,2026-11-13 06:04:00"), encoding="utf-8-sig")
    report = import_order_file(ctx.sessions, shop_id=shop_id, path=edited, cipher=ctx.cipher, now=NOW)
    noted = [w.as_warning() for w in report.warnings if w.code == "created_at_differs"]
    assert report.rejected == [] and report.exit_code == 0 and len(noted) == 1
    assert noted[0]["row"] == 2 and noted[0]["column"] == "订单提交时间"
    assert "2026-11-13 06:04" in noted[0]["message"] and "2026-11-13 07:04" in noted[0]["message"]
    assert _order(ctx, "6938459704022656025").created_at == before  # the desk keeps its own
