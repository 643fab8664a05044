"""Writes realistic order export files (the back office's CSV layout) for benchmarks and large-file tests.

Deterministic for a seed; streams rows to disk, so a gigabyte file costs no memory.
"""

from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

from ...clock import SHOP_TZ

HEADER = ["主订单编号", "子订单编号", "选购商品", "商品ID", "商家编码", "商品数量", "商品金额", "订单应付金额",
          "订单提交时间", "支付完成时间", "订单完成时间", "订单状态", "售后状态", "取消原因", "买家留言", "商家备注",
          "收件人", "收件人手机号", "省", "市", "区", "详细地址", "快递公司", "快递单号", "发货时间", "承诺发货时间"]

PRODUCTS = [
    ("【新米】五常大米 稻花香2号 5kg 真空装", 6990), ("东北长粒香大米 10斤 家庭装", 4590),
    ("有机黄小米 小黄米 2袋装 1kg", 2990), ("压榨一级花生油 5L", 9990), ("高筋小麦粉 面包粉 5斤", 2490),
    ("西湖龙井 明前特级 250g 礼盒", 26800), ("五谷杂粮 组合装 8种 2.5kg", 3990), ("稻花香 新米 25kg 大包装", 19900),
    ("黑米 东北黑米 500g×2袋", 1990), ("荞麦面 无糖 1kg", 1590), ("iPhone 15 手机壳 透明防摔", 1290),
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀英", "小红"]
PLACES = [("浙江省", "杭州市", "西湖区"), ("江苏省", "南京市", "鼓楼区"), ("广东省", "深圳市", "南山区"),
          ("北京市", "北京市", "朝阳区"), ("四川省", "成都市", "武侯区"), ("黑龙江省", "哈尔滨市", "南岗区"),
          ("上海市", "上海市", "浦东新区"), ("湖北省", "武汉市", "洪山区")]
NOTES = ["", "", "", "请尽快发货", "不要放驿站", "送货前打电话", "周末送", "多放点冰袋"]
CARRIERS = [("顺丰速运", "SF{:013d}"), ("中通快递", "75{:012d}"), ("圆通速递", "YT{:013d}"), ("韵达快递", "43{:013d}")]
STATUSES = ["待支付", "备货中", "备货中", "已发货", "已完成", "已完成", "已完成", "已关闭"]
FILLER = "麻烦仔细包装，外箱多缠几圈胶带，东西是送给长辈的，路上别压坏了。谢谢！"


def _fmt(t: datetime | None) -> str:
    return t.astimezone(SHOP_TZ).strftime("%Y-%m-%d %H:%M:%S") if t else ""


def write_export(path: Path | str, orders: int, *, now: datetime, seed: int = 7, multi_share: float = 0.1,
                 note_chars: int = 0, encoding: str = "utf-8-sig", status_shift: bool = False) -> int:
    """Write ``orders`` shop orders (about 10% with 2–3 SKU rows) and return the number of data rows.
    ``note_chars`` pads 买家留言 (large-file tests); ``status_shift`` writes a later export of the same
    orders in which waiting ones have shipped and shipped ones are complete."""
    rnd = random.Random(seed)
    rows = 0
    base_id = 6938000000000000000
    with open(path, "w", encoding=encoding, newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        for n in range(orders):
            order_id = str(base_id + n * 37)
            created = now - timedelta(days=60) + timedelta(seconds=rnd.randrange(60 * 86400))
            status = rnd.choice(STATUSES)
            if status_shift:
                status = {"备货中": "已发货", "已发货": "已完成"}.get(status, status)
            # Draw every random number whatever the status, so a status-shifted export keeps the same orders.
            pay_delay, ship_delay = rnd.randint(1, 9), rnd.randint(2, 40)
            paid = created + timedelta(minutes=pay_delay) if status != "待支付" else None
            ship_by = paid + timedelta(hours=48) if paid else None
            shipped = paid + timedelta(hours=ship_delay) if status in ("已发货", "已完成") else None
            done = shipped + timedelta(days=5) if status == "已完成" else None
            place = rnd.choice(PLACES)
            name = rnd.choice(SURNAMES) + rnd.choice(GIVEN)
            phone = f"1{rnd.choice('3456789')}{rnd.randrange(10**9):09d}"
            note = rnd.choice(NOTES)
            if note_chars:
                note = (note + FILLER * (note_chars // len(FILLER) + 1))[:note_chars]
            address = f"科苑南路{rnd.randint(1, 3000)}号{rnd.randint(1, 30)}栋"
            carrier, pattern = rnd.choice(CARRIERS)
            tracking = pattern.format(rnd.randrange(10**12))
            tracking = tracking if shipped else ""
            skus = 1 if rnd.random() >= multi_share else rnd.randint(2, 3)
            picks = [rnd.choice(PRODUCTS) for _ in range(skus)]
            qtys = [rnd.choice((1, 1, 1, 2, 3)) for _ in range(skus)]
            total = sum(p[1] * q for p, q in zip(picks, qtys, strict=True))
            for k, ((product, price), qty) in enumerate(zip(picks, qtys, strict=True)):
                sku_id = order_id if skus == 1 else str(int(order_id) + 10**15 + k)
                out.writerow([
                    order_id, sku_id, product, f"35120000000000{PRODUCTS.index((product, price)):05d}", "", qty,
                    f"{price / 100:.2f}", f"{total / 100:.2f}", _fmt(created), _fmt(paid), _fmt(done), status, "",
                    "超时未支付" if status == "已关闭" else "", note, "", name, phone, *place,
                    address, carrier if shipped else "", tracking,
                    _fmt(shipped), _fmt(ship_by),
                ])
                rows += 1
    return rows


# One valid export row (from the shared sample), for tests that change a cell or two.
SAMPLE_ROW = dict(zip(HEADER, [
    "6938459704022656025", "6938459704022656025", "东北长粒香大米 10斤 家庭装", "3512000000000000102", "", "1",
    "45.90", "45.90", "2026-11-13 07:04:00", "2026-11-13 07:09:00", "", "备货中", "", "", "不要放驿站", "", "赵敏",
    "13955556605", "江苏省", "南京市", "鼓楼区", "科苑南路2666号", "", "", "", "2026-11-15 07:09:00",
], strict=True))


def export_row(**cells: str) -> dict[str, str]:
    """SAMPLE_ROW with some cells replaced (keys are the Chinese headers)."""
    row = dict(SAMPLE_ROW)
    row.update(cells)
    return row


def write_rows(path: Path | str, rows: list[dict[str, str]], *, encoding: str = "utf-8-sig",
               header: list[str] | None = None) -> Path:
    header = header or HEADER
    with open(path, "w", encoding=encoding, newline="") as handle:
        out = csv.writer(handle)
        out.writerow(header)
        for row in rows:
            out.writerow([row.get(name, "") for name in header])
    return Path(path)
