"""Pydantic shapes of the shipping API (the CLI's --json prints the same objects)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ShipIn(BaseModel):
    carrier: str = Field(..., max_length=50, description="carrier code (shunfeng, zhongtong…) or name (顺丰速运)")
    tracking_no: str = Field(..., max_length=64)
    items: list[str] | None = Field(None, max_length=200, description="SKU order ids to ship; omitted: all remaining")
    confirm_warnings: bool = Field(False, description="ship even though the number looks unusual for the carrier")
    confirm_address_change: bool = Field(False, description="the buyer changed the delivery address after the order "
                                         "came in (address_changed_at): the label has the new address")


class ShipOut(BaseModel):
    order_id: str
    status: str
    carrier_code: str
    tracking_no: str
    items: list[str]
    warnings: list[str]
    violation: dict | None


class BulkRow(BaseModel):
    row: int
    column: str
    code: str
    message: str


class BulkVerdict(BaseModel):
    row: int
    order_id: str
    carrier: str
    tracking_no: str
    verdict: str = Field(description="ok, warning, held (a warning nobody confirmed: not shipped), unchanged, "
                                     "skipped (carrier and number blank) or error")
    column: str
    code: str
    message: str
    applied: bool
    details: dict = Field(default_factory=dict, description="what the message names, e.g. duplicate_tracking_in_file: "
                                                           "tracking_no and rows, the other rows with that number")


class BulkReportOut(BaseModel):
    shipped: int = Field(description="rows shipped (dry run: rows that would ship)")
    unchanged: int = Field(description="rows whose number is already on the order")
    skipped: int = Field(0, description="rows with an order id but no carrier and no number yet (a template row)")
    warnings: list[BulkRow]
    rejected: list[BulkRow]
    held: list[BulkRow] = Field(default_factory=list, description="rows not shipped because a warning was not "
                                "confirmed (confirm_address_change, confirm_warnings); the message says which")
    dry_run: bool
    headers: dict[str, str] = Field(default_factory=dict, description="each column (订单号, 快递公司, 快递单号) as the "
                                    "file's own header spells it (订单编号, 物流单号…): a row's column is the former")
    rows: list[BulkVerdict]


class ViolationRow(BaseModel):
    order_id: str
    kind: str
    ship_by: str
    shipped_at: str | None
    late_by_seconds: int
    points: int
    compensation_fen: int
    detected_at: str


class ViolationsOut(BaseModel):
    total: int
    points: int
    compensation_fen: int
    assumptions: dict
    violations: list[ViolationRow]


class PickItemOut(BaseModel):
    product_name: str
    spec: str | None
    quantity: int
    merchant_code: str | None
    after_sale_status: str | None = Field(description="the item's after-sale status, if any: check before packing")


class PickRow(BaseModel):
    order_id: str
    aftersale_id: str | None = Field(None, description="set on an after-sale's goods to send (aftersale_sends): "
                                                      "the case, not an order to ship")
    case_type: str | None = Field(None, description="that case's type (exchange, resend)")
    ship_by: str | None = Field(description="the order's ship-by, or the case's deadline (null: none known)")
    done_at: str | None = Field(description="when the plan has it packed (null on an after-sale row)")
    misses: bool
    already_overdue: bool
    address_changed: bool = False
    items: list[PickItemOut] = Field(default_factory=list, description="the order's items not yet in a parcel")
    buyer_note: str | None = None
    merchant_note: str | None = None
    flag_colour: int = Field(0, description="0 = no flag; 1-6 grey, purple, cyan, green, orange, red")
    refund_pending: bool = Field(False, description="always false: an order whose buyer asked for a refund (not "
                                                    "refused yet) cannot ship and is not planned; it is listed in "
                                                    "refund_pending_orders instead")


class RefundPendingRow(BaseModel):
    order_id: str
    ship_by: str
    already_overdue: bool
    agreed: bool = Field(False, description="the shop has agreed the refund already: the order closes when it is "
                                            "paid (nothing to decide, nothing to pack)")


class PickTotalOut(BaseModel):
    product_name: str
    spec: str | None
    merchant_code: str | None
    quantity: int = Field(description="how many to take off the shelf for the orders of the pick list")
    orders: int = Field(description="how many of those orders hold this product and spec")


class ForecastOut(BaseModel):
    capacity_per_hour: int | float
    work_start: str
    work_end: str
    rest_days: list[int] = Field(default_factory=list, description="weekdays without packing: 0 = Monday … 6 = Sunday")
    awaiting: int = Field(description="unshipped orders with a ship-by: planned + refund_pending")
    planned: int = Field(0, description="the orders in the packing plan")
    will_miss: int
    already_overdue: int
    earliest_miss: str | None
    extra_hours_today: float | None
    summary: str
    pick_list: list[PickRow]
    pick_totals: list[PickTotalOut] = Field(default_factory=list, description="per product and spec, for picking "
                                            "the orders of pick_list")
    refund_pending: int = Field(0, description="unshipped orders left out of the plan: the buyer asked for a refund "
                                               "that is not refused yet, so shipping is refused until it is")
    refund_pending_orders: list[RefundPendingRow] = Field(
        default_factory=list, description="those orders, earliest ship-by first (as many as the pick list's limit)")
    within_hours: int | None = Field(None, description="the window asked for (within), else null: every order")
    until: str | None = Field(None, description="the window's end: orders due later are counted, not listed")
    later: int = Field(0, description="planned orders due after the window: not in pick_list nor pick_totals")
    later_sends: int = Field(0, description="after-sale goods to send due after the window (with aftersale_sends)")


class CorrectionIn(BaseModel):
    carrier: str = Field(..., max_length=50, description="carrier code (shunfeng, zhongtong…) or name (顺丰速运)")
    tracking_no: str = Field(..., max_length=64, description="the right tracking number")
    reason: str = Field(..., max_length=200,
                        description="why it is corrected (e.g. 单号输错一位); kept in the timeline")
    confirm_warnings: bool = Field(False, description="save even though the number looks unusual for the carrier")


class TrackingRef(BaseModel):
    carrier: str | None
    carrier_code: str | None
    tracking_no: str


class CorrectionOut(BaseModel):
    order_id: str
    shipment_id: int
    resend_of: str | None = Field(None, description="an after-sale re-send (补寄): its case's aftersale_id; its "
                                  "correction changes none of the order's own shipping and is never uploaded")
    before: TrackingRef
    after: TrackingRef
    reason: str
    warnings: list[str]
    corrections: int = Field(description="how many times this package's number has now been corrected")
    platform_upload: str | None = Field(None, description="Douyin write-back: amended (the waiting upload now carries "
                                        "the new number), already_sent (the platform shows the old number: edit it "
                                        "in the 抖店 back office), or null (nothing queued)")


class ShipmentStateOut(BaseModel):
    shipment_id: int
    carrier_code: str | None
    carrier: str | None
    tracking_no: str
    shipped_at: str | None
    parcel_state: str | None = Field(description="the logistics state of the package (pending = not picked up)")
    corrections: int
    correctable: bool
    refusal_code: str | None = Field(description="why the number can no longer be corrected, when it cannot")
    refusal: str | None
    resend_of: str | None = Field(None, description="an after-sale re-send (补寄): its case's aftersale_id (null: the "
                                  "order's own package)")


class ShipmentsOut(BaseModel):
    order_id: str
    window_hours: int = Field(description="corrections allowed this long after shipping (an assumption)")
    max_corrections: int = Field(description="corrections allowed per package (an assumption)")
    shipments: list[ShipmentStateOut]


class ReminderOut(BaseModel):
    id: int
    order_id: str
    kind: str = Field(description="due_soon (ship-by within 6 h), due_urgent (within 2 h) or overdue")
    ship_by: str
    created_at: str
    status: str = Field(description="the order's status")
    items: str
    acknowledged_at: str | None
    acknowledged_by: str | None
    superseded: int = Field(0, description="the order's other open, less pressing reminders this one stands for "
                                           "(acknowledging it closes them too)")


class RemindersOut(BaseModel):
    open: int = Field(description="orders with a reminder not yet acknowledged that still have to ship (one line "
                                  "each, at the most pressing reminder)")
    due_soon_hours: int
    urgent_hours: int
    superseded: int = Field(0, description="open, less pressing reminders the listed ones stand for")
    reminders: list[ReminderOut]


class ReminderAckOut(BaseModel):
    id: int
    order_id: str
    kind: str
    acknowledged_at: str
    acknowledged_by: str
    also_acknowledged: list[int] = Field([], description="the order's earlier, less pressing open reminders this "
                                                         "acknowledgement closed with it")
