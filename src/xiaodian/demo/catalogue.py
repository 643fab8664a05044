"""The demo shop's catalogue: a grain and produce store (大米, 小米, 杂粮, 面粉, 食用油, 茶叶, 干货).

Why it looks like this: merchants judge a demo by whether it looks like *their* back office, so titles are written
the way Douyin listings are (a bracketed hook, origin, variety, selling points), each product has one to three SKUs
with Douyin-style specs (5kg / 10斤 / 2袋装) and prices in fen, and every product carries an English name plus
aliases (English, pinyin, short Chinese forms) because buyers and customer-service staff name products that way
("Wuchang rice", "wuchang dami", "五常米"). Ship promises are the product's 发货时效 (see domain.md §2); they are
stored on the Product row so the deadline rules have something to derive from.

Promise strings: ``48h`` (platform default), ``next_day``, ``same_day:16`` (cut-off hour), ``days:N``
(N × 24 h after payment) and ``presale:N`` (a presale item that ships within N days of payment).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sku:
    """One sellable variant (规格) of a product."""

    code: str  # 商家编码
    spec: str
    price_fen: int


@dataclass(frozen=True)
class DemoProduct:
    product_id: str  # 19-digit platform product id, as text
    title: str  # the listing title buyers see (选购商品)
    short: str  # how people say it: 五常大米
    name_en: str
    aliases: tuple[str, ...]
    category: str
    skus: tuple[Sku, ...]
    ship_promise: str = "48h"
    popularity: float = 1.0  # relative share of order lines
    heavy: bool = True  # rice, flour and oil go by the cheap bulky-parcel carriers; tea ships by SF

    @property
    def is_presale(self) -> bool:
        return self.ship_promise.startswith("presale")


def _pid(n: int) -> str:
    return f"35910274{n:011d}"


# Product ids of the three Wuchang listings: the buyer question in domain.md §6 is about these.
WUCHANG = _pid(101)
WUCHANG_DIRECT = _pid(102)
WUCHANG_PRESALE = _pid(103)

PRODUCTS: tuple[DemoProduct, ...] = (
    DemoProduct(
        WUCHANG, "【新米】正宗五常大米 稻花香2号 东北大米 真空装", "五常大米", "Wuchang rice",
        ("Wuchang rice", "Wuchang Daohuaxiang rice", "wuchang dami", "wuchangdami", "Wuchang", "五常米", "五常稻花香"),
        "大米", (Sku("WC-DHX-2.5KG", "2.5kg 尝鲜装", 3990), Sku("WC-DHX-5KG", "5kg 真空装", 6990),
                 Sku("WC-DHX-10KG", "10kg 家庭装", 12990)), "48h", 9.0,
    ),
    DemoProduct(
        WUCHANG_DIRECT, "五常大米 产地直发 现磨新米 稻花香 农家自产", "五常大米", "Wuchang rice, milled to order",
        ("Wuchang rice", "farm-direct Wuchang rice", "wuchang dami", "五常米", "现磨五常"),
        "大米", (Sku("WC-XM-5KG", "5kg 编织袋", 7990), Sku("WC-XM-10KG", "10kg 编织袋", 14990)), "days:15", 1.5,
    ),
    DemoProduct(
        WUCHANG_PRESALE, "【预售】2026新米 五常稻花香 礼盒装 年货送礼", "五常大米", "Wuchang rice gift box (presale)",
        ("Wuchang rice gift box", "Wuchang rice", "wuchang dami lihe", "五常米礼盒", "五常礼盒"),
        "大米", (Sku("WC-LH-5KG", "5kg 礼盒", 16800), Sku("WC-LH-2x2.5KG", "2.5kg×2盒 礼盒", 17800)),
        "presale:45", 1.0,
    ),
    DemoProduct(
        _pid(104), "东北长粒香大米 当季新米 家庭装 香软Q弹", "东北大米", "Northeast long-grain fragrant rice",
        ("Dongbei rice", "northeast rice", "long grain rice", "changlixiang", "长粒香", "东北米"),
        "大米", (Sku("CLX-10J", "10斤 家庭装", 4590), Sku("CLX-20J", "20斤 实惠装", 8590)), "48h", 7.0,
    ),
    DemoProduct(
        _pid(105), "黑龙江稻花香大米 响水 新米 5kg", "稻花香大米", "Daohuaxiang rice",
        ("Daohuaxiang", "rice flower fragrance rice", "daohuaxiang dami", "稻花香", "响水大米"),
        "大米", (Sku("DHX-5KG", "5kg", 5990),), "48h", 4.0,
    ),
    DemoProduct(
        _pid(106), "盘锦蟹田大米 珍珠米 圆粒 5kg", "盘锦大米", "Panjin crab-field rice",
        ("Panjin rice", "crab field rice", "pearl rice", "panjin dami", "蟹田米", "珍珠米"),
        "大米", (Sku("PJ-5KG", "5kg", 4990),), "48h", 2.5,
    ),
    DemoProduct(
        _pid(107), "东北胚芽米 宝宝粥米 糙米 2.5kg", "胚芽米", "Rice with germ (brown rice)",
        ("germ rice", "brown rice", "peiya mi", "糙米", "宝宝米"),
        "大米", (Sku("PY-2.5KG", "2.5kg", 3990), Sku("PY-2.5KGx2", "2.5kg×2袋", 7480)), "next_day", 1.5,
    ),
    DemoProduct(
        _pid(108), "有机黄小米 小黄米 月子米 新米", "黄小米", "Organic yellow millet",
        ("millet", "yellow millet", "organic millet", "huang xiaomi", "小米", "小黄米"),
        "小米", (Sku("XM-2x500G", "2袋装 1kg", 2990), Sku("XM-2.5KG", "2.5kg", 5990)), "48h", 5.0,
    ),
    DemoProduct(
        _pid(109), "山西沁州黄小米 贡米 500g×4袋", "沁州黄小米", "Qinzhou yellow millet",
        ("Qinzhou millet", "Shanxi millet", "qinzhouhuang", "沁州黄"),
        "小米", (Sku("QZH-4x500G", "500g×4袋", 4990),), "next_day", 2.0,
    ),
    DemoProduct(
        _pid(110), "五谷杂粮组合 十谷米 粗粮饭 2.5kg", "五谷杂粮", "Mixed grains (ten-grain rice)",
        ("mixed grains", "multigrain rice", "wugu zaliang", "zaliang", "杂粮", "十谷米", "粗粮"),
        "杂粮", (Sku("ZL-2.5KG", "2.5kg", 3990),), "48h", 3.0,
    ),
    DemoProduct(
        _pid(111), "红豆薏米 赤小豆 祛湿组合 1kg", "红豆薏米", "Red beans and Job's tears",
        ("red bean and barley", "adzuki beans", "coix seed", "hongdou yimi", "赤小豆", "薏米", "薏仁"),
        "杂粮", (Sku("HDYM-1KG", "1kg（各500g）", 2590),), "48h", 2.0,
    ),
    DemoProduct(
        _pid(112), "东北黑米 紫米 粗粮 1kg", "东北黑米", "Black rice",
        ("black rice", "purple rice", "heimi", "黑米", "紫米"),
        "杂粮", (Sku("HM-1KG", "1kg", 1990),), "48h", 1.5,
    ),
    DemoProduct(
        _pid(113), "高筋小麦粉 面包粉 烘焙专用", "高筋面粉", "High-gluten bread flour",
        ("bread flour", "high gluten flour", "gaojin mianfen", "面包粉", "高筋粉"),
        "面粉", (Sku("GJ-5J", "5斤", 2490), Sku("GJ-10J", "10斤", 4590)), "48h", 3.5,
    ),
    DemoProduct(
        _pid(114), "河套雪花粉 中筋面粉 包子饺子馒头 10斤", "雪花粉", "Hetao all-purpose flour",
        ("all-purpose flour", "Hetao flour", "xuehua fen", "mianfen", "面粉", "中筋粉"),
        "面粉", (Sku("HT-10J", "10斤", 3990),), "48h", 3.0,
    ),
    DemoProduct(
        _pid(115), "压榨一级花生油 家用 食用油", "花生油", "Pressed peanut oil",
        ("peanut oil", "groundnut oil", "huasheng you", "花生油"),
        "食用油", (Sku("HSY-1.8L", "1.8L", 4590), Sku("HSY-5L", "5L", 9990)), "48h", 3.5,
    ),
    DemoProduct(
        _pid(116), "东北非转基因大豆油 一级 5L", "大豆油", "Non-GMO soybean oil",
        ("soybean oil", "soy oil", "dadou you", "豆油"),
        "食用油", (Sku("DDY-5L", "5L", 6990),), "48h", 2.0,
    ),
    DemoProduct(
        _pid(117), "冷榨亚麻籽油 一级 孕妇可用 500ml×2瓶", "亚麻籽油", "Cold-pressed flaxseed oil",
        ("flaxseed oil", "linseed oil", "yamazi you", "胡麻油"),
        "食用油", (Sku("YMZ-2x500ML", "500ml×2瓶", 5990),), "days:5", 1.0, False,
    ),
    DemoProduct(
        _pid(118), "2026明前龙井 西湖龙井 绿茶 罐装", "龙井茶", "Longjing green tea",
        ("Longjing", "Dragon Well tea", "West Lake Longjing", "green tea", "longjing cha", "龙井", "绿茶"),
        "茶叶", (Sku("LJ-250G", "250g 罐装", 12800), Sku("LJ-500G", "500g 礼盒", 23800)), "next_day", 1.5, False,
    ),
    DemoProduct(
        _pid(119), "福鼎白茶 白牡丹 老白茶 茶饼 357g", "福鼎白茶", "Fuding white tea (Bai Mudan cake)",
        ("white tea", "Fuding white tea", "Bai Mudan", "baicha", "白茶", "白牡丹"),
        "茶叶", (Sku("BC-357G", "357g 茶饼", 16800),), "next_day", 0.8, False,
    ),
    DemoProduct(
        _pid(120), "云南普洱熟茶 勐海 古树茶饼 357g", "普洱茶", "Yunnan Pu'er tea (ripe)",
        ("Pu'er", "Puer tea", "pu-erh", "puer cha", "普洱", "熟普"),
        "茶叶", (Sku("PE-357G", "357g 茶饼", 8800),), "same_day:16", 0.8, False,
    ),
    DemoProduct(
        _pid(121), "东北黑木耳 秋木耳 肉厚无根 干货", "黑木耳", "Dried black fungus (wood ear)",
        ("black fungus", "wood ear mushroom", "mu'er", "hei muer", "木耳"),
        "干货", (Sku("MR-250G", "250g", 3990), Sku("MR-500G", "500g", 6990)), "48h", 2.0, False,
    ),
    DemoProduct(
        _pid(122), "新疆若羌灰枣 红枣 免洗 1kg", "若羌红枣", "Xinjiang red dates (jujube)",
        ("red dates", "jujube", "Ruoqiang dates", "hongzao", "红枣", "灰枣"),
        "干货", (Sku("HZ-1KG", "1kg", 3590),), "48h", 2.0,
    ),
)

PRODUCTS_BY_ID = {p.product_id: p for p in PRODUCTS}
