"""POST /hooks/kuaidi100 through the app, with pushes built by the fake Kuaidi100: the signature is checked before
anything is stored, the raw payload is kept, scans land on the parcel, and the reply has the documented shape."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from xiaodian.db import transaction
from xiaodian.logistics.models import Kuaidi100Push, Parcel, TrackingEvent
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW
from ..factories import make_record
from ..fakes.kuaidi100 import FakeKuaidi100, Waybill

SALT = "push-salt-for-tests"
NUMBER = "YT1234567890123"


def desk(ctx):
    ctx.settings = ctx.settings.model_copy(update={"kuaidi100_salt": SALT})
    from xiaodian.bootstrap import default_shop_id
    from xiaodian.web.app import create_app

    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=default_shop_id(ctx), cipher=ctx.cipher, now=NOW, records=[make_record(
            order_id="6938459704022656201", status=OrderStatus.SHIPPED, carrier="圆通速递", tracking_no=NUMBER,
            shipped_at=NOW)])
    return create_app(ctx)


def fake_with_scans() -> FakeKuaidi100:
    fake = FakeKuaidi100()
    bill = Waybill()
    bill.add("2026-11-24 20:10:00", "【哈尔滨市】五常营业部 已揽收", 1, "五常市")
    bill.add("2026-11-25 06:30:00", "快件已到达【沈阳转运中心】", 0, "沈阳转运中心")
    fake.waybills[("yuantong", NUMBER)] = bill
    return fake


def count(ctx, model) -> int:
    with ctx.sessions() as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_forged_push_gets_a_4xx_and_stores_nothing(ctx):
    app = desk(ctx)
    form = fake_with_scans().push_form("yuantong", NUMBER, salt="not-our-salt")
    with TestClient(app) as client:
        response = client.post("/hooks/kuaidi100", data=form)
    assert response.status_code == 403
    assert count(ctx, Kuaidi100Push) == 0 and count(ctx, TrackingEvent) == 0


def test_a_signed_push_is_stored_raw_applied_and_answered_in_the_documented_shape(ctx):
    app = desk(ctx)
    form = fake_with_scans().push_form("yuantong", NUMBER, salt=SALT)
    with TestClient(app) as client:
        response = client.post("/hooks/kuaidi100", data=form)
        again = client.post("/hooks/kuaidi100", data=form)  # Kuaidi100 retries: the scans are stored once
    assert response.json() == {"result": True, "returnCode": "200", "message": "成功"}
    assert again.status_code == 200
    with ctx.sessions() as session:
        raws = list(session.execute(select(Kuaidi100Push)).scalars())
        parcel = session.execute(select(Parcel).where(Parcel.tracking_no == NUMBER)).scalar_one()
    assert len(raws) == 2 and raws[0].param == form["param"] and raws[0].processed_at is not None
    assert count(ctx, TrackingEvent) == 2
    assert (parcel.state, parcel.last_location, parcel.last_push_at is not None) == ("in_transit", "沈阳转运中心", True)


def test_a_push_for_a_waybill_the_desk_does_not_know_is_kept_and_acknowledged(ctx):
    app = desk(ctx)
    fake = fake_with_scans()
    fake.waybills[("yuantong", "YT9999999999999")] = fake.waybills[("yuantong", NUMBER)]
    with TestClient(app) as client:
        response = client.post("/hooks/kuaidi100", data=fake.push_form("yuantong", "YT9999999999999", salt=SALT))
    assert response.json()["returnCode"] == "200"
    with ctx.sessions() as session:
        raw = session.execute(select(Kuaidi100Push)).scalar_one()
    assert raw.outcome.startswith("unknown waybill")


def test_without_a_salt_configured_every_push_is_refused(ctx):
    app = desk(ctx)
    ctx.settings = ctx.settings.model_copy(update={"kuaidi100_salt": None})
    with TestClient(app) as client:
        response = client.post("/hooks/kuaidi100", data=fake_with_scans().push_form("yuantong", NUMBER, salt=""))
    assert response.status_code == 403 and count(ctx, Kuaidi100Push) == 0
