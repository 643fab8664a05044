"""The import report as the API returns it (the CLI's --json prints the same object)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RejectedRow(BaseModel):
    row: int = Field(description="row number as a spreadsheet shows it (the header is row 1)")
    column: str = Field(description="the export column (Chinese header) at fault")
    code: str = Field(description="stable code, e.g. id_scientific_notation, phone_invalid, order_row_rejected")
    message: str


class WarnedRow(RejectedRow):
    order_id: str = Field(description="the order the row belongs to: it was imported")


class ImportReportOut(BaseModel):
    created: int = Field(description="rows whose order was created")
    updated: int = Field(description="rows whose order changed")
    unchanged: int = Field(description="rows whose order was already stored exactly so")
    rejected: list[RejectedRow]
    dry_run: bool = False
    warnings: list[WarnedRow] = Field(default_factory=list, description=(
        "rows imported as the file gives them but worth a look, e.g. closed_unpaid_with_payment (the first 500)"))
    warnings_total: int = 0
