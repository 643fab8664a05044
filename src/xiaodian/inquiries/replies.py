"""Reply drafts for the buyer, in the buyer's language (zh/en), from a diagnosis. Pure.

The rules (issue 7, domain.md §6): apologise; state only what the data shows (status, ship-by, tracking); ask only
for what is missing: the order number, or the last 4 digits of the phone used and the order date, never a full
phone number or address; without the buyer's identity never say that some order is theirs (it may be another
buyer's); never promise compensation, a refund amount or a date that the data does not give.
"""

from __future__ import annotations

from datetime import datetime

from . import aftersale_replies
from .complaint_replies import PHOTOS, complaint_reply
from .diagnosis import LONG_REVIEW_DAYS, Diagnosis, parcel_trouble
from .matching import SHOP_TZ, OrderFacts

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Words a draft must never contain: promises the desk cannot back (tests check every draft against these).
FORBIDDEN = ("赔偿", "补偿", "赔付", "红包", "保证", "compensat", "guarantee", "voucher", "coupon")


def when(value: datetime | str | None, lang: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    local = value.astimezone(SHOP_TZ)
    if lang == "zh":
        return f"{local.month}月{local.day}日 {local:%H:%M}"
    return f"{_MONTHS[local.month - 1]} {local.day}, {local:%H:%M}"


def day(value: datetime | None, lang: str) -> str:
    if value is None:
        return ""
    local = value.astimezone(SHOP_TZ)
    return f"{local.month}月{local.day}日" if lang == "zh" else f"{_MONTHS[local.month - 1]} {local.day}"


def _items(order: OrderFacts, product: str | None, lang: str, names_en: dict[str, str] | None = None) -> str:
    """The order's items as the buyer knows them: in English by the product's English name when it has one (QA
    D13), else by the name the buyer used or the shop's (Chinese) name."""
    parts = []
    for pid, name, qty in order.items:
        english = (names_en or {}).get(pid or "") if lang == "en" else None
        if english:
            shown = english if len(english) <= 40 else english[:40] + "…"
        else:
            shown = product if product and product in name else (name if len(name) <= 24 else name[:24] + "…")
        parts.append(f"{shown} ×{qty}")
    return ("、" if lang == "zh" else ", ").join(parts)


# The cancel reasons the platform and the export use, in English (a reason not listed is left out of an English
# reply rather than shown in Chinese or as empty brackets).
_REASONS_EN = (("超时未支付", "payment not completed in time"),
               ("多拍/拍错/不想要", "ordered by mistake or no longer wanted"), ("不想要", "no longer wanted"),
               ("拍错", "ordered by mistake"), ("地址填错", "wrong address"),
               ("未按约定时间发货", "not shipped in time"), ("价格原因", "price"), ("缺货", "out of stock"),
               ("买家取消", "cancelled by the buyer"), ("商家取消", "cancelled by the shop"),
               ("风控", "platform security review"))
_REFUND_ASKED = "买家申请退款"


def cancel_reason_en(reason: str | None) -> str | None:
    """The English for a known cancel reason ("买家申请退款：地址填错" → "refund requested by the buyer: wrong
    address"), else None."""
    if not reason:
        return None
    known = next((en for zh, en in _REASONS_EN if zh in reason), None)
    if _REFUND_ASKED in reason:
        return "refund requested by the buyer" + (f": {known}" if known else "")
    return known


def carrier_name(name: str | None, lang: str) -> str | None:
    """A carrier in the buyer's language (中通快递 / ZTO Express, QA D13): the logistics capability's contacts, then
    shipping's carrier list; a carrier neither knows keeps the name it was stored with."""
    if lang == "zh" or not name:
        return name
    try:
        from ..logistics.messages import CONTACTS
        from ..shipping.domain import find_carrier
    except ImportError:
        return name
    contact = next((c for c in CONTACTS if name.strip() in (c.code, c.name)), None)
    if contact is not None:
        return contact.name_en
    found = find_carrier(name)
    return found.name_en if found is not None else name


APOLOGY = {"zh": "亲，非常抱歉让您久等了。", "en": "Sorry for the trouble, and thank you for your patience."}
ASK = {
    "zh": "为了准确查到您的订单，麻烦提供一下订单号；或者下单时使用的手机号后4位和下单日期，我们马上为您查询。",
    "en": "So that we can find your order, could you send us the order number? Or the last 4 digits of the phone "
          "number used for the order and the date you ordered, and we will check right away.",
}
# The same request without what the buyer already gave (domain.md §6): the day was named, or the last 4 digits.
ASK_DATED = {
    "zh": "为了准确查到您的订单，麻烦提供一下订单号，或者下单时使用的手机号后4位，我们马上为您查询。",
    "en": "So that we can find your order, could you send us the order number, or the last 4 digits of the phone "
          "number used for the order? We will check right away.",
}
ASK_DATE = {
    "zh": "为了准确查到您的订单，麻烦再提供一下下单日期（或者订单号），我们马上为您查询。",
    "en": "So that we can find your order, could you also tell us the date you ordered (or the order number)? We "
          "will check right away.",
}


def _ask_for(missing: list[str] | None, lang: str) -> str:
    """The request for details, naming only what the diagnosis lists as missing (all of it when it lists none)."""
    wanted = set(missing or ("order_id", "phone_last4", "order_date"))
    if "phone_last4" not in wanted:
        return ASK_DATE[lang]
    return ASK[lang] if "order_date" in wanted else ASK_DATED[lang]
# The order number and the phone belong to different buyers: say so and ask to check both, nothing about the order
# (whoever has an order number must not learn its contents by it).
PHONE_MISMATCH = {
    "zh": "您提供的手机号和这个订单号的下单手机号不一致，为了保护订单信息，暂时不能告诉您订单详情。"
          "麻烦核对一下订单号，以及下单时使用的手机号（后4位即可），我们马上为您查询。",
    "en": "The phone number you gave does not match the one used for that order number, so to protect the order we "
          "cannot share its details yet. Could you check the order number and the phone number used for the order "
          "(the last 4 digits are enough)? We will look it up right away.",
}
def sync_behind(since: str | None, lang: str) -> str:
    """The desk's own order data is behind (domain.md §6: the desk's sync lag is a cause to check): said instead of
    "there is no such order", which the desk cannot know."""
    if since:
        return (f"我们这边暂时还没有查到这笔订单，不过店铺系统里的订单目前只同步到{when(since, 'zh')}，"
                "之后下的单可能还没同步过来，这并不代表订单不存在。我们核实后会尽快回复您。" if lang == "zh"
                else "We have not found this order on our side yet, but our system's orders are only up to date as of "
                     f"{when(since, 'en')}: an order placed after that may not have reached us yet, so this does not "
                     "mean there is no order. We will check and get back to you shortly.")
    return ("我们这边暂时还没有查到这笔订单，不过店铺系统里的订单还没有同步完整，"
            "这并不代表订单不存在。我们核实后会尽快回复您。" if lang == "zh"
            else "We have not found this order on our side yet, but our system's orders are not fully up to date, "
                 "so this does not mean there is no order. We will check and get back to you shortly.")


NOT_THIS_ONE = {
    "zh": "如果您问的不是这笔订单，麻烦把订单号发给我们，我们再帮您查。",
    "en": "If this is not the order you mean, please send us its order number and we will check that one.",
}
_STATUS_WORDS = {
    "unpaid": ("还没有付款", "not paid yet"), "paid_pending": ("平台审核中", "in the platform's review"),
    "awaiting_shipment": ("备货中，还没有发货", "being prepared, not shipped yet"),
    "partially_shipped": ("部分商品已发出", "partly shipped"), "shipped": ("已发货", "shipped"),
    "completed": ("已完成", "completed"), "cancelled": ("已关闭", "closed"),
}


def _not_fitting(d: Diagnosis, lang: str, product: str | None, names_en: dict[str, str] | None) -> str:
    """The buyer's phone has orders, none of them what they described (QA pass 9, #5): never "no order in our shop,
    perhaps another shop" while their orders are on the agent's screen. Their one order of the day they named is
    shown for them to confirm; otherwise they are asked for the order number."""
    zh = lang == "zh"
    near = d.facts.get("near_order")
    order = next((m.facts for m in d.candidates if near and m.order_id == near["order_id"] and m.facts), None)
    if order is not None:
        zh_state, en_state = _STATUS_WORDS.get(order.status, ("", ""))
        if zh:
            return (f"按您说的商品没有查到对应的订单，不过查到{day(order.created_at, lang)}的一笔订单（订单号 "
                    f"{order.order_id}，{_items(order, None, lang)}{'，' + zh_state if zh_state else ''}），"
                    "商品和您说的不一样。麻烦确认一下是不是这一笔；如果不是，请把订单号发给我们，我们马上为您查询。")
        return (f"We found no order of the product you mention, but there is an order of "
                f"{day(order.created_at, lang)} (order no. {order.order_id}, {_items(order, None, lang, names_en)}"
                f"{', ' + en_state if en_state else ''}) with a different product. Could you confirm whether that is "
                "the one? If not, please send us the order number and we will check right away.")
    n = d.facts["orders_for_identity"]
    return (f"按您说的日期和商品，没有查到完全对应的订单（这个手机号下查到{n}笔其他订单）。"
            "麻烦在「我的-订单」里找到这笔订单，把订单号发给我们，我们马上为您核对。"
            if zh else f"No order matches the date and product you mention ({n} other order{'s' if n != 1 else ''} "
            "found for this phone number). Could you find the order under My orders and send us its order number? "
            "We will check it right away.")


CHECK_ACCOUNT = {
    "zh": "也麻烦确认一下是不是用同一个抖音账号、同一个App（抖音 / 抖音极速版 / 抖音火山版）下的单，以及支付记录里是否有这笔扣款。",
    "en": "Please also check that the order was placed with the same Douyin account and app (Douyin, Douyin Lite or "
          "Huoshan), and whether the payment appears in your payment records.",
}


def _head(o: OrderFacts, lang: str, product: str | None, names_en: dict[str, str] | None) -> str:
    return (f"查到您{day(o.created_at, lang)}下的订单（订单号 {o.order_id}，{_items(o, product, lang, names_en)}）"
            if lang == "zh" else f"We found your order of {day(o.created_at, lang)} (order no. {o.order_id}, "
                                 f"{_items(o, product, lang, names_en)})")


# A complaint about the goods is answered by the order's state (complaint_replies), except where the order's own
# story is the answer: a case already open on it, or the order closed before it shipped.
_COMPLAINT_OWN_STORY = ("found_after_sale", "found_cancelled_unpaid", "found_cancelled_refunded")


def _found(d: Diagnosis, lang: str, product: str | None, names_en: dict[str, str] | None = None) -> str:
    o = d.order
    f = d.facts
    zh = lang == "zh"
    head = _head(o, lang, product, names_en)
    code = d.code
    if code == "found_awaiting_shipment":
        if f.get("within_promise", True):
            return (head + "，已付款成功，目前在备货中，还没有发货，所以暂时没有物流信息。"
                    + (f"按承诺会在{when(o.ship_by, lang)}前发出，" if o.ship_by else "") + "发货后物流信息会同步更新。"
                    if zh else head + ": it is paid and being prepared; it has not shipped yet, which is why there is "
                    "no tracking information. " + (f"It is due to ship by {when(o.ship_by, lang)}. " if o.ship_by else "")
                    + "Tracking will appear as soon as it ships.")
        return (head + f"，已付款，还在备货中，已经超过承诺的发货时间（{when(o.ship_by, lang)}），我们正在尽快安排发出，发货后会第一时间告诉您。"
                if zh else head + f": it is paid and still being prepared, and it is past the promised ship-by time "
                f"({when(o.ship_by, lang)}). We are arranging dispatch now and will tell you as soon as it ships.")
    if code == "found_paid_pending_review" and (f.get("review_days") or 0) >= LONG_REVIEW_DAYS:
        return _long_review(head, o, f, lang)
    if code == "found_paid_pending_review":
        return (head + "，已付款成功，目前处于平台的安全审核（风控审核）中，审核通过后会进入备货并发货。审核期间订单暂时不能发货，无需重复下单。"
                if zh else head + ": the payment went through and the platform is running its routine security review "
                "on the order. Once the review is passed it goes to packing and shipping; there is no need to order again.")
    if code == "found_unpaid":
        return (head + "，还没有完成付款。请在抖音「我的-订单-待支付」里完成支付；超时未支付的订单会被自动关闭。"
                if zh else head + ": it has not been paid yet. Please complete the payment under My orders → To pay in "
                "Douyin; unpaid orders are closed automatically after a short time.")
    if code == "found_cancelled_unpaid":
        # An export has no close time (QA pass 6, #5): then the sentence goes without it rather than with a blank.
        closed = when(o.cancelled_at, lang)
        return (head + f"，这笔订单没有完成付款，已{'于' + closed if closed else ''}因超时未支付自动关闭，"
                "所以看不到待发货的订单。"
                "如果您的支付记录显示已扣款，请把支付记录截图发给我们，或联系抖音平台客服核实这笔支付。需要的话可以重新下单。"
                if zh else head + ": the payment was never completed, so the order was closed automatically"
                f"{' on ' + closed if closed else ''}. If your payment records show a charge, please send us a "
                "screenshot or ask Douyin customer service to trace the payment. You are welcome to order again.")
    if code == "found_cancelled_refunded":
        closed = when(o.cancelled_at, lang)
        if d.facts.get("payment_unclear"):
            # The order says paid and closed as never paid (a pre-sale deposit?): promise no refund, trace it.
            return (head + f"，订单已关闭{'（' + closed + '）' if closed else ''}，"
                    f"平台记录的关闭原因是「{o.cancel_reason}」，但订单上有付款时间，我们正在核实这笔款项。如果已扣款，会按原支付方式退回；"
                    "方便的话请把支付记录截图发给我们，核实后第一时间回复您。"
                    if zh else head + f": it is closed{' (' + closed + ')' if closed else ''}, and the platform gives "
                    f"the reason as “{cancel_reason_en(o.cancel_reason) or o.cancel_reason}”, yet it shows a "
                    "payment time. We are tracing the payment: if you were charged, it goes back the way it was paid. "
                    "A screenshot of your payment record would help; we will reply as soon as we have checked.")
        # The refund is done, not to come (QA pass 13, #10): the buyer is told when it was made, where the desk
        # knows (an after-sale case's refund time), and where to look for it, never to wait for money already sent.
        a = o.after_sale
        if a is not None and a.refunded_at is not None:
            return head + ("，已在发货前取消。" if zh else ": it was cancelled before shipping. ") + \
                aftersale_replies.refund_made(a, lang, when)
        if zh:
            reason = f"（{o.cancel_reason}）" if o.cancel_reason else ""
            return (head + f"，已在发货前取消并退款{reason}{'，关闭时间 ' + closed if closed else ''}。"
                    "退款已按原支付方式原路退回，到账时间以银行或支付渠道为准；如果没有看到，可以在支付渠道里查看退款记录，"
                    "或者告诉我们，我们帮您核实。")
        reason_en = cancel_reason_en(o.cancel_reason)
        return (head + f": it was cancelled and refunded before shipping{f' ({reason_en})' if reason_en else ''}"
                f"{' on ' + closed if closed else ''}. The money was sent back the way it was paid; when it shows up "
                "is up to your bank or payment channel. If you do not see it, check the refund record in your "
                "payment app, or tell us and we will look into it.")
    if code == "found_presale":
        return (head + f"，已付款成功。这是预售商品，会在{when(o.ship_by, lang)}前发货，发货后即可看到物流信息。"
                if zh else head + f": it is paid. This is a presale item that ships by {when(o.ship_by, lang)}; "
                "tracking appears once it ships.")
    if code in ("found_shipped", "found_delivered"):
        return _shipped(d, head, lang)
    if code == "found_after_sale":
        # By the case's status and whose move it is (QA D2): see aftersale_replies.
        a = o.after_sale
        return head + aftersale_replies.intro(a, lang) + aftersale_replies.next_step(a, lang, when)
    return head + ("。" if zh else ".")


def _long_review(head: str, o: OrderFacts, f: dict, lang: str) -> str:
    """A risk review that has lasted days (QA pass 9, #8): said as it is, with the ship-by it outlasted; the desk
    cannot ship a held order, so it promises only to take it up with the platform."""
    n = f["review_days"]
    passed = f.get("ship_by_passed_in_review") and o.ship_by is not None
    if lang == "zh":
        return (head + f"，已付款成功，但付款后一直在平台的安全审核（风控审核）中，已经{n}天了，比通常要久"
                + (f"，承诺的发货时间（{when(o.ship_by, lang)}）也已经过了" if passed else "")
                + "。审核期间订单暂时不能发货，我们会联系平台核实审核进度，有结果第一时间告诉您，无需重复下单。")
    return (head + f": the payment went through, but since then the order has been held in the platform's security "
            f"review for {n} days, longer than usual"
            + (f", past the promised ship-by time ({when(o.ship_by, lang)})" if passed else "")
            + ". It cannot be shipped while held; we are asking the platform about the review and will tell you as "
            "soon as we hear. There is no need to order again.")


def _shipped(d: Diagnosis, head: str, lang: str) -> str:
    o, f = d.order, d.facts
    zh = lang == "zh"
    t = f.get("tracking")
    parts = [head]
    if t:
        carrier = carrier_name(t["carrier"], lang)
        parts.append(f"，已于{when(t['shipped_at'], lang)}发货，{carrier or '快递'}运单号 {t['tracking_no']}"
                     if zh else f": it shipped on {when(t['shipped_at'], lang)} with {carrier or 'the courier'}, "
                     f"tracking number {t['tracking_no']}")
    else:
        parts.append("，已发货" if zh else ": it has shipped")
    if o.status == "partially_shipped":
        parts.append("（部分商品已发出，其余商品还在备货中）" if zh else " (part of it; the rest is still being prepared)")
    lg = o.logistics
    if lg and lg.last_event:
        parts.append(f"。最新物流：{lg.last_event}（{when(lg.last_event_at, lang)}）" if zh
                     else f". Latest tracking update: {lg.last_event} ({when(lg.last_event_at, lang)})")
    if d.code == "found_delivered" and lg is not None and lg.delivered:
        parts.append("。物流显示已签收，如果您还没有收到，请告诉我们，我们马上联系快递核实。" if zh
                     else ". It shows as delivered; if you have not received it, tell us and we will check with the "
                     "courier right away.")
    elif d.code == "found_delivered":
        # Completed without a delivery scan (the buyer or the platform's auto-confirm closed it): saying the
        # tracking shows it signed would claim what the data does not hold.
        on = (f"于{when(o.completed_at, lang)}" if zh else f" on {when(o.completed_at, lang)}") if o.completed_at else ""
        parts.append(f"。订单已{on}确认收货、交易完成，如果您还没有收到，请告诉我们，我们马上联系快递核实。" if zh
                     else f". The order was confirmed as received{on} and is complete; if you have not received it, "
                     "tell us and we will check with the courier right away.")
    elif parcel_trouble(o):
        parts.append(_trouble(o, carrier_name(t["carrier"], lang) if t else None, lang))
        if o.after_sale is not None and o.after_sale.open:
            parts.append(aftersale_replies.aside(o.after_sale, lang))
    else:
        parts.append("，可以在订单详情里查看物流进度。" if zh else "; you can follow it in the order details.")
    return "".join(parts)


def _trouble(o: OrderFacts, carrier: str | None, lang: str) -> str:
    """A parcel in trouble said as it is (QA pass 10, D21): not picked up, refused or on its way back, a problem
    parcel, or no scan since the last one; and that the shop is chasing the carrier, by name."""
    lg, zh = o.logistics, lang == "zh"
    who = carrier or ("快递" if zh else "the courier")
    since = when(lg.last_event_at, lang)
    if lg.state == "pending":
        return (f"。不过{who}到现在还没有揽收包裹，我们正在催{who}尽快揽收，有进展第一时间告诉您。" if zh
                else f". However, {who} has not picked the parcel up yet; we are chasing {who} to collect it and will "
                "tell you as soon as it moves.")
    if lg.state in ("refused", "returning", "returned"):
        return (f"。物流显示包裹被拒收或正在退回，我们正在联系{who}核实原因，核实后第一时间告诉您。" if zh
                else f". The tracking shows the parcel as refused or on its way back; we are asking {who} why and "
                "will tell you as soon as we know.")
    if lg.state == "problem":
        return (f"。{who}把包裹标记为疑难件（派送遇到问题），我们正在联系{who}核实，有结果第一时间告诉您。" if zh
                else f". {who} has marked the parcel as a problem parcel (the delivery ran into trouble); we are "
                "checking with them and will tell you as soon as we know.")
    if since:
        return (f"。包裹从{since}以后一直没有新的物流更新，确实停滞了，"
                f"我们正在联系{who}核实包裹位置，有结果第一时间告诉您。" if zh
                else f". The parcel has not moved since {since}; we are chasing {who} to find out where it is and "
                "will tell you as soon as we know.")
    return (f"。包裹的物流一直没有更新，我们正在联系{who}核实包裹位置，有结果第一时间告诉您。" if zh
            else f". The parcel's tracking has not moved; we are chasing {who} to find out where it is and will tell "
            "you as soon as we know.")


def _intent_note(d: Diagnosis, intent: str, lang: str) -> str:
    """What the buyer asked to do, as far as the order's state allows (no promise beyond the process)."""
    o = d.order
    zh = lang == "zh"
    if o is None:
        return ""
    unshipped = o.status in ("unpaid", "paid_pending", "awaiting_shipment")
    if intent == "change_address":
        if unshipped:
            return ("订单还没发货，可以在订单详情里申请修改地址，或把新地址发给我们核对后处理。" if zh
                    else "It has not shipped yet: you can request an address change in the order details, or send us "
                         "the new address and we will check it.")
        if o.status in ("shipped", "partially_shipped", "completed"):
            return ("订单已经发出，无法直接修改地址，我们可以帮您联系快递咨询是否能转寄。" if zh
                    else "It has already shipped, so the address can no longer be changed here; we can ask the courier "
                         "whether it can be redirected.")
    if intent == "cancel_order":
        if unshipped:
            return ("还没发货的订单可以在订单详情里申请退款取消，我们收到后会尽快处理。" if zh
                    else "As it has not shipped, you can request a refund in the order details to cancel it; we will "
                         "process it promptly.")
        if o.status in ("shipped", "partially_shipped"):
            return ("订单已经发出，无法直接取消，收到后可以在订单详情里申请售后。" if zh
                    else "It has already shipped, so it cannot be cancelled now; once it arrives you can request an "
                         "after-sale service in the order details.")
    if intent == "after_sale_status" and d.code != "found_after_sale":
        # A return or refund asked for where no case is open yet: how to open one, as far as the order's state allows
        # (an unshipped order is refunded, not returned).
        if o.status in ("paid_pending", "awaiting_shipment"):
            return ("订单还没发货，如果不想要了，可以在订单详情里申请退款，我们收到后会尽快处理。" if zh
                    else "It has not shipped yet: if you no longer want it, you can request a refund in the order "
                         "details and we will process it promptly.")
        if o.status in ("shipped", "partially_shipped"):
            return ("包裹已经发出，收到后如有问题，可以在订单详情里申请售后（退货退款或换货），麻烦附上商品照片，我们会尽快处理。" if zh
                    else "The parcel is on its way: if anything is wrong when it arrives, you can request a return, "
                         "refund or exchange in the order details, with photos of the item, and we will handle it "
                         "promptly.")
        if o.status == "completed":
            return ("如果商品有问题，可以在订单详情里申请售后（退货退款或换货），麻烦附上商品照片，我们收到后会尽快处理。" if zh
                    else "If anything is wrong with the item, you can request a return, refund or exchange in the "
                         "order details, with photos of the item, and we will handle it promptly.")
    return ""


def draft(d: Diagnosis, *, lang: str, intent: str, product: str | None = None,
          names_en: dict[str, str] | None = None, complaint: str | None = None) -> str:
    """The reply an agent can copy. ``lang`` is the buyer's language (zh / en); ``names_en`` maps product ids to
    their English names, for an English reply; ``complaint`` the kind of a new complaint about the goods
    (missing_item / quality, see complaint_replies)."""
    lang = "zh" if lang == "zh" else "en"
    zh = lang == "zh"
    out = [APOLOGY[lang]]
    if d.order is not None and d.confirmed and complaint and d.code not in _COMPLAINT_OWN_STORY:
        out.append(complaint_reply(d.order, complaint, _head(d.order, lang, product, names_en), lang))
        if d.facts.get("picked"):
            out.append(NOT_THIS_ONE[lang])
    elif d.order is not None and d.confirmed:
        out.append(_found(d, lang, product, names_en))
        if d.order.resends:  # the after-sale's re-send, told apart from the order's own parcel
            out.append(aftersale_replies.resends(d.order.resends, lang, when))
        note = _intent_note(d, intent, lang)
        if note:
            out.append(note)
        if d.facts.get("picked"):  # chosen from the phone alone: the buyer may mean another order
            out.append(NOT_THIS_ONE[lang])
    elif d.code == "multiple_matches" and d.confirmed:
        n = d.facts.get("count", 2)
        out.append(f"在您的信息下查到{n}笔可能相关的订单，麻烦告诉我们是哪一笔（订单号），我们好准确为您查询。" if zh
                   else f"We found {n} orders that could be the one you mean. Could you tell us which one (the order "
                        "number), so we can check the right one?")
        if complaint in PHOTOS:
            out.append(PHOTOS[complaint][lang])
    elif d.code == "phone_mismatch":
        out.append(PHONE_MISMATCH[lang])
    elif d.code == "not_found_with_details" and d.facts.get("douyin_sync_behind"):
        out.append(sync_behind(d.facts.get("douyin_synced_up_to"), lang))
    elif d.code == "not_found_with_details" and d.facts.get("orders_for_identity"):
        out.append(_not_fitting(d, lang, product, names_en))
    elif d.code == "not_found_with_details":
        out.append("按您提供的信息，我们店铺里没有查到对应的订单。可能是用了其他抖音账号或App（如抖音极速版）下单，或者是在别的店铺购买的。"
                   "麻烦在「我的-订单」里找到这笔订单，把订单号发给我们；如果已经扣款却找不到订单，可以联系抖音平台客服凭支付记录查询。"
                   if zh else "We could not find a matching order in our shop with the details given. It may have been "
                   "placed with another Douyin account or app (such as Douyin Lite), or in another shop. Could you find "
                   "it under My orders and send us the order number? If money was taken but there is no order, Douyin "
                   "customer service can trace the payment from your payment record.")
    else:
        out.append(_ask_for(d.facts.get("missing"), lang))
        if d.facts.get("douyin_sync_behind"):
            out.append(sync_behind(d.facts.get("douyin_synced_up_to"), lang))
        elif intent in ("order_missing", "other"):  # an order that cannot be found: asked about where it was placed
            out.append(CHECK_ACCOUNT[lang])
        if complaint in PHOTOS:
            out.append(PHOTOS[complaint][lang])
    return ("" if zh else " ").join(out)
