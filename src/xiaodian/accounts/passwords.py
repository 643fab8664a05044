"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..errors import ValidationFailed

# argon2id with RFC 9106's second recommended setting (3 passes over 64 MiB, 4 lanes): about 50-250 ms a
# hash on the 2-core machines the desk runs on, which is what makes a stolen database slow to crack. The
# test suite swaps ``_hasher`` for a cheap one (tests/conftest.py); one test pins these figures.
STANDARD_HASHER = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4)
_hasher = STANDARD_HASHER
MIN_LENGTH = 10
# A hash of a random string, verified when the login does not exist so timing does not tell.
_DUMMY_HASH = _hasher.hash("not-a-real-password-0")


def check_policy(password: str, login: str) -> None:
    """At least 10 characters, letters and digits, not containing the login."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"at least {MIN_LENGTH} characters")
    if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        problems.append("both letters and digits")
    if login and login.lower() in password.lower():
        problems.append("must not contain the login")
    if problems:
        raise ValidationFailed("password needs " + ", ".join(problems), code="weak_password",
                               details={"field": "password"})


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False
