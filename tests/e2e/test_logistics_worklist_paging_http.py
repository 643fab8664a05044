"""QA pass 7 on the logistics desk: the worklist is paged and counts the parcels of every matching case, the API
pages with ``offset`` (#3); the case page names the tracking scans' state in words and not by its raw code, and the
carriers as the ship form does (#15); the notice after an action reads as a sentence (#14); the English "Order no."
line separates items with "; " (#13)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from xiaodian.db import transaction
from xiaodian.logistics import pages
from xiaodian.logistics.jobs import scan_shop
from xiaodian.orders.domain import ItemRecord, OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.shipping.domain import CARRIER_BY_CODE

from ..conftest import NOW, csrf_of
from ..factories import make_record
from .test_logistics_http import returning_and_stalled

ROW = re.compile(r'<tr data-anomaly-id="(\d+)" data-kind="(\w+)">(.*?)</tr>', re.DOTALL)
ALSO = re.compile(r'<a href="/logistics/anomalies/(\d+)" data-also-kind=')


def overdue(ctx, shop_id, n: int, carrier: str = "中通快递") -> list[str]:
    """``n`` parcels shipped 30 h ago and never picked up: one 揽收超时 case each."""
    ids = [f"69384597040227{i:05d}" for i in range(n)]
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record(
            order_id=oid, status=OrderStatus.SHIPPED, carrier=carrier, tracking_no=f"731000000{i:05d}",
            shipped_at=NOW - timedelta(hours=30 + i)) for i, oid in enumerate(ids)])
    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    return ids


@pytest.fixture
def seven_parcels(ctx, shop_id):
    """Seven parcels needing attention: five overdue for pickup, two returning that stopped moving (both 退回 and
    物流停滞: one case each since QA pass 9, #10)."""
    overdue(ctx, shop_id, 5)
    returning_and_stalled(ctx, shop_id, "6938459704022650001", "73100000090001")
    returning_and_stalled(ctx, shop_id, "6938459704022650002", "73100000090002")


def rows_of(html: str) -> list[tuple[str, str, list[str]]]:
    return [(case_id, kind, ALSO.findall(body)) for case_id, kind, body in ROW.findall(html)]


def test_the_worklist_pages_by_parcel_and_every_case_is_reachable(seven_parcels, owner_client,
                                                                  monkeypatch):
    monkeypatch.setattr(pages, "PAGE_SIZE", 3)
    listing = owner_client.get("/api/v1/anomalies").json()
    assert (listing["total"], listing["parcels"]) == (7, 7)
    first = owner_client.get("/logistics").text
    # The parcels of every case, not of the page's rows; and the page says it is one of several.
    assert "7 个包裹需要处理" in first and "个异常" not in first
    assert "本页显示第 1–3 行，共 7 行，每页 3 行" in first
    assert '<nav class="pager"' in first and 'href="/logistics?page=2"' in first and 'href="/logistics?page=3"' in first
    seen, order = [], []
    for number in (1, 2, 3):
        html = owner_client.get(f"/logistics?page={number}").text
        rows = rows_of(html)
        assert len(rows) == (3 if number < 3 else 1)
        for case_id, _kind, others in rows:
            order.append(case_id)
            seen += [case_id, *others]
    assert sorted(seen) == sorted(c["id"] for c in listing["anomalies"])  # every case, each once
    # The rows keep the list's order: each parcel where its most urgent case comes.
    leads, parcels = [], set()
    for case in listing["anomalies"]:
        if case["tracking_no"] not in parcels:
            parcels.add(case["tracking_no"])
            leads.append(case["id"])
    assert order == leads
    past = owner_client.get("/logistics?page=9")  # a page past the end: the last one
    assert past.status_code == 200 and [r[0] for r in rows_of(past.text)] == order[-1:]


def test_one_kinds_list_is_paged_by_case_and_a_short_list_has_no_pager(ctx, shop_id, owner_client, monkeypatch):
    overdue(ctx, shop_id, 5)
    monkeypatch.setattr(pages, "PAGE_SIZE", 2)
    ids = []
    for number in (1, 2, 3):
        html = owner_client.get(f"/logistics?kind=pickup_timeout&page={number}").text
        ids += [r[0] for r in rows_of(html)]
        assert "5 个包裹需要处理" in html and "涉及" not in html
    assert len(ids) == len(set(ids)) == 5
    html = owner_client.get("/logistics?kind=pickup_timeout&page=2").text
    assert 'href="/logistics?kind=pickup_timeout"' in html  # page 1: no page in the link
    assert 'href="/logistics?kind=pickup_timeout&amp;page=3"' in html
    monkeypatch.setattr(pages, "PAGE_SIZE", 100)
    short = owner_client.get("/logistics?kind=pickup_timeout").text
    assert '<nav class="pager"' not in short and "本页显示" not in short


def test_the_api_pages_with_offset_and_keeps_limit(seven_parcels, owner_client):
    whole = owner_client.get("/api/v1/anomalies").json()["anomalies"]
    pieces = []
    for offset in (0, 4):
        page = owner_client.get(f"/api/v1/anomalies?limit=4&offset={offset}").json()
        assert (page["total"], page["parcels"], page["offset"]) == (7, 7, offset)
        pieces += page["anomalies"]
    assert [c["id"] for c in pieces] == [c["id"] for c in whole]
    assert owner_client.get("/api/v1/anomalies?offset=7").json()["anomalies"] == []
    assert [c["id"] for c in owner_client.get("/api/v1/anomalies?limit=2").json()["anomalies"]] == \
        [c["id"] for c in whole[:2]]
    for bad in ("-1", "x", str(10 ** 12)):
        assert owner_client.get(f"/api/v1/anomalies?offset={bad}").status_code == 422


def test_the_case_page_names_scan_states_in_words_without_the_raw_code(ctx, shop_id, owner_client):
    returning_and_stalled(ctx, shop_id, "6938459704022650001", "73100000090001")
    case_id = owner_client.get("/api/v1/anomalies").json()["anomalies"][0]["id"]
    timeline = owner_client.get(f"/logistics/anomalies/{case_id}").text.split('<section class="scans">', 1)[1]
    assert "已揽收" in timeline and "退回中" in timeline
    assert not re.search(r"\[\d+\]", timeline), timeline


def test_logistics_pages_name_carriers_as_the_ship_form_does(ctx, shop_id, owner_client):
    overdue(ctx, shop_id, 1, carrier="邮政快递包裹")
    case_id = owner_client.get("/api/v1/anomalies").json()["anomalies"][0]["id"]
    owner_client.get("/lang/en")
    worklist = owner_client.get("/logistics").text
    case = owner_client.get(f"/logistics/anomalies/{case_id}").text
    post, deppon = CARRIER_BY_CODE["youzhengguonei"].name_en, CARRIER_BY_CODE["debangkuaidi"].name_en
    assert f'<option value="youzhengguonei" >{post}</option>' in worklist
    assert f'<option value="debangkuaidi" >{deppon}</option>' in worklist
    assert f"<td>{post}</td>" in worklist and f"<td>{deppon}</td>" in worklist
    assert "China Post parcels" not in worklist and "Deppon Express" not in worklist
    assert f'<dd class="contact">{post} <a href="tel:11183">' in case
    assert "China Post parcels" not in case  # the buyer message too


def act(client, case_id, **form):
    page = f"/logistics/anomalies/{case_id}"
    done = client.post(f"{page}/act", data={**form, "csrf_token": csrf_of(client, page)}, follow_redirects=False)
    assert done.status_code == 303, done.text[:500]
    return client.get(done.headers["location"]).text


def notice(html: str) -> str:
    return html.split('<div class="alert ok" role="status">', 1)[1].split("</div>", 1)[0]


def test_the_notice_after_an_action_reads_as_a_sentence_in_both_languages(ctx, shop_id, owner_client):
    overdue(ctx, shop_id, 2)
    first, second = (c["id"] for c in owner_client.get("/api/v1/anomalies").json()["anomalies"])
    owner_client.get("/lang/en")
    ignored = notice(act(owner_client, first, action="ignored", note="buyer is away", until="2026-11-26T09:00"))
    assert ignored == "Saved: the case is ignored until 11-26 09:00."
    assert notice(act(owner_client, second, action="contacted_carrier")) == "Saved: the carrier has been contacted."
    owner_client.get("/lang/zh")
    again = owner_client.get(f"/logistics/anomalies/{first}?done=ignored").text
    assert notice(again) == "已保存：该异常已忽略至 11-26 09:00。"
    assert notice(act(owner_client, second, action="resolved")) == "已保存：该异常已解决。"


def test_the_english_order_line_separates_items_with_a_semicolon(ctx, shop_id, owner_client):
    order_id = "6938459704022650101"
    items = [ItemRecord(sku_order_id=f"{order_id}1", product_name="高筋小麦粉", spec="5斤", quantity=1,
                        unit_price_fen=2990),
             ItemRecord(sku_order_id=f"{order_id}2", product_name="压榨一级花生油 5L", quantity=2, unit_price_fen=8990)]
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record(
            order_id=order_id, status=OrderStatus.SHIPPED, carrier="中通快递", tracking_no="73100000080101",
            shipped_at=NOW - timedelta(hours=30), items=items)])
    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    case_id = owner_client.get("/api/v1/anomalies").json()["anomalies"][0]["id"]
    owner_client.get("/lang/en")
    english = owner_client.get(f"/logistics/anomalies/{case_id}").text
    assert "高筋小麦粉 5斤 ×1; 压榨一级花生油 5L ×2</dd>" in english and "；" not in english.split("<dl", 1)[1]
    owner_client.get("/lang/zh")
    assert "高筋小麦粉 5斤 ×1；压榨一级花生油 5L ×2</dd>" in owner_client.get(f"/logistics/anomalies/{case_id}").text

