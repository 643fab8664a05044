"""The columns an order snapshot writes (orders, order_items, order_events rows), built one way for new orders and
for later snapshots: ciphertexts, masked copies and blind indexes of the buyer's data, the list's items summary,
the item rows. Pure: no database."""

from __future__ import annotations

import json
from datetime import datetime

from ..privacy.crypto import PiiCipher
from ..privacy.masking import MASKED_MOBILE, mask_address, mask_name, mask_phone, normalise_phone
from .domain import OrderRecord


BUYER_NAMES = ("buyer_name_enc", "buyer_name_masked", "address_enc", "address_masked", "province", "city", "district",
               "phone_enc", "phone_masked", "phone_hash", "phone_last4_hash")


def buyer_values(cipher: PiiCipher, rec: OrderRecord) -> tuple:
    """The buyer columns in ``BUYER_NAMES`` order: ciphertexts, masked copies, blind indexes."""
    raw = (rec.buyer_phone or "").strip()
    phone = normalise_phone(raw) if raw else None
    if phone:
        phone_cols = (cipher.encrypt("phone", phone), mask_phone(phone), cipher.phone_index(phone),
                      cipher.last4_index(phone[-4:]))
    elif raw and MASKED_MOBILE.match(raw):
        # The export only had a masked copy: last-4 search still works, full-number search cannot.
        phone_cols = (None, raw, None, cipher.last4_index(raw[-4:]))
    else:
        phone_cols = (None, None, None, None)
    return (cipher.encrypt("buyer_name", rec.buyer_name), mask_name(rec.buyer_name),
            cipher.encrypt("address", rec.address), mask_address(rec.address),
            rec.province, rec.city, rec.district, *phone_cols)


def buyer_columns(cipher: PiiCipher, rec: OrderRecord) -> dict:
    return dict(zip(BUYER_NAMES, buyer_values(cipher, rec), strict=True))


def items_summary(items) -> str:
    return "；".join(f"{i.product_name}{(' ' + i.spec) if i.spec else ''} ×{i.quantity}" for i in items)[:2000]


def rows_summary(rows: list[dict]) -> str:
    """items_summary of item rows (item_rows' dicts): the same text."""
    return "；".join(f"{r['product_name']}{(' ' + r['spec']) if r['spec'] else ''} ×{r['quantity']}"
                    for r in rows)[:2000]


def order_columns(rec: OrderRecord) -> dict:
    names = items_summary(rec.items)
    return {
        "status": rec.status.value, "platform_status_code": rec.platform_code,
        "created_at": rec.created_at, "paid_at": rec.paid_at, "ship_by": rec.ship_by,
        "ship_by_source": "platform" if rec.ship_by else None,
        "shipped_at": rec.shipped_at, "completed_at": rec.completed_at, "cancelled_at": rec.cancelled_at,
        "pay_amount_fen": rec.pay_amount_fen, "post_amount_fen": rec.post_amount_fen,
        "buyer_note": rec.buyer_note, "merchant_note": rec.merchant_note, "cancel_reason": rec.cancel_reason,
        "after_sale_status": rec.after_sale_status, "order_type": rec.order_type,
        "items_summary": names, "item_count": sum(i.quantity for i in rec.items),
    }


def item_rows(shop_id: int, order_pk: int, rec: OrderRecord, kept_labels: dict[str, str] | None = None) -> list[dict]:
    """The item rows of a snapshot; ``kept_labels``: SKU orders whose stored after-sale label stays
    (keep_case_labels)."""
    kept = kept_labels or {}
    return [
        {"shop_id": shop_id, "order_pk": order_pk, "sku_order_id": i.sku_order_id, "product_id": i.product_id,
         "merchant_code": i.merchant_code, "product_name": i.product_name, "spec": i.spec, "quantity": i.quantity,
         "unit_price_fen": i.unit_price_fen, "amount_fen": i.amount_fen,
         "after_sale_status": kept.get(i.sku_order_id, i.after_sale_status)}
        for i in rec.items
    ]


def event_row(shop_id: int, order_pk: int, at: datetime, now: datetime, kind: str, source: str, actor: str | None,
              from_status: str | None = None, to_status: str | None = None, detail: dict | None = None) -> dict:
    return {"shop_id": shop_id, "order_pk": order_pk, "at": at, "recorded_at": now, "kind": kind,
            "from_status": from_status, "to_status": to_status, "source": source, "actor": actor,
            "detail": json.dumps(detail, ensure_ascii=False) if detail else None}

