"""What `call list` and `call status` import (issue 16: start-up <= 3 x `--version`; the
figures are printed by benchmarks/cli_startup.py, never asserted here). These tests fail when a
command starts importing what it does not need again: httpx's command-line tool (rich and
pygments), pydantic-settings, Textual, the simulator's server stack or the TOML editor, or
when pydantic's plugin discovery (an entry-point scan of every installed distribution) runs
again."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from console.api.client import tls_verify
from test_cli import AGENT

#: Top-level packages no `call` subcommand needs.
NOT_NEEDED = ("rich", "pygments", "pydantic_settings", "textual", "fastapi", "uvicorn",
              "starlette", "tomlkit", "asyncssh", "keyring", "phonenumbers")
#: Console modules they do not need: the history commands (an agent UUID needs no lookup of
#: saved names), the account and simulator models.
NOT_NEEDED_MODULES = ("console.commands.history", "console.history.agents",
                      "console.api.account_models", "console.api.sim_models")


#: A pydantic plugin (an entry point of group "pydantic") whose module leaves a mark when
#: pydantic's plugin discovery loads it.
PROBE_PLUGIN = """import os, pathlib
pathlib.Path(os.environ["PROBE_PLUGIN_MARK"]).touch()
class Plugin:
    def new_schema_validator(self, *args, **kwargs):
        return None, None, None
plugin = Plugin()
"""


def _probe_plugin_site(root) -> str:
    """A folder holding an installed distribution with a pydantic plugin (for PYTHONPATH)."""
    import importlib.metadata

    site = root / "site"
    info = site / "probe_plugin-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: probe-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[pydantic]\nprobe = probe_plugin:plugin\n")
    (site / "probe_plugin.py").write_text(PROBE_PLUGIN)
    found = [ep.value for dist in importlib.metadata.distributions(path=[str(site)])
             for ep in dist.entry_points if ep.group == "pydantic"]
    assert found == ["probe_plugin:plugin"]  # discovery would find it
    return str(site)


#: `python -c PROBE ARGS` runs `python -m console ARGS` and writes the modules it loaded to
#: $MODULES_FILE: sys.modules at exit, which (unlike -X importtime) also holds the modules
#: loaded with importlib.import_module (the CLI's subcommands, the models' moved names).
PROBE = """import atexit, os, runpy, sys
atexit.register(lambda: open(os.environ["MODULES_FILE"], "w").write("\\n".join(sys.modules)))
runpy.run_module("console", run_name="__main__", alter_sys=True)
"""


def _imported(sim, *args: str, root) -> set[str]:
    """The modules `call-console ARGS` loaded, run with a pydantic plugin installed (its mark
    is `root / "plugin-loaded"`)."""
    env = {**os.environ, "CALL_CONSOLE_BASE_URL": sim.base_url,
           "CALL_CONSOLE_TOKEN": sim.token, "PYTHONPATH": _probe_plugin_site(root),
           "PROBE_PLUGIN_MARK": str(root / "plugin-loaded"),
           "MODULES_FILE": str(root / "modules")}
    env.pop("PYDANTIC_DISABLE_PLUGINS", None)
    result = subprocess.run([sys.executable, "-c", PROBE, *args], check=False,
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    return set((root / "modules").read_text().split())


@pytest.mark.parametrize("command", ["list", "status"])
def test_call_commands_import_only_what_they_need(sim, command, tmp_path):
    if command == "list":
        args = ("call", "list", "--agent", AGENT, "--limit", "1")
    else:
        import httpx

        placed = httpx.post(f"{sim.base_url}/calls/outbound", timeout=10,
                            headers={"Authorization": f"Bearer {sim.token}"},
                            json={"agent_id": AGENT, "to_number": "+14155550004"})
        args = ("call", "status", placed.json()["call_id"])
    names = _imported(sim, *args, root=tmp_path)
    assert "console.api.client" in names  # the command did run its request
    assert sorted(n for n in names if n.split(".")[0] in NOT_NEEDED) == []
    assert sorted(names.intersection(NOT_NEEDED_MODULES)) == []
    # pydantic's plugin discovery (a scan of every installed distribution) was skipped
    assert not (tmp_path / "plugin-loaded").exists()


def test_pydantic_plugins_come_back_when_the_operator_asks(sim, tmp_path):
    """`PYDANTIC_DISABLE_PLUGINS=` (empty) turns pydantic's plugin discovery back on."""
    env = {**os.environ, "CALL_CONSOLE_BASE_URL": sim.base_url, "CALL_CONSOLE_TOKEN": sim.token,
           "PYTHONPATH": _probe_plugin_site(tmp_path), "PYDANTIC_DISABLE_PLUGINS": "",
           "PROBE_PLUGIN_MARK": str(tmp_path / "plugin-loaded")}
    result = subprocess.run([sys.executable, "-m", "console", "call", "list", "--agent", AGENT,
                             "--limit", "1"], check=False, capture_output=True, text=True,
                            env=env, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "plugin-loaded").exists()


def test_httpx_command_line_tool_still_runs_after_the_stand_in():
    code = ("import console.api, httpx, sys\n"
            "sys.argv = ['httpx', '--help']\n"
            "httpx.main()\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout and "httpx" in result.stdout


@pytest.mark.parametrize("url,verify", [
    ("https://api.example.com", True), ("HTTPS://api.example.com", True),
    ("http://127.0.0.1:8765", False), ("HTTP://localhost", False), ("ftp://x", True),
])
def test_only_plain_http_skips_the_ca_bundle(url, verify):
    assert tls_verify(url) is verify
