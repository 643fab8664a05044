"""A buyer asking about an order with an after-sale re-send (补寄) hears of both parcels, apart (SQLite and PostgreSQL):
the order's own (its number, signed) and the re-send (carrier, number, where it is), in Chinese and in English. The
re-send's scans are never given as the order's own parcel's, and the agent's facts list the re-send on its own."""

from __future__ import annotations

from xiaodian.aftersales.models import AfterSaleCase
from xiaodian.db import transaction
from xiaodian.demo.shop import DEMO_PRINCIPAL
from xiaodian.inquiries import service
from xiaodian.inquiries.fact_rows import fact_rows
from xiaodian.logistics.importfile import import_tracking_file
from xiaodian.web.i18n import current_language

from ..conftest import NOW
from . import test_aftersale_resend_parcel as resend
from .test_aftersale_resend_parcel import CASE, CS, H, ORDER, OWN, RESEND, _reship

desk = resend.desk  # the fixture: a completed order with a 补寄 case the merchant agreed to
AT = NOW + 30 * H


def _scanned(ctx, shop_id, tmp_path):
    """The order's own parcel signed for; the re-send shipped and on its way."""
    _reship(ctx, shop_id, at=NOW + H)
    path = tmp_path / "events.csv"
    path.write_text("快递单号,快递公司,时间,状态码,描述\n"
                    f"{OWN},中通快递,2026-11-20 09:00:00,1,【杭州】已揽收\n"
                    f"{OWN},中通快递,2026-11-21 15:00:00,3,您的快件已签收\n"
                    f"{RESEND},中通快递,2026-11-24 21:00:00,1,【杭州】已揽收\n"
                    f"{RESEND},中通快递,2026-11-25 08:00:00,0,【上海转运中心】已发出\n", encoding="utf-8")
    assert import_tracking_file(ctx.sessions, shop_id=shop_id, path=path, principal=CS, now=AT).rejected == []


def _ask(ctx, shop_id, message, lang="zh"):
    token = current_language.set(lang)  # the agent's page language
    try:
        with transaction(ctx.sessions) as session:
            return service.answer(session, DEMO_PRINCIPAL, shop_id=shop_id, message=message, order_id=ORDER, now=AT,
                                  cipher=ctx.cipher, record=False)
    finally:
        current_language.reset(token)


def test_the_chinese_reply_names_the_resend_the_buyer_is_waiting_for(desk, shop_id, tmp_path):
    _scanned(desk, shop_id, tmp_path)
    a = _ask(desk, shop_id, "补寄的东西到哪了？还没收到")
    facts = a.diagnosis.facts
    assert a.diagnosis.code == "found_after_sale"
    assert facts["tracking"]["tracking_no"] == OWN
    assert facts["logistics"]["state"] == "signed" and facts["logistics"]["last_event"] == "您的快件已签收"
    assert [(r["case_id"], r["carrier"], r["tracking_no"], r["state"]) for r in facts["resends"]] == [
        (CASE, "zhongtong", RESEND, "in_transit")]
    assert (f"售后补寄的包裹（售后单 {CASE}）：中通快递运单号 {RESEND}，目前运输中，"
            "最新物流：【上海转运中心】已发出（11月25日 08:00）。") in a.reply
    rows = {key: text for key, _name, text in fact_rows(facts)}
    assert RESEND in rows["resends"] and CASE in rows["resends"] and RESEND not in rows["tracking"]


def test_the_orders_own_parcel_and_the_resend_are_told_apart(desk, shop_id, tmp_path):
    """The case is finished (the buyer confirmed the re-send): the reply describes the order's own parcel with its
    own scans (before, the re-send's latest scan was given beside the original's number), then the re-send."""
    _scanned(desk, shop_id, tmp_path)
    with transaction(desk.sessions) as session:
        session.execute(AfterSaleCase.__table__.update().values(status="succeeded", finished_at=AT))
    a = _ask(desk, shop_id, "我的快递到哪了？")
    assert a.diagnosis.code == "found_delivered"
    own, resent = a.reply.split("售后补寄的包裹", 1)
    assert f"中通快递运单号 {OWN}" in own and "最新物流：您的快件已签收" in own
    assert RESEND not in own and "上海" not in own
    assert f"（售后单 {CASE}）：中通快递运单号 {RESEND}，目前运输中" in resent and OWN not in resent


def test_the_english_reply_names_the_resend_in_english(desk, shop_id, tmp_path):
    _scanned(desk, shop_id, tmp_path)
    a = _ask(desk, shop_id, "Where is my replacement parcel? I still have not received it", lang="zh")
    resent = a.reply.split("The parcel we re-sent for your after-sale request", 1)[1]
    assert f"({CASE}): ZTO Express tracking number {RESEND}, now in transit" in resent
    assert "latest update: 【上海转运中心】已发出 (Nov 25, 08:00)" in resent
    assert "运输中" not in a.reply and "中通" not in a.reply


def test_a_case_not_yet_reshipped_has_no_resend_to_tell(desk, shop_id):
    a = _ask(desk, shop_id, "我的快递到哪了？")
    assert "resends" not in a.diagnosis.facts and "售后补寄的包裹" not in a.reply
