"""The import report as the API returns it (the CLI's --json prints the same object)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RejectedRow(BaseModel):
    row: int = Field(description="row number as a spreadsheet shows it (the header is row 1)")
    column: str = Field(description="the export column (Chinese header) at fault")
    code: str = Field(description="stable code, e.g. id_scientific_notation, phone_invalid, order_row_rejected")
    message: str


class WarnedRow(RejectedRow):
    order_id: str = Field(description="the order the row belongs to (empty for a row that is no order, such as a "
                                      "totals row)")
    details: dict = Field(default_factory=dict, description="what the note names, e.g. first_row of "
                                                            "duplicate_row_skipped, sheet of order_sheet_not_first")


class ImportReportOut(BaseModel):
    created: int = Field(description="rows whose order was created")
    updated: int = Field(description="rows whose order changed")
    unchanged: int = Field(description="rows whose order was already stored exactly so")
    rejected: list[RejectedRow]
    dry_run: bool = False
    warnings: list[WarnedRow] = Field(default_factory=list, description=(
        "rows imported as the file gives them but worth a look (closed_unpaid_with_payment), or rows and sheets "
        "skipped or chosen, and why (summary_row_skipped, duplicate_row_skipped, order_sheet_not_first) (the first "
        "500)"))
    warnings_total: int = 0
