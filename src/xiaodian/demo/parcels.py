"""Demo carriers and tracking numbers in the shapes each carrier really uses (domain.md §3).

Why: shipping checks warn when a number does not fit its carrier, and the logistics desk keys tracking on
(carrier, number). Demo numbers must therefore pass those checks, be unique, and come from the carriers a grain
shop really uses: cheap bulky-parcel networks (中通, 韵达, 圆通, 极兔, 申通) for rice, flour and oil; 顺丰 and 京东
for tea and small valuable parcels.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Carrier:
    code: str  # Kuaidi100-style code
    name: str  # the name merchants see in the export (快递公司)
    pattern: str  # the shape numbers take; used by the tests and as documentation


CARRIERS: dict[str, Carrier] = {c.code: c for c in (
    Carrier("zhongtong", "中通快递", r"^7[3-8]\d{12}$"),
    Carrier("yunda", "韵达快递", r"^(?:[34]\d{14}|5\d{12})$"),
    Carrier("yuantong", "圆通速递", r"^YT\d{13}$"),
    Carrier("jtexpress", "极兔速递", r"^JT\d{13}$"),
    Carrier("shentong", "申通快递", r"^(?:77\d{12,15}|43\d{12,15})$"),
    Carrier("shunfeng", "顺丰速运", r"^SF\d{13}$"),
    Carrier("jd", "京东快递", r"^JD[0-9A-Z]{2}\d{11}$"),
    Carrier("youzhengguonei", "邮政快递包裹", r"^9\d{12}$"),
)}
CARRIER_BY_NAME = {c.name: c for c in CARRIERS.values()}

# Shares of parcels per carrier.
HEAVY_MIX = (("zhongtong", 30), ("yunda", 22), ("yuantong", 18), ("jtexpress", 12), ("shentong", 10),
             ("youzhengguonei", 4), ("shunfeng", 3), ("jd", 1))
LIGHT_MIX = (("shunfeng", 45), ("jd", 15), ("zhongtong", 15), ("yuantong", 15), ("yunda", 10))


def _digits(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(n))


def _draw(rng: random.Random, code: str) -> str:
    if code == "zhongtong":
        return f"7{rng.randint(3, 8)}" + _digits(rng, 12)
    if code == "yunda":
        return (rng.choice("34") + _digits(rng, 14)) if rng.random() < 0.8 else "5" + _digits(rng, 12)
    if code == "yuantong":
        return "YT" + _digits(rng, 13)
    if code == "jtexpress":
        return "JT" + _digits(rng, 13)
    if code == "shentong":
        return rng.choice(("77", "43")) + _digits(rng, rng.choice((12, 13)))
    if code == "shunfeng":
        return "SF" + _digits(rng, 13)
    if code == "jd":
        return "JD" + rng.choice("VABCDX") + rng.choice("ABCDEFGH0123456789") + _digits(rng, 11)
    if code == "youzhengguonei":
        return "98" + _digits(rng, 11)
    raise ValueError(f"unknown carrier {code}")


class ParcelMaker:
    """Picks a carrier for a parcel and issues a number no other parcel in the demo has."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self._used: set[str] = set()

    def carrier_for(self, heavy: bool, buyer_wants_sf: bool = False) -> Carrier:
        if buyer_wants_sf:
            return CARRIERS["shunfeng"]
        mix = HEAVY_MIX if heavy else LIGHT_MIX
        return CARRIERS[self.rng.choices([c for c, _ in mix], [w for _, w in mix])[0]]

    def number(self, carrier: Carrier) -> str:
        while True:
            number = _draw(self.rng, carrier.code)
            if number not in self._used:
                self._used.add(number)
                return number


def fits(carrier: Carrier, number: str) -> bool:
    """Whether a number has its carrier's usual shape."""
    return re.match(carrier.pattern, number) is not None
