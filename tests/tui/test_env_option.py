"""`call-console --env NAME` reaches the TUI's session; a bad config ends with exit code 2 and a
message naming the file, line and key before the UI: TOML syntax and unknown environments by a
standard-library check on every start, bad values by the full check whenever the configuration
changed since it last passed. The app checks again right after its first frame."""

from __future__ import annotations

import os
import subprocess
import sys

from account_helpers import FAKE_BASE, WIDE, app_for, wait_for, write_config
from click.testing import CliRunner

from console import cli, paths
from console.tui import launch

GOOD = f'''# two environments
active_env = "prod"

[environments.prod]
base_url = "https://api.example.com"

[environments.staging]
base_url = "{FAKE_BASE}"
'''


def run_console(*args: str) -> subprocess.CompletedProcess[str]:
    """The real command line, without a terminal: it must stop before drawing anything."""
    return subprocess.run([sys.executable, "-m", "console", *args], capture_output=True,
                          text=True, timeout=60)


def test_unknown_env_exits_2_before_the_ui():
    write_config(GOOD)
    result = run_console("--env", "nope")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"call-console: configuration error: {paths.config_file()}: --env: no environment "
        "named 'nope' (known: prod, staging); add one with `call-console env add`")
    assert "\x1b[" not in result.stdout + result.stderr          # no UI was started


def test_env_variable_and_active_env_are_checked_too(monkeypatch):
    write_config(GOOD)
    monkeypatch.setenv("CALL_CONSOLE_ENV", "gone")
    assert "CALL_CONSOLE_ENV: no environment named 'gone'" in launch.precheck_config(None)
    monkeypatch.delenv("CALL_CONSOLE_ENV")
    write_config(GOOD.replace('active_env = "prod"', 'active_env = "old"'))
    assert launch.precheck_config(None) == (
        f"{paths.config_file()}:2: active_env: no [environments.old] in this file "
        "(known: prod, staging)")
    assert launch.precheck_config("staging") is None          # --env wins over active_env
    assert launch.precheck_config(None, demo=True) is None     # --demo uses no environment


def test_broken_toml_exits_2_naming_the_line():
    write_config(GOOD + "\n[environments.broken\n")
    result = run_console()
    assert result.returncode == 2
    assert f"{paths.config_file()}:10: not valid TOML" in result.stderr


def test_a_bad_value_exits_2_before_the_ui_naming_the_line():
    write_config("poll_concurrency = 0\n" + GOOD)
    result = run_console("--env", "staging")
    assert result.returncode == 2
    assert result.stderr.strip().startswith(
        f"call-console: configuration error: {paths.config_file()}:1: poll_concurrency: ")
    assert "greater than or equal to 1" in result.stderr
    assert "\x1b[" not in result.stdout + result.stderr          # no UI was started


def test_the_full_check_runs_again_whenever_the_configuration_changes(monkeypatch):
    stamp = paths.data_dir() / launch.CHECKED_STAMP
    write_config(GOOD)
    assert launch.validate_config_once("staging") is None
    passed = stamp.read_text(encoding="utf-8")
    assert stamp.stat().st_mode & 0o777 == 0o600
    assert launch.validate_config_once("staging") is None       # same inputs: the stamp holds
    monkeypatch.setenv("CALL_CONSOLE_TOKEN", "secret-token-value")
    monkeypatch.setenv("CALL_CONSOLE_SSH_SESSION", "s-42")     # one per SSH session
    assert launch.validate_config_once("staging", operator="bob") is None
    assert stamp.read_text(encoding="utf-8") == passed           # free-form values: no new check

    write_config(GOOD.replace(FAKE_BASE, "ftp://staging.example.com"))
    problem = launch.validate_config_once("staging")             # the file changed
    assert problem is not None and problem.startswith(
        f"{paths.config_file()}:8: environments.staging.base_url: must be an http://")
    assert stamp.read_text(encoding="utf-8") == passed           # a failed check stamps nothing
    monkeypatch.setenv("CALL_CONSOLE_DEFAULT_REGION", "Narnia")   # so did the variables
    write_config(GOOD)
    assert "CALL_CONSOLE_DEFAULT_REGION" in launch.validate_config_once("staging")
    monkeypatch.delenv("CALL_CONSOLE_DEFAULT_REGION")
    assert launch.validate_config_once("staging") is None
    assert "secret-token-value" not in stamp.read_text(encoding="utf-8")


def test_cli_passes_env_to_the_tui(monkeypatch):
    seen = {}

    def fake_run_tui(**kwargs):
        seen.update(kwargs)
        return 0

    monkeypatch.setattr(launch, "run_tui", fake_run_tui)
    result = CliRunner().invoke(cli.main, ["--env", "staging", "--operator", "ann"])
    assert result.exit_code == 0
    assert seen["env"] == "staging" and seen["operator"] == "ann"


async def test_the_session_uses_the_env_given():
    write_config(GOOD)
    app = app_for(env="staging", probe_agents=False)
    async with app.run_test(size=WIDE) as pilot:
        await wait_for(pilot, lambda: app.session_ready, "the session")
        assert app.session.env_name == "staging"
        assert app.session.base_url == FAKE_BASE
        assert app.session.target.source == "--env"


async def test_an_invalid_environment_ends_with_2_right_after_the_first_frame():
    write_config(GOOD.replace(FAKE_BASE, "ftp://staging.example.com"))
    app = app_for(env="staging")
    async with app.run_test(size=WIDE) as pilot:
        await wait_for(pilot, lambda: app.return_code is not None, "the exit")
    assert app.return_code == 2
    assert app.fatal_message.startswith("call-console: configuration error: ")
    assert f"{paths.config_file()}:8: environments.staging.base_url: must be an http://" \
        in app.fatal_message


def test_a_first_start_with_nothing_configured_checks_without_pydantic(tmp_path):
    """No config.toml and no settings variables: the full check has only the defaults to
    judge, so the first start does not load pydantic (~100 ms) before its first frame."""
    code = ("import sys\n"
            "from console.tui import launch\n"
            "print(launch.validate_config_once(None), 'pydantic' in sys.modules)\n")
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("CALL_CONSOLE_")}
    env.update(CALL_CONSOLE_CONFIG_DIR=str(tmp_path / "config"),
               CALL_CONSOLE_DATA_DIR=str(tmp_path / "data"),
               CALL_CONSOLE_TOKEN="any-token", CALL_CONSOLE_OPERATOR="ann")
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                           text=True, check=True)
    assert first.stdout.split() == ["None", "False"]
    env["CALL_CONSOLE_DEFAULT_REGION"] = "Narnia"                 # a setting: checked
    bad = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True)
    assert "CALL_CONSOLE_DEFAULT_REGION" in bad.stdout and bad.stdout.split()[-1] == "True"
