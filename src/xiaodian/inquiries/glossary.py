"""English words for common grain and produce names, so that a buyer writing in English ("Where is my peanut oil?")
is understood on a shop whose products came from an order export and so have only their Chinese listing title.

Honest by construction: a word is used only when its Chinese term appears in the product's own title (压榨一级花生油
5L → "peanut oil"), and only for products without an English name of their own (the merchant's or the demo's name
always wins). It is a small fixed list of a grain and produce store's everyday goods, not a translator.
"""

from __future__ import annotations

TERMS: dict[str, tuple[str, ...]] = {
    "大米": ("rice",), "五常": ("Wuchang rice",), "东北大米": ("northeast rice", "northeastern rice"),
    "香米": ("fragrant rice",), "珍珠米": ("pearl rice",), "稻花香": ("Daohuaxiang rice",), "长粒香": ("long grain rice",), "糯米": ("glutinous rice",),
    "黑米": ("black rice",), "糙米": ("brown rice",), "小米": ("millet",), "黄小米": ("yellow millet", "millet"),
    "面粉": ("flour",), "小麦粉": ("wheat flour", "flour"), "面包粉": ("bread flour",), "挂面": ("noodles",),
    "面条": ("noodles",), "燕麦": ("oats", "oatmeal"), "荞麦": ("buckwheat",), "玉米": ("corn", "maize"),
    "高粱": ("sorghum",), "藜麦": ("quinoa",), "薏米": ("barley", "job's tears"), "绿豆": ("mung beans",),
    "红豆": ("red beans", "adzuki beans"), "黄豆": ("soybeans", "soy beans"), "黑豆": ("black beans",),
    "花生": ("peanuts",), "花生油": ("peanut oil", "groundnut oil"), "大豆油": ("soybean oil",),
    "菜籽油": ("rapeseed oil", "canola oil"), "玉米油": ("corn oil",), "芝麻油": ("sesame oil",),
    "香油": ("sesame oil",), "橄榄油": ("olive oil",), "茶叶": ("tea",), "绿茶": ("green tea",), "红茶": ("black tea",),
    "乌龙茶": ("oolong tea", "oolong"), "普洱": ("pu'er tea", "puer tea"),
    "白茶": ("white tea",), "龙井": ("longjing tea",),
    "红枣": ("red dates", "jujube"), "枸杞": ("goji berries", "goji"), "核桃": ("walnuts",),
    "木耳": ("wood ear mushroom",),
    "香菇": ("shiitake mushrooms", "shiitake"), "蜂蜜": ("honey",), "芝麻": ("sesame",),
}


def english_names(title: str) -> tuple[str, ...]:
    """The English words of the glossary terms in ``title``, longest term first; a term inside a longer one found
    there (花生 in 花生油) is left out, so peanut oil does not also answer to "peanuts"."""
    found = [term for term in TERMS if term in title]
    kept = [t for t in found if not any(t != other and t in other for other in found)]
    kept.sort(key=lambda t: (-len(t), title.index(t)))
    return tuple(dict.fromkeys(word for term in kept for word in TERMS[term]))
