"""QA pass 11, #3 and #7: bad input gives one ``error: …`` line (never a traceback) and, with --json, exactly one
JSON error object on stdout; usage errors exit 2 everywhere."""

from __future__ import annotations

import json

from typer.testing import CliRunner


def run(app, *args, env=None):
    return CliRunner().invoke(app, list(args), env=env)


def _error_object(result) -> dict:
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, result.stdout
    body = json.loads(lines[0])
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return body["error"]


def test_ship_template_to_a_missing_folder_is_one_error_line(cli_env, tmp_path):
    result = run(cli_env, "ship-template", str(tmp_path / "nowhere" / "t.xlsx"))
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "cannot write" in result.stderr and "Traceback" not in result.output


def test_a_bad_setting_names_its_variable(cli_env):
    for name, value in (("XIAODIAN_NOW", "notatime"), ("XIAODIAN_SHOP", "abc")):
        result = run(cli_env, "forecast", env={name: value})
        assert result.exit_code == 2, (name, result.output)
        assert isinstance(result.exception, SystemExit)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: {name}: "), result.stderr
        assert "pydantic" not in result.stderr
    as_json = run(cli_env, "orders", "search", "--json", env={"XIAODIAN_NOW": "notatime"})
    assert as_json.exit_code == 2 and _error_object(as_json)["code"] == "configuration_error"


def test_revoking_an_id_past_the_database_integer_is_not_found(cli_env):
    result = run(cli_env, "token", "revoke", "99999999999999999999999")
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "not found" in result.stderr


def test_an_unwritable_path_anywhere_is_caught_at_the_root(cli_env, tmp_path, monkeypatch):
    """Any command that meets an OSError on a path (here: the export's writer) answers with one line and exit 2."""
    def boom(*_args, **_kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "locked"))

    monkeypatch.setattr("xiaodian.bootstrap.open_context", boom)
    result = run(cli_env, "violations", "--json")
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
    assert _error_object(result)["code"] == "file_error"
    assert result.stderr.startswith("error: cannot use ") and "Permission denied" in result.stderr


def test_json_errors_are_one_object_on_stdout(cli_env, tmp_path):
    for args, code in ((("orders", "show", "1", "--json"), 1),
                       (("orders", "search", "--status", "bogus", "--json"), 2),
                       (("orders", "search", "--created-from", "x", "--json"), 2),
                       (("audit", "--since", "x", "--json"), 2),
                       (("forecast", "--capacity", "2.55", "--json"), 2),
                       (("orders", "search", "--limit", "0", "--json"), 2),
                       (("import", "orders", str(tmp_path), "--json"), 2),
                       (("ship", "1", "--json"), 2)):
        result = run(cli_env, *args)
        assert result.exit_code == code, (args, result.output)
        error = _error_object(result)
        assert error["message"], args
        assert "error:" in result.stderr or "Error" in result.stderr, args


def test_a_capacity_with_two_decimals_is_bad_usage(cli_env):
    result = run(cli_env, "forecast", "--capacity", "2.55")
    assert result.exit_code == 2 and "at most one decimal" in result.stderr
