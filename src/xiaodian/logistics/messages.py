"""What the worklist hands the merchant: whom to call at the carrier, and what to tell the buyer, in Chinese and
English, filled with the order's facts.

The playbook (domain.md §3): contact the carrier, and explain to the buyer before the buyer complains. The
message states what happened and what the shop is doing, apologises, and promises nothing the shop cannot back
(no compensation, no delivery date the carrier has not given).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from ..shipping.domain import CARRIER_BY_CODE
from ..web.i18n import N_
from .rules import CODE_WORDS, STATE_EN, failed_delivery

SHOP_TZ = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class CarrierContact:
    code: str
    hotline: str
    hours: str  # when the hotline answers people (as the carriers publish it)
    online: str  # where else to reach them: a msgid, shown by labels.carrier_online in the page's language

    # The carrier's names are the shipping desk's (shipping.domain.CARRIERS): the worklist's filter and hotline
    # table said "China Post parcels" and "Deppon Express" where the ship form says "China Post parcel" and "Deppon"
    # (QA pass 7, #15).
    @property
    def name(self) -> str:
        return CARRIER_BY_CODE[self.code].name

    @property
    def name_en(self) -> str:
        return CARRIER_BY_CODE[self.code].name_en


APP_AND_WECHAT = N_("%(carrier)s app / WeChat official account")


# Maintained by hand: the carriers' public customer-service numbers (check the carrier's site if one changes).
CONTACTS: tuple[CarrierContact, ...] = (
    CarrierContact("shunfeng", "95338", "24h", APP_AND_WECHAT),
    CarrierContact("zhongtong", "95311", "08:00–20:00", APP_AND_WECHAT),
    CarrierContact("yuantong", "95554", "08:00–21:00", APP_AND_WECHAT),
    CarrierContact("yunda", "95546", "08:00–21:00", APP_AND_WECHAT),
    CarrierContact("shentong", "95543", "08:00–21:00", APP_AND_WECHAT),
    CarrierContact("jtexpress", "956025", "08:00–21:00", APP_AND_WECHAT),
    CarrierContact("jd", "950616", "24h", N_("%(carrier)s app")),
    CarrierContact("ems", "11183", "24h", N_("EMS app / China Post WeChat official account")),
    CarrierContact("youzhengguonei", "11183", "24h", N_("China Post WeChat official account")),
    CarrierContact("debangkuaidi", "95353", "24h", APP_AND_WECHAT),
)
CONTACT_BY_CODE = {c.code: c for c in CONTACTS}

# What happened, per kind: each says only what the cause's evidence shows (QA pass 9, #10). ``{last}`` is the last
# scan; ``{days}`` the days the evidence counts. 退回 says whether the parcel is on its way back or back already.
WHAT_HAPPENED = {
    "pickup_timeout": ("包裹还在等待快递揽收，物流信息暂未更新",
                       "the parcel is still waiting to be picked up by the courier, so there is no tracking "
                       "information yet"),
    "stalled": ("物流信息已有一段时间没有更新（最后一条：{last}）",
                "the tracking has not updated for a while (last scan: {last})"),
    "suspected_lost": ("物流信息已有{days}天没有更新（最后一条：{last}），包裹可能在途中遗失",
                       "the tracking has not updated for {days} days (last scan: {last}); the parcel may have "
                       "been lost in transit"),
    "locker_uncollected": ("包裹已放在驿站/快递柜，还没有取件（{last}）",
                           "the parcel is waiting at a pick-up station or locker and has not been collected yet "
                           "({last})"),
    "problem": ("快递公司反馈包裹派送遇到问题（{last}）", "the carrier reports a problem with the delivery ({last})"),
    "delivery_failed": ("快递员派送没有成功（{last}）", "the courier could not deliver the parcel ({last})"),
    "refused": ("快递显示包裹被拒收（{last}）", "the carrier shows the parcel as refused ({last})"),
    "returned": ("快递显示包裹正在退回（{last}）", "the carrier shows the parcel on its way back to us ({last})"),
}
NEVER_SCANNED = ("包裹发出已有{days}天，快递仍没有任何物流记录",
                 "the parcel was sent {days} days ago and the carrier still shows no tracking for it")
BACK_ALREADY = ("快递显示包裹已退回（{last}）", "the carrier shows the parcel has been returned to us ({last})")
WHAT_WE_DO = {
    "open": ("我们正在联系快递公司核实情况", "we are contacting the carrier to find out what happened"),
    "contacted_carrier": ("我们已经联系快递公司加急处理",
                          "we have contacted the carrier and asked them to act quickly"),
    "resolved": ("问题已处理", "the problem has been dealt with"),
    "ignored": ("我们会继续跟进", "we will keep following it"),
}
# Once the carrier has been called, what the call was for depends on the cause: "asked them to hurry" is true of a
# stuck parcel, and false of one that was refused and is going back (QA pass 9, #10).
CONTACTED = {
    "suspected_lost": ("我们已经联系快递公司查找包裹",
                       "we have contacted the carrier and asked them to trace the parcel"),
    "locker_uncollected": ("我们已经联系快递公司核实包裹所在的驿站",
                           "we have contacted the carrier to confirm where the parcel is waiting"),
    "delivery_failed": ("我们已经联系快递公司核实派送情况",
                        "we have contacted the carrier about the failed delivery"),
    "refused": ("我们已经联系快递公司核实拒收情况", "we have contacted the carrier to check the refusal"),
    "returned": ("我们已经联系快递公司核实退回原因",
                 "we have contacted the carrier to find out why it is being returned"),
}
ASK = {
    "locker_uncollected": ("方便的时候请凭取件码取件，如需改派请告诉我们",
                           "please collect it with your pick-up code when convenient, or tell us if you would like "
                           "it re-delivered"),
    "delivery_failed": ("请确认收件电话和地址是否方便收件，我们会请快递再次派送",
                        "please check that the phone number and address are right and convenient, and we will ask "
                        "the courier to deliver again"),
    "refused": ("如果不是您本人拒收，请告诉我们，我们会马上处理",
                "if you did not refuse it yourself, please tell us and we will sort it out at once"),
    "returned": ("如果您仍需要这件商品，请告诉我们", "if you still want the item, please tell us"),
}


def _what_happened(kind: str, evidence: dict, parcel_state: str | None) -> tuple[str, str]:
    if kind == "suspected_lost" and evidence.get("never_scanned"):
        return NEVER_SCANNED
    if kind == "returned" and parcel_state == "returned":
        return BACK_ALREADY
    return WHAT_HAPPENED.get(kind, WHAT_HAPPENED["problem"])


def _days(evidence: dict, now: datetime | None) -> int:
    """Whole days since the evidence's time (the last scan, or the shipping of a parcel never scanned), else the
    hours the evidence counted when it was recorded."""
    if now is not None and evidence.get("at"):
        try:
            return int((now - datetime.fromisoformat(evidence["at"])).total_seconds() // 86400)
        except (TypeError, ValueError):
            pass
    return int(evidence.get("hours") or 0) // 24


def _what_we_do(kind: str, status: str) -> tuple[str, str]:
    if status == "contacted_carrier":
        return CONTACTED.get(kind, WHAT_WE_DO["contacted_carrier"])
    return WHAT_WE_DO.get(status, WHAT_WE_DO["open"])


@dataclass(frozen=True)
class OrderFacts:
    product: str
    product_en: str
    ordered_at: datetime
    tracking_no: str
    carrier_code: str | None
    last_scan: str  # e.g. "11-22 14:05 廊坊转运中心 运输中"
    # The same scan for the English message: its time and the carrier's state in English words, e.g. "11-23 18:59,
    # delivery failed" (scan_in_english). The carrier's Chinese scan text is not pasted to an English-speaking buyer
    # (QA pass 11, #9); empty: the English message leaves the scan out.
    last_scan_en: str = ""


def scan_in_english(at: datetime | None, code: int | None, state: str | None, context: str | None) -> str:
    """The last scan as the English buyer message quotes it: its time and what it said in English words, as the
    English staff-side evidence reads it (rules.code_words / STATE_EN), never the carrier's Chinese text."""
    if failed_delivery(code, context or ""):
        words = "delivery failed"
    elif code in CODE_WORDS:
        words = CODE_WORDS[code][1]
    else:
        words = STATE_EN.get(state or "", "")
    when = at.astimezone(SHOP_TZ).strftime("%m-%d %H:%M") if at else ""
    return ", ".join(x for x in (when, words) if x)


_EN_SCAN = re.compile(r" \((?:last scan: )?\{last\}\)")


def buyer_messages(kind: str, status: str, facts: OrderFacts, carrier_contacted: bool = False, *,
                   evidence: dict | None = None, parcel_state: str | None = None,
                   now: datetime | None = None) -> dict[str, str]:
    """The message to paste into the buyer chat (飞鸽), in Chinese and in English. It says the carrier has been
    contacted only when someone recorded doing so (``carrier_contacted``, from the case's history since its cause was
    last set): a case whose buyer was told first once promised a call to the carrier that nobody had made. What it
    says happened and what the shop did are the cause's own (``evidence``: the case's; ``parcel_state``: whether a
    returned parcel is still on its way back; ``now``: to count the days since the evidence's time)."""
    if status not in ("resolved", "ignored"):
        status = "contacted_carrier" if carrier_contacted or status == "contacted_carrier" else "open"
    evidence = evidence or {}
    contact = CONTACT_BY_CODE.get(facts.carrier_code or "")
    carrier_zh = contact.name if contact else (facts.carrier_code or "快递")
    carrier_en = contact.name_en if contact else (facts.carrier_code or "the carrier")
    day = facts.ordered_at.astimezone(SHOP_TZ)
    happened_zh, happened_en = _what_happened(kind, evidence, parcel_state)
    filled = {"last": facts.last_scan, "days": _days(evidence, now)}
    filled_en = {**filled, "last": facts.last_scan_en}
    if not facts.last_scan_en:  # no English words for the scan: say what happened without quoting it
        happened_en = _EN_SCAN.sub("", happened_en).replace("{last}", "")
    doing_zh, doing_en = _what_we_do(kind, status)
    ask_zh, ask_en = ASK.get(kind, ("", ""))
    zh = (f"亲，您好！您{day.month}月{day.day}日购买的「{facts.product}」（{carrier_zh} {facts.tracking_no}），"
          f"{happened_zh.format(**filled)}。{doing_zh}，有进展会第一时间告诉您。"
          + (f"{ask_zh}。" if ask_zh else "") + "给您带来不便，非常抱歉！")
    en = (f"Hello! About the {facts.product_en or facts.product} you ordered on {day.strftime('%d %b')} "
          f"({carrier_en} {facts.tracking_no}): {happened_en.format(**filled_en)}. {doing_en[0].upper()}"
          f"{doing_en[1:]}, and we will tell you as soon as we hear more."
          + (f" {ask_en[0].upper()}{ask_en[1:]}." if ask_en else "") + " We are sorry for the trouble.")
    return {"zh": zh, "en": en}
