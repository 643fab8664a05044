"""The desk's own export, imported back, changes nothing the desk knew (SQLite and PostgreSQL).

An export carries the buyer's masked copies unless revealed, and an older export (or a platform file) may lack
columns such as 发货时间 or 运费. Imported back, such a file once replaced the stored phone, name and address with
their masked copies (the full phone's search and reveal lost for good), raised a false 改地址 on every order, and
cleared the shipping and completion times, the cancel reason and the postage."""

from __future__ import annotations

import csv
import io
from datetime import timedelta, timezone

from sqlalchemy import func, select, update

from xiaodian.channels.douyin import orders_export
from xiaodian.channels.exportfile.service import import_order_file
from xiaodian.orders.models import Order, OrderEvent, OrderItem
from xiaodian.orders.queries import OrderFilter, search_page

from ..conftest import NOW, SAMPLES

SAMPLE = SAMPLES / "douyin_orders_export.csv"
# What an import may never lose: the buyer's ciphertexts and blind indexes, the times, the money, the reasons.
KEPT = ("buyer_name_enc", "phone_enc", "address_enc", "phone_hash", "phone_last4_hash", "phone_masked",
        "buyer_name_masked", "address_masked", "province", "city", "district", "paid_at", "ship_by", "ship_by_source",
        "shipped_at", "completed_at", "cancelled_at", "cancel_reason", "post_amount_fen", "pay_amount_fen",
        "buyer_note", "merchant_note", "status", "address_changed_at", "order_type")


def _import(ctx, shop_id, path, **kw):
    return import_order_file(ctx.sessions, shop_id=shop_id, path=path, cipher=ctx.cipher, now=NOW, **kw)


def _state(ctx) -> dict[str, tuple]:
    with ctx.sessions() as session:
        rows = session.execute(select(Order.order_id, *(getattr(Order, n) for n in KEPT))).all()
        return {r[0]: tuple(r[1:]) for r in rows}


def _address_events(ctx) -> int:
    with ctx.sessions() as session:
        return len(session.execute(select(OrderEvent.id).where(OrderEvent.kind == "address_changed")).all())


def _export(ctx, shop_id, path, drop: tuple[str, ...] = ()) -> None:
    """The whole list as the desk exports it (masked buyer copies), less the ``drop`` columns."""
    with ctx.sessions() as session:
        records = list(orders_export.rows(session, shop_id=shop_id, flt=OrderFilter(now=NOW), cipher=ctx.cipher))
    buffer = io.BytesIO()
    orders_export.write_csv(buffer, iter(records))
    if drop:
        table = list(csv.DictReader(io.StringIO(buffer.getvalue().decode("utf-8-sig"))))
        columns = [c for c in orders_export.COLUMNS if c not in drop]
        out = io.StringIO()
        writer = csv.DictWriter(out, columns, extrasaction="ignore", lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(table)
        path.write_text(out.getvalue(), encoding="utf-8-sig")
    else:
        path.write_bytes(buffer.getvalue())


def _with_postage_and_reason(ctx) -> None:
    """Postage and a cancel reason on some orders, as platform sync and the demo set them."""
    with ctx.sessions.begin() as session:
        session.execute(update(Order).values(post_amount_fen=1200))
        session.execute(update(Order).where(Order.status == "cancelled").values(cancel_reason="买家不想要了"))


def test_the_desks_own_export_imports_back_without_losing_anything(ctx, shop_id, tmp_path):
    assert _import(ctx, shop_id, SAMPLE).rejected == []
    _with_postage_and_reason(ctx)
    before, events_before = _state(ctx), _address_events(ctx)
    assert any(state[KEPT.index("shipped_at")] for state in before.values())
    assert any(state[KEPT.index("completed_at")] for state in before.values())
    exported = tmp_path / "export.csv"
    _export(ctx, shop_id, exported)
    assert "****" in exported.read_text(encoding="utf-8-sig")  # the buyers' masked copies, not their numbers

    report = _import(ctx, shop_id, exported)

    assert report.rejected == [] and report.created == 0
    assert _state(ctx) == before
    assert _address_events(ctx) == events_before
    with ctx.sessions() as session:  # the full number still finds its order
        phone_order = session.execute(select(Order.order_id).where(Order.phone_enc.is_not(None)).limit(1)).scalar()
        phone = ctx.cipher.decrypt("phone", session.execute(
            select(Order.phone_enc).where(Order.order_id == phone_order)).scalar_one())
        found = search_page(session, shop_id, OrderFilter(query=phone, page_size=200), ctx.cipher).orders
        assert phone_order in [o.order_id for o in found]


def test_an_export_without_times_postage_or_reasons_keeps_the_stored_ones(ctx, shop_id, tmp_path):
    assert _import(ctx, shop_id, SAMPLE).rejected == []
    _with_postage_and_reason(ctx)
    before = _state(ctx)
    narrow = tmp_path / "narrow.csv"
    _export(ctx, shop_id, narrow, drop=("发货时间", "订单完成时间", "取消原因", "运费", "承诺发货时间", "收件人",
                                       "收件人手机号", "详细地址", "省", "市", "区"))

    assert _import(ctx, shop_id, narrow).rejected == []

    assert _state(ctx) == before


def test_a_new_address_or_phone_in_a_later_file_still_wins(ctx, shop_id, tmp_path):
    """Keeping what a file leaves unsaid must not swallow real news: a different address raises 改地址, a different
    full number replaces the stored one."""
    assert _import(ctx, shop_id, SAMPLE).rejected == []
    later = tmp_path / "later.csv"
    _export(ctx, shop_id, later)
    table = list(csv.DictReader(io.StringIO(later.read_text(encoding="utf-8-sig"))))
    target = next(r for r in table if r["订单状态"] == "备货中")
    order_id = target["主订单编号"].strip()
    for row in table:
        if row["主订单编号"] == target["主订单编号"]:
            row.update({"详细地址": "新港东路1068号 中洲中心", "收件人手机号": "13911112222"})
    out = io.StringIO()
    writer = csv.DictWriter(out, orders_export.COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(table)
    later.write_text(out.getvalue(), encoding="utf-8-sig")

    report = _import(ctx, shop_id, later)

    assert report.rejected == []
    with ctx.sessions() as session:
        order = session.execute(select(Order).where(Order.order_id == order_id)).scalar_one()
        assert ctx.cipher.decrypt("address", order.address_enc) == "新港东路1068号 中洲中心"
        assert ctx.cipher.decrypt("phone", order.phone_enc) == "13911112222"
        assert order.address_changed_at is not None
        kinds = session.execute(select(OrderEvent.kind).where(OrderEvent.order_pk == order.id)).scalars().all()
        assert "address_changed" in kinds
    assert NOW - timedelta(seconds=1) <= order.address_changed_at.astimezone(NOW.tzinfo) <= NOW + timedelta(seconds=1)


def _with_merchant_codes(ctx) -> dict[str, tuple]:
    """商家编码 on every item (the platform's export carries the merchant's own codes; the sample leaves them blank),
    one of them with leading zeros a spreadsheet would eat; returns each item's product id and code."""
    with ctx.sessions.begin() as session:
        session.execute(update(OrderItem).values(merchant_code="WC-DHX-5KG"))
        first = session.execute(select(OrderItem.id).order_by(OrderItem.id).limit(1)).scalar_one()
        session.execute(update(OrderItem).where(OrderItem.id == first).values(merchant_code="000123"))
    return _items(ctx)


def _items(ctx) -> dict[str, tuple]:
    with ctx.sessions() as session:
        return {sku: (pid, code) for sku, pid, code in session.execute(
            select(OrderItem.sku_order_id, OrderItem.product_id, OrderItem.merchant_code))}


def test_merchant_codes_go_out_in_the_export_and_survive_a_file_without_them(ctx, shop_id, tmp_path):
    """QA (user check, this session): the desk's own export had no 商家编码 column, and importing it back counted every
    order 'updated' and erased every item's merchant code, which the pick list prints."""
    assert _import(ctx, shop_id, SAMPLE).rejected == []
    codes = _with_merchant_codes(ctx)
    exported = tmp_path / "export.csv"
    _export(ctx, shop_id, exported)
    table = list(csv.DictReader(io.StringIO(exported.read_text(encoding="utf-8-sig"))))
    assert {row["商家编码"].lstrip("\t") for row in table} == {"WC-DHX-5KG", "000123"}
    assert any(row["商家编码"] == "\t000123" for row in table)  # typed text for a spreadsheet, as the ids are

    report = _import(ctx, shop_id, exported)
    assert (report.created, report.updated, report.rejected) == (0, 0, [])
    assert _items(ctx) == codes

    narrow = tmp_path / "narrow.csv"  # an older export, or a sheet someone trimmed: no 商家编码, no 商品ID
    _export(ctx, shop_id, narrow, drop=("商家编码", "商品ID"))
    report = _import(ctx, shop_id, narrow)
    assert (report.created, report.updated, report.rejected) == (0, 0, [])
    assert _items(ctx) == codes


def test_an_items_own_after_sale_label_and_a_time_to_the_microsecond_round_trip(ctx, shop_id, tmp_path):
    """QA (user check, this session, on the demo): re-importing the desk's own export still 'updated' 67 of 6,330
    orders. The export put the order's after-sale label on every SKU row, so the items without an after-sale took it
    (with a timeline event each); and a parcel shipped in the desk keeps its time to the microsecond, which the
    file gives to the second."""
    table = list(csv.DictReader(io.StringIO(SAMPLE.read_text(encoding="utf-8-sig"))))
    counts: dict[str, int] = {}
    for row in table:
        counts[row["主订单编号"]] = counts.get(row["主订单编号"], 0) + 1
    two = next(row for row in table if counts[row["主订单编号"]] > 1)
    two["售后状态"] = "待买家退货"  # one item of a two-item order has a return under way: a case of its own
    first = tmp_path / "first.csv"
    with first.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.DictWriter(out, list(table[0]))
        writer.writeheader()
        writer.writerows(table)
    assert _import(ctx, shop_id, first).rejected == []
    with ctx.sessions.begin() as session:
        shipped = session.execute(select(Order.id, Order.shipped_at).where(Order.shipped_at.is_not(None))
                                  .limit(1)).one()
        session.execute(update(Order).where(Order.id == shipped.id)
                        .values(shipped_at=shipped.shipped_at + timedelta(microseconds=473576)))
    with ctx.sessions() as session:
        labels = dict(session.execute(select(OrderItem.sku_order_id, OrderItem.after_sale_status)).all())
        events = session.execute(select(func.count()).select_from(OrderEvent)).scalar_one()
    assert sorted(v for v in labels.values() if v) == ["待买家退货"]
    before = _state(ctx)
    exported = tmp_path / "export.csv"
    _export(ctx, shop_id, exported)

    report = _import(ctx, shop_id, exported)

    assert (report.created, report.updated, report.rejected) == (0, 0, [])
    assert _state(ctx) == before
    with ctx.sessions() as session:
        assert dict(session.execute(select(OrderItem.sku_order_id, OrderItem.after_sale_status)).all()) == labels
        assert session.execute(select(func.count()).select_from(OrderEvent)).scalar_one() == events


def test_cancel_time_and_order_type_go_out_in_the_export_and_come_back_unchanged(ctx, shop_id, tmp_path):
    """The closing note of stop 29: the export had no 取消时间 and no 订单类型, which the import reads and the
    platform's own export carries; a file handed on said neither when an order was cancelled nor what kind it is."""
    assert _import(ctx, shop_id, SAMPLE).rejected == []
    with ctx.sessions.begin() as session:
        session.execute(update(Order).values(order_type="普通订单"))
        presale = session.execute(select(Order.order_id).where(Order.status != "cancelled").limit(1)).scalar_one()
        session.execute(update(Order).where(Order.order_id == presale).values(order_type="预售订单"))
        session.execute(update(Order).where(Order.status == "cancelled")  # as a sync or the demo records it
                        .values(cancelled_at=(NOW - timedelta(days=2, seconds=17)).astimezone(timezone.utc)))
        cancelled = session.execute(select(Order.order_id, Order.cancelled_at)
                                    .where(Order.status == "cancelled")).all()
    assert cancelled, "the sample has cancelled orders"
    before = _state(ctx)
    exported = tmp_path / "export.csv"
    _export(ctx, shop_id, exported)
    table = list(csv.DictReader(io.StringIO(exported.read_text(encoding="utf-8-sig"))))
    by_order = {row["主订单编号"].lstrip("\t"): row for row in table}
    assert by_order[presale]["订单类型"] == "预售订单"
    assert {row["订单类型"] for row in table} == {"普通订单", "预售订单"}
    for order_id, at in cancelled:
        shown = (at.replace(tzinfo=at.tzinfo or timezone.utc) + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")
        assert by_order[order_id]["取消时间"] == shown
    assert all(row["取消时间"] == "" for row in table if row["订单状态"] != "已取消")

    report = _import(ctx, shop_id, exported)
    assert (report.created, report.updated, report.rejected) == (0, 0, [])
    assert _state(ctx) == before
