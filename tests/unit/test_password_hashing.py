"""The desk stores argon2id hashes with RFC 9106's second recommended setting; the rest of the suite hashes
cheaply (tests/conftest.py), so this file is where the real figures are held to."""

from __future__ import annotations

import subprocess
import sys

import pytest
from argon2 import extract_parameters

from xiaodian.accounts import passwords


@pytest.fixture
def standard_hashing(monkeypatch):
    monkeypatch.setattr(passwords, "_hasher", passwords.STANDARD_HASHER)


def test_a_stored_password_is_argon2id_over_64_mib_with_three_passes(standard_hashing):
    stored = passwords.hash_password("Correct-horse-42")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert passwords.verify_password(stored, "Correct-horse-42")
    assert not passwords.verify_password(stored, "Correct-horse-43")


def test_an_unknown_login_is_checked_against_a_standard_hash_too():
    """The dummy compared when the login does not exist must cost what a real one costs, or timing tells: read
    from the module as the desk loads it (a fresh interpreter, without the suite's cheap swap)."""
    code = "from xiaodian.accounts import passwords as p; print(p._DUMMY_HASH); print(p.verify_password(None, 'x'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[0].startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert out[1] == "False"
    assert extract_parameters(out[0]) == extract_parameters(passwords.STANDARD_HASHER.hash("x"))


def test_loading_the_desk_hashes_nothing():
    """Every process loads this module (each CLI command, the server, each worker): a hash made at import cost each
    one 90-250 ms before it did anything."""
    code = ("import argon2\n"
            "def refuse(*args, **kwargs): raise SystemExit('hashed at import')\n"
            "argon2.PasswordHasher.hash = refuse\n"
            "import xiaodian.cli, xiaodian.accounts.passwords\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
