"""QA pass 11, #9: the English buyer message drafted on a logistics anomaly quotes the carrier's last scan in English
words ("11-23 18:59, delivery failed"), as the English staff-side evidence does, not the carrier's Chinese scan text
an English-speaking buyer cannot read; the Chinese message keeps the scan as the carrier wrote it."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from xiaodian.db import transaction
from xiaodian.logistics.ingest import Scan, find_parcels, record_scans
from xiaodian.logistics.jobs import scan_shop
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW
from ..factories import make_record

ORDER, NUMBER = "6938459704022656777", "73100000000777"
FAILED = "派送不成功：电话无人接听，将再次派送"
CJK = re.compile(r"[\u4e00-\u9fff]")


def failed_delivery(ctx, shop_id):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record(
            order_id=ORDER, status=OrderStatus.SHIPPED, carrier="中通快递", tracking_no=NUMBER,
            shipped_at=NOW - timedelta(hours=60))])
    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    with transaction(ctx.sessions) as session:
        parcel = find_parcels(session, shop_id, NUMBER, NOW)[0]
        record_scans(session, parcel, [Scan(NOW - timedelta(hours=58), "已揽收", 1, "五常市"),
                                       Scan(NOW - timedelta(hours=10), FAILED, 2, "临沂兰山营业部")],
                     source="file", now=NOW)
    scan_shop(ctx.sessions, shop_id, NOW, full=True)


def message(page: str, lang: str) -> str:
    return html.unescape(re.search(rf'<p class="msgtext" id="msg-{lang}"[^>]*>(.*?)</p>', page, re.S).group(1))


def test_the_english_buyer_message_paraphrases_the_scan_and_the_chinese_one_quotes_it(ctx, shop_id, owner_client):
    failed_delivery(ctx, shop_id)
    case = owner_client.get("/api/v1/anomalies").json()["anomalies"][0]
    assert case["kind"] == "delivery_failed"
    when = (NOW - timedelta(hours=10)).strftime("%m-%d %H:%M")
    page = owner_client.get(f"/logistics/anomalies/{case['id']}?lang=en").text
    english = message(page, "en")
    assert f"the courier could not deliver the parcel ({when}, delivery failed)" in english, english
    assert FAILED not in english and "临沂" not in english
    chinese = message(page, "zh")
    assert FAILED in chinese and "临沂兰山营业部" in chinese
