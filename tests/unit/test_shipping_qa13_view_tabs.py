"""QA pass 13, #7: the deadline tabs count orders a refund holds, which the forecast leaves out of its plan
(另有 n 单买家已申请退款): beside each count the tab says how many of them are held (其中 n 单退款中), so the screens
agree."""

from __future__ import annotations


def test_the_tabs_say_how_many_a_refund_holds_when_given_the_counts():
    """The tabs show held counts beside each view's count (the page passes service.refund_held_counts)."""
    from xiaodian.web.i18n import current_language
    from xiaodian.web.templating import ENV

    token = current_language.set("zh")
    try:
        tabs = str(ENV.get_template("shipping/_cells.html").module.view_tabs(
            ("awaiting", "due24h", "overdue"), "due24h", {"awaiting": 30, "due24h": 28, "overdue": 14}, "",
            {"awaiting": 8, "due24h": 3, "overdue": 0}))
    finally:
        current_language.reset(token)
    assert "（其中 8 单退款中）" in tabs.split('data-view="awaiting"', 1)[1].split("</a>", 1)[0]
    assert "（其中 3 单退款中）" in tabs.split('data-view="due24h"', 1)[1].split("</a>", 1)[0]
    assert "退款中" not in tabs.split('data-view="overdue"', 1)[1].split("</a>", 1)[0]
