"""QA pass 9, #17: settings in the merchant's words. The default ship promise is a choice (当日发 with its cut-off
hour, 次日发, 48小时, N天内发, 预售 by days or by date) that stores the same code as before, the code typed as free text
is still accepted, and a refusal names the field in Chinese; the after-sales settings name no environment
variable."""

from __future__ import annotations

import re

import pytest

from sqlalchemy import update

from xiaodian.db import transaction
from xiaodian.shipping.models import ShippingSettings
from xiaodian.shipping.queries import get_settings

from ..conftest import csrf_of

BASE = {"capacity_per_hour": "100", "work_start": "09:00", "work_end": "18:00"}


def settings_form(page: str) -> str:
    return page.split('action="/shipping/settings"', 1)[1].split("</form>", 1)[0]


def post(client, **fields):
    return client.post("/shipping/settings", follow_redirects=False,
                       data={"csrf_token": csrf_of(client, "/shipping/forecast"), **BASE, **fields})


def stored(ctx, shop_id) -> str:
    with ctx.sessions() as session:
        return get_settings(session, shop_id).default_promise


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_default_promise_is_a_choice_in_words(ctx, shop_id, owner_client):
    form = settings_form(owner_client.get("/shipping/forecast").text)
    assert 'name="default_promise"' not in form and '<select name="promise_kind"' in form
    options = re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', form.split('name="promise_kind"', 1)[1])
    assert dict(options) == {"same_day": "当日发", "next_day": "次日发", "48h": "48小时内发", "days": "N天内发",
                             "presale_days": "预售：付款后N天内发", "presale_date": "预售：指定日期前发"}
    for code in ("next_day", "same_day:", "days:N", "presale:"):  # no code to type
        assert code not in re.sub(r'value="[^"]*"', "", form)
    assert post(owner_client, promise_kind="same_day", promise_cutoff="15", promise_days="3").status_code == 303
    assert stored(ctx, shop_id) == "same_day:15"
    form = settings_form(owner_client.get("/shipping/forecast").text)
    assert re.search(r'<option value="same_day" selected>', form) and 'name="promise_cutoff" min="1" max="24" ' \
        'value="15"' in form
    assert post(owner_client, promise_kind="presale_date", promise_date="2026-12-12").status_code == 303
    assert stored(ctx, shop_id) == "presale:2026-12-12"
    assert '<option value="presale_date" selected>' in owner_client.get("/shipping/forecast").text


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_code_typed_as_before_is_still_accepted_and_no_promise_leaves_it_as_it_is(ctx, shop_id, owner_client):
    assert post(owner_client, default_promise="days:5").status_code == 303
    assert stored(ctx, shop_id) == "days:5"
    assert post(owner_client, default_promise="次日发").status_code == 303
    assert stored(ctx, shop_id) == "next_day"
    assert post(owner_client).status_code == 303  # a form without the promise changes nothing
    assert stored(ctx, shop_id) == "next_day"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("fields,field,label", [
    ({"promise_kind": "days", "promise_days": ""}, "promise_days", "天数"),
    ({"promise_kind": "same_day", "promise_cutoff": "30"}, "promise_cutoff", "当日发截单时间（点）"),
    ({"promise_kind": "presale_date", "promise_date": ""}, "promise_date", "预售发货日期")])
def test_a_choice_missing_its_value_is_refused_naming_the_field_in_chinese(ctx, shop_id, owner_client, fields, field,
                                                                          label):
    before = stored(ctx, shop_id)
    page = post(owner_client, **fields)
    assert page.status_code == 422
    alert = page.text.split('class="alert error settings-error"', 1)[1].split("</div>", 1)[0]
    assert f'data-field="{field}"' in alert and f"<strong>{label}</strong>" in alert and "没有保存任何改动" in alert
    assert stored(ctx, shop_id) == before
    form = settings_form(page.text)
    assert f'<option value="{fields["promise_kind"]}" selected>' in form  # the choice made, to correct


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_aftersales_settings_name_no_environment_variable(owner_client):
    page = owner_client.get("/settings/aftersales").text
    assert "XIAODIAN_" not in page and "环境变量" not in page
    assert "管理员" in page  # who changes them


def test_a_default_presale_date_already_past_is_refused_but_a_stored_one_does_not_block_other_settings(
        ctx, shop_id, owner_client):
    """QA pass 10, D1: a newly chosen past presale date is refused; one saved earlier that has since passed stays,
    and the owner can still change the capacity without touching it."""
    refused = post(owner_client, promise_kind="presale_date", promise_date="2026-11-23")
    assert refused.status_code == 422 and "预售发货日期不能早于今天（2026-11-24）" in refused.text
    assert 'data-field="promise_date"' in refused.text
    assert post(owner_client, promise_kind="presale_date", promise_date="2026-11-30").status_code == 303
    with transaction(ctx.sessions) as session:  # time has passed since it was chosen
        session.execute(update(ShippingSettings).where(ShippingSettings.shop_id == shop_id)
                        .values(default_promise="presale:2026-11-20"))
    assert post(owner_client, promise_kind="presale_date", promise_date="2026-11-20",
                capacity_per_hour="80").status_code == 303
    assert stored(ctx, shop_id) == "presale:2026-11-20"
