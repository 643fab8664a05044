"""AES-GCM field encryption and HMAC blind indexes for buyer PII."""

from __future__ import annotations

import base64
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..errors import ConfigurationError
from .keys import Keys

_VERSION = "v1"


class PiiCipher:
    """Encrypts one field value at a time; the field name is bound as associated data so that a
    ciphertext copied into another column (name into phone, say) fails to decrypt."""

    def __init__(self, keys: Keys):
        self._aead = AESGCM(keys.pii_key)
        self._index_key = keys.index_key

    def encrypt(self, field: str, plaintext: str | None) -> str | None:
        if plaintext is None or plaintext == "":
            return None
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), field.encode())
        return f"{_VERSION}:" + base64.b64encode(nonce + sealed).decode()

    def decrypt(self, field: str, token: str | None) -> str | None:
        if not token:
            return None
        version, _, body = token.partition(":")
        if version != _VERSION:
            raise ConfigurationError(f"unknown ciphertext version {version!r}")
        raw = base64.b64decode(body)
        try:
            return self._aead.decrypt(raw[:12], raw[12:], field.encode()).decode()
        except InvalidTag as exc:
            raise ConfigurationError("buyer data cannot be decrypted with this key") from exc

    def blind_index(self, kind: str, value: str) -> str:
        """Keyed hash for equality search: the database never sees the value, only this digest."""
        return hmac.digest(self._index_key, f"{kind}:{value}".encode(), "sha256").hex()[:32]

    def keyed_digest(self, payload: str) -> str:
        """Digest of content that may include PII (change detection), keyed so it cannot be brute-forced."""
        return hmac.digest(self._index_key, b"content:" + payload.encode(), "sha256").hex()[:32]

    def phone_index(self, phone: str) -> str:
        return self.blind_index("phone", phone)

    def last4_index(self, last4: str) -> str:
        return self.blind_index("last4", last4)
