"""QA pass 9, #10 through the app: the report's parcel (拒签, now 退回中 and silent for 153 h) has one case whose buyer
message says it is coming back and never that the courier was asked to hurry, before and after the carrier is
called; the home card, the worklist and the API count the parcels that need attention."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from xiaodian.db import transaction
from xiaodian.logistics.jobs import scan_shop
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, csrf_of
from ..factories import make_record
from ..integration.test_logistics_qa9_one_case_per_parcel import ORDER, NUMBER, refused_then_returning

H = timedelta(hours=1)
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
AWAITING = "6979282630590629140"


def seed(ctx, shop_id):
    """The report's parcel, and another one shipped 30 h ago and never picked up (a 揽收超时 case)."""
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(order_id=ORDER, status=OrderStatus.SHIPPED, carrier="韵达快递", tracking_no=NUMBER,
                        shipped_at=NOW - 230 * H),
            make_record(order_id=AWAITING, status=OrderStatus.SHIPPED, carrier="韵达快递",
                        tracking_no="351105338975540", shipped_at=NOW - 30 * H)])
    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    refused_then_returning(ctx, shop_id)
    scan_shop(ctx.sessions, shop_id, NOW, full=True)


def buyer_texts(html: str) -> tuple[str, str]:
    zh = re.search(r'<p class="msgtext" id="msg-zh"[^>]*>(.*?)</p>', html, re.DOTALL)[1]
    en = re.search(r'<p class="msgtext" id="msg-en"[^>]*>(.*?)</p>', html, re.DOTALL)[1]
    return zh, en


def test_the_refused_and_returning_parcel_has_one_case_whose_message_says_it_is_coming_back(ctx, shop_id,
                                                                                           owner_client):
    seed(ctx, shop_id)
    listing = owner_client.get("/api/v1/anomalies").json()["anomalies"]
    mine = [c for c in listing if c["tracking_no"] == NUMBER]
    assert [(c["kind"], c["severity"]) for c in mine] == [("returned", "urgent")]
    case_id = mine[0]["id"]
    page = owner_client.get(f"/logistics/anomalies/{case_id}").text
    zh, en = buyer_texts(page)
    assert "正在退回" in zh and "加急" not in zh and "没有更新" not in zh
    assert "on its way back to us" in en and "act quickly" not in en and "has not updated" not in en
    called = owner_client.post(f"/api/v1/anomalies/{case_id}/actions", json={"action": "contacted_carrier"},
                               headers={"x-csrf-token": csrf_of(owner_client)})
    assert called.status_code == 200
    zh, en = buyer_texts(owner_client.get(f"/logistics/anomalies/{case_id}").text)
    assert "我们已经联系快递公司核实退回原因" in zh and "加急" not in zh
    assert "find out why it is being returned" in en and "act quickly" not in en


def test_the_home_card_the_worklist_and_the_api_count_parcels(ctx, shop_id, owner_client):
    seed(ctx, shop_id)
    home = owner_client.get("/").text
    card = re.search(r'data-card="anomalies"><span class="big">([\d,]+)</span>', home)
    assert card is not None and card[1] == "2"  # two parcels (the returning one was two cases)
    worklist = owner_client.get("/logistics").text
    assert "2 个包裹需要处理" in worklist and "个异常" not in worklist.split('class="summary"', 1)[1].split("</p>")[0]
    listing = owner_client.get("/api/v1/anomalies").json()
    assert (listing["total"], listing["parcels"]) == (2, 2)


def test_the_case_page_says_in_chinese_when_a_stalled_case_became_a_return(ctx, shop_id, owner_client):
    from ..integration.test_logistics_qa9_one_case_per_parcel import scans, ship

    tracking = ship(ctx, shop_id, shipped_at=NOW - 100 * H)
    scans(ctx, shop_id, tracking, (NOW - 99 * H, 1, "已揽收", "五常市"),
          (NOW - 80 * H, 0, "快件已到达【廊坊转运中心】", "廊坊转运中心"))
    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    scans(ctx, shop_id, tracking, (NOW + H, 6, "快件退回中", "廊坊转运中心"), now=NOW + H)
    scan_shop(ctx.sessions, shop_id, NOW + 2 * H, full=False)
    [case] = owner_client.get("/api/v1/anomalies").json()["anomalies"]
    assert case["kind"] == "returned"
    history = owner_client.get(f"/logistics/anomalies/{case['id']}").text.split('<section class="history">', 1)[1]
    history = history.split("</section>", 1)[0]
    assert "异常原因已变更" in history and "物流停滞 → 退回" in history and "stalled" not in history
