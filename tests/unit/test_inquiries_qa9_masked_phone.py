"""QA pass 9, #6: a phone masked as the desk shows it (178****3424, +86 137 **** 0754, full-width) is read as its
last 4 digits and its first 3, in the inquiry form's phone field, in the buyer's message and in the order search
box."""

from __future__ import annotations

import pytest

from xiaodian.errors import ValidationFailed
from xiaodian.inquiries.service import check_inputs
from xiaodian.inquiries.understanding import normalise, read_ids
from xiaodian.orders.search_query import classify, masked_phone

MASKED = ["178****3424", "+86 178 **** 3424", "+86178****3424", "178 **** 3424", "178-****-3424",
          "１７８＊＊＊＊３４２４",
          "+86 １７８ ＊＊＊＊ ３４２４", " 178****3424 ", "0086 178****3424"]


@pytest.mark.parametrize("typed", MASKED)
def test_a_masked_phone_gives_its_first_3_and_last_4_digits(typed):
    assert masked_phone(typed) == ("178", "3424")


@pytest.mark.parametrize("typed", ["178***3424", "178*****3424", "17****3424", "178****342", "178****34245",
                                   "1783424", "abc****3424", "", None])
def test_other_shapes_are_no_masked_phone(typed):
    assert masked_phone(typed) is None


@pytest.mark.parametrize("typed", MASKED)
def test_the_inquiry_forms_phone_field_takes_a_masked_phone(typed):
    text, full, last4, oid, first3 = check_inputs("什么时候发货", typed, None)
    assert (full, last4, first3, oid) == (None, "3424", "178", None)


def test_the_phone_field_still_refuses_what_is_no_phone():
    with pytest.raises(ValidationFailed):
        check_inputs("在吗", "178***3424", None)


@pytest.mark.parametrize("message,last4,first3", [
    ("你好，我的手机号是+86 137 **** 0754，我的大米呢", "0754", "137"),
    ("手机137****0754 什么时候发货", "0754", "137"),
    ("my number is 137****0754, where is my rice?", "0754", "137"),
    ("电话１３７＊＊＊＊０７５４", "0754", "137"),
    ("我的手机号13712340754", "0754", None),  # a full number: its last 4, nothing masked
])
def test_a_masked_phone_in_the_message_gives_the_last_4(message, last4, first3):
    _oid, _phone, got4, _spans, got3 = read_ids(normalise(message))
    assert (got4, got3) == (last4, first3)


@pytest.mark.parametrize("typed", ["182****1960", "+86 182 **** 1960", "１８２＊＊＊＊１９６０"])
def test_the_order_search_reads_a_masked_phone_as_its_last_4(typed):
    q = classify(typed)
    assert (q.kind, q.value, q.first3) == ("last4", "1960", "182")
