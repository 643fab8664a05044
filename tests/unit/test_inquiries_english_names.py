"""English replies name carriers and products in English where English names exist (care report D13), and keep
the Chinese name only when there is none."""

from __future__ import annotations

from datetime import datetime

from xiaodian.inquiries.diagnosis import Diagnosis
from xiaodian.inquiries.matching import OrderFacts
from xiaodian.inquiries.replies import carrier_name, draft

DAY = datetime.fromisoformat("2026-11-20T10:00:00+08:00")
RICE, OIL = "3591027400000000101", "3591027400000000102"


def _shipped(carrier: str) -> Diagnosis:
    order = OrderFacts(order_id="6979490140122720537", status="shipped", created_at=DAY, paid_at=DAY,
                       items=((RICE, "【新米】五常大米 稻花香", 2), (OIL, "压榨一级花生油", 1)))
    tracking = {"carrier": carrier, "tracking_no": "74048674614350", "shipped_at": DAY.isoformat()}
    return Diagnosis("found_shipped", {"tracking": tracking}, order, True)


def test_an_english_reply_names_the_carrier_and_the_products_in_english():
    en = draft(_shipped("中通快递"), lang="en", intent="logistics", product="五常大米", names_en={RICE: "Wuchang rice"})
    assert "ZTO Express" in en and "中通" not in en
    assert "Wuchang rice ×2" in en and "五常" not in en
    assert "压榨一级花生油 ×1" in en  # no English name for it: the shop's name stays


def test_a_chinese_reply_keeps_the_chinese_names():
    zh = draft(_shipped("中通快递"), lang="zh", intent="logistics", product="五常大米", names_en={RICE: "Wuchang rice"})
    assert "中通快递运单号" in zh and "五常大米 ×2" in zh and "Wuchang" not in zh


def test_carriers_are_found_by_code_or_name_and_unknown_ones_keep_their_name():
    assert carrier_name("zhongtong", "en") == "ZTO Express"
    assert carrier_name("极兔速递", "en") == "J&T Express"
    assert carrier_name("顺丰", "en") == "SF Express"
    assert carrier_name("某某物流", "en") == "某某物流"
    assert carrier_name("中通快递", "zh") == "中通快递"
