"""The bulk-ship template's 商品 column lists what is still to ship: an item already in a parcel of a partly
shipped order is left out, as on the pick list (QA #5: it was listed again, so a packer would pack it twice)."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook

from xiaodian.accounts.service import Principal
from xiaodian.db import transaction
from xiaodian.orders.domain import ItemRecord
from xiaodian.orders.intake import upsert_orders
from xiaodian.shipping import service, template

from ..conftest import NOW
from ..factories import make_record

OID = "6938459704022657500"
FLOUR, RICE = "6938459704022657501", "6938459704022657502"


def test_the_template_of_a_partly_shipped_order_lists_only_the_items_still_to_ship(ctx, shop_id):
    items = [ItemRecord(sku_order_id=FLOUR, product_name="高筋小麦粉", spec="10斤", quantity=2, unit_price_fen=3000),
             ItemRecord(sku_order_id=RICE, product_name="东北胚芽米", spec="5kg", quantity=1, unit_price_fen=6000)]
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW,
                      records=[make_record(OID, items=items, ship_by=NOW + timedelta(hours=5))])
    with transaction(ctx.sessions) as session:
        service.ship_order(session, shop_id=shop_id, principal=Principal(None, "owner", "owner", "cli"), now=NOW,
                           req=service.ShipRequest(OID, "shunfeng", "SF5550000000001", items=[FLOUR]))
    with ctx.sessions() as session:
        data, count = template.bulk_template(session, shop_id, "due24h", NOW, cipher=ctx.cipher)
    sheet = load_workbook(io.BytesIO(data)).active
    header = [c.value for c in sheet[1]]
    [row] = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    assert count == 1 and row[header.index(template.ORDER)] == OID
    assert row[header.index(template.ITEMS)] == "东北胚芽米 5kg ×1"
