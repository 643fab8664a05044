"""Start-up safety: unmigrated schema, swapped keys, secrets file permissions, XIAODIAN_NOW."""

from __future__ import annotations

import json
import os
import stat

import pytest
from pydantic import ValidationError

from xiaodian.bootstrap import open_context
from xiaodian.errors import ConfigurationError
from xiaodian.settings import Settings

from ..conftest import TEST_KEYS, make_settings


def test_unmigrated_database_is_refused_with_the_command_to_run(tmp_path):
    settings = make_settings(f"sqlite:///{tmp_path / 'empty.db'}", tmp_path / "data")
    with pytest.raises(ConfigurationError, match="xiaodian db upgrade"):
        open_context(settings)


def test_a_different_pii_key_is_refused_once_data_exists(tmp_path):
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    open_context(make_settings(url, tmp_path / "data"), migrate=True).engine.dispose()
    other = Settings(database_url=url, data_dir=tmp_path / "data",
                     **{**TEST_KEYS, "pii_key": "b3RoZXIta2V5LTAwMDAwMDAwMDAwMDAwMDAwMDAwMDA"})
    with pytest.raises(ConfigurationError, match="PII key does not match"):
        open_context(other)


def test_first_run_generates_secrets_with_mode_0600_and_reuses_them(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'desk.db'}", data_dir=tmp_path / "data")
    first = open_context(settings, migrate=True)
    path = tmp_path / "data" / "secrets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert set(json.loads(path.read_text())) == {"pii_key", "index_key", "session_secret"}
    second = open_context(settings)
    assert first.keys == second.keys


def test_secrets_file_readable_by_others_stops_the_desk(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'desk.db'}", data_dir=tmp_path / "data")
    open_context(settings, migrate=True)
    os.chmod(tmp_path / "data" / "secrets.json", 0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        open_context(settings)


def test_now_without_offset_is_rejected():
    with pytest.raises(ValidationError, match="offset"):
        Settings(now="2026-11-24T18:00:00")


def test_now_with_offset_becomes_the_clock(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'd.db'}", data_dir=tmp_path / "data",
                        now="2026-11-20T09:30:00+08:00")
    ctx = open_context(settings, migrate=True)
    assert ctx.clock.now().isoformat() == "2026-11-20T01:30:00+00:00"
