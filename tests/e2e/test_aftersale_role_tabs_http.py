"""The after-sales list offers as work only what the role can do (QA care D9): warehouse staff, who may not decide
after-sales (aftersales.decide), get no 待我处理 / 即将超时 tab and no 处理 button, while cs and the owner keep them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from xiaodian.aftersales import service
from xiaodian.aftersales.domain import CaseType
from xiaodian.db import transaction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, login
from ..factories import make_record

ORDER = "6938459704022656025"
CASE = "7200000000000000001"


@pytest.fixture
def desk(ctx, shop_id, users):
    """One case waiting for the merchant, its deadline 8 hours away (待我处理 and 即将超时)."""
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record(
            order_id=ORDER, status=OrderStatus.SHIPPED, shipped_at=NOW - timedelta(days=1))])
        service.open_case(session, shop_id=shop_id, aftersale_id=CASE, order_id=ORDER, sku_order_id=None,
                          case_type=CaseType.REFUND_SHIPPED, applied_at=NOW - timedelta(hours=40), now=NOW,
                          source="sync", principal=None, refund_fen=8990)
    return ctx


def _page(app, role: str, url: str = "/aftersales") -> str:
    with TestClient(app) as client:
        login(client, role)
        return client.get(url).text


def test_warehouse_is_not_shown_after_sale_work_it_cannot_do(app, desk):
    page = _page(app, "warehouse")
    assert 'data-tab="todo"' not in page and 'data-tab="due_soon"' not in page
    assert 'data-tab="all" class="active"' in page and f'data-aftersale-id="{CASE}"' in page
    assert 'class="button primary"' not in page  # 查看 (Details), not 处理 (Handle)
    assert 'data-tab="all" class="active"' in _page(app, "warehouse", "/aftersales?tab=todo")


@pytest.mark.parametrize("role", ["owner", "cs"])
def test_roles_that_decide_start_on_waiting_for_me_with_a_handle_button(app, desk, role):
    page = _page(app, role)
    assert 'data-tab="todo" class="active"' in page and 'data-tab="due_soon"' in page
    assert 'class="button primary"' in page
