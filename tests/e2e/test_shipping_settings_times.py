"""Working hours on the shipping settings form: an impossible time is refused naming its own field (QA #9: 25:99 was
read as 1,599 minutes and blamed on work_end_minute), and nothing is saved."""

from __future__ import annotations

import pytest

from xiaodian.accounts.service import Principal
from xiaodian.errors import ValidationFailed
from xiaodian.shipping import preferences
from xiaodian.shipping.queries import get_settings

from ..conftest import NOW, csrf_of

OWNER = Principal(None, "owner", "owner", "web")


def post_hours(client, start: str, end: str = "18:00"):
    return client.post("/shipping/settings", follow_redirects=False, data={
        "csrf_token": csrf_of(client, "/shipping/forecast"), "capacity_per_hour": "100", "work_start": start,
        "work_end": end, "default_promise": "48h"})


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("start", ["25:99", "-1:30", "9", "09:60", "24:00", "ab:cd"])
def test_an_impossible_start_time_is_refused_naming_the_start_field(ctx, shop_id, owner_client, start):
    page = post_hours(owner_client, start)
    assert page.status_code == 422
    assert "work_start" in page.text and "work_end" not in page.text
    with ctx.sessions() as session:
        assert get_settings(session, shop_id).work_start_minute == 9 * 60


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_real_times_are_saved_and_the_day_may_end_at_midnight(ctx, shop_id, owner_client):
    assert post_hours(owner_client, "7:30", "24:00").status_code == 303
    with ctx.sessions() as session:
        row = get_settings(session, shop_id)
        assert (row.work_start_minute, row.work_end_minute) == (7 * 60 + 30, 24 * 60)
    refused = post_hours(owner_client, "10:00", "24:01")
    assert refused.status_code == 422 and "work_end" in refused.text


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
