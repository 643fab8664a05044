"""A re-send (补寄) the merchant ships on an after-sale case is watched by logistics like any shipped parcel (SQLite
and PostgreSQL): a missing pickup scan or a refusal raises an anomaly marked as the case's re-send, and the order
page and the case page show where it is. It changes none of the order's own shipping facts (status, shipped_at,
tracking list, the export's 快递单号, the Douyin write-back), a later export imported back neither drops nor doubles
it, and its number is one no other parcel carries (a number belongs to one parcel: domain.md, 虚假发货)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from xiaodian.accounts.service import Principal
from xiaodian.aftersales import service
from xiaodian.aftersales.domain import Action, ActionInput, CaseType
from xiaodian.aftersales.models import AfterSaleCase
from xiaodian.channels.douyin import orders_export
from xiaodian.channels.douyin.models import DouyinOutbox
from xiaodian.channels.exportfile.service import import_order_file
from xiaodian.db import transaction
from xiaodian.errors import Conflict
from xiaodian.logistics.importfile import import_tracking_file
from xiaodian.logistics.jobs import scan_shop
from xiaodian.logistics.models import Anomaly, Parcel
from xiaodian.logistics.queries import AnomalyFilter, list_anomalies, order_tracking
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import Order, Shipment
from xiaodian.orders.queries import OrderFilter, order_shipments
from xiaodian.shipping.models import Violation
from xiaodian.shipping.service import ShipRequest, ship_order

from ..conftest import NOW
from ..factories import make_record

ORDER, OTHER, WAITING = "6938459704022656025", "6938459704022656026", "6938459704022656027"
CASE = "7400000000000000001"
OWN, RESEND, ELSEWHERE = "75111111111111", "73123456789012", "78999999999999"  # ZTO-shaped numbers
H = timedelta(hours=1)
CS = Principal(None, "kefu1", "cs", "web")
WAREHOUSE = Principal(None, "cangku", "warehouse", "web")


@pytest.fixture
def desk(ctx, shop_id):
    """A completed order (its own parcel 中通 OWN) with a 补寄 case the merchant agreed to; another order completed
    with ELSEWHERE; an order still to ship."""
    shipped = NOW - timedelta(days=5)
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(order_id=ORDER, status=OrderStatus.COMPLETED, created_at=NOW - timedelta(days=7),
                        shipped_at=shipped, completed_at=NOW - timedelta(days=1), carrier="中通快递", tracking_no=OWN),
            make_record(order_id=OTHER, status=OrderStatus.COMPLETED, shipped_at=shipped,
                        completed_at=NOW - timedelta(days=1), carrier="中通快递", tracking_no=ELSEWHERE),
            make_record(order_id=WAITING)])
        service.open_case(session, shop_id=shop_id, aftersale_id=CASE, order_id=ORDER, sku_order_id=None,
                          case_type=CaseType.RESEND, applied_at=NOW - 4 * H, now=NOW, source="sync",
                          principal=None, reason=service.BuyerReason("少件/漏发"), refund_fen=0)
        service.merchant_action(session, shop_id=shop_id, aftersale_id=CASE, action=Action.AGREE, now=NOW,
                                given=ActionInput(), principal=CS)
    return ctx


def _reship(ctx, shop_id, number=RESEND, at=NOW):
    with transaction(ctx.sessions) as session:
        service.merchant_action(session, shop_id=shop_id, aftersale_id=CASE, action=Action.RESHIP, now=at,
                                given=ActionInput(carrier="zhongtong", tracking_no=number), principal=CS)


def _order_facts(ctx, shop_id) -> tuple:
    """What the order's own shipping says: status, shipped_at, its tracking list, late-shipment records, Douyin
    write-backs and the export's 快递公司 / 快递单号 cells."""
    with ctx.sessions() as session:
        order = session.execute(select(Order).where(Order.order_id == ORDER)).scalar_one()
        tracking = [(s.carrier_name, s.tracking_no) for s in order_shipments(session, [order.id])[order.id]]
        late = session.execute(select(func.count()).select_from(Violation)).scalar_one()
        outbox = session.execute(select(func.count()).select_from(DouyinOutbox)).scalar_one()
        exported = [(r["快递公司"], r["快递单号"]) for per in ("sku", "order") for r in orders_export.rows(
            session, shop_id=shop_id, flt=OrderFilter(now=NOW), cipher=ctx.cipher, per=per)
            if r["主订单编号"] == ORDER]
        return order.status, order.shipped_at, tracking, late, outbox, exported


def _shipments(ctx) -> list[tuple[str, str, int | None]]:
    with ctx.sessions() as session:
        return [tuple(r) for r in session.execute(
            select(Shipment.tracking_no, Shipment.kind, Shipment.aftersale_case_id)
            .join(Order, Order.id == Shipment.order_pk).where(Order.order_id == ORDER).order_by(Shipment.id))]


def test_a_resend_without_a_pickup_scan_raises_an_anomaly_marked_as_the_cases_resend(desk, shop_id):
    _reship(desk, shop_id)
    scan_shop(desk.sessions, shop_id, NOW + 25 * H, full=True)
    with desk.sessions() as session:
        listed = list_anomalies(session, shop_id, AnomalyFilter(), "zh")["anomalies"]
        assert [(a["order_id"], a["tracking_no"], a["kind"], a["resend_of"]) for a in listed] == [
            (ORDER, RESEND, "pickup_timeout", CASE)]
        parcel = session.execute(select(Parcel).where(Parcel.tracking_no == RESEND)).scalar_one()
        assert parcel.watch  # on a completed order: the buyer is waiting for this parcel
        packages = order_tracking(session, shop_id, ORDER, NOW + 25 * H)["packages"]
        assert [(p["tracking_no"], p["resend_of"]) for p in packages] == [(OWN, None), (RESEND, CASE)]


def test_a_refusal_from_a_tracking_events_file_raises_a_refused_case_on_the_resend(desk, shop_id, tmp_path):
    _reship(desk, shop_id)
    path = tmp_path / "events.csv"
    path.write_text("快递单号,快递公司,时间,状态码,描述\n"
                    f"{RESEND},中通快递,2026-11-24 20:00:00,1,【杭州】已揽收\n"
                    f"{RESEND},中通快递,2026-11-26 10:00:00,14,客户拒收，快件退回\n", encoding="utf-8")
    report = import_tracking_file(desk.sessions, shop_id=shop_id, path=path, principal=CS, now=NOW + 42 * H)
    assert report.rejected == [] and report.added == 2
    scan_shop(desk.sessions, shop_id, NOW + 42 * H, full=True)
    with desk.sessions() as session:
        kinds = session.execute(select(Anomaly.kind, Parcel.tracking_no).join(
            Parcel, Parcel.shipment_id == Anomaly.shipment_id)).all()
    assert [tuple(k) for k in kinds] == [("refused", RESEND)]


def test_a_resend_changes_none_of_the_orders_own_shipping_facts(desk, shop_id):
    before = _order_facts(desk, shop_id)
    assert before[0] == "completed" and before[2] == [("中通快递", OWN)]
    assert before[5] == [("中通快递", OWN), ("中通快递", OWN)]  # one SKU row, one order row
    _reship(desk, shop_id, at=NOW + H)
    assert _order_facts(desk, shop_id) == before
    assert _shipments(desk)[1][:2] == (RESEND, "resend")


def test_an_export_imported_back_neither_drops_nor_doubles_the_resend(desk, shop_id, tmp_path):
    _reship(desk, shop_id)
    scan_shop(desk.sessions, shop_id, NOW + 25 * H, full=True)
    with desk.sessions() as session:
        records = list(orders_export.rows(session, shop_id=shop_id, flt=OrderFilter(now=NOW), cipher=desk.cipher))
    buffer = io.BytesIO()
    orders_export.write_csv(buffer, iter(records))
    path = tmp_path / "export.csv"
    path.write_bytes(buffer.getvalue())
    before = _shipments(desk)
    report = import_order_file(desk.sessions, shop_id=shop_id, path=path, cipher=desk.cipher, now=NOW + 26 * H)
    assert report.rejected == []
    assert _shipments(desk) == before and [n for n, _k, _c in before] == [OWN, RESEND]
    with desk.sessions() as session:
        assert session.execute(select(Anomaly.kind).where(Anomaly.status == "open")).scalars().all() == [
            "pickup_timeout"]


def test_a_resend_number_another_parcel_carries_is_refused(desk, shop_id):
    for number, code in ((ELSEWHERE, "tracking_in_use"), (OWN, "tracking_already_on_order")):
        with pytest.raises(Conflict) as refused:
            _reship(desk, shop_id, number=number)
        assert refused.value.code == code
    with desk.sessions() as session:
        case = session.execute(select(AfterSaleCase).where(AfterSaleCase.aftersale_id == CASE)).scalar_one()
        assert (case.status, case.reship_tracking_no) == ("waiting_merchant_ship", None)
    assert [k for _n, k, _c in _shipments(desk)] == ["order"]


def test_a_resend_number_cannot_then_ship_another_order(desk, shop_id):
    _reship(desk, shop_id)
    with pytest.raises(Conflict) as refused, transaction(desk.sessions) as session:
        ship_order(session, shop_id=shop_id, req=ShipRequest(WAITING, "zhongtong", RESEND), principal=WAREHOUSE,
                   now=NOW + H)
    assert refused.value.code == "tracking_in_use" and refused.value.details["order_id"] == ORDER


def test_the_order_page_and_the_case_page_show_the_resends_state_and_link_the_case(desk, shop_id, owner_client):
    _reship(desk, shop_id)
    scan_shop(desk.sessions, shop_id, NOW + 25 * H, full=True)
    page = owner_client.get(f"/orders/{ORDER}").text
    resend = page.split('class="tracking resends"', 1)[1].split("</ul>", 1)[0]
    assert f'data-resend-of="{CASE}"' in resend and f'href="/aftersales/{CASE}"' in resend
    assert f"<code>{RESEND}</code>" in resend and 'data-state="pending"' in resend
    assert 'data-kind="pickup_timeout"' in resend
    own = page.split('<ul class="tracking">', 1)[1].split("</ul>", 1)[0]
    assert OWN in own and RESEND not in own
    case_page = owner_client.get(f"/aftersales/{CASE}").text
    reship = case_page.split('class="reship-parcel"', 1)[1].split("</dd>", 1)[0]
    assert f"<code>{RESEND}</code>" in reship and 'data-state="pending"' in reship
    assert 'data-kind="pickup_timeout"' in reship
    worklist = owner_client.get("/logistics").text
    assert f'data-resend-of="{CASE}"' in worklist


def test_the_migration_gives_resends_recorded_before_it_their_parcel(desk, shop_id, settings):
    """Downgraded to 0029 (the re-send's row goes, it would read as the order's own parcel there) and upgraded again:
    the re-send recorded on the case gets its row back, shipped when the case says, and is watched."""
    from alembic import command

    from xiaodian.migrate import alembic_config, upgrade

    _reship(desk, shop_id, at=NOW + H)
    desk.engine.dispose()
    command.downgrade(alembic_config(settings.database_url), "0029")
    with desk.sessions() as session:
        numbers = session.execute(select(Shipment.__table__.c.tracking_no).join(
            Order, Order.id == Shipment.__table__.c.order_pk).where(Order.order_id == ORDER)).scalars().all()
        assert numbers == [OWN]
    upgrade(desk.engine, settings.database_url)
    with desk.sessions() as session:
        case_id = session.execute(select(AfterSaleCase.id).where(AfterSaleCase.aftersale_id == CASE)).scalar_one()
        shipped = session.execute(select(Shipment.shipped_at).where(Shipment.tracking_no == RESEND)).scalar_one()
    assert _shipments(desk) == [(OWN, "order", None), (RESEND, "resend", case_id)]
    assert shipped == NOW + H
    scan_shop(desk.sessions, shop_id, NOW + 26 * H, full=True)
    with desk.sessions() as session:
        listed = list_anomalies(session, shop_id, AnomalyFilter(), "zh")["anomalies"]
    assert [(a["tracking_no"], a["kind"], a["resend_of"]) for a in listed] == [(RESEND, "pickup_timeout", CASE)]
