"""操作日志 in words: the owner reads what was done ("修改备注/旗标", "旗标：无 → 红"), not action keys and JSON;
the filter offers the actions by name; the API and the CSV keep the stable keys."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

from xiaodian.db import transaction
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, csrf_of
from ..factories import make_record

ORDER_ID = "6938459704022656025"


def _rows(html: str) -> list[str]:
    """Each row of the log as the text a reader sees."""
    body = html.split('<table class="grid audit">', 1)[1].split("</table>", 1)[0]
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", row)).split()) for row in re.split(r"<tr[^>]*>", body)[2:]]


def test_the_log_reads_as_sentences_and_the_api_keeps_the_keys(owner_client, ctx, shop_id):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=[make_record()], cipher=ctx.cipher, now=NOW)
    token = csrf_of(owner_client)
    assert owner_client.post(f"/orders/{ORDER_ID}/note", data={"merchant_note": "<b>缺货</b>", "flag_colour": "6",
                                                              "csrf_token": token}).status_code == 200
    assert owner_client.post("/settings/users/cs/role", data={"role": "warehouse", "csrf_token": token},
                             follow_redirects=False).status_code == 303

    page = owner_client.get("/audit")
    assert page.status_code == 200
    rows = _rows(page.text)
    note = next(r for r in rows if "修改备注/旗标" in r)
    assert f"订单 {ORDER_ID}" in note and "旗标： 无 → 红" in note and "商家备注： — → <b>缺货</b>" in note
    assert f'href="/orders/{ORDER_ID}"' in page.text
    assert "&lt;b&gt;缺货&lt;/b&gt;" in page.text and "<b>缺货</b>" not in page.text  # the note is escaped
    role = next(r for r in rows if "修改角色" in r)
    assert "用户 cs" in role and "角色： 客服 → 仓库" in role
    assert "order.note" not in " ".join(rows) and '"flag_colour"' not in page.text

    api = owner_client.get("/api/v1/audit", params={"action": "order.note"}).json()
    assert api["entries"][0]["action"] == "order.note" and api["entries"][0]["after"]["flag_colour"] == 6
    api_csv = owner_client.get("/api/v1/audit.csv", params={"action": "user.role"}).text
    assert "user.role" in api_csv and '""role"": ""warehouse""' in api_csv
    header, row = api_csv.lstrip("\ufeff").splitlines()[:2]
    assert header.endswith(",action_words,change_words") and row.endswith(",修改角色,角色: 客服 → 仓库")

    # The page's own export is for the owner in Excel: headers, time, actor and target in words; the key last.
    page_csv = list(csv.reader(io.StringIO(
        owner_client.get("/audit/export.csv", params={"action": "user.role"}).text.lstrip("\ufeff"))))
    assert page_csv[0] == ["时间", "操作人", "渠道", "操作", "对象", "对象编号", "变更与详情", "操作代码", "记录编号"]
    at, who, channel, action, target, target_id, said, key, _no = page_csv[1]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", at) and "+" not in at and "T" not in at
    assert (who, channel, action, target, target_id, said, key) == ("owner", "网页", "修改角色", "用户", "cs",
                                                                    "角色: 客服 → 仓库", "user.role")

    english = owner_client.get("/lang/en", params={"next": "/audit"}, follow_redirects=True)
    assert "Changed note or flag" in english.text and "Changed a role" in english.text


def test_the_action_filter_lists_actions_by_name_and_keeps_an_unknown_one_escaped(owner_client):
    page = owner_client.get("/audit", params={"action": "user.role"})
    select = page.text.split('<select name="action">', 1)[1].split("</select>", 1)[0]
    assert '<option value="user.role" selected>修改角色</option>' in select
    assert '<optgroup label="售后">' in select and ">拒绝售后</option>" in select
    hostile = owner_client.get("/audit", params={"action": '"><script>alert(1)</script>'})
    assert hostile.status_code == 200 and "<script>alert(1)" not in hostile.text
    assert "当前筛选条件下没有记录。" in hostile.text
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" selected' in hostile.text


def test_who_acted_reads_as_words_when_no_person_logged_in():
    from xiaodian.web import audit_words

    assert audit_words.who("cli:root", "cli") == "命令行 · root"
    assert audit_words.who("system", "job") == "系统（定时任务）"
    assert audit_words.who("douyin", "sync") == "抖店同步"
    # A person whose login merely looks like one of those keeps it: only the channel says who it was.
    assert audit_words.who("system", "web") == "system" and audit_words.who("cli:x", "web") == "cli:x"
    assert audit_words.who(None, "job") == "—"


def test_the_page_names_a_command_line_import_by_its_shell_user(owner_client, ctx, shop_id):
    from xiaodian.accounts import audit
    from xiaodian.accounts.service import Principal

    with transaction(ctx.sessions) as session:
        audit.record(session, principal=Principal(None, "cli:root", "owner", "cli"), action="orders.import",
                     now=NOW, shop_id=shop_id, target_type="file", target_id="订单导出.csv",
                     detail={"created": 3, "updated": 0, "unchanged": 0, "rejected": 0})
    row = next(r for r in _rows(owner_client.get("/audit").text) if "导入订单文件" in r)
    assert "命令行 · root" in row and "cli:root" not in row
    assert 'title="cli:root"' in owner_client.get("/audit").text  # the stored login is still one hover away


def test_a_scheduled_check_lists_what_it_found_not_its_zeros():
    from xiaodian.web import audit_words

    entry = {"action": "shipping.deadline_scan", "login": "system", "channel": "job", "target_type": None,
             "target_id": None, "before": None, "after": None,
             "detail": {"full": True, "derived": 0, "overdue": 114, "late_shipped": 0, "reminders": 21}}
    said = dict(audit_words.describe(entry)["details"])
    assert said == {"已超时": "114", "提醒数": "21"}
    imported = {**entry, "action": "orders.import", "detail": {"created": 0, "updated": 3}}
    assert dict(audit_words.describe(imported)["details"]) == {"创建": "0", "已更新": "3"}  # an import's 0 says something
