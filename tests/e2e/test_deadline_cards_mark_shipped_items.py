"""A partly shipped order's deadline card marks the items that already left (QA pass 6, #10: the 24h card of a 部分发货
order listed both items unmarked, though the pick list and the ship form knew one had shipped)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from xiaodian.accounts.service import Principal
from xiaodian.db import transaction
from xiaodian.orders.domain import ItemRecord
from xiaodian.orders.intake import upsert_orders
from xiaodian.shipping import service as shipping

from ..conftest import NOW
from ..factories import make_record

ORDER = "6938639472493840220"
MILLET, RICE = "6938639472493840221", "6938639472493840222"
WAREHOUSE = Principal(None, "cangku", "warehouse", "web")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_card_and_the_home_panel_strike_through_what_already_shipped(ctx, shop_id, owner_client):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record(
            ORDER, ship_by=NOW + timedelta(hours=5),
            items=[ItemRecord(MILLET, "有机黄小米 2袋装", 1, 2990), ItemRecord(RICE, "五常大米 5kg", 1, 5990)])])
        shipping.ship_order(session, shop_id=shop_id, principal=WAREHOUSE, now=NOW,
                            req=shipping.ShipRequest(ORDER, "shunfeng", "SF2619262939933", items=[MILLET]))
    for page in (owner_client.get("/shipping", params={"view": "due24h"}).text, owner_client.get("/").text):
        cell = page.split("有机黄小米", 1)[0].rsplit('<td class="c-items">', 1)[1] + page.split("有机黄小米", 1)[1]
        cell = cell.split("</td>", 1)[0]
        assert '<div class="item-shipped"><s>' in cell and "已发货" in cell.split("五常大米", 1)[0]
        assert "<s>五常大米" not in cell  # the rice still has to be packed
