"""`call-console completion bash|zsh|fish`: the shell completion script, and the completers
that offer saved names (agents, templates, environments, themes) for the options taking them.

Click's own completion does the rest: the script calls `call-console` back with
`_CALL_CONSOLE_COMPLETE` set, and click answers with the matching commands, options and
values. The completers read the files directly (plain `tomllib`, no validation, no network):
a completion must be fast and must never print an error into the operator's prompt, so any
problem gives no suggestions.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import click

SHELLS = ("bash", "zsh", "fish")
PROG_NAME = "call-console"
COMPLETE_VAR = "_CALL_CONSOLE_COMPLETE"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}


def _table_names(data: dict[str, Any], table: str) -> list[str]:
    found = data.get(table)
    return sorted(found) if isinstance(found, dict) else []


def saved_names(section: str) -> list[str]:
    """Names of one profiles section (`agents`, `templates`, `caller_ids`, `header_sets`)."""
    from console import paths

    return _table_names(_read_toml(paths.profiles_file()), section)


def environment_names() -> list[str]:
    from console import paths

    return _table_names(_read_toml(paths.config_file()), "environments")


def theme_names() -> list[str]:
    """Shipped and user themes: the `name` of each theme file (its stem when it has none)."""
    from console import paths

    shipped = Path(__file__).resolve().parents[1] / "themes"  # installed: console/themes
    if not shipped.is_dir():
        shipped = Path(__file__).resolve().parents[2] / "themes"  # a source checkout
    names = set()
    for folder in (shipped, paths.user_themes_dir()):
        for file in sorted(folder.glob("*.toml")) if folder.is_dir() else ():
            name = _read_toml(file).get("name")
            names.add(name if isinstance(name, str) and name else file.stem)
    return sorted(names)


def _completer(source):
    def complete(ctx: click.Context, param: click.Parameter, incomplete: str):
        from click.shell_completion import CompletionItem

        try:
            names = source()
        except Exception:  # noqa: BLE001 - a completion never shows an error
            return []
        return [CompletionItem(name) for name in names if name.startswith(incomplete)]

    return complete


complete_agents = _completer(lambda: saved_names("agents"))
complete_templates = _completer(lambda: saved_names("templates"))
complete_caller_ids = _completer(lambda: saved_names("caller_ids"))
complete_environments = _completer(environment_names)
complete_themes = _completer(theme_names)


def completion_source(shell: str) -> str:
    """The completion script of `shell` for the `call-console` command."""
    from click.shell_completion import get_completion_class

    from console.cli import main

    cls = get_completion_class(shell)
    if cls is None:  # pragma: no cover - SHELLS are click's own
        raise click.BadParameter(f"unsupported shell {shell!r}")
    return cls(main, {}, PROG_NAME, COMPLETE_VAR).source()


@click.command("completion")
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the shell completion script for bash, zsh or fish.

    Completes commands, options, choices and saved agent, template, environment and theme
    names. Install it once:

    \b
      bash: eval "$(call-console completion bash)"   # in ~/.bashrc
      zsh:  eval "$(call-console completion zsh)"    # in ~/.zshrc, after compinit
      fish: call-console completion fish > ~/.config/fish/completions/call-console.fish
    """
    click.echo(completion_source(shell))
