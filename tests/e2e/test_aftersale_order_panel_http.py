"""The order page's After-sales panel shows a refund amount only for cases that give money back, as the after-sales
pages do (QA care D14): a 补寄 / 换货 / 维修 case sends goods, so its row reads '—' rather than the buyer's claim."""

from __future__ import annotations

import re

from .test_aftersale_wording_http import ORDER, desk  # noqa: F401 (the fixture: a refund case, a re-send case)


def test_the_order_panel_shows_no_refund_amount_for_a_resend_case(owner_client, desk):  # noqa: F811
    page = owner_client.get(f"/orders/{ORDER}").text
    panel = page.split('id="aftersales"', 1)[1].split("</section>", 1)[0]
    rows = dict(re.findall(r'<tr data-aftersale-id="(\d+)">(.*?)</tr>', panel, re.S))
    assert '<td class="num">—</td>' in rows["7300000000000000002"]  # 补寄
    assert '<td class="num">¥79.80</td>' in rows["7300000000000000003"]  # refund only
