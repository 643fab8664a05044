"""Benchmark data for order search: N orders with Douyin-style titles, bulk-inserted with correct sort keys.

    python benchmarks/search_data.py --db sqlite:////tmp/xiaodian-bench/search.db [--orders 1000000]

Titles mix a grain and produce shop (【官方旗舰】五常大米 稻花香2号 10斤 新米) with general merchandise
(iPhone 15 手机壳 …), with specs; buyers repeat (a pool of phones), so phone and last-4 searches find
several orders. Orders, items and shipments are inserted directly (the import path has its own benchmark);
PII columns hold a masked phone and the blind indexes from the project's PiiCipher, so phone queries work;
the search index is filled through search_index.index_orders, the same call intake makes.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import zlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select

from xiaodian.bootstrap import default_shop_id, open_context
from xiaodian.orders import search_index
from xiaodian.orders.intake import sort_key_for
from xiaodian.orders.models import Order, OrderItem, Shipment
from xiaodian.privacy.masking import mask_phone
from xiaodian.settings import Settings

NOW = datetime.fromisoformat("2026-11-24T18:00:00+08:00")
KEYS = {"pii_key": "YmVuY2gtcGlpLWtleS0wMDAwMDAwMDAwMDAwMDAwMDA",
        "index_key": "YmVuY2gtaW5kZXgta2V5LTAwMDAwMDAwMDAwMDAwMDA",
        "session_secret": "YmVuY2gtc2Vzc2lvbi1zZWNyZXQtMDAwMDAwMDAwMDA"}
SEED = 20261124

TAGS = ["【官方旗舰】", "【顺丰包邮】", "【产地直发】", "【爆款】", "【限时秒杀】", "【新品】", "【买二送一】", "", "", "", "", ""]
GRAIN = [
    ("五常大米", ["稻花香2号", "长粒香", "原粮", "新米", "当季"], ["5kg", "10斤", "2.5kg", "25kg", "5kg*2袋"]),
    ("东北大米", ["珍珠米", "长粒香", "圆粒", "新米", "农家"], ["10kg", "5kg", "20斤", "50斤"]),
    ("稻花香大米", ["五常", "正宗", "2号", "有机"], ["5kg", "10斤", "礼盒装"]),
    ("黄小米", ["有机", "沁州", "新小米", "月子米"], ["500g", "2.5kg", "5斤", "2袋装"]),
    ("糯米", ["圆糯米", "长糯米", "东北", "包粽子"], ["1kg", "5斤", "2.5kg"]),
    ("黑米", ["黑香米", "东北", "杂粮"], ["500g*2", "2.5kg"]),
    ("五谷杂粮", ["组合装", "粗粮", "杂粮粥", "八宝粥"], ["1kg", "2.5kg", "12包"]),
    ("红豆薏米", ["赤小豆", "祛湿", "杂粮"], ["500g*2", "1kg"]),
    ("高筋面粉", ["面包粉", "小麦粉", "家用"], ["5kg", "2.5kg", "10斤"]),
    ("中筋面粉", ["饺子粉", "馒头粉", "通用"], ["5kg", "2.5kg"]),
    ("菜籽油", ["非转基因", "压榨", "一级"], ["5L", "1.8L*2", "4L"]),
    ("花生油", ["古法压榨", "一级", "浓香"], ["5L", "2.5L", "900ml"]),
    ("西湖龙井", ["明前", "特级", "绿茶", "2024新茶"], ["250g", "100g礼盒", "50g*2"]),
    ("铁观音", ["浓香型", "安溪", "乌龙茶"], ["250g", "500g"]),
    ("普洱茶", ["熟茶", "生茶", "云南", "饼茶"], ["357g", "200g"]),
    ("新疆红枣", ["若羌灰枣", "和田大枣", "特级"], ["1kg", "5斤", "500g*2"]),
    ("宁夏枸杞", ["头茬", "特级", "免洗"], ["250g", "500g"]),
]
MERCH = [
    ("iPhone 15 手机壳", ["硅胶", "磁吸", "透明", "防摔", "MagSafe"], ["黑色", "透明", "紫色", "Pro Max"]),
    ("iPhone 15 Pro 钢化膜", ["高清", "防窥", "全屏"], ["2片装", "3片装"]),
    ("华为Mate60 手机壳", ["素皮", "磁吸", "防摔"], ["黑色", "雅川青", "白色"]),
    ("小米14 充电器", ["67W", "快充", "Type-C"], ["1米", "1.5米", "套装"]),
    ("Type-C 数据线", ["快充", "编织", "100W"], ["1m", "2m", "3条装"]),
    ("蓝牙耳机", ["降噪", "运动", "超长续航", "Air"], ["白色", "黑色"]),
    ("316不锈钢保温杯", ["大容量", "儿童", "带吸管"], ["500ml", "1000ml", "粉色"]),
    ("纯棉T恤", ["男款", "女款", "宽松", "短袖"], ["M", "L", "XL", "XXL", "白色", "黑色"]),
    ("加绒卫衣", ["连帽", "情侣", "秋冬"], ["L", "XL", "灰色"]),
    ("洗衣液", ["薰衣草", "除菌", "持久留香"], ["2kg*2瓶", "3kg", "10斤"]),
    ("抽纸", ["原木", "3层", "家用"], ["24包", "30包整箱"]),
    ("猫粮", ["成猫", "幼猫", "全价"], ["2kg", "10斤"]),
    ("乐高积木", ["拼装", "儿童", "益智玩具"], ["小颗粒", "1000片"]),
]
STATUSES = [("completed", 5, 55), ("shipped", 3, 14), ("awaiting_shipment", 2, 11), ("cancelled", 4, 12),
            ("unpaid", 1, 4), ("paid_pending", 105, 2), ("partially_shipped", 101, 2)]
CARRIERS = [("顺丰速运", "SF", 13), ("中通快递", "", 14), ("圆通速递", "YT", 13), ("极兔速递", "JT", 13)]


def product_line(rng: random.Random) -> tuple[str, str]:
    base, words, specs = rng.choice(GRAIN if rng.random() < 0.6 else MERCH)
    name = f"{rng.choice(TAGS)}{base} {' '.join(rng.sample(words, rng.randint(1, min(3, len(words)))))}"
    return name.strip(), rng.choice(specs)


def _seeded(n: int) -> tuple[random.Random, list[str]]:
    rng = random.Random(SEED)
    return rng, [f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}" for _ in range(max(n // 4, 10))]


def phone_pool(n: int) -> list[str]:
    """The buyers' phones (a quarter as many as orders: buyers come back); the runner searches for them."""
    return _seeded(n)[1]


def generate(n: int, shop_id: int, cipher, start_pk: int = 1):
    """Yield (order row, item rows, shipment rows, index text) in created order; deterministic for n."""
    rng, phones = _seeded(n)
    indexes = {}
    weights = [w for *_s, w in STATUSES]
    span = timedelta(days=365).total_seconds()
    start = NOW.astimezone(UTC) - timedelta(days=365)
    for i in range(n):
        pk = start_pk + i
        created = start + timedelta(seconds=span * i / n + rng.random())
        status, code, _w = rng.choices(STATUSES, weights)[0]
        phone = phones[int(rng.paretovariate(1.2)) % len(phones)] if rng.random() < 0.5 else rng.choice(phones)
        if phone not in indexes:
            indexes[phone] = (mask_phone(phone), cipher.phone_index(phone), cipher.last4_index(phone[-4:]))
        masked, phone_hash, last4_hash = indexes[phone]
        order_id = f"69{rng.randrange(10**17):017d}"
        lines = [product_line(rng) for _ in range(rng.choices((1, 2, 3), (85, 12, 3))[0])]
        items = []
        for k, (name, spec) in enumerate(lines):
            qty, price = rng.choice((1, 1, 1, 2, 3)), rng.randrange(990, 29900)
            items.append({"shop_id": shop_id, "order_pk": pk, "sku_order_id": order_id if len(lines) == 1 else
                          f"{order_id[:-1]}{k}", "product_id": f"35{zlib.crc32(name.encode()):017d}",
                          "merchant_code": None, "product_name": name, "spec": spec, "quantity": qty,
                          "unit_price_fen": price, "amount_fen": qty * price, "after_sale_status": None})
        paid = created + timedelta(minutes=2) if status != "unpaid" else None
        shipped = created + timedelta(hours=20) if status in ("shipped", "completed", "partially_shipped") else None
        order = {
            "id": pk, "shop_id": shop_id, "order_id": order_id, "status": status, "platform_status_code": code,
            "sort_key": sort_key_for(created, pk), "created_at": created, "paid_at": paid,
            "ship_by": created + timedelta(hours=48) if paid else None, "ship_by_source": "platform",
            "shipped_at": shipped, "completed_at": created + timedelta(days=6) if status == "completed" else None,
            "cancelled_at": created + timedelta(hours=1) if status == "cancelled" else None,
            "pay_amount_fen": sum(it["amount_fen"] for it in items), "post_amount_fen": 0,
            "buyer_name_enc": None, "buyer_name_masked": "王**", "phone_enc": None, "phone_masked": masked,
            "phone_hash": phone_hash, "phone_last4_hash": last4_hash, "address_enc": None,
            "address_masked": "科苑南路****", "province": "浙江省", "city": "杭州市", "district": "西湖区",
            "buyer_note": None, "merchant_note": None, "flag_colour": 0, "cancel_reason": None,
            "after_sale_status": "售后中" if rng.random() < 0.03 else None, "order_type": "普通订单",
            "items_summary": "；".join(f"{it['product_name']} {it['spec']} ×{it['quantity']}" for it in items),
            "item_count": sum(it["quantity"] for it in items), "source": "import", "content_hash": None,
            "recorded_at": NOW, "modified_at": NOW,
        }
        ships = []
        if shipped:
            carrier, prefix, digits = rng.choice(CARRIERS)
            number = prefix + "".join(rng.choice("0123456789") for _ in range(digits))
            if not prefix:
                number = "7" + number[1:]
            ships.append({"shop_id": shop_id, "order_pk": pk, "carrier_code": None, "carrier_name": carrier,
                          "tracking_no": number, "shipped_at": shipped, "recorded_at": NOW, "source": "import"})
        text = search_index.order_text((it["product_name"], it["spec"]) for it in items)
        yield order, items, ships, text


def load(url: str, n: int, batch: int = 20_000) -> dict:
    """Fill an empty, migrated database; returns timings."""
    ctx = open_context(Settings(database_url=url, data_dir="/tmp/xiaodian-bench/data", now=NOW, **KEYS),
                       migrate=True)
    shop_id = default_shop_id(ctx)
    with ctx.sessions() as session:
        if session.execute(select(func.count()).select_from(Order)).scalar_one():
            raise SystemExit(f"{url} already holds orders; give an empty database")
    started = time.perf_counter()
    rows = generate(n, shop_id, ctx.cipher)
    done = 0
    while done < n:
        chunk = [next(rows) for _ in range(min(batch, n - done))]
        with ctx.sessions.begin() as session:
            session.execute(insert(Order), [c[0] for c in chunk])
            session.execute(insert(OrderItem), [it for c in chunk for it in c[1]])
            ships = [s for c in chunk for s in c[2]]
            if ships:
                session.execute(insert(Shipment), ships)
            search_index.index_orders(session, [(c[0]["id"], c[0]["sort_key"], c[3]) for c in chunk])
        done += len(chunk)
        elapsed = time.perf_counter() - started
        print(f"\r  {done:,}/{n:,} orders  {done / elapsed:,.0f}/s", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    if ctx.engine.dialect.name == "sqlite":
        with ctx.engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO order_search(order_search) VALUES ('optimize')")
            conn.exec_driver_sql("ANALYZE")
    else:
        with ctx.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    total = time.perf_counter() - started
    ctx.engine.dispose()
    return {"orders": n, "seconds": round(total, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="empty database URL (SQLite file under /tmp, or PostgreSQL)")
    parser.add_argument("--orders", type=int, default=1_000_000)
    args = parser.parse_args()
    print(load(args.db, args.orders))


if __name__ == "__main__":
    main()
