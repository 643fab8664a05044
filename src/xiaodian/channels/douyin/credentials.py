"""Checking the app key and secret with the platform when the owner connects a shop (web form, API, ``xiaodian shop
connect``), so a mistyped secret is refused there and then, with the field named, instead of showing up as a failed
first sync an hour later while the owner believes the shop is connected.

The check is the call the client makes anyway (``token.create``, domain.md §5): a token is the proof the platform
takes the key, the secret and the Douyin shop id together, and the token it gives is kept, so the first sync does not
ask again. What the answer means:

- a refused signature or an unknown app key (or a shop id the app does not serve): the connection is refused (422,
  naming ``app_secret``, ``app_key`` or ``shop_id``) and nothing is stored;
- the platform cannot be reached (network error, timeout, throttling, a server error, an answer that is not the
  platform's): the connection is saved anyway, unchecked (an outage must not stop the owner), the reason is kept as
  the last platform error, and the page and the CLI say the credentials will be checked at the first sync.

ASSUMPTION: which sub_codes name the app key rather than the signature is not public; the sets below keep the guess in
one place. A refused signature can also come from a key that belongs to another app: the message says so.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import httpx
from sqlalchemy.orm import Session

from ...accounts.service import Principal
from ...errors import ValidationFailed
from ...privacy.crypto import PiiCipher
from . import service
from .client import DouyinClient, DouyinError, Token
from .models import DouyinConnection

SIGN_SUB_CODES = frozenset({"isv.invalid-sign", "isv.sign-invalid", "isv.signature-invalid"})
APP_KEY_SUB_CODES = frozenset({"isv.app-key-not-exist", "isv.invalid-app-key", "isv.app-key-invalid",
                               "isv.app-not-exist"})
SHOP_SUB_CODES = frozenset({"isv.invalid-shop"})
REFUSED = "douyin_credentials_refused"  # the error code of a refusal (details: field, sub_code, sub_msg)
CHECK_TIMEOUT_SECONDS = 10.0  # the owner waits for the answer on the form: never longer than this


@dataclass
class CredentialCheck:
    """``checked``: the platform took the credentials (``token`` is the one it gave); otherwise ``error`` says why it
    could not be asked."""

    checked: bool
    token: Token | None = None
    error: DouyinError | None = None


def refused_field(error: DouyinError) -> str | None:
    """The form field a platform refusal of ``token.create`` points at, or None when it is not about the credentials
    (the platform could not be reached, or said something else)."""
    if error.retryable or error.code is None:
        return None
    if error.sub_code in APP_KEY_SUB_CODES:
        return "app_key"
    if error.sub_code in SIGN_SUB_CODES:
        return "app_secret"
    if error.sub_code in SHOP_SUB_CODES:
        return "shop_id"
    return None


def _refusal(field: str, error: DouyinError) -> ValidationFailed:
    said = " ".join(part for part in (error.sub_code, error.sub_msg or error.msg) if part)
    why = {"app_secret": "the signature made with this app secret was refused (check the secret, and that the app key "
                         "is this app's)",
           "app_key": "the app key is not known to the platform",
           "shop_id": "this app does not serve this Douyin shop id"}[field]
    return ValidationFailed(f"{field}: the Douyin Open Platform refused the credentials: {why} ({said}); nothing was "
                            "saved", code=REFUSED,
                            details={"field": field, "sub_code": error.sub_code, "sub_msg": error.sub_msg})


def check_credentials(*, gateway: str, platform_shop_id: str, app_key: str, app_secret: str,
                      now: Callable[[], datetime], sign_method: str = "hmac-sha256",
                      timeout_seconds: float = CHECK_TIMEOUT_SECONDS, http: httpx.Client | None = None
                      ) -> CredentialCheck:
    """Asks the platform for a token with these credentials, once (no back-off: the owner is waiting). Raises
    ``ValidationFailed`` (code ``douyin_credentials_refused``, details.field) when the platform refuses them."""
    own = http is None
    http = http or httpx.Client(timeout=min(timeout_seconds, CHECK_TIMEOUT_SECONDS))
    client = DouyinClient(gateway=gateway, app_key=app_key, app_secret=app_secret, shop_id=platform_shop_id, now=now,
                          http=http, max_attempts=1, sign_method=sign_method)
    try:
        return CredentialCheck(checked=True, token=client.create_token())
    except DouyinError as exc:
        field = refused_field(exc)
        if field is not None:
            raise _refusal(field, exc) from None
        return CredentialCheck(checked=False, error=exc)
    finally:
        if own:
            http.close()


def connect_checked(session: Session, *, settings, shop_id: int, platform_shop_id: str, app_key: str,
                    app_secret: str, cipher: PiiCipher, principal: Principal, clock, name: str | None = None,
                    http: httpx.Client | None = None) -> tuple[DouyinConnection, CredentialCheck]:
    """The owner's connect: the desk's own checks of the form first (nothing sent for a blank or taken key), then the
    platform's; refused → raises and nothing is written; accepted or unreachable → the connection is saved (with the
    token, or with the reason the platform could not be asked as its last error)."""
    platform_shop_id, app_key, app_secret, name = service.checked_input(
        session, shop_id=shop_id, platform_shop_id=platform_shop_id, app_key=app_key, app_secret=app_secret, name=name)
    check = check_credentials(gateway=settings.douyin_gateway, platform_shop_id=platform_shop_id, app_key=app_key,
                              app_secret=app_secret, now=clock.now, sign_method=settings.douyin_sign_method,
                              timeout_seconds=settings.douyin_timeout_seconds, http=http)
    now = clock.now()
    conn = service.connect(session, shop_id=shop_id, platform_shop_id=platform_shop_id, app_key=app_key,
                           app_secret=app_secret, cipher=cipher, principal=principal, now=now, name=name,
                           credentials_checked=check.checked)
    if check.token is not None:
        conn.access_token_enc = cipher.encrypt("douyin_access_token", check.token.access_token)
        conn.refresh_token_enc = cipher.encrypt("douyin_refresh_token", check.token.refresh_token)
        conn.token_expires_at = check.token.expires_at
    elif check.error is not None:
        conn.last_error, conn.last_error_at = json.dumps(check.error.as_json(), ensure_ascii=False), now
    return conn, check
