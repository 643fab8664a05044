"""The order timeline's event details read as a merchant would say them, in the reader's language: no
``late_by_seconds: 184300`` or ``confirmed_warnings: ['tracking_shape_mismatch']``, no ids only the database needs,
and a key nobody has described yet still shown rather than hidden."""

from __future__ import annotations

import json

import pytest

from xiaodian.orders.event_lines import describe_event
from xiaodian.web import i18n


@pytest.fixture(params=["zh", "en"])
def lang(request):
    token = i18n.current_language.set(request.param)
    yield request.param
    i18n.current_language.reset(token)


def lines(kind, detail):
    return dict(describe_event(kind, json.dumps(detail, ensure_ascii=False)))


def test_a_shipment_names_carrier_number_items_and_the_warning_confirmed(lang):
    got = lines("tracking_added", {"carrier": "圆通速递", "carrier_code": "yuantong", "tracking_no": "SF1234567890123",
                                   "items": ["6979542068512062847"], "confirmed_warnings": ["tracking_shape_mismatch"]})
    zh = lang == "zh"
    assert got == {"快递公司" if zh else "Carrier": "圆通速递" if zh else "YTO Express",
                   "运单号" if zh else "Tracking no.": "SF1234567890123",
                   "子订单" if zh else "SKU orders": "6979542068512062847",
                   "已确认的提示" if zh else "Confirmed warnings":
                       "单号格式与该快递公司常见单号不符，请核对。" if zh else "Tracking shape mismatch"}


def test_a_violation_gives_its_kind_lateness_points_and_compensation(lang):
    got = lines("violation_recorded", {"kind": "overdue_unshipped", "late_by_seconds": 184300, "points": 2,
                                       "compensation_fen": 500})
    assert "51" in "".join(got.values()) and "¥5.00" in got.values() and "2" in got.values()
    assert not any("_" in k or "_" in v for k, v in got.items())


def test_an_anomaly_escalation_is_one_change_line_of_severities_and_a_case_action_of_statuses():
    token = i18n.current_language.set("zh")
    try:
        escalated = describe_event("logistics_anomaly_escalated", json.dumps(
            {"anomaly_id": "7", "kind": "stalled", "from": "warning", "to": "serious", "tracking_no": "YT1"}))
        acted = describe_event("logistics_anomaly_action", json.dumps(
            {"anomaly_id": "7", "kind": "stalled", "from": "open", "to": "contacted_carrier", "note": "已打电话"}))
    finally:
        i18n.current_language.reset(token)
    assert [name for name, _v in escalated] == ["变更", "类型", "运单号"]
    assert "→" in escalated[0][1] and "warning" not in escalated[0][1] and "7" not in dict(escalated).values()
    assert acted == [("变更", "待处理 → 已联系快递"), ("类型", "物流停滞"), ("说明", "已打电话")]


def test_unknown_keys_and_damaged_details_are_shown_not_dropped():
    assert describe_event("something_new", json.dumps({"colour": "teal"})) == [("colour", "teal")]
    assert describe_event("violation_recorded", json.dumps({"late_by_seconds": "soon"}))[0][1] == "soon"
    assert describe_event("created", "not json") == [("", "not json")]
    assert describe_event("created", None) == []


def test_carriers_stored_by_name_read_in_the_readers_language_and_an_unknown_one_as_stored(lang):
    """QA pass 5 (E6): the English timeline said "Carrier: 圆通速递" (events store the Chinese name)."""
    zh = lang == "zh"
    assert lines("tracking_added", {"carrier": "圆通速递"}) == {"快递公司" if zh else "Carrier":
                                                                "圆通速递" if zh else "YTO Express"}
    assert list(lines("tracking_added", {"carrier": "小蜜蜂同城配送"}).values()) == ["小蜜蜂同城配送"]
    edited = lines("tracking_edited", {"before": {"carrier": "顺丰速运", "tracking_no": "SF1234567890123"},
                                       "after": {"carrier": "中通快递", "tracking_no": "73123456789012"}})
    assert list(edited.values()) == (["顺丰速运 SF1234567890123", "中通快递 73123456789012"] if zh else
                                     ["SF Express SF1234567890123", "ZTO Express 73123456789012"])


def test_the_sku_orders_of_a_shipment_are_joined_in_the_readers_language(lang):
    """QA pass 5 (E7): the English timeline joined SKU order ids with the Chinese 、."""
    got = lines("tracking_added", {"items": ["6970588022491498900", "6970588022491498901"]})
    sep = "、" if lang == "zh" else ", "
    assert list(got.values()) == [sep.join(["6970588022491498900", "6970588022491498901"])]
