"""The after-sales screens guide merchants to understand and solve the buyer's problem; nothing on them
suggests pressing a buyer to change a reason (the platform punishes that as manipulation)."""

from __future__ import annotations

import re
from pathlib import Path

import xiaodian

ROOT = Path(xiaodian.__file__).parent
SOURCES = [*ROOT.joinpath("web", "templates", "aftersales").glob("*.html"), ROOT / "aftersales" / "labels.py"]
PRESSING = re.compile(r"(ask|persuade|convince|get|have) the buyer to (change|switch|modify|correct)|"
                      r"(让|请|劝|说服|引导)买家(修改|更改|改)(原因|理由)|改成(七天无理由|非质量)", re.IGNORECASE)


def _texts():
    for path in SOURCES:
        yield path.name, path.read_text(encoding="utf-8")
    for lang in ("zh", "en"):
        po = ROOT / "locale" / lang / "LC_MESSAGES" / "messages.po"
        yield po.name, po.read_text(encoding="utf-8")


def test_no_screen_text_suggests_pressing_a_buyer_to_change_a_reason():
    offenders = [(name, m.group(0)) for name, text in _texts() for m in PRESSING.finditer(text)]
    assert offenders == []


def test_the_case_page_says_the_buyer_can_correct_a_mistaken_reason_on_the_platform():
    page = ROOT.joinpath("web", "templates", "aftersales", "detail.html").read_text(encoding="utf-8")
    assert "Contact the buyer to understand what happened" in page
    assert "the buyer can correct it on the platform" in page


def test_refund_progress_reads_in_both_languages():
    from xiaodian.aftersales import labels
    from xiaodian.web import i18n

    token = i18n.current_language.set("zh")
    try:
        assert labels.status("refund_failed") == "退款失败"
        assert labels.case_status("refunding", "pending") == "待退款"
        assert labels.case_status("refunding", "refunding") == "退款中"
        assert labels.button("retry_refund") == "重新退款"
        assert labels.action("refund_progress") == "平台退款进度"
    finally:
        i18n.current_language.reset(token)
    token = i18n.current_language.set("en")
    try:
        assert labels.case_status("refund_failed", "failed") == "Refund failed"
        assert labels.case_status("refunding", "refunding") == "Refunding"
        assert labels.button("retry_refund") == "Pay the refund again"
    finally:
        i18n.current_language.reset(token)
