"""The intake's content digest must never change for the same snapshot: stored digests are how a re-import after
an upgrade still says "unchanged". Pinned here against the original json.dumps text and a fixed key."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from xiaodian.orders.domain import ItemRecord, OrderRecord, OrderStatus
from xiaodian.orders.intake import _content_hash
from xiaodian.privacy.crypto import PiiCipher
from xiaodian.privacy.keys import Keys

CIPHER = PiiCipher(Keys(pii_key=b"p" * 32, index_key=b"i" * 32, session_secret=b"s" * 32))
T = datetime(2026, 11, 13, 23, 4, 5, 123456, tzinfo=UTC)


def _record(**fields) -> OrderRecord:
    items = [ItemRecord("6938459704022656025", '东北"长粒香"大米\\ 10斤', 2, 4590, product_id="3512000000000000102",
                        spec="5kg\t袋装"),
             ItemRecord("6938459704022656026", "茶叶 🍵 礼盒\n", 1, 9990)]
    return OrderRecord(order_id="6938459704022656025", status=OrderStatus.SHIPPED, created_at=T,
                       pay_amount_fen=19170, items=items, paid_at=T + timedelta(minutes=5),
                       shipped_at=T.astimezone(timezone(timedelta(hours=8))), buyer_name="赵敏",
                       buyer_phone="13955556605", address="科苑南路2666号\u20283栋", buyer_note="不要放驿站\x01",
                       carrier="顺丰速运", tracking_no="SF1234567890123,SF1234567890132", **fields)


def _original_payload_text(rec: OrderRecord) -> str:
    return json.dumps([
        rec.status.value, rec.platform_status_code, rec.created_at, rec.paid_at, rec.ship_by, rec.shipped_at,
        # postage left unsaid (None since 运费 is read) hashes as the 0 it was before, so stored digests still hold
        rec.completed_at, rec.cancelled_at, rec.pay_amount_fen, rec.post_amount_fen or 0, rec.buyer_name,
        rec.buyer_phone, rec.address, rec.province, rec.city, rec.district, rec.buyer_note, rec.merchant_note,
        rec.cancel_reason, rec.after_sale_status, rec.order_type, rec.carrier, rec.tracking_no,
        [(i.sku_order_id, i.product_id, i.merchant_code, i.product_name, i.spec, i.quantity, i.unit_price_fen,
          i.amount_fen, i.after_sale_status) for i in rec.items],
    ], default=str, ensure_ascii=False, separators=(",", ":"))


def test_the_digest_text_is_what_json_dumps_wrote():
    for rec in (_record(), _record(merchant_note="", platform_status_code=3), _record(cancel_reason=None),
                _record(post_amount_fen=1200)):
        text = _original_payload_text(rec)
        assert CIPHER.keyed_digest(text) == _content_hash(CIPHER, rec)


def test_the_digest_of_a_known_snapshot_is_pinned():
    assert _content_hash(CIPHER, _record()) == PINNED


PINNED = "e9df82517af24869fc65c6b33ae90591"  # computed by the code before the faster encoder (b6d574b)
