"""A refused write-back that a later sync shows done on the platform (the merchant did it in the 抖店 back office) is
settled: the warning on the order or the case goes away, a line says the platform has it, and the audit log says it
was settled there (channels/douyin/settle.py). Against the local fake."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from xiaodian.accounts.models import AuditEntry
from xiaodian.channels.douyin import service
from xiaodian.channels.douyin.jobs import sync_shop
from xiaodian.channels.douyin.models import DouyinOutbox
from xiaodian.db import transaction
from xiaodian.shipping import service as shipping
from xiaodian.shipping.service import ShipRequest

from ..conftest import NOW
from ..fakes.douyin import platform_aftersale, platform_order
from .test_douyin_refusal_visible import (AID, CLERK, OID, SHIPPED_OID, api_as, client, fake,  # noqa: F401
                                          open_case_and_reject, page_as, send)

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _refuse_upload(ctx, shop_id, client, fake):  # noqa: F811
    del fake.orders[OID]  # the platform does not know the order yet: the upload is refused
    with transaction(ctx.sessions) as session:
        shipping.ship_order(session, shop_id=shop_id, req=ShipRequest(OID, "shunfeng", "SF1000000000980"),
                            principal=CLERK, now=NOW)
    assert send(ctx, shop_id, client).failed == 1


def _states(ctx) -> list[str]:
    with ctx.sessions() as session:
        return list(session.execute(select(DouyinOutbox.state).order_by(DouyinOutbox.id)).scalars())


def _settled_audit(ctx) -> list[dict]:
    with ctx.sessions() as session:
        return [json.loads(e.detail) for e in session.execute(
            select(AuditEntry).where(AuditEntry.action == "douyin.refusal_settled")).scalars()]


@SQLITE
def test_an_upload_made_in_the_back_office_settles_the_refusal_at_the_next_sync(ctx, shop_id, client, fake, app):  # noqa: F811
    _refuse_upload(ctx, shop_id, client, fake)
    assert "douyin-refused" in page_as(app, "warehouse", f"/orders/{OID}")
    fake.put_order(platform_order(OID, create=NOW - timedelta(hours=5)))
    fake._ship(OID, [OID], "shunfeng", "SF1000000000980")  # the merchant uploaded it in the back office

    sync_shop(ctx, shop_id)
    assert _states(ctx) == ["settled"]
    html = page_as(app, "warehouse", f"/orders/{OID}")
    assert "douyin-refused" not in html and "not-on-douyin" not in html
    kinds = [e["kind"] for e in api_as(app, "warehouse", f"/api/v1/orders/{OID}")["events"]]
    assert kinds.count("douyin_upload_refused") == 1 and kinds.count("douyin_upload_settled") == 1
    (entry,) = _settled_audit(ctx)
    assert entry["settled"] == "the platform already shows it" and entry["payload"]["logistics_code"] == \
        "SF1000000000980"
    with ctx.sessions() as session:
        assert service.status(session, shop_id=shop_id, now=NOW)["failed_writes"] == []
    sync_shop(ctx, shop_id)  # a second sync changes nothing more
    kinds = [e["kind"] for e in api_as(app, "warehouse", f"/api/v1/orders/{OID}")["events"]]
    assert kinds.count("douyin_upload_settled") == 1 and len(_settled_audit(ctx)) == 1


@SQLITE
def test_another_waybill_on_the_platform_does_not_settle_the_refusal(ctx, shop_id, client, fake, app):  # noqa: F811
    _refuse_upload(ctx, shop_id, client, fake)
    fake.put_order(platform_order(OID, create=NOW - timedelta(hours=5)))
    fake._ship(OID, [OID], "yuantong", "YT9999999999999")
    sync_shop(ctx, shop_id)
    assert _states(ctx) == ["failed"] and _settled_audit(ctx) == []
    assert "douyin-refused" in page_as(app, "warehouse", f"/orders/{OID}")


@SQLITE
def test_a_rejection_made_in_the_back_office_settles_the_refused_decision(ctx, shop_id, client, fake, app):  # noqa: F811
    del fake.aftersales[AID]
    open_case_and_reject(ctx, shop_id)
    assert send(ctx, shop_id, client).failed == 1
    assert "douyin-refused" in page_as(app, "cs", f"/aftersales/{AID}")
    fake.put_aftersale(platform_aftersale(AID, SHIPPED_OID, status=27, apply=NOW - timedelta(hours=1)))

    sync_shop(ctx, shop_id)
    assert _states(ctx) == ["settled"]
    html = page_as(app, "cs", f"/aftersales/{AID}")
    assert "douyin-refused" not in html
    history = api_as(app, "cs", f"/api/v1/aftersales/{AID}")["history"]
    (line,) = [e for e in history if e["action"] == "platform_accepted"]
    assert json.loads(line["detail"])["settled_on_platform"] is True
    (entry,) = _settled_audit(ctx)
    assert entry["kind"] == "aftersale_operate"


@SQLITE
def test_a_case_the_platform_still_waits_on_keeps_the_refusal(ctx, shop_id, client, fake, app):  # noqa: F811
    del fake.aftersales[AID]
    open_case_and_reject(ctx, shop_id)
    assert send(ctx, shop_id, client).failed == 1
    fake.put_aftersale(platform_aftersale(AID, SHIPPED_OID, status=6, apply=NOW - timedelta(hours=1)))
    sync_shop(ctx, shop_id)
    assert _states(ctx) == ["failed"] and "douyin-refused" in page_as(app, "cs", f"/aftersales/{AID}")
