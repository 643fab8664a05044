"""The assistant's after-sale fact on the desk page names the case's status and its refund progress once each: an
agreed refund not yet paid read "Refund pending · Refund pending" (待退款 · 待退款), and one under way read "Refund
pending · Refunding" (QA #4). The case status reads as the after-sales list reads it (labels.case_status)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from xiaodian.aftersales import service
from xiaodian.aftersales.domain import Action, CaseType
from xiaodian.aftersales.models import AfterSaleCase
from xiaodian.db import transaction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, csrf_of
from ..factories import make_record

ORDER = "6938459704022656077"
CASE = "7200000000000000077"


@pytest.fixture
def agreed_refund(ctx, shop_id):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW,
                      records=[make_record(order_id=ORDER, status=OrderStatus.AWAITING_SHIPMENT)])
        case = service.open_case(session, shop_id=shop_id, aftersale_id=CASE, order_id=ORDER, sku_order_id=None,
                                 case_type=CaseType.REFUND_UNSHIPPED, applied_at=NOW - timedelta(hours=40), now=NOW,
                                 source="sync", principal=None, reason=service.BuyerReason("不想要了"),
                                 refund_fen=8990)
        service.platform_event(session, case, Action.AUTO_AGREE, now=NOW, source="sync")
    return ctx


def after_sale_line(client, language: str) -> str:
    client.get(f"/lang/{language}")
    page = client.post("/inquiries", data={"message": "Where is my refund?", "phone": "", "order_id": ORDER,
                                           "at": "2026-11-24T18:00", "csrf_token": csrf_of(client, "/inquiries")})
    assert page.status_code == 200
    found = re.search(r'<dd data-fact="after_sale">([^<]*)</dd>', page.text)
    assert found, page.text
    return found.group(1)


def test_an_agreed_refund_not_yet_paid_reads_refund_pending_once(agreed_refund, owner_client):
    line = after_sale_line(owner_client, "en")
    assert line.count("Refund pending") == 1, line
    assert line.startswith("Refund only (not shipped) · Refund pending")
    line = after_sale_line(owner_client, "zh")
    assert line.count("待退款") == 1, line


def test_a_refund_under_way_reads_refunding_not_refund_pending(agreed_refund, owner_client):
    with transaction(agreed_refund.sessions) as session:
        case = session.execute(select(AfterSaleCase).where(AfterSaleCase.aftersale_id == CASE)).scalar_one()
        service.refund_progress(session, case, "refunding", at=NOW, now=NOW, source="sync")
    line = after_sale_line(owner_client, "en")
    assert line.count("Refunding") == 1 and "Refund pending" not in line, line
