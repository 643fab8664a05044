"""Typed domain errors; each edge (HTTP, HTML, CLI) translates them in one place."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule said no. ``code`` is stable (clients and tests rely on it); ``message`` is for people."""

    http_status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or {}

    def to_json(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class ValidationFailed(DomainError):
    http_status = 422
    code = "validation_failed"


class NotFound(DomainError):
    http_status = 404
    code = "not_found"


class InvalidTransition(DomainError):
    http_status = 409
    code = "invalid_transition"


class Conflict(DomainError):
    http_status = 409
    code = "conflict"


class Unauthenticated(DomainError):
    http_status = 401
    code = "unauthenticated"


class Forbidden(DomainError):
    http_status = 403
    code = "forbidden"


class Throttled(DomainError):
    http_status = 429
    code = "throttled"


class ConfigurationError(DomainError):
    """The desk cannot run safely as configured (missing secret, unmigrated database)."""

    http_status = 503
    code = "configuration_error"
