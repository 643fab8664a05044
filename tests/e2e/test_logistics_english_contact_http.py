"""The carrier's other channels (app, WeChat official account) on the anomaly case page and the worklist's contact
table follow the page's language like every other string: they stayed Chinese on the English pages (QA #3)."""

from __future__ import annotations

import re

from ..conftest import csrf_of  # noqa: F401
from .test_logistics_http import seed

CJK = re.compile(r"[\u4e00-\u9fff]")


def contact_line(html: str) -> str:
    return html.split('<dd class="contact">', 1)[1].split("</dd>", 1)[0]


def contact_table(html: str) -> str:
    return html.split('<section class="contacts">', 1)[1].split("</section>", 1)[0]


def test_the_case_pages_carrier_line_is_english_on_the_english_page_and_chinese_on_the_chinese_one(ctx, shop_id,
                                                                                                  owner_client):
    seed(ctx, shop_id)
    case_id = owner_client.get("/api/v1/anomalies").json()["anomalies"][0]["id"]
    owner_client.get("/lang/en")
    line = contact_line(owner_client.get(f"/logistics/anomalies/{case_id}").text)
    assert "ZTO Express" in line and "95311" in line and "WeChat official account" in line
    assert not CJK.search(line), line
    owner_client.get("/lang/zh")
    line = contact_line(owner_client.get(f"/logistics/anomalies/{case_id}").text)
    assert "中通快递" in line and "中通快递 app / 微信公众号" in line


def test_the_worklists_contact_table_has_no_chinese_on_the_english_page(ctx, shop_id, owner_client):
    seed(ctx, shop_id)
    owner_client.get("/lang/en")
    table = contact_table(owner_client.get("/logistics").text)
    assert "China Post WeChat official account" in table and "JD Logistics app" in table
    assert not CJK.search(table), table
    owner_client.get("/lang/zh")
    table = contact_table(owner_client.get("/logistics").text)
    assert "中国邮政微信公众号" in table and "顺丰速运 app / 微信公众号" in table and "京东快递 app" in table
