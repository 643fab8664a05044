"""The demo's simulated carrier: moves the demo shop's parcels along realistic routes (a rice shop in 五常,
Heilongjiang, shipping through the real sorting hubs of north-east China to the buyer's city) as time passes,
and gives some parcels each fate a merchant must act on, so every anomaly kind shows up in the demo.

Deterministic: a parcel's whole journey is drawn from its tracking number, and each tick stores the scans whose
time has come (duplicates are ignored), so restarting the demo or running two workers changes nothing.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..orders.models import Order
from .ingest import Scan, adopt_shipments, record_scans
from .models import Parcel

H = timedelta(hours=1)
ORIGIN = [("五常市", "【哈尔滨市】五常营业部 已揽收"), ("哈尔滨转运中心", "快件已到达【哈尔滨转运中心】"),
          ("哈尔滨转运中心", "快件已从【哈尔滨转运中心】发出，下一站【沈阳转运中心】"),
          ("沈阳转运中心", "快件已到达【沈阳转运中心】")]
REGION_HUB = {
    "北京": "廊坊转运中心", "天津": "廊坊转运中心", "河北": "廊坊转运中心", "山东": "济南转运中心", "山西": "太原转运中心",
    "辽宁": "沈阳转运中心", "吉林": "长春转运中心", "黑龙江": "哈尔滨转运中心", "上海": "上海转运中心",
    "江苏": "南京转运中心", "浙江": "杭州转运中心", "安徽": "合肥转运中心", "福建": "福州转运中心", "江西": "南昌转运中心",
    "河南": "郑州转运中心", "湖北": "武汉转运中心", "湖南": "长沙转运中心", "广东": "广州转运中心", "广西": "南宁转运中心",
    "四川": "成都转运中心", "重庆": "重庆转运中心", "贵州": "贵阳转运中心", "云南": "昆明转运中心", "陕西": "西安转运中心",
}
# Fates and their shares (per mille): most parcels arrive; a few show each anomaly kind.
FATES = (("signed", 640), ("locker_signed", 180), ("no_pickup", 25), ("stalled", 30), ("lost", 15),
         ("locker_uncollected", 25), ("problem", 20), ("delivery_failed", 25), ("refused", 25), ("returned", 15))


@dataclass(frozen=True)
class Journey:
    fate: str
    scans: tuple[Scan, ...]


def _rng(tracking_no: str) -> random.Random:
    return random.Random(int(hashlib.sha256(tracking_no.encode()).hexdigest()[:16], 16))


def journey(tracking_no: str, shipped_at: datetime, province: str | None, city: str | None,
            district: str | None) -> Journey:
    """Every scan this parcel will ever get (times may lie in the future)."""
    rng = _rng(tracking_no)
    fate = rng.choices([f for f, _ in FATES], [w for _, w in FATES])[0]
    if fate == "no_pickup":
        return Journey(fate, ())
    province = (province or "浙江省").rstrip("省市").replace("自治区", "")
    city = city or "杭州市"
    hub = REGION_HUB.get(province[:3], REGION_HUB.get(province[:2], "廊坊转运中心"))
    outlet = f"{city.rstrip('市')}{(district or '').rstrip('区县市') or '城区'}营业部"
    t = shipped_at + rng.uniform(1.5, 10) * H
    legs = list(ORIGIN)
    if hub not in ("沈阳转运中心", "哈尔滨转运中心"):
        legs += [("沈阳转运中心", f"快件已从【沈阳转运中心】发出，下一站【{hub}】"), (hub, f"快件已到达【{hub}】")]
    legs += [(hub, f"快件已从【{hub}】发出，下一站【{outlet}】"), (outlet, f"快件已到达【{outlet}】")]
    scans: list[Scan] = []
    stop_after = rng.randint(2, len(legs) - 1) if fate in ("stalled", "lost") else None
    for index, (place, text) in enumerate(legs):
        scans.append(Scan(t, text, 1 if index == 0 else 0, place))
        if stop_after is not None and index >= stop_after:
            # stalled: the carrier goes quiet here; a stalled (not lost) parcel moves again days later
            if fate == "stalled":
                t += rng.uniform(60, 90) * H
                scans.append(Scan(t, f"快件已从【{place}】发出，继续运输中", 0, place))
            return Journey(fate, tuple(scans))
        t += rng.uniform(3, 14) * H if index else rng.uniform(1, 4) * H
    t += rng.uniform(1, 5) * H
    courier = f"快递员{rng.choice('王李张刘陈杨赵黄周吴')}师傅（电话 1{rng.randint(3, 9)}{rng.randint(0, 9)}****{rng.randint(1000, 9999)}）"
    scans.append(Scan(t, f"【{outlet}】{courier}正在派件", 5, outlet))
    t += rng.uniform(1, 6) * H
    if fate == "signed":
        scans.append(Scan(t, f"快件已签收，签收人：{rng.choice(['本人', '家人', '门卫', '前台'])}，感谢使用", 3, outlet))
    elif fate in ("locker_signed", "locker_uncollected"):
        station = rng.choice(["菜鸟驿站", "丰巢快递柜", "兔喜生活"])
        scans.append(Scan(t, f"快件已放入【{station}】，请凭取件码及时取件", 501, outlet))
        if fate == "locker_signed":
            scans.append(Scan(t + rng.uniform(3, 30) * H, "快件已取件，感谢使用", 3, outlet))
    elif fate == "problem":
        scans.append(Scan(t, "收件地址不详，快件转为问题件，等待核实", 2, outlet))
    elif fate == "delivery_failed":
        scans.append(Scan(t, "派送不成功：电话无人接听，将再次派送", 204, outlet))
    elif fate in ("refused", "returned"):
        scans.append(Scan(t, "收件人拒收，快件将退回寄件人", 14, outlet))
        t += rng.uniform(4, 12) * H
        scans.append(Scan(t, f"快件已从【{outlet}】发出，退回中", 6, outlet))
        if fate == "returned":
            scans.append(Scan(t + rng.uniform(60, 90) * H, "快件已退回寄件人，退签", 4, "五常市"))
    return Journey(fate, tuple(scans))


def advance(session: Session, shop_id: int, now: datetime) -> int:
    """Store every scan whose time has come for the shop's unfinished parcels; returns how many were new."""
    adopt_shipments(session, shop_id, now)
    rows = session.execute(
        select(Parcel, Order.province, Order.city, Order.district).join(Order, Order.id == Parcel.order_pk)
        .where(Parcel.shop_id == shop_id, Parcel.is_final.is_(False), Parcel.watch.is_(True))).all()
    added = 0
    for parcel, province, city, district in rows:
        if parcel.shipped_at is None:
            continue
        due = [s for s in journey(parcel.tracking_no, parcel.shipped_at, province, city, district).scans if s.at <= now]
        if len(due) > (parcel.event_count or 0):
            added += record_scans(session, parcel, due, source="demo", now=now)
    return added
