"""A tracking number a clerk corrected away stays away (SQLite and PostgreSQL): an export file or a platform sync
made before the correction still carries the mistyped number, and intake must not add it back as a second
package. Intake reads the shipping capability's correction history for that."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from xiaodian.accounts.service import Principal
from xiaodian.channels.exportfile.samplegen import export_row, write_rows
from xiaodian.channels.exportfile.service import import_order_file
from xiaodian.db import transaction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import Order, OrderEvent, Shipment
from xiaodian.shipping.corrections import correct_tracking

from ..conftest import NOW
from ..factories import make_record

CLERK = Principal(None, "cangku", "warehouse", "web")
OID = "6938459704022656025"
WRONG, RIGHT = "SF1234567890123", "SF1234567890132"
SHIPPED = datetime(2026, 11, 14, 1, 0, tzinfo=UTC)  # 发货时间 2026-11-14 09:00 China time
SHIPPED_ROW = {"订单状态": "已发货", "快递公司": "顺丰速运", "快递单号": WRONG, "发货时间": "2026-11-14 09:00:00"}


def _import(ctx, shop_id, path):
    return import_order_file(ctx.sessions, shop_id=shop_id, path=path, cipher=ctx.cipher, now=NOW)


def _correct(ctx, shop_id, *, old=WRONG, new=RIGHT, now=SHIPPED + timedelta(hours=1)):
    with transaction(ctx.sessions) as session:
        correct_tracking(session, shop_id=shop_id, order_id=OID, carrier="shunfeng", tracking_no=new,
                         reason="单号输错一位", principal=CLERK, now=now, old_tracking_no=old, confirm_warnings=True)


def _packages(ctx) -> list[str]:
    with ctx.sessions() as session:
        return list(session.execute(select(Shipment.tracking_no).join(Order, Order.id == Shipment.order_pk)
                                    .where(Order.order_id == OID).order_by(Shipment.id)).scalars())


def _tracking_events(ctx) -> int:
    with ctx.sessions() as session:
        return len(session.execute(select(OrderEvent.id).where(OrderEvent.kind == "tracking_added")).all())


def test_reimporting_an_export_with_the_corrected_away_number_adds_no_package(ctx, shop_id, tmp_path):
    first = write_rows(tmp_path / "shipped.csv", [export_row(**SHIPPED_ROW)])
    assert _import(ctx, shop_id, first).created == 1
    assert _packages(ctx) == [WRONG]
    _correct(ctx, shop_id)
    assert _packages(ctx) == [RIGHT]
    events = _tracking_events(ctx)

    again = _import(ctx, shop_id, first)  # the very same file: nothing changed, nothing added
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 1, [])
    assert _packages(ctx) == [RIGHT]

    # A later export that still carries the mistyped number (the status moved on): the order is updated,
    # the corrected-away number is not a new package, written in a different case with spaces or not.
    for n, number in enumerate((WRONG, "sf 1234567890123")):
        later = write_rows(tmp_path / f"later{n}.csv", [export_row(
            **SHIPPED_ROW | {"快递单号": number, "订单状态": "已完成", "订单完成时间": f"2026-11-1{6 + n} 10:00:00"})])
        report = _import(ctx, shop_id, later)
        assert (report.created, report.updated, report.rejected) == (0, 1, [])
        assert _packages(ctx) == [RIGHT]
    assert _tracking_events(ctx) == events


def test_a_sync_snapshot_with_the_old_number_adds_no_package_but_a_new_number_still_counts(ctx, shop_id):
    shipped = make_record(OID, status=OrderStatus.SHIPPED, shipped_at=SHIPPED, carrier="顺丰速运", tracking_no=WRONG)
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=[shipped], cipher=ctx.cipher, now=NOW, source="sync")
    _correct(ctx, shop_id)
    later = make_record(OID, status=OrderStatus.SHIPPED, shipped_at=SHIPPED, carrier="顺丰速运",
                        tracking_no=f"{WRONG},SF9999999999999", merchant_note="补发一包")
    with transaction(ctx.sessions) as session:
        result = upsert_orders(session, shop_id=shop_id, records=[later], cipher=ctx.cipher, now=NOW, source="sync")
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    assert _packages(ctx) == [RIGHT, "SF9999999999999"]  # a genuinely new parcel is still added
    with transaction(ctx.sessions) as session:  # and the same snapshot again changes nothing
        result = upsert_orders(session, shop_id=shop_id, records=[later], cipher=ctx.cipher, now=NOW, source="sync")
    assert (result.updated, result.unchanged) == (0, 1)
    assert _packages(ctx) == [RIGHT, "SF9999999999999"]
