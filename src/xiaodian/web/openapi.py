"""The error shape every API route documents, so clients (and the schema test) know what a 4xx looks like."""

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
