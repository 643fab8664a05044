"""A tracking-events file row whose state code is outside Kuaidi100's documented set, or whose 快递公司 is not the
parcel's carrier, is refused by row, column and a stable code, and nothing of it is stored (QA care D15)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from xiaodian.accounts.service import Principal
from xiaodian.db import transaction
from xiaodian.logistics.importfile import import_tracking_file
from xiaodian.logistics.jobs import scan_shop
from xiaodian.logistics.models import Parcel, TrackingEvent
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, csrf_of
from ..factories import make_record

ORDER = "6938459704022656411"
NUMBER = "73100000000411"
OWNER = Principal(None, "owner", "owner", "cli")


def seed(ctx, shop_id):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record(
            order_id=ORDER, status=OrderStatus.SHIPPED, carrier="中通快递", tracking_no=NUMBER,
            shipped_at=NOW - timedelta(hours=30))])
    scan_shop(ctx.sessions, shop_id, NOW, full=True)


def stored(ctx):
    with ctx.sessions() as session:
        events = list(session.execute(select(TrackingEvent.context)).scalars())
        parcel = session.execute(select(Parcel).where(Parcel.tracking_no == NUMBER)).scalar_one()
        return sorted(events), parcel.state, parcel.event_count


def test_a_state_code_outside_the_documented_set_is_refused_and_nothing_of_the_row_is_stored(ctx, shop_id,
                                                                                             tmp_path):
    seed(ctx, shop_id)
    path = tmp_path / "scans.csv"
    path.write_text("快递单号,快递公司,时间,状态码,地点,描述\n"
                    f"{NUMBER},中通快递,2026-11-24 09:00:00,999,五常市,state nine hundred ninety-nine\n"
                    f"{NUMBER},中通快递,2026-11-24 10:00:00,9,五常市,state nine is not documented\n"
                    f"{NUMBER},中通快递,2026-11-24 11:00:00,-1,五常市,minus one\n", encoding="utf-8")
    report = import_tracking_file(ctx.sessions, shop_id=shop_id, path=path, principal=OWNER, now=NOW)
    assert report.added == 0
    assert [(r["row"], r["column"], r["code"]) for r in report.rejected] == [
        (2, "状态码", "state_unknown"), (3, "状态码", "state_unknown"), (4, "状态码", "state_unknown")]
    assert "999" in report.rejected[0]["message"]
    assert stored(ctx) == ([], "pending", 0)


def test_documented_state_codes_and_sub_states_are_accepted(ctx, shop_id, tmp_path):
    seed(ctx, shop_id)
    path = tmp_path / "scans.csv"
    path.write_text("快递单号,快递公司,时间,状态码,地点,描述\n"
                    f"{NUMBER},zhongtong,2026-11-24 09:00:00,103,五常市,【五常市】已揽收\n"
                    f"{NUMBER},中通,2026-11-24 10:00:00,1002,哈尔滨,到达哈尔滨\n"
                    f"{NUMBER},ZTO Express,2026-11-24 11:00:00,208,哈尔滨,快件滞留\n"
                    f"{NUMBER},,2026-11-24 12:00:00,,哈尔滨,运输中\n", encoding="utf-8")
    report = import_tracking_file(ctx.sessions, shop_id=shop_id, path=path, principal=OWNER, now=NOW)
    assert (report.added, report.rejected) == (4, [])


def test_a_carrier_other_than_the_parcels_is_refused_by_row_and_nothing_of_it_is_stored(ctx, shop_id, tmp_path):
    seed(ctx, shop_id)
    path = tmp_path / "scans.csv"
    path.write_text("快递单号,快递公司,时间,状态码,地点,描述\n"
                    f"{NUMBER},顺丰速运,2026-11-24 09:00:00,3,杭州,已签收\n"
                    f"{NUMBER},某某物流,2026-11-24 10:00:00,3,杭州,本人签收\n"
                    f"{NUMBER},中通快递,2026-11-24 11:00:00,1,五常市,【五常市】已揽收\n", encoding="utf-8")
    report = import_tracking_file(ctx.sessions, shop_id=shop_id, path=path, principal=OWNER, now=NOW)
    assert report.added == 1
    assert [(r["row"], r["column"], r["code"]) for r in report.rejected] == [
        (2, "快递公司", "carrier_mismatch"), (3, "快递公司", "carrier_mismatch")]
    assert "顺丰速运" in report.rejected[0]["message"] and "中通快递" in report.rejected[0]["message"]
    assert stored(ctx) == (["【五常市】已揽收"], "picked_up", 1)  # not signed by another carrier's scan


def test_the_import_page_lists_the_refused_rows_with_their_column(ctx, shop_id, owner_client, tmp_path):
    seed(ctx, shop_id)
    path = tmp_path / "scans.csv"
    path.write_text("快递单号,快递公司,时间,状态码,地点,描述\n"
                    f"{NUMBER},中通快递,2026-11-24 09:00:00,999,五常市,odd\n"
                    f"{NUMBER},圆通速递,2026-11-24 10:00:00,0,杭州,到达杭州\n", encoding="utf-8")
    csrf = csrf_of(owner_client, "/logistics/import")
    with path.open("rb") as handle:
        page = owner_client.post("/logistics/import", data={"csrf_token": csrf}, files={"file": ("scans.csv", handle)})
    assert page.status_code == 200 and "新增轨迹 0 条" in page.text
    assert "999" in page.text and "圆通速递" in page.text
    assert stored(ctx) == ([], "pending", 0)


def test_the_import_pages_refusals_are_in_chinese_on_the_chinese_page(ctx, shop_id, owner_client, tmp_path):
    """Every row refusal reads in the page's language, with the offending value; the English message stays in the
    cell's title for whoever reports it."""
    seed(ctx, shop_id)
    path = tmp_path / "scans.csv"
    path.write_text("快递单号,快递公司,时间,状态码,地点,描述\n"
                    f"{NUMBER},中通快递,2026-11-24 09:00:00,999,五常市,odd\n"
                    f"{NUMBER},中通快递,2026-11-24 09:00:00,x1,五常市,odd\n"
                    f"{NUMBER},圆通速递,2026-11-24 10:00:00,0,杭州,到达杭州\n"
                    f"{NUMBER},中通快递,2026-11-24 10:00:00,0,杭州,\n"
                    f"{NUMBER},中通快递,2026-12-24 10:00:00,0,杭州,到达杭州\n"
                    "YT0000000000001,圆通速递,2026-11-24 10:00:00,0,杭州,到达杭州\n", encoding="utf-8")
    csrf = csrf_of(owner_client, "/logistics/import")
    with path.open("rb") as handle:
        page = owner_client.post("/logistics/import", data={"csrf_token": csrf}, files={"file": ("scans.csv", handle)})
    assert page.status_code == 200
    for text in ("状态码 999 不是快递100的状态码", "收到的是“x1”", f"不是单号 {NUMBER} 的承运商：该包裹由中通快递承运",
                 "描述（轨迹内容）为空", "时间 2026-12-24 10:00 在将来", "快递单号 YT0000000000001 不在任何订单上"):
        assert text in page.text, text
    cells = page.text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert ">is not" not in cells and "is in the future<" not in cells
