"""Matching a product known only by an imported listing title (QA pass 6, #3), the English glossary behind English
questions about such products, the English of a closed order's cancel reason (#5), and full-width digits in the form (#13)."""

from __future__ import annotations

import pytest

from xiaodian.inquiries.glossary import english_names
from xiaodian.inquiries.products import CatalogueEntry, match_products
from xiaodian.inquiries.replies import cancel_reason_en

RICE = CatalogueEntry.build("101", "【新米】五常大米 稻花香2号 5kg 真空装")
LONG_GRAIN = CatalogueEntry.build("102", "东北长粒香大米 10斤 家庭装")
OIL = CatalogueEntry.build("104", "压榨一级花生油 5L", None, english_names("压榨一级花生油 5L"))
FLOUR = CatalogueEntry.build("105", "高筋小麦粉 面包粉 5斤", None, english_names("高筋小麦粉 面包粉 5斤"))


def test_a_long_imported_title_is_named_back_by_the_buyers_own_words():
    m = match_products("我这个月20号拍了2份五常大米", [RICE, LONG_GRAIN, OIL, FLOUR])
    assert m.product_ids == ("101",) and m.canonical == "五常大米"
    both = match_products("大米什么时候发", [RICE, LONG_GRAIN, OIL, FLOUR])
    assert set(both.product_ids) == {"101", "102"} and both.canonical == "大米"


def test_english_words_come_only_from_terms_in_the_title_the_longer_term_first():
    assert english_names("压榨一级花生油 5L") == ("peanut oil", "groundnut oil")  # not "peanuts" too
    assert english_names("高筋小麦粉 面包粉 5斤")[:2] == ("wheat flour", "flour")
    assert english_names("有机黄小米 小黄米 2袋装 1kg") == ("yellow millet", "millet")
    assert english_names("礼品卡 100元") == ()


def test_an_english_question_finds_the_imported_product_by_its_glossary_words():
    m = match_products("Where is my peanut oil? I ordered it on Nov 22", [RICE, LONG_GRAIN, OIL, FLOUR])
    assert m.product_ids == ("104",) and m.canonical == "peanut oil"
    assert match_products("my flour has not arrived", [RICE, OIL, FLOUR]).product_ids == ("105",)


def test_a_known_cancel_reason_reads_in_english_and_an_unknown_one_is_left_out():
    assert cancel_reason_en("超时未支付") == "payment not completed in time"
    assert cancel_reason_en("买家申请退款：地址填错") == "refund requested by the buyer: wrong address"
    assert cancel_reason_en("其他原因") is None and cancel_reason_en(None) is None


def _closed(**kw):
    from datetime import datetime

    from xiaodian.inquiries.matching import OrderFacts
    day = datetime.fromisoformat("2026-11-23T01:24:00+08:00")
    return OrderFacts(order_id="6938538366292908046", status="cancelled", created_at=day,
                      items=(("103", "有机黄小米 小黄米 2袋装 1kg", 1),), cancelled_at=None, **kw)


def _draft(facts, lang):
    from datetime import datetime

    from xiaodian.inquiries.diagnosis import diagnose
    from xiaodian.inquiries.matching import Ask, score
    from xiaodian.inquiries.replies import draft
    d = diagnose([score(facts, Ask(None, None, (), None, None), "order_id")], intent="order_missing",
                 identity="order_id", stated=False, now=datetime.fromisoformat("2026-11-24T18:00:00+08:00"))
    return draft(d, lang=lang, intent="order_missing", product=None)


def test_a_closed_order_without_its_close_time_leaves_no_blank_in_either_language():
    paid = _closed(paid_at=_closed().created_at, cancel_reason="其他")
    assert "已在发货前取消并退款（其他）。" in _draft(paid, "zh")
    assert "before shipping. The money" in _draft(paid, "en")  # an unknown reason: no Chinese, no empty brackets
    unpaid = _closed(paid_at=None, cancel_reason="超时未支付")
    assert "已因超时未支付自动关闭" in _draft(unpaid, "zh")
    assert "closed automatically. If" in _draft(unpaid, "en")


def test_the_phone_and_order_fields_take_digits_typed_full_width():
    """QA pass 6, #13: １５０１１１１２２０３ in the 买家手机号 field was refused while the order search understood it."""
    from xiaodian.errors import ValidationFailed
    from xiaodian.inquiries.service import check_inputs

    assert check_inputs("在吗", "２２０３", None)[1:3] == (None, "2203")
    assert check_inputs("在吗", "１５０１１１１２２０３", None)[1:3] == ("15011112203", "2203")
    assert check_inputs("在吗", None, "６９３８８６１０２０８７０４９８１５９")[3] == "6938861020870498159"
    with pytest.raises(ValidationFailed):
        check_inputs("在吗", "٢٢٠٣", None)  # Arabic-Indic digits: no phone of the platform's
