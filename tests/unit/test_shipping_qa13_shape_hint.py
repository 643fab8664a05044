"""QA pass 13, #12: the warning on an unusual tracking number says what the carrier's numbers look like and which
carrier the number does look like (a YT… number under 顺丰速运 is a 圆通 parcel with the wrong carrier picked)."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from xiaodian.shipping.domain import CARRIERS, find_carrier, shape_hint, shape_mismatch_message, shaped_like
from xiaodian.web import i18n


def test_a_yto_number_under_sf_names_the_sf_shape_and_yto():
    sf = find_carrier("顺丰速运")
    message = shape_mismatch_message(sf, "YT1234567890123")
    assert message.startswith("YT1234567890123 does not look like a SF Express number")
    assert "SF Express numbers are usually SF followed by 13 digits" in message
    assert "its shape is that of YTO Express numbers (the wrong carrier chosen?)" in message
    assert shape_hint(sf, "YT1234567890123") == {"usual": "SF followed by 13 digits", "looks_like": ["yuantong"]}


def test_a_number_like_no_carrier_only_says_the_usual_shape():
    zto = find_carrier("zhongtong")
    assert shaped_like("ABC12345678", zto) == ()
    assert "looks like" not in shape_mismatch_message(zto, "ABC12345678").split(":", 1)[1]
    assert shape_hint(zto, "ABC12345678")["looks_like"] == []


@pytest.mark.parametrize("carrier", [c for c in CARRIERS if c.shape], ids=lambda c: c.code)
def test_every_checked_carrier_says_its_shape_in_english_and_chinese(carrier):
    """The pages translate the words at run time (_(usual)): each needs its Chinese text in the catalogue."""
    assert carrier.shape_words
    with (i18n.LOCALE_DIR / "zh" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        zh = {m.id: m.string for m in read_po(handle, locale="zh") if isinstance(m.id, str)}
    assert zh.get(carrier.shape_words) and re.search(r"[\u4e00-\u9fff]", zh[carrier.shape_words])
