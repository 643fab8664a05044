"""Secrets generated at first run into the data folder (mode 0600), never committed, never regenerated silently."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigurationError

SECRETS_FILE = "secrets.json"
_FIELDS = ("pii_key", "index_key", "session_secret")


@dataclass(frozen=True)
class Keys:
    pii_key: bytes
    index_key: bytes
    session_secret: bytes

    @property
    def fingerprint(self) -> str:
        """Identifies the PII key without revealing it; stored in the database to catch a swapped key file."""
        return hashlib.sha256(b"xiaodian-key-fingerprint:" + self.pii_key).hexdigest()[:16]


def _decode(value: str, name: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(f"{name} is not valid base64") from exc
    if len(raw) != 32:
        raise ConfigurationError(f"{name} must be 32 bytes (base64url), got {len(raw)}")
    return raw


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def load_or_create_keys(settings, *, create: bool = True) -> Keys:
    """Keys from settings when all are given; otherwise from ``data_dir/secrets.json``, created if absent.

    An unreadable, malformed or group/world-readable secrets file stops the desk (fail closed) rather
    than being replaced, because a new key would make every stored phone number unreadable.
    """
    explicit = {name: getattr(settings, name) for name in _FIELDS}
    if all(explicit.values()):
        return Keys(**{name: _decode(value, f"XIAODIAN_{name.upper()}") for name, value in explicit.items()})
    path = Path(settings.data_dir) / SECRETS_FILE
    if path.exists():
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise ConfigurationError(f"{path} is readable by other users (mode {oct(mode)}); run: chmod 600 {path}")
        try:
            data = json.loads(path.read_text())
            stored = {name: _decode(data[name], name) for name in _FIELDS}
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigurationError(f"{path} cannot be read: {exc}") from exc
    elif create:
        stored = {name: secrets.token_bytes(32) for name in _FIELDS}
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump({name: _encode(value) for name, value in stored.items()}, handle)
    else:
        raise ConfigurationError(f"no secrets at {path}: run `xiaodian db upgrade` first")
    for name, value in explicit.items():
        if value:
            stored[name] = _decode(value, f"XIAODIAN_{name.upper()}")
    return Keys(**stored)
