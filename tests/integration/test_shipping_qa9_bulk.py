"""QA pass 9, #13: a tracking number on two rows of one bulk-ship file for different orders held every one of those
rows, not only the later ones (row 5 shipped with row 25's number); the report keeps the file's own header spelling
of each column so the page can name it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from xiaodian.accounts.service import Principal
from xiaodian.db import transaction
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import Shipment
from xiaodian.shipping import bulk
from xiaodian.shipping.bulk import Confirmed, ship_file

from ..conftest import NOW
from ..factories import make_record

CLERK = Principal(None, "warehouse", "warehouse", "cli")
SEEN = Confirmed(address_change=True, warnings=True)


def oid(i: int) -> str:
    return f"69384597040299{i:05d}"


def seed(ctx, shop_id, n):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW,
                      records=[make_record(oid(i)) for i in range(1, n + 1)])


def write(tmp_path, lines):
    path = tmp_path / "ship.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return path


def shipped_numbers(ctx):
    with ctx.sessions() as session:
        return sorted(session.execute(select(Shipment.tracking_no)).scalars())


@pytest.mark.parametrize("batch", [500, 2])  # also when the rows sharing the number fall in different batches
def test_every_row_sharing_a_number_with_another_order_is_held(ctx, shop_id, tmp_path, monkeypatch, batch):
    monkeypatch.setattr(bulk, "BATCH", batch)
    seed(ctx, shop_id, 5)
    path = write(tmp_path, [
        "订单号,快递公司,快递单号",
        f"{oid(1)},顺丰,SF1234567890101",  # row 2: shares its number with row 5
        f"{oid(2)},顺丰,SF1234567890102",
        f"{oid(3)},顺丰,SF1234567890103",
        f"{oid(4)},顺丰,sf 1234 5678 9010 1",  # row 5: the same number, typed otherwise
        f"{oid(5)},顺丰,SF1234567890105",
    ])
    preview = ship_file(ctx.sessions, shop_id=shop_id, path=path, principal=CLERK, now=NOW, dry_run=True,
                        confirmed=SEEN)
    verdicts = {r.row: (r.verdict, r.code, r.column, r.details.get("rows")) for r in preview.rows}
    assert verdicts[2] == ("error", "duplicate_tracking_in_file", "快递单号", [5])
    assert verdicts[5] == ("error", "duplicate_tracking_in_file", "快递单号", [2])
    assert [verdicts[r][0] for r in (3, 4, 6)] == ["ok", "ok", "ok"] and preview.shipped == 3
    assert "row 5" in next(r.message for r in preview.rows if r.row == 2)
    applied = ship_file(ctx.sessions, shop_id=shop_id, path=path, principal=CLERK, now=NOW, confirmed=SEEN)
    assert applied.shipped == 3 and applied.exit_code == 1
    assert [r["row"] for r in applied.as_json()["rejected"]] == [2, 5]
    assert shipped_numbers(ctx) == ["SF1234567890102", "SF1234567890103", "SF1234567890105"]


def test_three_rows_with_one_number_each_name_the_other_two(ctx, shop_id, tmp_path):
    seed(ctx, shop_id, 3)
    path = write(tmp_path, ["订单号,快递公司,快递单号"] + [f"{oid(i)},顺丰,SF1234567890100" for i in (1, 2, 3)])
    report = ship_file(ctx.sessions, shop_id=shop_id, path=path, principal=CLERK, now=NOW, confirmed=SEEN)
    assert {r.row: r.details["rows"] for r in report.rows} == {2: [3, 4], 3: [2, 4], 4: [2, 3]}
    assert report.shipped == 0 and shipped_numbers(ctx) == []


def test_the_same_order_twice_with_the_same_number_still_ships_once(ctx, shop_id, tmp_path):
    """Not a conflict between parcels: the first row ships, the repeat is refused as the same order again (as
    before), and the number is not held for it."""
    seed(ctx, shop_id, 2)
    path = write(tmp_path, ["订单号,快递公司,快递单号", f"{oid(1)},顺丰,SF1234567890101",
                            f"{oid(2)},顺丰,SF1234567890102", f"{oid(1)},顺丰,SF1234567890101"])
    report = ship_file(ctx.sessions, shop_id=shop_id, path=path, principal=CLERK, now=NOW, confirmed=SEEN)
    assert {r.row: (r.verdict, r.code) for r in report.rows} == {
        2: ("ok", ""), 3: ("ok", ""), 4: ("error", "duplicate_order_in_file")}
    assert shipped_numbers(ctx) == ["SF1234567890101", "SF1234567890102"]


def test_the_report_keeps_the_files_own_header_spelling(ctx, shop_id, tmp_path):
    seed(ctx, shop_id, 1)
    path = write(tmp_path, ["订单编号,物流公司,物流单号", f"{oid(1)},nobody,SF1234567890101"])
    report = ship_file(ctx.sessions, shop_id=shop_id, path=path, principal=CLERK, now=NOW, dry_run=True)
    assert report.headers == {"订单号": "订单编号", "快递公司": "物流公司", "快递单号": "物流单号"}
    assert report.as_json()["headers"]["快递公司"] == "物流公司"
    assert report.rows[0].column == "快递公司" and report.rows[0].code == "carrier_unknown"
