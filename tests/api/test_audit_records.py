"""Audit records of the actions outside calls: sign-in and sign-out, and every change to the
shared profiles file (which entry, how), import and export — from the command line."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from console.account import audit
from console.cli import main

A1 = "3c90c3cc-0d44-4b50-8888-8dd25736052a"


def run(*args: str, input: str | None = None):
    result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
    assert result.exit_code in (0, 1, 2) and "Traceback" not in result.output
    return result


def kinds() -> list[tuple]:
    return [(r["kind"], r.get("operator")) for r in audit.read_audit()]


def test_sign_in_refused_and_sign_out_are_audited_without_secrets(sim_clean) -> None:
    assert run("env", "add", "sim", sim_clean.base_url, "--username", "demo",
               "--use").exit_code == 0
    assert run("login", "--password-stdin", input="wrong-password\n").exit_code != 0
    assert run("--operator", "ann", "login", "--password-stdin",
               input="demo\n").exit_code == 0
    assert run("logout").exit_code == 0
    records = [r for r in audit.read_audit() if r["kind"].startswith("sign_")]
    assert [r["kind"] for r in records] == ["sign_in_refused", "sign_in", "sign_out"]
    assert all(r["env"] == "sim" and r["base_url"] == sim_clean.base_url for r in records)
    assert records[1]["username"] == "demo" and records[1]["method"] == "password"
    text = audit.audit_path().read_text()
    assert "wrong-password" not in text and sim_clean.token not in text


def test_every_profile_change_names_the_entry(isolated_dirs: Path) -> None:
    run("--operator", "ann", "profiles", "add", "agent", "sales", A1)
    run("profiles", "add", "agent", "sales", A1, "--notes", "n", "--replace")
    run("profiles", "rename", "agent", "sales", "sales-bot")
    run("profiles", "duplicate", "agent", "sales-bot", "spare")
    run("profiles", "remove", "agent", "spare")
    bundle = isolated_dirs / "bundle.toml"
    run("profiles", "export", str(bundle))
    run("profiles", "remove", "agent", "sales-bot")
    run("profiles", "import", str(bundle))
    changes = [(r["change"], r["entry_kind"], r["name"], r.get("new_name"))
               for r in audit.read_audit() if r["kind"] == "profile_changed"]
    assert changes == [("added", "agent", "sales", None), ("updated", "agent", "sales", None),
                       ("renamed", "agent", "sales", "sales-bot"),
                       ("copied", "agent", "sales-bot", "spare"),
                       ("removed", "agent", "spare", None),
                       ("removed", "agent", "sales-bot", None)]
    assert kinds()[0] == ("profile_changed", "ann")
    exported = [r for r in audit.read_audit() if r["kind"] == "profiles_exported"]
    imported = [r for r in audit.read_audit() if r["kind"] == "profiles_imported"]
    assert exported[0]["to"] == str(bundle)
    assert imported[0]["added"] == 1 and imported[0]["source"] == str(bundle)
    assert all(r["face"] == "cli" for r in audit.read_audit())
