"""The error shape every API route documents, so clients (and the schema test) know what a 4xx looks like; and the
file a download route answers with, so a client knows it gets CSV or XLSX bytes rather than JSON."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = {}


class ErrorOut(BaseModel):
    error: ErrorBody


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": text}
    for status, text in (
        (400, "bad request"),
        (401, "not logged in, or an invalid token"),
        (403, "the role lacks the permission, or the CSRF token is missing"),
        (404, "no such object"),
        (409, "conflicts with the current state"),
        (422, "invalid input; details name the field"),
        (429, "throttled"),
    )
}


_FILE = {"schema": {"type": "string", "format": "binary"}}
CSV_OR_XLSX_FILE: dict[int | str, dict[str, Any]] = {200: {
    "description": "the file, as an attachment (Content-Disposition names it): CSV in UTF-8 with a BOM, or XLSX",
    "content": {"text/csv": _FILE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _FILE}}}
XLSX_FILE: dict[int | str, dict[str, Any]] = {200: {
    "description": "the XLSX file, as an attachment",
    "content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _FILE}}}
