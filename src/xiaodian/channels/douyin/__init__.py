"""Douyin Open Platform (抖店开放平台) connection: signed client, order sync, push receiver, reconciliation.

Importing the package registers the after-sales desk's decision listener, so a merchant's agree / reject is
queued for afterSale.operate (operate.py) without the after-sales capability importing this channel."""


def _on_aftersale_decision(session, case, *, action, from_status, version, given, now) -> None:
    from ...orders.models import Order
    from .operate import queue_aftersale_operate

    order = session.get(Order, case.order_pk)
    queue_aftersale_operate(session, shop_id=case.shop_id, aftersale_id=case.aftersale_id,
                            order_id=order.order_id if order is not None else "", case_type=case.case_type,
                            from_status=from_status, action=action, version=version, now=now,
                            reject_code=given.reject_code, note=given.note)


def _register() -> None:
    from ...aftersales.service import register_decision_listener

    register_decision_listener(_on_aftersale_decision)


_register()
