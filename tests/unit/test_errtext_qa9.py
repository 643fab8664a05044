"""QA pass 9, #3: refusals that reached Chinese pages in English now have Chinese texts, with their details."""

from __future__ import annotations

import pytest

from xiaodian.web.i18n import current_language, error_text


@pytest.fixture
def chinese():
    token = current_language.set("zh")
    yield
    current_language.reset(token)


@pytest.mark.parametrize(("code", "details", "expected"), [
    ("reject_note_required", {}, "拒绝时请写明理由"),
    ("case_finished", {"aftersale_id": "7100", "status": "succeeded"}, "这笔售后已经结束"),
    ("too_long", {"field": "note", "max_length": 1000}, "最多 1000 个字"),
    ("already_acknowledged", {"reminder_id": 3, "by": "cangku"}, "已由 cangku 确认过了"),
    ("douyin_credentials_refused", {"field": "app_secret", "sub_code": "isv.sign-invalid", "sub_msg": "签名错误"},
     "抖店开放平台拒绝了这组凭证（isv.sign-invalid 签名错误）"),
    ("refund_in_progress", {"aftersale_id": "7100"}, "再次退款会重复退钱"),
])
def test_a_refusal_reads_in_chinese_with_its_details(chinese, code, details, expected):
    assert expected in error_text(code, "an english message", details)


def test_a_text_needing_a_detail_the_error_lacks_falls_back_to_the_message(chinese):
    assert error_text("douyin_credentials_refused", "the platform refused", {"field": "app_key"}) == \
        "the platform refused"
