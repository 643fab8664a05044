"""The after-sale part of a reply, by the case's status and whose move it is (QA D2, domain.md §4).

Why not one template: a buyer asking about a case needs to know what happens next and who does it. While it is the
merchant's move the reply says so, with the node deadline, and apologises once that deadline has passed; while it
is the buyer's move (send the goods back, confirm receipt, modify or appeal a rejection) it says what the buyer must
do; a rejection gives the merchant's recorded reason; a refunded case says the refund was made and when. Bank
arrival time is the payment channel's: the desk has no figure for it (domain.md gives none), so none is promised.
Statuses and whose move come from the after-sales capability (domain.WHOSE_MOVE, labels), not from here.
"""

from __future__ import annotations

from collections.abc import Callable

from .matching import AfterSaleFact


def in_language(lang: str, label: Callable[[str], str], key: str) -> str:
    """An after-sales label in the buyer's language, whatever language the desk's page is in."""
    from ..web.i18n import current_language

    token = current_language.set(lang)
    try:
        return label(key)
    finally:
        current_language.reset(token)


def _labels():
    try:
        from ..aftersales import labels
    except ImportError:
        return None
    return labels


def _status_text(a: AfterSaleFact, lang: str) -> str:
    labels = _labels()
    return in_language(lang, labels.status, a.status_key) if labels and a.status_key else a.status


def _kind_text(a: AfterSaleFact, lang: str) -> str:
    labels = _labels()
    return in_language(lang, labels.case_type, a.kind_key) if labels and a.kind_key else ""


def whose_move(a: AfterSaleFact) -> str | None:
    """merchant / buyer / platform, or None when the case is finished (or its status unknown)."""
    if a.whose_move or not a.status_key:
        return a.whose_move
    try:
        from ..aftersales.domain import WHOSE_MOVE, CaseStatus
    except ImportError:
        return None
    who = WHOSE_MOVE.get(CaseStatus(a.status_key))
    return who.value if who is not None else None


def refunded(a: AfterSaleFact) -> bool:
    """A finished case whose money went back to the buyer (a refund type, or the refund said it succeeded)."""
    if a.refund_status == "succeeded":
        return True
    if a.status_key != "succeeded":
        return False
    if a.kind_key is None:
        return "退款" in (a.status or "")
    from ..aftersales.domain import REFUND_TYPES, CaseType

    return CaseType(a.kind_key) in REFUND_TYPES


def aside(a: AfterSaleFact, lang: str) -> str:
    """The case mentioned after a parcel in trouble (QA pass 10, D21): what it is and its status, and no next step,
    since the next step may be to send back goods that have not arrived."""
    kind, status = _kind_text(a, lang), _status_text(a, lang)
    if lang == "zh":
        return (f"另外，这笔订单上的{kind or ''}售后申请（当前状态：{status}）我们也会一并跟进，"
                "包裹的情况核实清楚后再和您确认下一步。")
    named = f" \"{kind}\"" if kind else ""
    return (f" The order's after-sale request{named} (status: {status}) is being followed up as well; we will "
            "confirm the next step with you once the parcel is sorted out.")


def intro(a: AfterSaleFact, lang: str) -> str:
    """What the case is and its status, in the buyer's language (follows the order's head)."""
    kind, status = _kind_text(a, lang), _status_text(a, lang)
    if lang == "zh":
        return f"有一笔{kind}售后申请，当前状态：{status}。" if kind else f"有一笔售后申请，当前状态：{status}。"
    named = f" ({kind})" if kind else ""
    return f" has an after-sale request{named}; its current status is \"{status}\". "


def next_step(a: AfterSaleFact, lang: str, when: Callable) -> str:
    """What happens next and who does it."""
    who = whose_move(a)
    if who == "merchant":
        return _merchant(a, lang, when)
    if who == "buyer":
        return _buyer(a, lang, when)
    if who == "platform":
        return ("平台客服正在介入处理，结果由平台判定，请留意平台通知；"
                "如需补充材料，可以在订单详情的售后页面上传。" if lang == "zh"
                else "Douyin customer service is stepping in and the platform will decide; please watch for its "
                     "notice, and add any evidence on the after-sale page of the order.")
    return _finished(a, lang, when)


_MERCHANT_STEP = {
    "waiting_merchant": ("您的申请我们正在审核", "We are reviewing your request"),
    "waiting_receipt": ("您寄回的商品到了之后，我们会尽快验收确认", "Once your return reaches us we will check it and "
                                                                    "confirm receipt"),
    "waiting_merchant_ship": ("接下来由我们把商品寄给您，寄出后会告诉您运单号",
                              "Next we send the item to you, and we will give you the tracking number"),
    "refunding": ("接下来由我们为您退款", "Next we pay the refund to you"),
    "refund_failed": ("上一次退款没有成功，我们会重新为您退款", "The last refund did not go through; we will pay it "
                                                               "again"),
}


def _merchant(a: AfterSaleFact, lang: str, when: Callable) -> str:
    """The shop's move: what it does next, by when, and an apology once the node's deadline has passed."""
    zh = lang == "zh"
    if a.status_key == "refunding" and a.refund_status == "refunding":
        return ("退款已经发起，正在按原支付方式退回，具体到账时间以银行或支付渠道为准。" if zh
                else "The refund has been paid out and is on its way back the way you paid; when it reaches you "
                     "depends on your bank or payment channel.")
    step = _MERCHANT_STEP.get(a.status_key or "", ("我们会按流程尽快处理", "We are handling it"))[0 if zh else 1]
    t = when(a.deadline, lang) if a.deadline else ""
    if t and a.overdue:
        return (f"{step}。很抱歉，这一步已经超过了处理时限（{t}），是我们处理慢了，"
                "我们正在尽快处理，有进展会第一时间告诉您。" if zh
                else f"{step}. We are sorry: the deadline for this step ({t}) has passed and we are late; we are "
                     "dealing with it now and will update you as soon as it moves on.")
    if t:
        return (f"{step}，这一步的处理时限是{t}，有进展会第一时间告诉您。" if zh
                else f"{step}. This step is due by {t}; we will update you as soon as it moves on.")
    return f"{step}，有进展会第一时间告诉您。" if zh else f"{step}, and will update you as soon as it moves on."


def _buyer(a: AfterSaleFact, lang: str, when: Callable) -> str:
    """The buyer's move: what they must do and by when (a passed deadline means the case may close)."""
    t = when(a.deadline, lang) if a.deadline and not a.overdue else ""
    if a.status_key == "waiting_buyer_return":
        return _send_back(lang, t, when(a.deadline, lang) if a.deadline and a.overdue else "")
    if a.status_key == "waiting_buyer_receive":
        by = ((f"（{t}前没有确认的话，系统会自动确认收货）" if lang == "zh"
               else f" (it is confirmed automatically on {t})") if t else "")
        return (f"我们已经把商品寄给您了，收到后请在订单详情里确认收货{by}。"
                "如果一直没有收到，请告诉我们，我们马上联系快递核实。" if lang == "zh"
                else f"We have sent the item to you; once it arrives, please confirm receipt in the order details{by}."
                " If it does not arrive, tell us and we will check with the courier right away.")
    return _rejected(a, lang, t)


def _send_back(lang: str, by: str, missed: str) -> str:
    if missed:
        return (f"申请已经同意，需要您把商品寄回。寄回的时限（{missed}）已经过了："
                "如果您已经寄出，请把退货物流单号发给我们；"
                "如果售后已经关闭，可以在订单详情里重新申请。" if lang == "zh"
                else f"The request was accepted and the goods need to come back to us. The time to send them "
                     f"({missed}) has passed: if you did send them, please give us the return tracking number; if the "
                     "request has closed, you can apply again in the order details.")
    until = (f"，请在{by}之前寄出，逾期没有寄回的话售后会自动关闭" if lang == "zh"
             else f" by {by}; if nothing is sent by then the request closes") if by else ""
    return (f"申请已经同意，接下来需要您把商品寄回，并在订单详情的售后页面填写退货物流单号{until}。"
            "我们收到退货后会尽快处理。" if lang == "zh"
            else f"The request was accepted; the next step is yours: please send the goods back and "
            f"enter the return tracking number on the after-sale page of the order{until}. We will deal with it as "
            "soon as the return arrives.")


def reject_reason(a: AfterSaleFact, lang: str) -> str:
    """The merchant's recorded reason: the note in their words, and (in English) the reason code's name."""
    labels = _labels()
    code = in_language(lang, labels.reject_code, a.reject_code) if labels and a.reject_code else ""
    note = (a.reject_note or "").strip()
    if lang == "zh":
        return note or code
    return f"{code} (\"{note}\")" if code and note else code or note


def _rejected(a: AfterSaleFact, lang: str, by: str) -> str:
    """A rejection: why (when the merchant recorded it), and what the buyer can still do."""
    zh = lang == "zh"
    why = reject_reason(a, lang)
    said = (f"很抱歉，这笔售后申请没有通过，原因：{why}。" if why else "很抱歉，这笔售后申请没有通过。") if zh else (
        f"We are sorry: the request was not accepted. The reason: {why}. " if why
        else "We are sorry: the request was not accepted. ")
    if by:
        return said + (f"如果您有不同意见或补充材料（比如商品照片），可以在{by}之前在订单详情里修改申请重新提交，"
                       "或者申请平台介入，也可以直接告诉我们具体情况。" if zh
                       else "If you disagree or have more evidence (such as photos of the item), you can modify "
                       f"and resubmit the request in the order details by {by}, or ask the platform to step in; you "
                       "are also welcome to tell us what happened.")
    return said + ("如果问题还没有解决，请告诉我们具体情况，我们帮您看看怎么处理。" if zh
                   else "If the problem is not solved, tell us what happened and we will see what can be done.")


def _finished(a: AfterSaleFact, lang: str, when: Callable) -> str:
    zh = lang == "zh"
    if refunded(a):
        return refund_made(a, lang, when)
    if a.status_key == "succeeded":
        return ("这笔售后已经完成，如果还有问题，请告诉我们。" if zh
                else "This after-sale is complete; if anything is still wrong, please tell us.")
    if a.status_key == "closed":
        return ("这笔售后已经关闭。如果问题还没有解决，可以在订单详情里重新申请售后，或者直接告诉我们具体情况。" if zh
                else "This after-sale request is closed. If the problem is not solved, you can apply again in the "
                     "order details, or tell us what happened.")
    return ("我们会按流程尽快处理，有进展会第一时间告诉您。" if zh
            else "We are handling it and will let you know as soon as it moves on.")


def refund_made(a: AfterSaleFact, lang: str, when: Callable) -> str:
    """The refund was made (and when, if the desk knows); arrival is the payment channel's, not a promise."""
    if lang == "zh":
        on = f"已于{when(a.refunded_at, lang)}" if a.refunded_at else "已经"
        return (f"退款{on}完成，会按原支付方式退回到您的支付账户（银行卡、支付宝、微信或抖音支付等）。"
                "具体到账时间由银行或支付渠道处理，一般退款成功后会很快到账，个别银行会慢一些；"
                "如果迟迟没有看到，可以在支付渠道里查看退款记录，或者告诉我们，我们帮您核实。")
    on = f" on {when(a.refunded_at, lang)}" if a.refunded_at else ""
    return (f"The refund was made{on}: the money goes back the way you paid (bank card, Alipay, WeChat Pay or "
            "Douyin Pay). When it shows up is up to your bank or payment channel; it usually arrives soon after the "
            "refund, though some banks take longer. If you do not see it, check the refund record in your payment "
            "app, or tell us and we will look into it.")


def resends(order_resends: tuple, lang: str, when: Callable) -> str:
    """The parcels an after-sale case re-sent (补寄) as the buyer should hear of them: named as the re-send, apart
    from the order's own parcel (which the reply has described), with the carrier, the number and where it is as
    the data shows (its state and latest scan), and nothing promised beyond that."""
    try:
        from ..logistics import labels
    except ImportError:
        return ""
    zh = lang == "zh"
    out = []
    for r in order_resends:
        carrier = in_language(lang, labels.carrier, r.carrier) if r.carrier else ""
        state = in_language(lang, labels.state, r.state) if r.state else ""
        if zh:
            text = f"售后补寄的包裹（售后单 {r.case_id}）：{carrier or '快递'}运单号 {r.tracking_no}"
            text += f"，目前{state}" if state else ""
            text += f"，最新物流：{r.last_event}（{when(r.last_event_at, lang)}）" if r.last_event else ""
            text += "。"
            if r.anomalies:
                text += "补寄包裹的物流有些异常，我们会马上联系快递核实，并把结果告诉您。"
        else:
            text = (f"The parcel we re-sent for your after-sale request ({r.case_id}): {carrier or 'courier'} "
                    f"tracking number {r.tracking_no}")
            text += f", now {state.lower()}" if state else ""
            text += f"; latest update: {r.last_event} ({when(r.last_event_at, lang)})" if r.last_event else ""
            text += "."
            if r.anomalies:
                text += " Its tracking shows a problem; we are contacting the courier and will update you."
        out.append(text)
    return ("" if zh else " ").join(out)
