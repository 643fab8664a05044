"""The desk page's reading of a diagnosis's facts (inquiries.fact_rows): every fact keeps a line, in the reader's
language, with shop-time times; nothing is dropped but the items (the matches table shows them)."""

from __future__ import annotations

from xiaodian.inquiries.fact_rows import fact_rows
from xiaodian.web.i18n import current_language


def rows(facts: dict, language: str = "zh") -> dict[str, tuple[str, str]]:
    token = current_language.set(language)
    try:
        return {key: (name, text) for key, name, text in fact_rows(facts)}
    finally:
        current_language.reset(token)


def test_an_unpaid_order_reads_as_an_agent_would_say_it():
    got = rows({"order_id": "6979518475111020601", "status": "unpaid", "created_at": "2026-11-20T14:25:51+00:00",
                "paid_at": None, "items": [{"product_name": "五常大米", "quantity": 2}],
                "closes_at": "2026-11-20T14:55:51+00:00", "closes_at_is_estimate": True, "presale": True,
                "identity_confirmed": False})
    assert got == {"order_id": ("订单编号", "6979518475111020601"), "status": ("订单状态", "待支付"),
                   "created_at": ("下单时间", "2026-11-20 22:25"), "closes_at": ("未支付自动关闭时间", "2026-11-20 22:55（估算）"),
                   "presale": ("预售", "是"), "identity_confirmed": ("已核实买家身份", "否")}


def test_nested_facts_are_one_line_each_and_many_order_ids_are_cut():
    got = rows({"tracking": {"carrier": "中通快递", "tracking_no": "73100000000401",
                             "shipped_at": "2026-11-21T02:00:00+00:00", "parcels": 2},
                "logistics": {"state": "in_transit", "label": "运输中", "last_event_at": "2026-11-22T01:00:00+00:00",
                              "last_event": "到达【杭州转运中心】", "anomalies": ["物流停滞"], "delivered": False},
                "identity": None, "count": 11, "order_ids": [str(n) for n in range(11)],
                "missing": ["order_id", "phone_last4", "order_date"], "refund_route": "original_payment_method"})
    assert got["tracking"][1] == "中通快递 73100000000401 · 2026-11-21 10:00 发货 · 共 2 个包裹"
    assert got["logistics"][1] == "运输中 · 最新轨迹 2026-11-22 09:00 · 到达【杭州转运中心】 · 异常：物流停滞"
    assert got["identity"] == ("身份依据", "未提供")
    assert got["order_ids"][1] == "0, 1, 2, 3, 4, 5, 6, 7 等，另有 3 单"
    assert got["missing"][1] == "订单编号, 手机后4位, 下单日期"
    assert got["refund_route"][1] == "原支付方式"


def test_english_and_an_unknown_fact_is_kept_under_its_key():
    got = rows({"status": "shipped", "within_promise": True, "new_fact": {"a": 1, "b": None}}, "en")
    assert got == {"status": ("Order status", "Shipped"), "within_promise": ("Within the ship-by promise", "Yes"),
                   "new_fact": ("new_fact", "a: 1")}
