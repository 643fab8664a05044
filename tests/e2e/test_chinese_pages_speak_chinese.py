"""QA pass 6 (#14–#16, #21): refusals that reached Chinese pages in English, and a wrong word, each now in Chinese.
The English domain message stays in the API and the CLI; the page shows the text of its stable code."""

from __future__ import annotations

from html import unescape

import pytest

from xiaodian.web import i18n

from ..conftest import csrf_of

ONE_BACKEND = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # page wording: one backend suffices


def _alert(html: str) -> str:
    return unescape(html.split('role="alert"', 1)[1].split("</div>", 1)[0])


@ONE_BACKEND
@pytest.mark.parametrize("content, expected", [
    (b"", "文件是空的"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "这是旧版 .xls 工作簿"),
])
def test_the_bulk_ship_page_explains_an_unreadable_file_in_chinese(owner_client, content, expected):
    page = owner_client.post("/shipping/bulk", data={"csrf_token": csrf_of(owner_client, "/shipping/bulk")},
                             files={"file": ("ship.xls", content, "application/octet-stream")})
    assert page.status_code == 422
    assert expected in _alert(page.text) and "import" not in _alert(page.text).lower()


@ONE_BACKEND
def test_the_after_sale_import_explains_rows_in_chinese_and_its_button_says_what_it_imports(owner_client):
    form = owner_client.get("/imports/aftersales").text
    assert "导入售后单</button>" in form
    csv = ("售后单号,订单号,售后类型,售后状态,申请时间\n"
           "7100000000000000001,6938000000000000001,退退退,待商家处理,2026-11-20 10:00:00\n")
    page = owner_client.post("/imports/aftersales", data={"csrf_token": csrf_of(owner_client, "/imports/aftersales")},
                             files={"file": ("as.csv", csv.encode(), "text/csv")}).text
    assert "不是系统认识的售后类型" in page
    assert "is not an after-sale type" not in page.split("<tbody>", 1)[1].split('title="', 1)[0]


@ONE_BACKEND
def test_a_bad_login_name_is_refused_in_chinese(owner_client):
    page = owner_client.post("/settings/users", data={"csrf_token": csrf_of(owner_client, "/settings/users"),
                                                      "login": "xiao li", "password": "a-long-enough-password-1",
                                                      "role": "cs"})
    assert page.status_code == 422 and "登录名须为 1–64 个字符，不能含空格" in page.text


@ONE_BACKEND
def test_a_page_that_does_not_exist_says_so_in_chinese(owner_client):
    page = owner_client.get("/settings/no-such-page")  # /settings itself is a page now (QA pass 9, #17)
    assert page.status_code == 404 and "找不到该页面或记录" in page.text and "Not Found" not in page.text


@ONE_BACKEND
def test_the_pick_lists_tick_column_is_headed_packed(owner_client):
    assert "<th>已打包</th>" in owner_client.get("/shipping/picklist").text


def test_the_reveal_limit_and_a_stale_row_read_in_chinese():
    token = i18n.current_language.set("zh")
    try:
        assert i18n.error_text("reveal_limit", "at most 30 reveals per hour; try again later",
                               {"limit_per_hour": 30}) == "每人每小时最多查看 30 次完整联系方式，请稍后再试。"
        assert "比系统里的数据旧" in i18n.error_text("invalid_transition", "order 1 is shipped; a snapshot …")
    finally:
        i18n.current_language.reset(token)
