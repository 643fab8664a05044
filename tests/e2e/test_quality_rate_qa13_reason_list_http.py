"""QA pass 13, #9: the 品退率 page's 「原因（当前）」 list showed only its top 12 reasons and said nothing, so it added
up to less than the 按原因类别 table beside it (232 vs 233, a 发错货 case nowhere). The rest is now one 其他原因 row,
and a total row gives the same sum as the family table."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from xiaodian.aftersales import quality, service
from xiaodian.db import transaction

from ..conftest import NOW
from ..integration.test_quality_return_rate_sql import _case, _orders

DAY = timedelta(days=1)
# 14 reasons: 质量问题 three times, 七天无理由 twice, twelve more once each (发错货 among the last)
REASONS = ["质量问题"] * 3 + ["七天无理由"] * 2 + [f"原因{i:02d}" for i in range(11)] + ["发错货"]


def test_reason_list_sums_what_it_cuts():
    reasons = [("质量问题", 5), ("七天无理由", 4), ("发错货", 1), ("少件/漏发", 1)]
    assert quality.reason_list(reasons, limit=2) == {"shown": reasons[:2], "other_reasons": 2, "other_cases": 2,
                                                     "total": 11}
    assert quality.reason_list(reasons)["other_reasons"] == 0
    # one reason left over is named, not rolled up as 其余 1 个原因 (QA pass 15, #10)
    assert quality.reason_list(reasons, limit=3) == {"shown": reasons, "other_reasons": 0, "other_cases": 0,
                                                     "total": 11}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_current_reason_list_adds_up_to_the_family_table(ctx, shop_id, owner_client):
    orders = [f"69000000000000001{i:02d}" for i in range(len(REASONS))]
    _orders(ctx, shop_id, [(o, "p1", NOW - 2 * DAY) for o in orders])
    with transaction(ctx.sessions) as session:
        for i, (order, reason) in enumerate(zip(orders, REASONS)):
            _case(session, shop_id, f"q{i}", order, NOW - DAY, service.BuyerReason(reason))
    page = owner_client.get("/quality-rate").text
    section = page.split('class="grid reasons-current"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr[^>]*><td>([^<]+)</td><td class=\"num\">(\d+)</td></tr>", section)
    assert len(rows) == 13 and rows[:2] == [("质量问题", "3"), ("七天无理由", "2")]
    assert rows[-1] == ("其余 2 个原因合计", "2")  # two reasons of one case each did not fit in the 12 rows
    total = int(re.search(r'<tr class="total"><th>全部原因</th><th class="num">(\d+)</th>', section)[1])
    families = re.findall(r'<tr data-family="\w+"><td>[^<]+</td><td class="num">\d+</td><td class="num">(\d+)</td>',
                          page)
    assert total == sum(int(n) for _text, n in rows) == sum(int(n) for n in families) == len(REASONS)
