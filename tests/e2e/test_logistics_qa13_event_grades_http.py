"""QA pass 13, #8 through the app: on /logistics a parcel refused half an hour ago reads 需立即处理, not 严重超时,
while a parcel 59 h without a pickup scan still reads 严重超时; both stay at the top of the work list; the severity
filter, the API and the CLI use the same new code (urgent); a case graded 严重超时 before this change is relabelled by
the next scan without a history line."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from xiaodian.db import transaction
from xiaodian.logistics.jobs import scan_shop
from xiaodian.logistics.models import Anomaly, AnomalyAction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW
from ..factories import make_record
from ..integration.test_logistics_qa9_one_case_per_parcel import scans

H = timedelta(hours=1)
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
REFUSED, AWAITING = "6979549680127831316", "6979549680127831320"
REFUSED_NO, AWAITING_NO = "351105338975601", "351105338975602"


def seed(ctx, shop_id):
    """The report's 拒签 (refused 33 minutes before the scan) and a parcel 59 h without a pickup scan."""
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(order_id=REFUSED, status=OrderStatus.SHIPPED, carrier="韵达快递", tracking_no=REFUSED_NO,
                        shipped_at=NOW - 40 * H),
            make_record(order_id=AWAITING, status=OrderStatus.SHIPPED, carrier="韵达快递", tracking_no=AWAITING_NO,
                        shipped_at=NOW - 59 * H)])
    scans(ctx, shop_id, REFUSED_NO, (NOW - 39 * H, 1, "【哈尔滨市】五常营业部 已揽收", "五常市"),
          (NOW - timedelta(minutes=33), 14, "收件人拒收，快件将退回寄件人", "东莞南城街道营业部"))
    scan_shop(ctx.sessions, shop_id, NOW, full=True)


def grades(html: str) -> dict[str, str]:
    """kind → the grade shown on its worklist row."""
    row = r'<tr data-anomaly-id="\d+" data-kind="(\w+)">\s*<td><span class="sev sev-\w+">([^<]+)</span>'
    return dict(re.findall(row, html))


def test_a_fresh_refusal_needs_action_now_and_the_overdue_pickup_stays_seriously_timed_out(ctx, shop_id,
                                                                                          owner_client):
    seed(ctx, shop_id)
    page = owner_client.get("/logistics").text
    assert grades(page) == {"refused": "需立即处理", "pickup_timeout": "严重超时"}
    assert re.search(r'<option value="urgent"\s*>需立即处理</option>', page)
    listing = owner_client.get("/api/v1/anomalies").json()["anomalies"]
    assert {(c["kind"], c["severity"]) for c in listing} == {("pickup_timeout", "serious"), ("refused", "urgent")}
    urgent = owner_client.get("/api/v1/anomalies", params={"severity": "urgent"}).json()["anomalies"]
    assert [c["order_id"] for c in urgent] == [REFUSED]
    assert grades(owner_client.get("/logistics", params={"severity": "urgent"}).text) == {"refused": "需立即处理"}
    assert grades(owner_client.get("/logistics", params={"severity": "serious"}).text) == {
        "pickup_timeout": "严重超时"}


def test_the_cli_lists_the_same_code(ctx, shop_id, cli_env):
    seed(ctx, shop_id)
    result = CliRunner().invoke(cli_env, ["anomalies", "--json"])
    assert result.exit_code == 0, result.output
    assert {(a["kind"], a["severity"]) for a in json.loads(result.output)} == {("pickup_timeout", "serious"),
                                                                             ("refused", "urgent")}


def test_a_refusal_graded_before_the_change_is_relabelled_by_the_next_scan(ctx, shop_id):
    seed(ctx, shop_id)
    with transaction(ctx.sessions) as session:  # as the desk stored it before QA pass 13
        session.execute(update(Anomaly).where(Anomaly.kind == "refused").values(severity="serious"))
    report = scan_shop(ctx.sessions, shop_id, NOW + H, full=True)
    assert (report.raised, report.escalated, report.resolved) == (0, 0, 0)
    with ctx.sessions() as session:
        case = session.execute(select(Anomaly).where(Anomaly.kind == "refused")).scalar_one()
        actions = session.execute(select(AnomalyAction.action).where(AnomalyAction.anomaly_id == case.id)).scalars()
        assert (case.severity, case.severity_level, list(actions)) == ("urgent", 3, ["detected"])


def test_the_kind_tabs_count_under_the_chosen_grade(ctx, shop_id, owner_client):
    """QA pass 15, #4: with 等级 set, the kind tabs kept every open case's count, so a tab's number opened a list of
    another length (疑难件 7 → 0). They now count under the page's other filters."""
    seed(ctx, shop_id)

    def tabs(**params) -> dict[str, str]:
        page = owner_client.get("/logistics", params=params).text
        found = dict(re.findall(r'data-kind="(\w+)"[^>]*>[^<]+<span class="count">(\d+)</span>', page))
        total = re.search(r'>全部类型<span class="count">(\d+)</span>', page).group(1)
        return {**found, "all": total}

    every = tabs()
    assert (every["refused"], every["pickup_timeout"], every["all"]) == ("1", "1", "2")
    urgent = tabs(severity="urgent")
    assert (urgent["refused"], urgent["pickup_timeout"], urgent["all"]) == ("1", "0", "1")
