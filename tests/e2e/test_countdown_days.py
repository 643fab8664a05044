"""Beyond a day a ship-by countdown reads in days and hours (剩余 1天9小时, 已超时 10天14小时), as the order list and the
order page write it; within a day in hours and minutes, as before (QA pass 6, #23: the same order read 剩余 1天9小时 on
one page and 剩余 33小时14分 on another, and 已超时 254小时59分 on the home page)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from xiaodian.shipping.pages import countdown, countdown_templates
from xiaodian.web import i18n

from ..conftest import NOW


@pytest.fixture
def chinese():
    token = i18n.current_language.set("zh")
    yield
    i18n.current_language.reset(token)


@pytest.mark.parametrize("offset, level, text", [
    (timedelta(hours=33, minutes=14), "ok", "剩余 1天9小时"),
    (timedelta(hours=5, minutes=12), "urgent", "剩余 5小时12分"),
    (-timedelta(hours=254, minutes=59), "late", "已超时 10天14小时"),
    (-timedelta(hours=2, minutes=3), "late", "已超时 2小时3分"),
])
def test_a_countdown_beyond_a_day_reads_in_days_and_hours(chinese, offset, level, text):
    assert countdown((NOW + offset).isoformat(), NOW, "awaiting_shipment") == {"level": level, "text": text}


def test_the_page_gives_the_script_the_same_words(chinese):
    words = countdown_templates()
    assert words["tpl_left_days"] == "剩余 %(d)s天%(h)s小时" and words["tpl_late_days"] == "已超时 %(d)s天%(h)s小时"
