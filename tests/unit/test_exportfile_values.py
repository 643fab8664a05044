"""Cell rules of the export file: ids, money, dates, statuses and phones, including Excel's damage."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from xiaodian.channels.exportfile import values as v
from xiaodian.orders.domain import OrderStatus


@pytest.mark.parametrize("cell", ["4907538423936588900", "\t4907538423936588900", "'4907538423936588900",
                                  ' ="4907538423936588900" ', "4907538423936588900 "])
def test_id_keeps_19_digits_as_text_and_strips_excel_tab_or_apostrophe(cell):
    assert v.platform_id(cell.strip() if cell.startswith(" ") else cell, "主订单编号") == "4907538423936588900"


@pytest.mark.parametrize("cell", ["4.90754E+18", "4.907538423936589e18", 4.907538423936589e18, "\t4.90754E+18"])
def test_id_in_scientific_notation_is_rejected_because_it_cannot_be_recovered(cell):
    with pytest.raises(v.BadValue) as problem:
        v.platform_id(cell, "主订单编号")
    assert problem.value.code == "id_scientific_notation"


@pytest.mark.parametrize("cell,code", [("", "value_missing"), ("49075384239365889", "id_invalid"),
                                       ("49075384239365889001", "id_invalid"), ("49075384239365889AB", "id_invalid")])
def test_id_that_is_not_19_digits_is_rejected(cell, code):
    with pytest.raises(v.BadValue) as problem:
        v.platform_id(cell, "主订单编号")
    assert problem.value.code == code


@pytest.mark.parametrize("cell,fen", [("45.90", 4590), ("45.9", 4590), ("0.29", 29), ("1,234.56", 123456),
                                      ("¥69.90", 6990), ("100", 10000), (0.29, 29), (45.9, 4590), (1.1, 110),
                                      ("0", 0), ("45.900", 4590), ("12,345,678.90", 1234567890), ("¥1,000元", 100000)])
def test_yuan_becomes_exact_integer_fen(cell, fen):
    assert v.fen(cell, "商品金额") == fen


@pytest.mark.parametrize("cell", ["45.905", "-1.00", "abc", "1e3x", "NaN", "Infinity", "45..9",
                                  "12,3", "12,3元", "1,23.50", "1234,567", ",100"])
def test_bad_amount_is_rejected(cell):
    with pytest.raises(v.BadValue) as problem:
        v.fen(cell, "商品金额")
    assert problem.value.code == "amount_invalid"


@pytest.mark.parametrize("cell", ["0", "-1", "1.5", "两", ""])
def test_quantity_must_be_a_whole_number_of_at_least_one(cell):
    with pytest.raises(v.BadValue):
        v.quantity(cell, "商品数量")


@pytest.mark.parametrize("cell,utc", [
    ("2026-11-13 07:04:00", datetime(2026, 11, 12, 23, 4, tzinfo=UTC)),
    ("2026/11/13", datetime(2026, 11, 12, 16, 0, tzinfo=UTC)),
    ("2026/1/3 7:04", datetime(2026, 1, 2, 23, 4, tzinfo=UTC)),
    ("2026-11-13 07:04", datetime(2026, 11, 12, 23, 4, tzinfo=UTC)),
    (datetime(2026, 11, 13, 7, 4), datetime(2026, 11, 12, 23, 4, tzinfo=UTC)),
])
def test_export_times_are_china_time_stored_as_aware_utc(cell, utc):
    parsed = v.china_time(cell, "订单提交时间")
    assert parsed == utc and parsed.tzinfo is not None and parsed.utcoffset().total_seconds() == 0


@pytest.mark.parametrize("cell", ["13/11/2026 07:04", "2026-02-30 10:00:00", "yesterday", "1900-01-01 00:00:00",
                                  "2026-11-13 25:00:00"])
def test_bad_date_is_rejected(cell):
    with pytest.raises(v.BadValue) as problem:
        v.china_time(cell, "订单提交时间")
    assert problem.value.code == "date_invalid"


def test_empty_optional_time_is_none_but_required_time_is_missing():
    assert v.china_time("", "发货时间") is None
    with pytest.raises(v.BadValue) as problem:
        v.china_time("", "订单提交时间", required=True)
    assert problem.value.code == "value_missing"


@pytest.mark.parametrize("text,status", [("待支付", OrderStatus.UNPAID), ("备货中", OrderStatus.AWAITING_SHIPMENT),
                                         ("部分发货", OrderStatus.PARTIALLY_SHIPPED), ("已发货", OrderStatus.SHIPPED),
                                         ("已完成", OrderStatus.COMPLETED), ("已关闭", OrderStatus.CANCELLED),
                                         ("已支付", OrderStatus.PAID_PENDING)])
def test_status_texts_of_the_back_office_map_to_desk_statuses(text, status):
    assert v.status(text, "订单状态") == status


def test_unknown_status_is_rejected():
    with pytest.raises(v.BadValue) as problem:
        v.status("已退款中间态", "订单状态")
    assert problem.value.code == "status_unknown"


@pytest.mark.parametrize("cell,out", [("13955556605", "13955556605"), ("+86 139-5555-6605", "13955556605"),
                                      ("139****6605", "139****6605"), ("", None), ("'13955556605", "13955556605"),
                                      (13955556605.0, "13955556605")])
def test_phone_accepts_mobile_masked_or_empty(cell, out):
    assert v.phone(cell, "收件人手机号") == out


@pytest.mark.parametrize("cell", ["12345", "1395555660", "23955556605", "139****66", "电话"])
def test_bad_phone_is_rejected(cell):
    with pytest.raises(v.BadValue) as problem:
        v.phone(cell, "收件人手机号")
    assert problem.value.code == "phone_invalid"
