"""`call-console profiles ...` and `call place --template`: CliRunner and the installed command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from console.cli import main

A1 = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
A2 = "3c90c3cc-0d44-4b50-8888-8dd25736052b"
COMMAND = str(Path(sys.executable).with_name("call-console"))


@pytest.fixture
def profiles_path(isolated_dirs) -> Path:
    return isolated_dirs / "config" / "profiles.toml"


def run(*args: str, input: str | None = None):
    result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def ok(*args: str, input: str | None = None):
    result = run(*args, input=input)
    assert result.exit_code == 0, result.output
    return result


def fill() -> None:
    ok("profiles", "add", "agent", "sales", A1, "--watch", "--notes", "the sales bot")
    ok("profiles", "add", "agent", "support", A2)
    ok("profiles", "add", "caller-id", "main", "+1 415 555 0100", "--display-name", "Acme",
       "--agent", "sales")
    ok("profiles", "add", "header-set", "crm", "--header", "X-Campaign: fall",
       "--header", "X-Source: console")
    ok("profiles", "add", "header-set", "winter", "--header", "x-campaign: winter")
    result = ok("profiles", "add", "template", "fall", "--agent", "sales", "--caller-id", "main",
                "--header-set", "crm", "--header-set", "winter", "--set", "priority=high",
                "--set", "ringing_timeout_seconds=30", "--set", "krisp_enabled=no",
                "--context", '{"campaign": "fall"}')
    assert "warning: x-campaign: header set 'winter' sets 'winter'" in result.stderr


def test_list_empty_then_filled(profiles_path):
    assert "no profiles yet" in ok("profiles", "list").output
    fill()
    out = ok("profiles", "list").output
    assert "agents (2)" in out and "sales" in out and "watch" in out
    assert "+14155550100" in out and "agents: sales" in out
    data = json.loads(ok("profiles", "list", "--json").stdout)
    assert data["file"] == str(profiles_path)
    assert data["agents"]["sales"] == {"id": A1, "watch": True, "notes": "the sales bot"}
    assert data["caller_ids"]["main"]["number"] == "+14155550100"
    assert data["header_sets"]["crm"]["headers"] == {"X-Campaign": "fall", "X-Source": "console"}
    assert data["templates"]["fall"]["fields"] == {"priority": "high",
                                                   "ringing_timeout_seconds": 30,
                                                   "krisp_enabled": False}
    only = json.loads(ok("profiles", "list", "--kind", "agent", "--json").stdout)
    assert set(only) == {"file", "schema_version", "agents"}


def test_show(profiles_path):
    fill()
    out = ok("profiles", "show", "fall").output
    assert "[templates.fall]" in out
    assert "from_number" in out and "(caller_id:main)" in out
    assert "conflict: x-campaign" in out
    shown = json.loads(ok("profiles", "show", "fall", "--json").stdout)
    assert shown["resolved"]["values"]["agent_id"] == A1
    assert shown["resolved"]["sources"]["priority"] == "template:fall"
    agent = json.loads(ok("profiles", "show", "sales", "--json").stdout)
    assert agent["kind"] == "agent"
    assert "template 'fall' (agent)" in agent["referenced_by"]
    missing = run("profiles", "show", "nobody")
    assert missing.exit_code == 2 and "no profile named 'nobody'" in missing.stderr


def test_bad_input_exits_2_and_names_the_key(profiles_path):
    fill()
    before = profiles_path.read_bytes()
    cases = [
        (["add", "caller-id", "x", "12"], "caller_ids.x.number:"),
        (["add", "agent", "x", "not-a-uuid"], "agents.x.id:"),
        (["add", "agent", "bad/name", A1], 'agents."bad/name":'),
        (["add", "agent", "SALES", A1], "already exists"),
        (["add", "header-set", "h", "--header", "Via: x"], "header_sets.h.headers.Via:"),
        (["add", "header-set", "h", "--header", "no colon"], "--header 'no colon'"),
        (["add", "template", "t", "--set", "priority=URGENT"], "templates.t.fields.priority:"),
        (["add", "template", "t", "--set", "colour=red"], "--set 'colour=red'"),
        (["add", "template", "t", "--set", "wait_until_answered=maybe"], "true or false"),
        (["add", "template", "t", "--set", "agent_id=x"], "use --agent"),
        (["add", "template", "t", "--context", "[1]"], "--context:"),
        (["add", "template", "t", "--agent", "ghost"], "no agent named 'ghost'"),
        (["remove", "robot", "x"], "unknown kind"),
        (["remove", "agent", "ghost"], "no agent named 'ghost'"),
        (["rename", "agent", "sales", "support"], "already exists"),
    ]
    for args, needle in cases:
        result = run("profiles", *args)
        assert result.exit_code == 2, (args, result.output)
        assert needle in result.stderr, (args, result.stderr)
        assert profiles_path.read_bytes() == before


def test_remove_needs_force_when_used(profiles_path):
    fill()
    refused = run("profiles", "remove", "agent", "sales")
    assert refused.exit_code == 2
    assert "template 'fall' (agent)" in refused.stderr and "--force" in refused.stderr
    forced = ok("profiles", "remove", "agent", "sales", "--force")
    assert "cleared the reference in template 'fall' (agent)" in forced.output
    data = tomllib.loads(profiles_path.read_text())
    assert "sales" not in data["agents"] and "agent" not in data["templates"]["fall"]
    ok("profiles", "remove", "template", "fall")
    assert "fall" not in tomllib.loads(profiles_path.read_text()).get("templates", {})


def test_rename_and_duplicate(profiles_path):
    fill()
    out = ok("profiles", "rename", "header-set", "crm", "crm 2").output
    assert "updated template 'fall' (header_sets)" in out
    assert tomllib.loads(profiles_path.read_text())["templates"]["fall"]["header_sets"] == [
        "crm 2", "winter"]
    ok("profiles", "duplicate", "template", "fall", "fall copy")
    data = tomllib.loads(profiles_path.read_text())
    assert data["templates"]["fall copy"] == data["templates"]["fall"]


def test_export_import(profiles_path, tmp_path):
    fill()
    bundle = tmp_path / "bundle.toml"
    ok("profiles", "export", str(bundle))
    assert bundle.read_text() == profiles_path.read_text()
    assert "[agents.sales]" in ok("profiles", "export", "--kind", "agent").stdout

    other = tmp_path / "other.toml"
    result = ok("profiles", "--file", str(other), "import", str(bundle), "--json")
    report = json.loads(result.stdout)
    assert report["written"] and len(report["added"]) == 6
    assert tomllib.loads(other.read_text()) == tomllib.loads(profiles_path.read_text())

    changed = tmp_path / "changed.toml"
    changed.write_text(f'[agents.sales]\nid = "{A2}"\n[agents.new]\nid = "{A2}"\n')
    dry = ok("profiles", "import", str(changed), "--dry-run").output
    assert "added       agent new" in dry and "conflicting agent sales" in dry
    assert "dry run, nothing written" in dry
    assert "new" not in tomllib.loads(profiles_path.read_text())["agents"]
    ok("profiles", "import", str(changed), "--merge", "--overwrite")
    assert tomllib.loads(profiles_path.read_text())["agents"]["sales"]["id"] == A2
    replaced = ok("profiles", "import", str(changed), "--replace").output
    assert "removed     agent support" in replaced
    dangling = tmp_path / "dangling.toml"
    dangling.write_text(f'[agents.new]\nid = "{A2}"\n')
    before = profiles_path.read_bytes()
    refused = run("profiles", "import", str(dangling), "--replace")
    assert refused.exit_code == 2 and "no agent named 'sales'" in refused.stderr
    assert profiles_path.read_bytes() == before
    broken = tmp_path / "broken.toml"
    broken.write_text('schema_version = 1\n[caller_ids.c]\nnumber = "12"\n')
    bad = run("profiles", "import", str(broken))
    assert bad.exit_code == 2
    assert f"{broken}:3: caller_ids.c.number:" in bad.stderr


def test_import_replace_from_stdin(profiles_path):
    fill()
    ok("profiles", "remove", "template", "fall")
    ok("profiles", "remove", "caller-id", "main")
    text = f'[agents.only]\nid = "{A1}"\n'
    out = ok("profiles", "import", "-", "--replace", input=text).output
    assert "removed     agent sales" in out and "added       agent only" in out
    assert set(tomllib.loads(profiles_path.read_text())["agents"]) == {"only"}


def test_validate_good_and_bad(profiles_path):
    assert "nothing to check" in ok("profiles", "validate").output
    fill()
    assert "1 template" in ok("profiles", "validate").output
    text = profiles_path.read_text().replace('"+14155550100"', '"+1 415 555"')
    profiles_path.write_text(text)
    line = text.splitlines().index('number = "+1 415 555"') + 1
    result = run("profiles", "validate")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {profiles_path}:{line}: caller_ids.main.number: ")
    report = json.loads(run("profiles", "validate", "--json").stdout)
    assert report["ok"] is False and report["issues"][0]["line"] == line
    # every other command refuses too, and the file is left exactly as it is
    for args in (["list"], ["add", "agent", "x", A2], ["remove", "agent", "support"]):
        refused = run("profiles", *args)
        assert refused.exit_code == 2 and f"{profiles_path}:{line}:" in refused.stderr
    assert profiles_path.read_text() == text


def test_call_place_with_template_cli_wins(profiles_path):
    fill()
    result = ok("call", "place", "--template", "fall", "--to", "+14155550000",
                "--priority", "low", "--header", "X-Source: override",
                "--context", '{"extra": 1}', "--dry-run", "--json")
    body = json.loads(result.stdout)["body"]
    assert body["agent_id"] == A1
    assert body["from_number"] == "+14155550100" and body["display_name"] == "Acme"
    assert body["priority"] == "low"                 # the command line wins
    assert body["ringing_timeout_seconds"] == 30     # the template's
    assert body["krisp_enabled"] is False            # the template's (no flag given)
    assert body["custom_headers"] == {"x-campaign": "winter", "X-Source": "override"}
    assert body["context"] == {"campaign": "fall", "extra": 1}
    assert "warning: template 'fall': x-campaign" in result.stderr

    overridden = json.loads(ok("call", "place", "--template", "fall", "--to", "+14155550000",
                               "--agent", A2, "--from", "+14155550123", "--ringing-timeout",
                               "10", "--dry-run", "--json").stdout)["body"]
    assert overridden["agent_id"] == A2 and overridden["from_number"] == "+14155550123"
    assert overridden["ringing_timeout_seconds"] == 10

    missing = run("call", "place", "--template", "nope", "--to", "+14155550000", "--dry-run")
    assert missing.exit_code == 2 and "no template named 'nope'" in missing.stderr


def test_installed_command_end_to_end(tmp_path):
    env = {**os.environ, "CALL_CONSOLE_CONFIG_DIR": str(tmp_path / "cfg")}
    env.pop("CALL_CONSOLE_PROFILES", None)

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([COMMAND, *args], capture_output=True, text=True, env=env,
                              timeout=60)

    for args in (["profiles", "add", "agent", "sales", A1, "--watch"],
                 ["profiles", "add", "caller-id", "main", "+14155550100"],
                 ["profiles", "add", "header-set", "crm", "--header", "X-Campaign: fall"],
                 ["profiles", "add", "template", "fall", "--agent", "sales", "--caller-id",
                  "main", "--header-set", "crm", "--set", "priority=urgent"]):
        done = cli(*args)
        assert done.returncode == 0, done.stderr
    listed = json.loads(cli("profiles", "list", "--json").stdout)
    assert listed["file"] == str(tmp_path / "cfg" / "profiles.toml")
    assert listed["agents"]["sales"]["watch"] is True

    placed = cli("call", "place", "--template", "fall", "--to", "+14155550000",
                 "--media-encryption", "REQUIRE", "--dry-run", "--json")
    assert placed.returncode == 0, placed.stderr
    body = json.loads(placed.stdout)["body"]
    assert (body["priority"], body["media_encryption"]) == ("urgent", "REQUIRE")
    assert body["custom_headers"] == {"X-Campaign": "fall"}

    path = tmp_path / "cfg" / "profiles.toml"
    path.write_text(path.read_text() + "\n[agents.broken\n")
    original = path.read_bytes()
    checked = cli("profiles", "validate")
    assert checked.returncode == 2
    lines = original.decode().splitlines()
    assert checked.stderr.startswith(f"error: {path}:{len(lines)}: not valid TOML")
    refused = cli("profiles", "add", "agent", "other", A2)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert path.read_bytes() == original
