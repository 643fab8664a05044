"""QA pass 11, #8: the desk names a product in its pickers and filters as the order rows name it (the Chinese
listing title is data), with its English name in brackets after it on an English page. The English order list's
商品 filter listed demo products under English names only ("Pressed peanut oil") beside imported ones under their
Chinese titles ("压榨一级花生油 5L"), while the rows show the Chinese title: staff could not tell which was which.
The shipping forecast's product promises, the quality-rate table and the after-sales product filter follow the
same rule; Chinese pages are unchanged."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from xiaodian.channels.exportfile.service import import_order_file
from xiaodian.db import transaction
from xiaodian.orders.domain import ItemRecord
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import Product

from ..conftest import NOW, SAMPLES
from ..factories import make_record

OIL, OIL_TITLE, OIL_EN = "3591027400000000115", "压榨一级花生油 家用 食用油", "Pressed peanut oil"
LABEL = f"{OIL_TITLE} ({OIL_EN})"
IMPORTED_OIL = "压榨一级花生油 5L"


def seed(ctx, shop_id):
    """The sample export's products (Chinese titles, no English name) and one demo-style product with an English
    name, with a paid order of it."""
    import_order_file(ctx.sessions, shop_id=shop_id, path=SAMPLES / "douyin_orders_export.csv", cipher=ctx.cipher,
                      now=NOW)
    with transaction(ctx.sessions) as session:
        session.add(Product(shop_id=shop_id, product_id=OIL, name=OIL_TITLE, name_en=OIL_EN,
                            aliases='["peanut oil"]', created_at=NOW))
        session.flush()
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record(
            order_id="6938459704022656888", created_at=NOW - timedelta(days=2), items=[ItemRecord(
                sku_order_id="6938459704022656888", product_name=OIL_TITLE, quantity=1, unit_price_fen=5990,
                product_id=OIL)])])


def get(client, lang: str, path: str) -> str:
    client.get(f"/lang/{lang}")
    return client.get(path).text


def options(page: str) -> list[str]:
    select = re.search(r'<select[^>]*name="product_id".*?</select>', page, re.S).group(0)
    return [html.unescape(o).strip() for o in re.findall(r"<option[^>]*>([^<]*)</option>", select)]


def test_the_english_product_filter_names_each_product_as_its_rows_do(ctx, shop_id, owner_client):
    seed(ctx, shop_id)
    english = options(get(owner_client, "en", "/orders"))
    assert LABEL in english and IMPORTED_OIL in english
    assert OIL_EN not in english  # never the English name alone
    assert "【新米】五常大米 稻花香2号 5kg 真空装" in english  # an imported product: its title, nothing added
    chinese = options(get(owner_client, "zh", "/orders"))
    assert OIL_TITLE in chinese and LABEL not in chinese


def test_the_forecasts_product_promises_name_the_product_the_same_way(ctx, shop_id, owner_client):
    seed(ctx, shop_id)
    page = html.unescape(get(owner_client, "en", "/shipping/forecast"))
    promises = page[page.index('id="products"'):]
    assert f"<td>{LABEL}</td>" in promises and f"<td>{IMPORTED_OIL}</td>" in promises
    chinese = html.unescape(get(owner_client, "zh", "/shipping/forecast"))
    assert f"<td>{OIL_TITLE}</td>" in chinese[chinese.index('id="products"'):]


def test_the_quality_rate_and_the_after_sales_filter_name_the_product_the_same_way(ctx, shop_id, owner_client):
    seed(ctx, shop_id)
    page = html.unescape(get(owner_client, "en", f"/quality-rate?product_id={OIL}"))
    row = re.search(rf'<tr data-product-id="{OIL}".*?</tr>', page, re.S).group(0)
    assert LABEL in row
    assert f"· {LABEL}" in page  # the selected product's rate cards
    chip = html.unescape(get(owner_client, "en", f"/aftersales?product_id={OIL}"))
    chip = re.search(r'<span class="chip product-chip"[^>]*>(.*?)</span>', chip, re.S).group(1)
    assert chip == f"Product {LABEL}"
    chinese = html.unescape(get(owner_client, "zh", f"/quality-rate?product_id={OIL}"))
    assert LABEL not in chinese and OIL_TITLE in chinese
