"""Ship from a file: a verdict per row, only accepted rows applied, the same file again changes nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from xiaodian.accounts.service import Principal
from xiaodian.db import transaction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import Order, Shipment
from xiaodian.shipping.bulk import Confirmed, ship_file

from ..conftest import NOW
from ..factories import make_record

CLERK = Principal(None, "warehouse", "warehouse", "cli")
SEEN = Confirmed(address_change=True, warnings=True)  # the web's preview → apply: seeing the warnings confirms them


def oid(i: int) -> str:
    return f"69384597040226{i:05d}"


def write(tmp_path, lines, encoding="utf-8-sig"):
    path = tmp_path / "ship.csv"
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


def test_preview_then_apply_then_reupload(ctx, shop_id, tmp_path):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(oid(1), ship_by=NOW + timedelta(hours=3)), make_record(oid(2)), make_record(oid(3)),
            make_record(oid(4), status=OrderStatus.CANCELLED), make_record(oid(5))])
    path = write(tmp_path, [
        "订单号,快递公司,快递单号",
        f"{oid(1)},顺丰速运,SF1234567890123",
        f"'{oid(2)},zhongtong,73123456789012",
        f"{oid(3)},顺丰,YT1234567890123",  # shape warning
        f"{oid(4)},shunfeng,SF1234567890124",  # cancelled
        f"{oid(5)},nobody,SF1234567890125",  # unknown carrier
        f"{oid(9)},shunfeng,SF1234567890126",  # not in the desk
        "4.90754E+18,shunfeng,SF1234567890127",  # Excel damaged the id
        f"{oid(1)},shunfeng,SF1234567890128",  # twice in the file
    ], encoding="gbk")
    preview = ship_file(ctx.sessions, shop_id=shop_id, path=path, principal=CLERK, now=NOW, dry_run=True,
                        confirmed=SEEN)
    verdicts = {r.row: (r.verdict, r.code) for r in preview.rows}
    assert verdicts == {2: ("ok", ""), 3: ("ok", ""), 4: ("warning", "tracking_shape_mismatch"),
                        5: ("error", "order_cancelled"), 6: ("error", "carrier_unknown"),
                        7: ("error", "order_not_found"), 8: ("error", "id_scientific_notation"),
                        9: ("error", "duplicate_order_in_file")}
    with ctx.sessions() as session:
        assert session.execute(select(func.count()).select_from(Shipment)).scalar_one() == 0
    applied = ship_file(ctx.sessions, shop_id=shop_id, path=path, principal=CLERK, now=NOW, confirmed=SEEN)
    assert applied.shipped == 3 and len(applied.as_json()["rejected"]) == 5
    with ctx.sessions() as session:
        statuses = dict(session.execute(select(Order.order_id, Order.status)).all())
    assert [statuses[oid(i)] for i in (1, 2, 3, 4, 5)] == ["shipped", "shipped", "shipped", "cancelled",
                                                           "awaiting_shipment"]
    again = ship_file(ctx.sessions, shop_id=shop_id, path=path, principal=CLERK, now=NOW + timedelta(minutes=5))
    assert again.shipped == 0 and again.count("unchanged") == 3
    with ctx.sessions() as session:
        assert session.execute(select(func.count()).select_from(Shipment)).scalar_one() == 3


def test_a_file_without_the_columns_is_refused_whole(ctx, shop_id, tmp_path):
    import pytest

    from xiaodian.channels.exportfile.reader import FileUnreadable

    path = write(tmp_path, ["名字,电话", "a,b"])
    with pytest.raises(FileUnreadable) as info:
        ship_file(ctx.sessions, shop_id=shop_id, path=path, principal=CLERK, now=NOW, dry_run=True)
    assert info.value.code == "missing_columns"


def test_a_row_whose_buyer_changed_the_address_is_a_warning_that_says_when(ctx, shop_id, tmp_path):
    """Labels in a file may have been printed before the buyer changed the address: the preview says so first."""
    changed_at = NOW + timedelta(minutes=30)
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW,
                      records=[make_record(oid(1)), make_record(oid(2))])
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=changed_at,
                      records=[make_record(oid(1), address="文三路 90号")])
    path = write(tmp_path, ["订单号,快递公司,快递单号", f"{oid(1)},顺丰,YT1234567890123",
                            f"{oid(2)},zhongtong,73123456789012"])
    preview = ship_file(ctx.sessions, shop_id=shop_id, path=path, principal=CLERK, now=changed_at, dry_run=True,
                        confirmed=SEEN)
    first, second = preview.rows
    assert (first.verdict, first.code, second.verdict) == ("warning", "address_changed", "ok")
    assert first.details == {"when": "11-24 18:30"}  # NOW is 11-24 18:00 shop time
    from xiaodian.web.i18n import current_language, error_text

    token = current_language.set("zh")
    try:
        assert error_text(first.code, first.message, first.details) == \
            "买家于 11-24 18:30 修改了收货地址：请确认这张面单是按新地址打印的。"
    finally:
        current_language.reset(token)
