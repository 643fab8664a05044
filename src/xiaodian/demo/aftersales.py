"""The demo shop's after-sale cases, walked through the after-sales service step by step.

Why: the after-sales desk and its 品退率 page need real cases to show: every type (退货退款, 已发货/未发货仅退款, 换货,
价保, 补寄, 维修) and every status, buyer reasons in both families, some changed later by the buyer (the history the
desk keeps), contacts with buyers, and deadlines near and past. Cases follow the orders' own fates (the 售后状态 text
each SKU order carries) so an order and its case never disagree; a few extra cases on completed orders cover the
types and outcomes the fates do not produce. Each case is opened and moved by the same service calls import, sync
and merchants use, so its history and the order's timeline read like the real thing. Seeded: the same ``now`` and
seed give the same cases.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from ..accounts.service import Principal
from ..aftersales import reasons, service
from ..aftersales.domain import Action, ActionInput, CaseStatus, CaseType
from ..db import transaction
from ..orders.domain import OrderRecord, OrderStatus

DEMO_CS = Principal(user_id=None, login="demo-客服", role="cs", channel="demo")
QUALITY = ("商品破损/污渍", "质量问题", "少件/漏发", "发错货", "重量/数量/尺寸/规格与描述不符", "做工粗糙/有瑕疵")
QUALITY_W = (30, 25, 12, 8, 15, 10)
NOT_QUALITY_SHIPPED = ("七天无理由", "多拍/拍错/不想要", "物流/快递问题", "价格原因", "其他")
NOT_QUALITY_UNSHIPPED = ("地址填错", "多拍/拍错/不想要", "未按约定时间发货", "其他")
REMARKS = {"商品破损/污渍": "米袋破了，撒了一些", "质量问题": "米里有小虫", "少件/漏发": "买了两袋只收到一袋",
           "发错货": "买的长粒香，收到的是圆粒", "重量/数量/尺寸/规格与描述不符": "称了只有4.6kg",
           "七天无理由": "不想要了", "地址填错": "地址写错了小区"}
CONTACTS = [("feige", "联系买家了解情况，买家发来开箱照片", "确认问题，按买家意愿处理"),
            ("phone", "电话沟通，买家说明了收到时的情况", "买家接受退款"),
            ("sms", "短信告知退货地址和寄回方式", "买家已知晓")]


def _reason(rng: random.Random, shipped: bool) -> service.BuyerReason:
    if shipped and rng.random() < 0.45:
        text = rng.choices(QUALITY, QUALITY_W)[0]
        evidence = rng.randint(1, 6)
    else:
        text = rng.choice(NOT_QUALITY_SHIPPED if shipped else NOT_QUALITY_UNSHIPPED)
        evidence = 0
    return service.BuyerReason(text, remark=REMARKS.get(text) if rng.random() < 0.6 else None, evidence_count=evidence)


# The steps that take a new case (waiting_merchant) to each status, per flow: (action, facts).
RETURN = [(Action.AGREE, {}), (Action.SHIP_RETURN, {"tracking_no": "YT"})]
PATHS = {
    CaseStatus.WAITING_MERCHANT: [],
    CaseStatus.REFUNDING: [(Action.AGREE, {})],
    CaseStatus.WAITING_BUYER_RETURN: [(Action.AGREE, {})],
    CaseStatus.WAITING_RECEIPT: RETURN,
    CaseStatus.WAITING_MERCHANT_SHIP: [(Action.AGREE, {})],
    CaseStatus.WAITING_BUYER_RECEIVE: [(Action.AGREE, {}), (Action.RESHIP, {"tracking_no": "SF"})],
    CaseStatus.REJECTED: [(Action.REJECT, {})],
    CaseStatus.ARBITRATING: [(Action.REJECT, {}), (Action.APPEAL, {})],
    CaseStatus.REJECTED_SECOND: [*RETURN, (Action.REJECT, {})],
    CaseStatus.REFUND_FAILED: [(Action.AGREE, {}), (Action.REFUND_FAILED, {})],
}


def _path(kind: CaseType, target: CaseStatus, rng: random.Random) -> list[tuple[Action, dict]]:
    if target is CaseStatus.SUCCEEDED:
        return {CaseType.RETURN_REFUND: [*RETURN, (Action.RECEIVE, {}), (Action.REFUND, {})],
                CaseType.EXCHANGE: [*RETURN, (Action.RECEIVE, {}), (Action.RESHIP, {"tracking_no": "SF"}),
                                    (Action.AUTO_CONFIRM, {})],
                CaseType.REPAIR: [*RETURN, (Action.RECEIVE, {}), (Action.RESHIP, {"tracking_no": "SF"}),
                                  (Action.CONFIRM_RECEIPT, {})],
                CaseType.RESEND: [(Action.AGREE, {}), (Action.RESHIP, {"tracking_no": "SF"}),
                                  (Action.CONFIRM_RECEIPT, {})]}.get(kind, [(Action.AGREE, {}), (Action.REFUND, {})])
    if target is CaseStatus.CLOSED:
        return [(Action.CANCEL, {})] if rng.random() < 0.6 else [(Action.REJECT, {}), (Action.AUTO_CLOSE, {})]
    if target is CaseStatus.WAITING_MERCHANT_SHIP and kind in (CaseType.EXCHANGE, CaseType.REPAIR):
        return [*RETURN, (Action.RECEIVE, {})]
    return PATHS[target]


def _step(session, shop_id: int, case, action: Action, facts: dict, at: datetime, rng: random.Random,
          number: int) -> None:
    tracking = f"{facts['tracking_no']}{7_000_000_000_000 + number:013d}" if "tracking_no" in facts else None
    if action in (Action.AGREE, Action.REJECT, Action.RECEIVE, Action.REFUND, Action.RESHIP):
        given = ActionInput(
            reject_code=rng.choice(("evidence_insufficient", "beyond_policy", "agreed_other_solution")),
            note="已与买家沟通，照片看不出问题" if action is Action.REJECT else None,
            inspection=rng.choices(("as_expected", "damaged", "parts_missing"), (80, 15, 5))[0],
            tracking_no=tracking, carrier="顺丰速运" if tracking else None)
        service.merchant_action(session, shop_id=shop_id, aftersale_id=case.aftersale_id, action=action, given=given,
                                principal=DEMO_CS, now=at)
    elif action in (Action.AUTO_CONFIRM, Action.AUTO_CLOSE, Action.REFUND_FAILED):
        service.platform_event(session, case, action, now=at, source="demo")
    else:
        service.buyer_event(session, case, action, now=at, source="demo", tracking_no=tracking,
                            carrier="圆通速递" if tracking else None)


def _kind_for(rng: random.Random, status: CaseStatus, text: str, shipped: bool) -> CaseType:
    kind = reasons.guess_type_from_order(status, shipped, text)
    if kind is CaseType.REFUND_SHIPPED and status in (CaseStatus.WAITING_MERCHANT, CaseStatus.SUCCEEDED,
                                                       CaseStatus.CLOSED):
        return rng.choice((CaseType.RETURN_REFUND, CaseType.REFUND_SHIPPED))
    return kind


def _plans(records: list[OrderRecord], rng: random.Random, now: datetime) -> list[dict]:
    """One plan per SKU order with a 售后状态, plus extra cases on completed orders for the other types."""
    plans = []
    for rec in records:
        for item in rec.items:
            status = reasons.status_from_text(item.after_sale_status)
            if status is None:
                continue
            shipped = rec.shipped_at is not None
            base = rec.shipped_at + timedelta(days=rng.uniform(1, 3)) if shipped else rec.paid_at + timedelta(minutes=30)
            end = rec.cancelled_at or rec.completed_at or now
            applied = min(base, end - timedelta(hours=2), now - timedelta(hours=rng.uniform(1, 30)))
            if rec.paid_at and applied <= rec.paid_at:
                applied = rec.paid_at + timedelta(minutes=5)
            plans.append({"record": rec, "item": item, "status": status, "applied": applied, "shipped": shipped,
                          "kind": _kind_for(rng, status, item.after_sale_status or "", shipped)})
    completed = [r for r in records if r.status is OrderStatus.COMPLETED and not any(i.after_sale_status for i in r.items)
                 and r.completed_at and now - r.completed_at < timedelta(days=20)]
    extras = [(CaseType.EXCHANGE, CaseStatus.SUCCEEDED), (CaseType.EXCHANGE, CaseStatus.WAITING_RECEIPT),
              (CaseType.EXCHANGE, CaseStatus.WAITING_MERCHANT_SHIP), (CaseType.PRICE_PROTECTION, CaseStatus.SUCCEEDED),
              (CaseType.PRICE_PROTECTION, CaseStatus.WAITING_MERCHANT), (CaseType.REPAIR, CaseStatus.WAITING_BUYER_RETURN),
              (CaseType.REPAIR, CaseStatus.SUCCEEDED), (CaseType.RESEND, CaseStatus.WAITING_BUYER_RECEIVE),
              (CaseType.RETURN_REFUND, CaseStatus.ARBITRATING), (CaseType.RETURN_REFUND, CaseStatus.REJECTED_SECOND),
              (CaseType.REFUND_SHIPPED, CaseStatus.REJECTED), (CaseType.RETURN_REFUND, CaseStatus.WAITING_RECEIPT),
              (CaseType.REFUND_SHIPPED, CaseStatus.REFUND_FAILED)]
    for rec, (kind, status) in zip(rng.sample(completed, min(len(completed), len(extras))), extras, strict=False):
        applied = max(rec.completed_at - timedelta(days=rng.uniform(0.5, 2)), rec.shipped_at + timedelta(hours=20))
        plans.append({"record": rec, "item": rec.items[0], "status": status, "applied": min(applied, now - timedelta(hours=3)),
                      "shipped": True, "kind": kind})
    return plans


def _refund_of(rec: OrderRecord, item, kind: CaseType) -> int:
    """The amount the buyer applied for: the item's; a one-item order refunded before shipping gets its postage back
    too, as the platform pays it (the whole order is cancelled)."""
    if kind is CaseType.REFUND_UNSHIPPED and len(rec.items) == 1:
        return item.amount_fen + (rec.post_amount_fen or 0)
    return item.amount_fen


def build_demo_aftersales(ctx, shop_id: int, records: list[OrderRecord], now: datetime, seed: int) -> dict:
    """Open and walk every planned case; returns counts by type and status for the demo summary."""
    rng = random.Random(seed * 7 + 6)
    counts: dict[str, int] = {}
    from sqlalchemy import select

    from ..aftersales.models import AfterSaleCase

    with transaction(ctx.sessions) as session:
        known = set(session.execute(select(AfterSaleCase.aftersale_id).where(AfterSaleCase.shop_id == shop_id)).scalars())
        for number, plan in enumerate(_plans(records, rng, now)):
            rec, item, kind, target = plan["record"], plan["item"], plan["kind"], plan["status"]
            aftersale_id = f"71{number:05d}{rec.order_id[-12:]}"
            if aftersale_id in known:  # a rebuild on the same database: the case is already there
                continue
            if kind is CaseType.PRICE_PROTECTION:
                reason = service.BuyerReason("价格原因", remark="买完就降价了")
            else:
                reason = _reason(rng, plan["shipped"])
            case = service.open_case(
                session, shop_id=shop_id, aftersale_id=aftersale_id, order_id=rec.order_id,
                sku_order_id=item.sku_order_id, case_type=kind, applied_at=plan["applied"], now=plan["applied"],
                source="demo", principal=None, reason=reason, quantity=item.quantity,
                refund_fen=500 if kind is CaseType.PRICE_PROTECTION else _refund_of(rec, item, kind))
            steps = _path(kind, target, rng)
            span = max((now - plan["applied"]) * 0.8, timedelta(minutes=10))
            at = plan["applied"]
            # Buyers sometimes change their reason on the platform: mostly away from a quality reason (the change
            # the 品退率 page shows both ways), now and then to one once they look closer at the goods.
            change = 0.25 if reason.text in QUALITY else 0.06
            if plan["shipped"] and rng.random() < change and steps[:1] != [(Action.CANCEL, {})]:
                changed = service.BuyerReason(rng.choice(NOT_QUALITY_SHIPPED if reason.text in QUALITY else QUALITY))
                service.buyer_event(session, case, Action.MODIFY, now=at + timedelta(hours=1), source="demo",
                                    reason=changed)
                at += timedelta(hours=1)
            if rng.random() < 0.3:
                channel, summary, outcome = rng.choice(CONTACTS)
                service.add_contact(session, shop_id=shop_id, aftersale_id=case.aftersale_id, channel=channel,
                                    summary=summary, outcome=outcome, principal=DEMO_CS,
                                    now=min(at + timedelta(minutes=20), now))
            for i, (action, facts) in enumerate(steps):
                at = at + span / (len(steps) + 1)
                _step(session, shop_id, case, action, facts, min(at, now), rng, number * 10 + i)
            key = f"{kind.value}:{case.status}"
            counts[key] = counts.get(key, 0) + 1
    return counts
