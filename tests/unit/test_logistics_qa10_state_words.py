"""QA pass 10, D9: the "carrier reported" evidence says Kuaidi100's state in words (派件异常, not 状态码 204), rendered
from the stored code when shown; a code nobody documents keeps its number for whoever calls the carrier."""

from __future__ import annotations

import pytest

from xiaodian.logistics.domain import KNOWN_CODES
from xiaodian.logistics.rules import CODE_WORDS, evidence_text

AT = "2026-11-23T11:11:00+00:00"  # 11-23 19:11 shop time


def _ev(code, state="problem"):
    return {"at": AT, "code": code, "state": state, "location": "东莞南城", "context": "派送不成功"}


ZH, EN = "快递反馈（11-23 19:11，", "carrier reported (11-23 19:11, "


@pytest.mark.parametrize("code,state,zh,en", [
    (2, "problem", ZH + "疑难） · 东莞南城 · 派送不成功", EN + "problem) · 东莞南城 · 派送不成功"),
    (204, "problem", ZH + "派件异常） · 东莞南城 · 疑难", EN + "delivery failed) · 东莞南城 · problem"),
    (201, "problem", ZH + "超时未签收）", EN + "not signed in time)"),
    (14, "refused", ZH + "拒签） · 东莞南城 · 派送不成功", EN + "refused) · 东莞南城 · 派送不成功"),
    (4, "returned", ZH + "退签） · 东莞南城 · 派送不成功", EN + "returned to sender) · 东莞南城 · 派送不成功"),
    (6, "returning", ZH + "退回） · 东莞南城 · 派送不成功", EN + "returning) · 东莞南城 · 派送不成功"),
])
def test_known_codes_are_said_in_words(code, state, zh, en):
    assert evidence_text("problem", _ev(code, state), "zh").startswith(zh)
    english = evidence_text("problem", _ev(code, state), "en")
    assert english.startswith(en) and "state" not in english
    assert "状态码" not in evidence_text("problem", _ev(code, state), "zh")


def test_an_undocumented_code_keeps_its_number_and_a_scan_without_one_says_none():
    assert evidence_text("problem", _ev(999), "zh").startswith("快递反馈（11-23 19:11，未知状态 999）")
    assert evidence_text("problem", _ev(999), "en").startswith("carrier reported (11-23 19:11, unknown state 999)")
    assert evidence_text("problem", _ev(-1), "zh").startswith("快递反馈（11-23 19:11） · 东莞南城 · 疑难")


def test_every_code_the_desk_accepts_has_words():
    assert KNOWN_CODES <= set(CODE_WORDS)
