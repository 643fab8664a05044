"""The export file's Chinese column headers (domain.md §1) and how a header row maps onto them."""

from __future__ import annotations

from dataclasses import dataclass

# Without these a row cannot become an order snapshot, so a file missing any of them is refused whole.
# 订单应付金额 is not required: without it the paid amount is the sum of the SKU amounts.
REQUIRED = ("主订单编号", "子订单编号", "选购商品", "商品数量", "商品金额", "订单提交时间", "订单状态")

OPTIONAL = (
    "商品ID", "商家编码", "商品规格", "订单应付金额", "支付完成时间", "订单完成时间", "取消时间", "售后状态", "取消原因",
    "订单类型", "买家留言", "商家备注", "收件人", "收件人手机号", "省", "市", "区", "详细地址", "快递公司", "快递单号",
    "发货时间", "承诺发货时间", "运费",
)

# Other spellings seen in back-office exports and spreadsheets people re-save (left: as written, right: canonical).
ALIASES = {
    "店铺单号": "主订单编号",
    "订单编号": "主订单编号",
    "商品单号": "子订单编号",
    "子订单号": "子订单编号",
    "商品名称": "选购商品",
    "规格": "商品规格",
    "商品单价": "商品金额",
    "收货人": "收件人",
    "收货人手机号": "收件人手机号",
    "收件人电话": "收件人手机号",
    "物流公司": "快递公司",
    "运单号": "快递单号",
    "物流单号": "快递单号",
    "预计发货时间": "承诺发货时间",
    "最晚发货时间": "承诺发货时间",
}

KNOWN = frozenset(REQUIRED + OPTIONAL)


def canonical(header: object) -> str:
    """A header cell as the desk names it: BOM, quotes, tabs and surrounding spaces removed."""
    text = "" if header is None else str(header)
    text = text.replace("\ufeff", "").strip().strip("'\"").strip()
    return ALIASES.get(text, text)


@dataclass(frozen=True)
class ColumnMap:
    """Where each known column sits in a row (index), plus the columns the file did not have. ``header`` is every
    header cell's name in order, set for CSV files only: there a row with fewer fields than the header was cut off
    (a download stopped mid-row), while a workbook legitimately leaves out trailing empty cells."""

    index: dict[str, int]
    ignored: tuple[str, ...]
    header: tuple[str, ...] = ()

    def has(self, name: str) -> bool:
        return name in self.index


def map_header(cells: list[object]) -> tuple[ColumnMap, list[str]]:
    """Header cells → column map and the required columns that are missing. The first occurrence of a
    duplicated header wins (re-saved spreadsheets sometimes repeat a column)."""
    index: dict[str, int] = {}
    ignored: list[str] = []
    for position, cell in enumerate(cells):
        name = canonical(cell)
        if not name:
            continue
        if name in KNOWN:
            index.setdefault(name, position)
        else:
            ignored.append(name)
    missing = [name for name in REQUIRED if name not in index]
    return ColumnMap(index, tuple(ignored)), missing


def looks_like_header(cells: list[object]) -> bool:
    """A row naming at least two known columns: the header, even when a title row sits above it."""
    return sum(1 for cell in cells if canonical(cell) in KNOWN) >= 2
