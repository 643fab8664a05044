"""The audit log in words (web.audit_words): what an owner reads instead of action keys and JSON."""

from __future__ import annotations

import pytest

from xiaodian.web import audit_words
from xiaodian.web.i18n import current_language


@pytest.fixture(params=["zh", "en"])
def language(request):
    token = current_language.set(request.param)
    yield request.param
    current_language.reset(token)


@pytest.fixture
def zh():
    token = current_language.set("zh")
    yield
    current_language.reset(token)


def test_every_known_action_has_words_in_both_languages(language):
    for key in audit_words.ACTIONS:
        words = audit_words.action_label(key)
        assert words and words != key and "." not in words, key
    assert audit_words.action_label("aftersales.cancel") == ("售后：买家撤销申请" if language == "zh"
                                                               else "After-sale: Buyer cancelled")
    assert audit_words.action_label("some.new_thing") == "some.new_thing"  # a key nobody has named yet shows as is


def test_every_action_the_code_records_is_named():
    """A new ``audit.record(action="…")`` without words here would show its key on the page."""
    import pathlib
    import re

    import xiaodian

    recorded = set()
    for path in pathlib.Path(xiaodian.__file__).parent.rglob("*.py"):
        recorded.update(re.findall(r'action="([a-z_]+\.[a-z_.]+)"', path.read_text()))
        recorded.update(re.findall(r'AUDIT_ACTION = "([a-z_.]+)"', path.read_text()))
    assert recorded, "the scan found nothing: the pattern is wrong"
    assert sorted(k for k in recorded if audit_words.action_label(k) == k) == []


def test_changes_list_only_what_changed_status_first(zh):
    rows = audit_words.changes({"flag_colour": 0, "merchant_note": "缺货"}, {"flag_colour": 5, "merchant_note": "缺货"},
                               "order")
    assert rows == [("旗标", "无", "橙")]
    shipped = audit_words.changes({"status": "awaiting_shipment"},
                                  {"carrier": "中通快递", "carrier_code": "zhongtong", "tracking_no": "75312345678901",
                                   "items": ["SKU1", "SKU2"], "status": "shipped"}, "order")
    assert shipped[0] == ("订单状态", "备货中", "已发货")
    assert ("快递单号", None, "75312345678901") in shipped and ("子订单", None, "SKU1、SKU2") in shipped
    assert [name for name, *_ in shipped].count("快递公司") == 1  # the carrier's code repeats its name: left out
    assert audit_words.changes(None, None) == []


def test_values_read_as_the_desk_shows_them(zh):
    value = audit_words.value_text
    assert value("status", "waiting_merchant", "aftersale") == "待商家处理"
    assert audit_words.field_label("status", "aftersale") == "售后状态"
    assert value("role", "warehouse") == "仓库"
    assert value("compensation_min_fen", 500) == "¥5.00"
    assert value("work_start_minute", 9 * 60 + 30) == "09:30"
    assert value("rest_weekdays", "56") == "周六、周日"
    assert value("until", "2026-11-27T16:00:00+00:00") == "2026-11-28 00:00"  # shop time, Asia/Shanghai
    assert value("disabled", True) == "是" and value("merchant_note", None) == "—"
    assert value("carrier_code", "zhongtong") == "中通快递"
    assert audit_words.field_label("pickup_timeout").startswith("揽收超时")  # logistics threshold: kind · severity


def test_targets_link_to_their_page_with_the_id_escaped():
    _words, ident, href = audit_words.target({"target_type": "order", "target_id": "69795/../x?y"})
    assert ident == "69795/../x?y" and href == "/orders/69795%2F..%2Fx%3Fy"
    assert audit_words.target({"target_type": "user", "target_id": "kefu2"})[2] is None
    assert audit_words.target({"target_type": None, "target_id": None}) == ("", "", None)


def test_the_filter_offers_every_case_action_and_keeps_an_unknown_one(zh):
    groups = audit_words.action_choices("made.up")
    keys = [key for _title, members in groups for key, _words in members]
    assert "aftersales.auto_close" in keys and "aftersales.reject" in keys and "made.up" in keys
    assert len(keys) == len(set(keys))
    assert groups[0][0] == "人员与登录" and groups[-1] == ("其他", [("made.up", "made.up")])


def test_a_carrier_stored_by_name_reads_in_english_on_the_english_log():
    """QA pass 5 (E6): audit entries store the carrier's Chinese name; the English log said "Carrier: 圆通速递"."""
    token = current_language.set("en")
    try:
        assert audit_words.value_text("carrier", "圆通速递") == "YTO Express"
        assert audit_words.value_text("carrier", "小蜜蜂同城配送") == "小蜜蜂同城配送"  # a file's free text
        shipped = audit_words.details({"carrier": "圆通速递", "carrier_code": "yuantong", "tracking_no": "YT1"})
        assert [value for _name, value in shipped] == ["YTO Express", "YT1"]
    finally:
        current_language.reset(token)



def test_counts_get_thousands_separators_but_ids_years_and_settings_do_not(zh):
    """QA pass 5 (E9): the detail of an export said "Rows: 44639"."""
    value = audit_words.value_text
    assert value("rows", 44639) == "44,639" and value("created", 1200) == "1,200" and value("rejected", 7) == "7"
    assert value("shipment_id", 44639) == "44639" and value("reminder_id", 12345) == "12345"
    assert value("order_id", 6979588022491498981) == "6979588022491498981" and value("year", 2026) == "2026"
    assert value("max_corrections", 1000) == "1000"  # a setting, not a count
    shown = audit_words.details({"rows": 44639, "shipment_id": 44639})
    assert [text for _name, text in shown] == ["44,639", "44639"]


def test_lists_are_joined_as_the_readers_language_writes_them(language):
    """QA pass 5 (E7): the English log said "SKU orders: 6970588022491498900、6970588022491498901"."""
    items = audit_words.value_text("items", ["6970588022491498900", "6970588022491498901"])
    days = audit_words.value_text("rest_weekdays", "56")
    if language == "zh":
        assert items == "6970588022491498900、6970588022491498901" and days == "周六、周日"
    else:
        assert items == "6970588022491498900, 6970588022491498901" and "、" not in days and ", " in days


def test_the_assistants_and_imports_details_read_in_words(zh):
    """QA pass 6, #16: 操作日志 showed code：found_awaiting_shipment, identity：last4, intent：ship_status, via：import,
    added：4 / duplicates：0, 筛选：tab: all."""
    value, field = audit_words.value_text, audit_words.field_label
    assert (field("intent"), value("intent", "ship_status")) == ("咨询类型", "什么时候发货")
    assert value("code", "found_awaiting_shipment") == "已查到：已付款，待发货"
    assert (field("identity"), value("identity", "last4")) == ("买家身份核对方式", "手机尾号后4位")
    assert value("via", "import") == "导入" and field("duplicates") == "已存在" and field("added") == "新增"
    assert value("filter", {"tab": "all"}) == "状态页签: 全部"
    assert field("resend_of") == "补寄所属售后"
