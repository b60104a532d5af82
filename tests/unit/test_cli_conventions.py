"""CLI conventions (issue 17): help on every option, on/off pairs that override a template both
ways, `--context @-`, and shell completion of commands and saved names.

In-process through click's CliRunner (no server: `--dry-run` prints the request it would send);
the completion tests call the real `call-console` the way the shell script does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from console import cli

AGENT = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
COMMAND = str(Path(sys.executable).with_name("call-console"))


def _commands(command: click.Command, ctx: click.Context, path: tuple[str, ...]):
    yield path, command
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            yield from _commands(sub, click.Context(sub, parent=ctx, info_name=name),
                                 (*path, name))


def test_every_command_and_option_has_help():
    root = click.Context(cli.main, info_name="call-console")
    missing = []
    seen = 0
    for path, command in _commands(cli.main, root, ("call-console",)):
        if not (command.help or command.short_help):
            missing.append(" ".join(path))
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden:
                seen += 1
                if not param.help:
                    missing.append(f"{' '.join(path)} {'/'.join(param.opts)}")
    assert seen > 100  # the walk reached the lazily imported subcommands
    assert missing == []


def _run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(cli.main, list(args), input=stdin, catch_exceptions=False)


@pytest.fixture
def template_all_on(tmp_path) -> None:
    """A saved agent and a template that turns every boolean field on (krisp is on by default,
    so the template turns it off: each pair is then overridden against the template)."""
    for args in (["profiles", "add", "agent", "sales", AGENT],
                 ["profiles", "add", "template", "t", "--agent", "sales",
                  "--set", "krisp_enabled=false", "--set", "wait_until_answered=true",
                  "--set", "play_dialtone=true", "--set", "hide_phone_number=true"]):
        result = _run(*args)
        assert result.exit_code == 0, result.output


BOOLEANS = ("krisp_enabled", "wait_until_answered", "play_dialtone", "hide_phone_number")


def _body(*args: str, stdin: str | None = None) -> dict:
    result = _run("call", "place", "--to", "+14155550000", "--dry-run", "--json", *args,
                  stdin=stdin)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["body"]


def test_on_off_pairs_override_a_template_both_ways(template_all_on):
    from_template = _body("--template", "t")
    assert [from_template[f] for f in BOOLEANS] == [False, True, True, True]
    flipped = _body("--template", "t", "--krisp", "--no-wait", "--no-dialtone",
                    "--show-number")
    assert [flipped[f] for f in BOOLEANS] == [True, False, False, False]
    back = _body("--template", "t", "--no-krisp", "--wait", "--dialtone", "--hide-number")
    assert [back[f] for f in BOOLEANS] == [False, True, True, True]


def test_place_takes_a_saved_agent_name(template_all_on):
    assert _body("--agent", "sales")["agent_id"] == AGENT


def test_context_from_standard_input():
    body = _body("--agent", AGENT, "--context", "@-", stdin='{"patient": {"id": 7}}')
    assert body["context"] == {"patient": {"id": 7}}


def test_context_from_standard_input_names_the_line_of_a_bad_json():
    result = _run("call", "place", "--agent", AGENT, "--to", "+14155550000", "--dry-run",
                  "--context", "@-", stdin='{\n  "a": 1,\n  oops\n}')
    assert result.exit_code == 2
    assert "--context" in result.stderr and "line 3" in result.stderr


def _complete(words: str, env: dict[str, str]) -> list[str]:
    """What the bash script asks click for `words` (the last word being completed)."""
    parts = words.split(" ")
    environment = {**os.environ, **env, "_CALL_CONSOLE_COMPLETE": "bash_complete",
                   "COMP_WORDS": words, "COMP_CWORD": str(len(parts) - 1)}
    result = subprocess.run([COMMAND], capture_output=True, text=True, env=environment,
                            timeout=30)
    assert result.returncode == 0, result.stderr
    return [line.split(",", 1)[1] for line in result.stdout.splitlines()]


@pytest.mark.parametrize("shell,needle", [("bash", "complete -o nosort -F"),
                                          ("zsh", "#compdef call-console"),
                                          ("fish", "complete --no-files --command call-console")])
def test_completion_prints_the_shell_script(shell, needle):
    result = _run("completion", shell)
    assert result.exit_code == 0 and needle in result.stdout
    assert "_CALL_CONSOLE_COMPLETE" in result.stdout


def test_completion_offers_saved_names(template_all_on, tmp_path):
    config = Path(os.environ["CALL_CONSOLE_CONFIG_DIR"])
    (config / "config.toml").write_text(
        '[environments.prod]\nbase_url = "https://api.example.com"\n'
        '[environments.staging]\nbase_url = "https://staging.example.com"\n')
    (config / "themes").mkdir()
    (config / "themes" / "mine.toml").write_text('name = "night-shift"\nprimary = "#112233"\n')
    env = {"CALL_CONSOLE_CONFIG_DIR": str(config)}
    assert _complete("call-console ca", env) == ["call", "campaign"]
    assert _complete("call-console call place --agent s", env) == ["sales"]
    assert _complete("call-console call place --template ", env) == ["t"]
    assert _complete("call-console --env ", env) == ["prod", "staging"]
    assert _complete("call-console env use st", env) == ["staging"]
    themes = _complete("call-console --theme ", env)
    assert "night-shift" in themes and "call-console-dark" in themes
