"""The 批量备注 notice and the import report's "more rejected rows" line count in English ("1 order", not
"1 orders"; QA pass 5, E8, the strings left after its first fix), and read as one form in Chinese."""

from __future__ import annotations

import pytest

from xiaodian.web.i18n import current_language, ngettext

CASES = [
    (("Note or flag changed on %(n)s order.", "Note or flag changed on %(n)s orders."), {},
     "Note or flag changed on 1 order.", "Note or flag changed on 3 orders.", "已修改 3 个订单的备注/旗标。"),
    (("Note or flag changed on %(n)s order (%(same)s already so).",
      "Note or flag changed on %(n)s orders (%(same)s already so)."), {"same": 2},
     "Note or flag changed on 1 order (2 already so).", "Note or flag changed on 3 orders (2 already so).",
     "已修改 3 个订单的备注/旗标（2 个原本就是如此）。"),
    (("%(n)s more rejected row is not shown; the CLI with --json lists it.",
      "%(n)s more rejected rows are not shown; the CLI with --json lists them all."), {},
     "1 more rejected row is not shown; the CLI with --json lists it.",
     "3 more rejected rows are not shown; the CLI with --json lists them all.", None),
]


@pytest.mark.parametrize(("forms", "extra", "one", "three", "zh_three"), CASES)
def test_english_picks_the_form_and_chinese_has_one(forms, extra, one, three, zh_three):
    token = current_language.set("en")
    try:
        assert ngettext(*forms, 1) % {"n": 1, **extra} == one
        assert ngettext(*forms, 3) % {"n": 3, **extra} == three
    finally:
        current_language.reset(token)
    token = current_language.set("zh")
    try:
        chinese = ngettext(*forms, 3) % {"n": 3, **extra}
        assert chinese != three and "3" in chinese
        if zh_three:
            assert chinese == zh_three
    finally:
        current_language.reset(token)
