"""Whole numbers from text: only ASCII digits, never more than the value can have. ``str.isdigit`` took ² and a
5,000-digit cell, and ``int`` then stopped a whole import with a traceback."""

from __future__ import annotations

import pytest

from xiaodian.aftersales.reasons import status_from_text as case_status, type_from_text
from xiaodian.channels.exportfile import values as v
from xiaodian.orders.domain import status_from_text
from xiaodian.shipping.domain import parse_promise
from xiaodian.whole_numbers import whole_number

ODD = ["²", "³", "٣", "9" * 5000, "1e3", "-1", " 1", ""]


def test_whole_number():
    assert [whole_number(t) for t in ("0", "7", "007", "9" * 18)] == [0, 7, 7, int("9" * 18)]
    assert [whole_number(t) for t in ODD + ["9" * 19, None]] == [None] * (len(ODD) + 2)
    assert whole_number("123", max_digits=2) is None


@pytest.mark.parametrize("cell", ["²", "³", "٣", "9" * 5000, "1e3", "-1", "0", str(v.MAX_QUANTITY + 1)])
def test_an_export_quantity_that_is_no_whole_number_is_named(cell):
    with pytest.raises(v.BadValue) as problem:
        v.quantity(cell, "商品数量")
    assert problem.value.code == "quantity_invalid"


@pytest.mark.parametrize("cell", ["1e400", "9" * 400, "²"])
def test_an_amount_beyond_any_price_is_named_not_a_decimal_error(cell):
    with pytest.raises(v.BadValue) as problem:
        v.fen(cell, "订单应付金额")
    assert problem.value.code == "amount_invalid"


def test_a_hand_typed_full_width_order_id_is_the_same_id_and_other_scripts_digits_are_refused():
    assert v.platform_id("６９３８４５９７０４０２２６５６０２５", "主订单编号") == "6938459704022656025"
    with pytest.raises(v.BadValue):
        v.platform_id("٦٩٣٨٤٥٩٧٠٤٠٢٢٦٥٦٠٢٥", "主订单编号")  # Arabic-Indic digits: no id of the platform's


@pytest.mark.parametrize("text", ["²", "9" * 5000])
def test_status_and_type_codes_from_text_refuse_odd_digits(text):
    assert status_from_text(text) is None and case_status(text) is None and type_from_text(text) is None


@pytest.mark.parametrize("promise", ["same_day:²", "days:²", "presale:²", "days:" + "9" * 5000])
def test_a_promise_with_odd_digits_is_a_clear_value_error(promise):
    with pytest.raises(ValueError, match="same_day|days|presale"):
        parse_promise(promise)


def test_half_width_makes_full_width_ascii_plain_and_nothing_else():
    from xiaodian.whole_numbers import half_width

    assert half_width("ＳＦ１２３\u3000４－５") == "SF123 4-5"
    assert half_width("²٣") == "²٣"  # not digits a merchant types: still refused where numbers are read
