"""Working hours on the shipping settings form: an impossible time is refused naming its own field (QA #9: 25:99 was
read as 1,599 minutes and blamed on work_end_minute), and nothing is saved. The refusal comes back on the forecast
page beside the form, in Chinese, with what was typed (QA pass 6, #7: a bare English 422 page that lost the form)."""

from __future__ import annotations

import pytest

from xiaodian.accounts.service import Principal
from xiaodian.errors import ValidationFailed
from xiaodian.shipping import preferences
from xiaodian.shipping.queries import get_settings

from ..conftest import NOW, csrf_of

OWNER = Principal(None, "owner", "owner", "web")


def refused_field(page) -> str:
    """The field the settings form's error names (data-field of its alert)."""
    return page.text.split('class="alert error settings-error"', 1)[1].split('data-field="', 1)[1].split('"', 1)[0]


def post_hours(client, start: str, end: str = "18:00"):
    return client.post("/shipping/settings", follow_redirects=False, data={
        "csrf_token": csrf_of(client, "/shipping/forecast"), "capacity_per_hour": "100", "work_start": start,
        "work_end": end, "default_promise": "48h"})


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("start", ["25:99", "-1:30", "9", "09:60", "24:00", "ab:cd"])
def test_an_impossible_start_time_is_refused_naming_the_start_field(ctx, shop_id, owner_client, start):
    page = post_hours(owner_client, start)
    assert page.status_code == 422
    assert refused_field(page) == "work_start" and "没有保存任何改动" in page.text
    assert f'name="work_start" value="{start}"' in page.text  # what was typed, to correct
    with ctx.sessions() as session:
        assert get_settings(session, shop_id).work_start_minute == 9 * 60


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_real_times_are_saved_and_the_day_may_end_at_midnight(ctx, shop_id, owner_client):
    assert post_hours(owner_client, "7:30", "24:00").status_code == 303
    with ctx.sessions() as session:
        row = get_settings(session, shop_id)
        assert (row.work_start_minute, row.work_end_minute) == (7 * 60 + 30, 24 * 60)
    refused = post_hours(owner_client, "10:00", "24:01")
    assert refused.status_code == 422 and refused_field(refused) == "work_end"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_service_blames_a_start_outside_the_day_on_the_start(ctx, shop_id):
    with ctx.sessions() as session:
        with pytest.raises(ValidationFailed) as info:
            preferences.update_settings(session, shop_id=shop_id, principal=OWNER, now=NOW,
                                        changes={"work_start_minute": 1599, "work_end_minute": 18 * 60})
        assert info.value.details == {"field": "work_start_minute"}
        with pytest.raises(ValidationFailed) as info:
            preferences.update_settings(session, shop_id=shop_id, principal=OWNER, now=NOW,
                                        changes={"work_start_minute": 19 * 60, "work_end_minute": 18 * 60})
        assert info.value.details == {"field": "work_end_minute"}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_form_explains_refusals_in_chinese_and_takes_full_width_digits_and_the_pages_own_words(
        ctx, shop_id, owner_client):
    def post(**fields):
        return owner_client.post("/shipping/settings", follow_redirects=False, data={
            "csrf_token": csrf_of(owner_client, "/shipping/forecast"), "capacity_per_hour": "100",
            "work_start": "09:00", "work_end": "18:00", "default_promise": "48h", **fields})

    reversed_hours = post(work_start="18:00", work_end="09:00")
    assert reversed_hours.status_code == 422 and "上班时间要早于下班时间" in reversed_hours.text
    for bad in ("-5", "abc", "0.25", "0"):  # orders an hour with at most one decimal (0.3: a small shop)
        refused = post(capacity_per_hour=bad)
        assert refused.status_code == 422 and "应在 0.1 到 100,000 之间，最多一位小数" in refused.text, bad
    assert post(capacity_per_hour="０.３").status_code == 303
    with ctx.sessions() as session:
        assert get_settings(session, shop_id).capacity_per_hour == 0.3
    page = owner_client.get("/shipping/forecast").text
    assert "按每小时0.3单" in page and 'name="capacity_per_hour" min="0.1" max="100000" step="0.1" value="0.3"' in page
    out_of_range = post(due_soon_hours="6", urgent_hours="8")
    assert "紧急提醒要晚于第一次提醒" in out_of_range.text
    assert 'name="urgent_hours" min="1" max="71" value="8"' in out_of_range.text  # the typed values stay
    assert post(capacity_per_hour="１２", default_promise="次日发").status_code == 303
    with ctx.sessions() as session:
        row = get_settings(session, shop_id)
        assert (row.capacity_per_hour, row.default_promise) == (12, "next_day")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_capacity_to_try_that_is_no_capacity_is_said_so_and_the_saved_one_is_used(owner_client):
    """QA pass 6, #12: ?capacity=0 silently planned at the default, ?capacity=abc gave an English 422 page."""
    for bad in ("0", "abc", "-5", "0.25", "0.05"):
        page = owner_client.get("/shipping/forecast", params={"capacity": bad})
        assert page.status_code == 200 and "不是有效的打包产能" in page.text and "按每小时100单" in page.text
    tried = owner_client.get("/shipping/forecast", params={"capacity": "１２"}).text
    assert "按每小时12单" in tried and "不是有效的打包产能" not in tried
    small = owner_client.get("/shipping/forecast", params={"capacity": "０.３"}).text  # a small shop's real pace
    assert "按每小时0.3单" in small and "不是有效的打包产能" not in small and 'value="0.3"' in small
    refused = owner_client.get("/api/v1/forecast", params={"capacity": 0.25})
    assert refused.status_code == 422 and refused.json()["error"]["details"]["field"] == "capacity"
