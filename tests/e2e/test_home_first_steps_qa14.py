"""QA pass 14, #12: the home page of a desk with no order yet showed only zeros. It now shows the first steps (import
an export, connect Douyin, add colleagues), each link only for a role that may follow it, and not once orders exist."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from xiaodian.db import transaction
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, login
from ..factories import make_record

def _steps(page: str) -> str:
    return page.split('class="card first-steps"', 1)[1].split("</section>", 1)[0] if "first-steps" in page else ""


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_empty_desk_shows_its_first_steps_to_each_role(app, users, ctx, shop_id):
    with TestClient(app) as client:
        login(client, "owner")
        owner = _steps(client.get("/").text)
        login(client, "warehouse")
        warehouse = _steps(client.get("/").text)
        with transaction(ctx.sessions) as session:
            upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record()])
        login(client, "owner")
        later = client.get("/").text
    assert "开始使用" in owner and 'href="/imports/orders"' in owner and 'href="/settings/douyin"' in owner
    assert 'href="/settings/users"' in owner
    assert "导入订单导出文件</a>：在抖店后台下载" in owner  # a Chinese colon on a Chinese page (QA pass 15, #13)
    assert "开始使用" in warehouse and "href=" not in warehouse  # told how, not sent where it may not go
    assert "first-steps" not in later


def test_the_chinese_password_rule_names_the_login():
    """QA pass 15, #7: the English refusal named the login it must not contain, the Chinese one did not."""
    from xiaodian.accounts.passwords import check_policy
    from xiaodian.errors import ValidationFailed
    from xiaodian.web.i18n import current_language, error_text

    with pytest.raises(ValidationFailed) as refused:
        check_policy("BOSS-2026-abcd", "boss")
    token = current_language.set("zh")
    try:
        said = error_text(refused.value.code, refused.value.message, refused.value.details)
    finally:
        current_language.reset(token)
    assert "不能包含登录名（boss，不区分大小写）" in said
