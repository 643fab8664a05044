"""A later platform file that gives the buyer's data in full, the same as stored, and differs only where the order
shows nothing new (here the carrier's name on a parcel the order already has), changes nothing: it counts as
unchanged and writes no event, although its digest and the fresh ciphertexts differ (the buyer's data is compared
in clear, never stored in clear)."""

from __future__ import annotations

from sqlalchemy import func, select

from xiaodian.channels.exportfile.samplegen import export_row, write_rows
from xiaodian.channels.exportfile.service import import_order_file
from xiaodian.orders.models import Order, OrderEvent

from ..conftest import NOW


def _import(ctx, shop_id, path):
    return import_order_file(ctx.sessions, shop_id=shop_id, path=path, cipher=ctx.cipher, now=NOW)


def _stored(ctx):
    with ctx.sessions() as session:
        order = session.execute(select(Order)).scalar_one()
        return (session.scalar(select(func.count()).select_from(OrderEvent)), order.phone_enc, order.buyer_name_enc,
                order.address_enc)


SHIPPED = {"订单状态": "已发货", "快递单号": "SF8759230024422", "发货时间": "2026-11-14 09:00:00"}


def test_the_same_buyer_in_full_with_nothing_new_is_unchanged(ctx, shop_id, tmp_path):
    first = write_rows(tmp_path / "a.csv", [export_row(**SHIPPED, 快递公司="顺丰速运")])
    assert _import(ctx, shop_id, first).created == 1
    before = _stored(ctx)
    again = _import(ctx, shop_id, write_rows(tmp_path / "b.csv", [export_row(**SHIPPED, 快递公司="顺丰")]))
    assert (again.updated, again.unchanged) == (0, 1)
    assert _stored(ctx) == before  # nothing rewritten, no event


def test_a_buyer_given_otherwise_in_full_still_updates(ctx, shop_id, tmp_path):
    _import(ctx, shop_id, write_rows(tmp_path / "a.csv", [export_row()]))
    other = _import(ctx, shop_id, write_rows(tmp_path / "b.csv", [export_row(收件人="赵敏敏")]))
    assert other.updated == 1
    with ctx.sessions() as session:
        assert session.execute(select(Order.buyer_name_masked)).scalar_one() == "赵**"
