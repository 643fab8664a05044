"""Replies to a new complaint about the goods (QA pass 9, #7): an item missing from the parcel (少件/漏发) or a
quality problem (有虫子, 发霉, 破损, 发错货 …), for the buyer's order found. Pure.

Why apart from the after-sale progress replies: the buyer is not asking where a case stands but reporting a
problem, so the reply says what the order's state allows. An order not shipped yet cannot be short of anything:
that is said, not a pending refund on it. For goods sent, the buyer is asked for photos (parcel, waybill, goods)
and shown where to open the after-sale with the reason the platform lists (少件/漏发, 质量问题): the platform
counts these reasons toward the shop's quality-return rate, and the desk never steers a buyer to another reason
(domain.md §4). No refund, re-send or compensation is promised before the desk has checked.
"""

from __future__ import annotations

from .diagnosis import UNSHIPPED
from .matching import OrderFacts

KINDS = ("missing_item", "quality")
# With no one order found yet: the photos the desk will need, asked for together with the order details.
PHOTOS = {
    "missing_item": {"zh": "另外麻烦拍一下包裹、快递面单和收到的商品照片发给我们，方便核实。",
                     "en": "Please also send photos of the parcel, its shipping label and the items received, so that "
                           "we can check."},
    "quality": {"zh": "另外麻烦拍一下商品问题和外包装（含生产日期）的照片发给我们，方便核实。",
                "en": "Please also send photos of the problem and of the packaging (with the production date), so "
                      "that we can check."},
}


def complaint_reply(order: OrderFacts, complaint: str, head: str, lang: str) -> str:
    """``head`` is the found-order sentence start ("查到您11月20日下的订单（…）"); the rest by the order's state."""
    zh = lang == "zh"
    if order.status in UNSHIPPED:
        if complaint == "missing_item":
            return (head + "，目前还没有发货，所以还不会少发；发货时会按订单里的数量一起发出。"
                    "如果您说的是另一笔已经收到的订单，麻烦把订单号发给我们，我们马上核实。" if zh
                    else head + ": it has not shipped yet, so nothing can be missing from it; it will ship with every "
                    "item ordered. If you mean another order you have received, please send us its order number "
                    "and we will check right away.")
        return (head + "，目前还没有发货。如果您说的是另一笔已经收到的订单，"
                "麻烦把订单号发给我们，我们马上核实处理。" if zh
                else head + ": it has not shipped yet. If you mean another order you have received, please send us "
                "its order number and we will look into it right away.")
    if complaint == "missing_item":
        part = ("其中部分商品已发出，其余商品还在备货中，会另外发出；" if zh
                else "part of it has shipped and the rest is still being prepared and will follow; ")
        return (head + "，非常抱歉。" + (part if order.status == "partially_shipped" else "")
                + "如果收到的包裹里确实少了商品，麻烦拍一下包裹、快递面单和收到的商品照片发给我们，"
                "我们核实后尽快为您处理；"
                "也可以在订单详情里申请售后，原因选「少件/漏发」。" if zh
                else head + ". We are sorry: " + (part if order.status == "partially_shipped" else "")
                + "if something is missing from the parcel you received, please send us photos of the parcel, its "
                "shipping label and the items received, and we will check and handle it promptly; you can also "
                "request an after-sale service in the order details with the reason “missing item”.")
    return (head + "，商品出现这样的问题，非常抱歉。麻烦拍一下商品问题和外包装（含生产日期）的照片发给我们；"
            "也可以在订单详情里直接申请退货退款，原因选「质量问题」，我们收到后会尽快处理。" if zh
            else head + ". We are sorry the goods arrived like this. Please send us photos of the problem and of the "
            "packaging (with the production date); you can also request a return and refund in the order details "
            "with the reason “quality problem”, and we will handle it promptly.")
