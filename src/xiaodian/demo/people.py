"""Demo buyers: names, where they live, their phones and what they write in the 买家留言 box.

Why: the desk's search, masking and inquiry features are only convincing on data that looks like a real shop's:
common Chinese surnames in their real proportions, provinces weighted the way e-commerce parcels go (the coastal
east and the populous south more than the far west), valid mainland mobile prefixes so phone search and the
blind index behave as in production, and the short, practical notes buyers actually leave.
Everything is drawn from a ``random.Random`` handed in, so a seed reproduces the same people.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from itertools import accumulate

# Surnames roughly by frequency (top of the national census list), weights in per-mille.
SURNAMES = (
    ("王", 72), ("李", 71), ("张", 68), ("刘", 54), ("陈", 45), ("杨", 31), ("黄", 24), ("赵", 22), ("吴", 21),
    ("周", 20), ("徐", 17), ("孙", 15), ("马", 15), ("朱", 14), ("胡", 13), ("郭", 12), ("何", 12), ("林", 11),
    ("高", 11), ("罗", 11), ("郑", 10), ("梁", 10), ("谢", 8), ("宋", 8), ("唐", 8), ("许", 7), ("韩", 7),
    ("冯", 7), ("邓", 7), ("曹", 7), ("彭", 6), ("曾", 6), ("肖", 6), ("田", 6), ("董", 5), ("潘", 5), ("袁", 5),
    ("蔡", 5), ("蒋", 5), ("余", 5), ("于", 5), ("杜", 4), ("叶", 4), ("程", 4), ("魏", 4), ("苏", 4), ("吕", 4),
    ("丁", 4), ("任", 4), ("卢", 3), ("姚", 3), ("沈", 3), ("钟", 3), ("姜", 3), ("崔", 3), ("谭", 3), ("陆", 3),
    ("范", 3), ("汪", 3), ("廖", 3), ("石", 3), ("金", 3), ("贾", 3), ("夏", 2), ("付", 2), ("方", 2), ("欧阳", 1),
    ("上官", 1), ("司马", 1),
)
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力云飞鹏宇浩然晨曦欣怡梓涵子轩雨桐"
    "佳琪思远嘉豪博文一诺俊杰婷雪梅海燕志强春梅秋月冬晴晓东小龙凤琳淑珍国庆建国丹阳慧颖"
)

# province → city → districts. Weights approximate where Douyin e-commerce parcels go.
REGIONS: dict[str, tuple[int, dict[str, tuple[str, ...]]]] = {
    "广东省": (12, {"广州市": ("天河区", "越秀区", "海珠区", "白云区", "番禺区"), "深圳市": ("南山区", "福田区", "宝安区", "龙岗区"),
                   "东莞市": ("南城街道", "长安镇", "虎门镇"), "佛山市": ("禅城区", "南海区", "顺德区")}),
    "江苏省": (9, {"南京市": ("鼓楼区", "玄武区", "江宁区", "秦淮区"), "苏州市": ("姑苏区", "吴中区", "工业园区", "昆山市"),
                  "无锡市": ("梁溪区", "滨湖区", "新吴区")}),
    "浙江省": (9, {"杭州市": ("西湖区", "拱墅区", "余杭区", "滨江区"), "宁波市": ("鄞州区", "海曙区", "江北区"),
                  "温州市": ("鹿城区", "瓯海区"), "金华市": ("婺城区", "义乌市")}),
    "山东省": (8, {"济南市": ("历下区", "市中区", "槐荫区"), "青岛市": ("市南区", "崂山区", "黄岛区"), "临沂市": ("兰山区", "罗庄区")}),
    "河南省": (6, {"郑州市": ("金水区", "中原区", "二七区", "郑东新区"), "洛阳市": ("西工区", "洛龙区")}),
    "四川省": (6, {"成都市": ("武侯区", "锦江区", "青羊区", "高新区", "双流区"), "绵阳市": ("涪城区", "游仙区")}),
    "北京市": (6, {"北京市": ("朝阳区", "海淀区", "丰台区", "西城区", "东城区", "通州区", "昌平区")}),
    "上海市": (6, {"上海市": ("浦东新区", "徐汇区", "闵行区", "静安区", "杨浦区", "宝山区")}),
    "湖北省": (5, {"武汉市": ("洪山区", "武昌区", "江汉区", "江岸区"), "宜昌市": ("西陵区", "伍家岗区")}),
    "湖南省": (4, {"长沙市": ("岳麓区", "雨花区", "天心区", "开福区"), "株洲市": ("天元区", "芦淞区")}),
    "福建省": (4, {"福州市": ("鼓楼区", "仓山区", "晋安区"), "厦门市": ("思明区", "湖里区", "集美区")}),
    "河北省": (4, {"石家庄市": ("长安区", "桥西区", "裕华区"), "保定市": ("竞秀区", "莲池区")}),
    "安徽省": (3, {"合肥市": ("蜀山区", "包河区", "庐阳区"), "芜湖市": ("镜湖区", "鸠江区")}),
    "陕西省": (3, {"西安市": ("雁塔区", "碑林区", "未央区", "长安区")}),
    "辽宁省": (3, {"沈阳市": ("和平区", "沈河区", "浑南区"), "大连市": ("中山区", "沙河口区", "甘井子区")}),
    "重庆市": (3, {"重庆市": ("渝中区", "江北区", "渝北区", "南岸区", "九龙坡区")}),
    "天津市": (2, {"天津市": ("和平区", "南开区", "河西区", "滨海新区")}),
    "江西省": (2, {"南昌市": ("东湖区", "红谷滩区", "青山湖区")}),
    "广西壮族自治区": (2, {"南宁市": ("青秀区", "西乡塘区"), "桂林市": ("秀峰区", "七星区")}),
    "云南省": (2, {"昆明市": ("五华区", "盘龙区", "官渡区")}),
    "山西省": (2, {"太原市": ("小店区", "迎泽区", "杏花岭区")}),
    "黑龙江省": (2, {"哈尔滨市": ("南岗区", "道里区", "香坊区")}),
    "吉林省": (1, {"长春市": ("朝阳区", "南关区", "绿园区")}),
    "贵州省": (1, {"贵阳市": ("云岩区", "南明区", "观山湖区")}),
    "海南省": (1, {"海口市": ("龙华区", "美兰区")}),
    "甘肃省": (1, {"兰州市": ("城关区", "七里河区")}),
    "内蒙古自治区": (1, {"呼和浩特市": ("赛罕区", "新城区")}),
    "新疆维吾尔自治区": (1, {"乌鲁木齐市": ("天山区", "沙依巴克区", "新市区")}),
    "宁夏回族自治区": (1, {"银川市": ("兴庆区", "金凤区")}),
    "青海省": (1, {"西宁市": ("城中区", "城西区")}),
    "西藏自治区": (1, {"拉萨市": ("城关区",)}),
}
# Remote regions where 包邮 does not apply: the buyer pays postage (运费) on top.
REMOTE = {"新疆维吾尔自治区": 1500, "西藏自治区": 2000, "青海省": 1000, "宁夏回族自治区": 800, "甘肃省": 800,
          "内蒙古自治区": 800, "海南省": 600}

STREETS = (
    "人民路", "中山路", "解放路", "建设路", "和平路", "新华路", "胜利路", "文化路", "长江路", "黄河路", "滨江大道", "科技路",
    "学府路", "迎宾大道", "光明街", "幸福街", "朝阳路", "青年路", "花园路", "体育路", "工业大道", "金融街", "世纪大道",
    "南京路", "北京路", "延安路", "东风路", "东方路", "湖滨路", "望江路",
)
COMMUNITIES = (
    "阳光花园", "金色家园", "翠苑", "锦绣华庭", "万科城", "碧桂园", "绿地小区", "保利花园", "龙湖春江郦城", "恒大名都",
    "幸福里", "书香门第", "世纪新城", "紫荆苑", "丽景湾", "东方明珠小区", "中央公园", "和谐家园", "滨江壹号", "融创府",
)

# Mobile prefixes in use on the mainland (China Mobile, Unicom, Telecom, Broadnet).
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "145", "147", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "166", "171", "173", "175", "176", "177", "178", "180", "181", "182", "183",
    "184", "185", "186", "187", "188", "189", "191", "193", "195", "197", "198", "199",
)

BUYER_NOTES = (
    ("请尽快发货", 14), ("不要放驿站", 10), ("送货上门，谢谢", 8), ("放门卫室就行", 5), ("发顺丰可以吗", 4), ("要新米", 4),
    ("送人的，不要放价格单", 4), ("米袋子多套一层，怕破", 4), ("上午不在家，下午再送", 3), ("到了先打电话", 4),
    ("周末不在家，周一再送", 2), ("需要开发票", 3), ("快递柜满了请放门口", 2), ("老客户了，给挑点好的", 2),
    ("生日礼物，包装好一点", 2), ("能不能发中通", 2), ("别发极兔", 1), ("着急吃，麻烦快点", 4), ("油桶包装好防漏", 2),
    ("地址没问题，电话打不通就发短信", 1),
)
MERCHANT_NOTES = (
    "已电话确认地址", "客户要求发顺丰，差价已收", "老客户，送试吃小米一袋", "缺货，已告知买家延迟2天", "改地址：见聊天记录",
    "大客户，优先发货", "买家说上次包装破了，多加一层", "合并发货（同一收件人两单）", "补发：上次少发一袋", "开发票：个人",
)


@dataclass(frozen=True)
class Buyer:
    name: str
    phone: str
    province: str
    city: str
    district: str
    address: str

    @property
    def remote_postage_fen(self) -> int:
        return REMOTE.get(self.province, 0)


class PeopleMaker:
    """Draws buyers from the tables above; phones are unique within one demo shop."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self._surnames = [s for s, _ in SURNAMES]
        self._surname_cum = list(accumulate(w for _, w in SURNAMES))
        self._provinces = list(REGIONS)
        self._province_cum = list(accumulate(REGIONS[p][0] for p in self._provinces))
        self._note_texts = [n for n, _ in BUYER_NOTES]
        self._note_weights = [w for _, w in BUYER_NOTES]
        self._phones: set[str] = set()

    def name(self) -> str:
        rng = self.rng
        surname = rng.choices(self._surnames, cum_weights=self._surname_cum)[0]
        size = 1 if rng.random() < 0.3 else 2
        return surname + "".join(rng.choice(GIVEN_CHARS) for _ in range(size))

    def phone(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self._phones:
                self._phones.add(number)
                return number

    def address(self) -> str:
        rng = self.rng
        street = f"{rng.choice(STREETS)}{rng.randint(1, 999)}号"
        if rng.random() < 0.15:
            return street + rng.choice(("", "附近", "商铺")) + rng.choice(("", "一楼"))
        building = f"{rng.randint(1, 30)}栋{rng.randint(1, 4)}单元{rng.randint(1, 33)}0{rng.randint(1, 4)}室"
        return f"{street}{rng.choice(COMMUNITIES)}{building}"

    def buyer(self) -> Buyer:
        rng = self.rng
        province = rng.choices(self._provinces, cum_weights=self._province_cum)[0]
        cities = REGIONS[province][1]
        city = rng.choice(list(cities))
        district = rng.choice(cities[city])
        return Buyer(self.name(), self.phone(), province, city, district, self.address())

    def buyer_note(self) -> str:
        return self.rng.choices(self._note_texts, self._note_weights)[0]

    def merchant_note(self) -> str:
        return self.rng.choice(MERCHANT_NOTES)
