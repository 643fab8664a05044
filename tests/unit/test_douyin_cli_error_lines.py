"""`xiaodian sync douyin` printed each platform refusal as a Python dict, and the same broken token twice (once for
the orders, once for the after-sales); `reconcile douyin` printed "errors 1" without the error (QA pass 8, #8)."""

from xiaodian.channels.douyin.cli import _error_lines


def test_platform_refusals_read_as_one_line_each_and_once():
    token = {"method": "token.create", "code": 40003, "msg": "签名校验失败", "sub_code": "isv.invalid-sign",
             "sub_msg": ""}
    assert _error_lines([token, token, {"msg": "the sync stopped: Boom"}, "plain text"]) == [
        "token.create: 40003 签名校验失败 isv.invalid-sign", "the sync stopped: Boom", "plain text"]
    assert _error_lines([]) == []
