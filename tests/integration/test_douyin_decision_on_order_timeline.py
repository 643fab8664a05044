"""An after-sale decision Douyin refused is on the order's timeline too (not only in the case's history), as a refused
tracking upload is: a line with the platform's reason when it is refused, and a line when a retry gets it through or
a later sync finds it done on the platform (channels/douyin/refusals.py). Against the local fake."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from xiaodian.channels.douyin import outbox
from xiaodian.channels.douyin.jobs import sync_shop
from xiaodian.db import transaction

from ..conftest import NOW
from ..fakes.douyin import platform_aftersale
from .test_douyin_refusal_visible import (AID, SHIPPED_OID, api_as, client, fake,  # noqa: F401
                                          open_case_and_reject, page_as, send)

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _events(app) -> list[dict]:
    return [e for e in api_as(app, "warehouse", f"/api/v1/orders/{SHIPPED_OID}")["events"]
            if e["kind"].startswith("douyin_decision")]


def _refuse(ctx, shop_id, client, fake):  # noqa: F811
    del fake.aftersales[AID]
    open_case_and_reject(ctx, shop_id)
    assert send(ctx, shop_id, client).failed == 1


@SQLITE
def test_a_refused_decision_and_its_retry_are_on_the_order_timeline(ctx, shop_id, client, fake, app):  # noqa: F811
    _refuse(ctx, shop_id, client, fake)
    (refused,) = _events(app)
    detail = json.loads(refused["detail"])
    assert refused["kind"] == "douyin_decision_refused" and refused["source"] == "sync"
    assert detail["aftersale_id"] == AID and "isv.aftersale-not-exist 售后单不存在" in detail["reason"]
    html = page_as(app, "warehouse", f"/orders/{SHIPPED_OID}")
    assert "抖音拒绝了售后处理</strong>" in html and "isv.aftersale-not-exist" in html
    assert "Douyin refused the after-sale decision</strong>" in page_as(app, "warehouse", f"/orders/{SHIPPED_OID}",
                                                                         lang="en")

    fake.put_aftersale(platform_aftersale(AID, SHIPPED_OID, apply=NOW - timedelta(hours=1)))
    with transaction(ctx.sessions) as session:
        assert outbox.retry_failed_uploads(session, shop_id=shop_id) == 1
    assert send(ctx, shop_id, client, minutes=10).sent == 1
    assert [e["kind"] for e in _events(app)] == ["douyin_decision_refused", "douyin_decision_accepted"]
    assert "抖音已接受售后处理</strong>" in page_as(app, "warehouse", f"/orders/{SHIPPED_OID}")


@SQLITE
def test_a_refused_decision_settled_on_the_platform_says_so_on_the_order_timeline(ctx, shop_id, client, fake,  # noqa: F811
                                                                                  app):
    _refuse(ctx, shop_id, client, fake)
    fake.put_aftersale(platform_aftersale(AID, SHIPPED_OID, status=27, apply=NOW - timedelta(hours=1)))
    sync_shop(ctx, shop_id)  # (the desk's clock stands still in tests: both lines carry the same time)
    assert sorted(e["kind"] for e in _events(app)) == ["douyin_decision_refused", "douyin_decision_settled"]
    assert "售后处理已在抖店后台完成</strong>" in page_as(app, "warehouse", f"/orders/{SHIPPED_OID}")


@SQLITE
def test_a_decision_accepted_at_once_adds_no_order_line(ctx, shop_id, client, fake, app):  # noqa: F811
    open_case_and_reject(ctx, shop_id)
    assert send(ctx, shop_id, client).sent == 1
    assert _events(app) == []
