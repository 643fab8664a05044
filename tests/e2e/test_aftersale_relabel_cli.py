"""``xiaodian aftersales relabel`` puts right the after-sale labels a database wrote before they followed the cases
(QA orders D3): once run, a stale 待商家处理 on an agreed refund says 待退款; run again, it changes nothing."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import text

from xiaodian.aftersales import service
from xiaodian.aftersales.domain import Action, ActionInput, CaseType
from xiaodian.db import transaction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, cli_desk
from ..factories import make_record

ORDER = "6938459704022656025"
CASE = "7400000000000000001"


def _seed(ctx, shop_id):
    """An agreed refund whose order still carries the export's 待商家处理, as the desk left it before the fix."""
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record(
            ORDER, status=OrderStatus.SHIPPED, shipped_at=NOW - timedelta(days=1), after_sale_status="待商家处理")])
        service.open_case(session, shop_id=shop_id, aftersale_id=CASE, order_id=ORDER, sku_order_id=None,
                          case_type=CaseType.REFUND_SHIPPED, applied_at=NOW - timedelta(hours=3), now=NOW,
                          source="sync", principal=None, refund_fen=8990)
        service.merchant_action(session, shop_id=shop_id, aftersale_id=CASE, action=Action.AGREE,
                                given=ActionInput(), principal=service.Principal(None, "cs", "cs", "cli"), now=NOW)
        session.flush()
        session.execute(text("UPDATE orders SET after_sale_status = '待商家处理'"))
        session.execute(text("UPDATE order_items SET after_sale_status = '待商家处理'"))


def test_relabel_writes_stale_labels_from_the_cases_once(tmp_path):
    run = cli_desk(tmp_path, _seed)
    assert json.loads(run("orders", "show", ORDER, "--json").output)["after_sale_status"] == "待商家处理"
    first = run("aftersales", "relabel", "--json")
    assert first.exit_code == 0, first.output
    assert json.loads(first.output) == {"orders_relabelled": 1}
    shown = json.loads(run("orders", "show", ORDER, "--json").output)
    assert shown["after_sale_status"] == "待退款"
    assert json.loads(run("aftersales", "relabel", "--json").output) == {"orders_relabelled": 0}
