"""The command line: the TUI by default, and a scriptable subcommand for every action.

Subcommands are imported only when invoked, so `call-console` reaches the TUI's first frame
without loading httpx, FastAPI or the campaign code.

Exit codes: 0 ok, 1 API error, 2 bad input or configuration, 3 outcome unknown, 4 the call
watched by `call status --watch` failed.
"""

from __future__ import annotations

import importlib
import os

import click

from console import __version__
from console.commands import lazy_completer

SUBCOMMANDS = {
    "call": ("console.commands.call", "call_group", "Place, inspect, end and transfer calls."),
    "campaign": ("console.commands.campaign", "campaign_group", "Dial a CSV with pacing, calling hours and a DNC list; never twice."),
    "locate": ("console.commands.locate", "locate", "Print the config, data and log paths."),
    "profiles": ("console.commands.profiles", "profiles", "Saved agents, caller IDs, SIP header sets and templates."),
    "sim": ("console.commands.sim", "sim", "Serve the built-in simulator of the call API."),
    "serve-ssh": ("console.commands.serve_ssh", "serve_ssh", "Serve the console to operators over SSH (public keys only)."),
    "serve-web": ("console.commands.web", "serve_web", "Serve the console to browsers, behind a sign-in."),
    "web-users": ("console.commands.web", "web_users", "Add, remove and list serve-web's operator accounts."),
    "login": ("console.commands.auth", "login", "Sign in to an environment (tokens kept safe)."),
    "logout": ("console.commands.auth", "logout", "Forget the stored sign-in of an environment."),
    "whoami": ("console.commands.auth", "whoami", "Show the signed-in user, role and tenant."),
    "env": ("console.commands.auth", "env_group", "List, add, remove and choose API environments."),
    "history": ("console.commands.history", "history_group", "The local call history: list, fetch from the API, export, prune."),
    "audit": ("console.commands.audit", "audit_group", "Read and export the audit log (who did what, when)."),
    "config": ("console.commands.config", "config_group", "JSON Schemas of config.toml and profiles.toml for editors."),
    "completion": ("console.commands.completion", "completion", "Print the shell completion script (bash, zsh, fish)."),
}



#: Optional packages → the extra that installs them (pyproject's optional-dependencies).
OPTIONAL_PACKAGES = {"asyncssh": "ssh", "textual_serve": "web"}


def missing_extra(exc: ModuleNotFoundError) -> str | None:
    """The one line to print when `exc` is an optional package that is not installed."""
    top = (exc.name or "").split(".", 1)[0]
    extra = OPTIONAL_PACKAGES.get(top)
    if extra is None:
        return None
    return (f"error: this command needs the optional package {top!r}: "
            f"pip install 'call-console[{extra}]'")


#: pydantic's documented switch for its plugin discovery (see `LazyGroup.main`).
PYDANTIC_PLUGINS_ENV = "PYDANTIC_DISABLE_PLUGINS"


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def main(self, *args, **kwargs):
        """Run the console with pydantic's plugin discovery off.

        The first pydantic validator built in a process scans the entry points of every
        installed distribution for pydantic plugins (`pydantic.plugin._loader`), about 20 M
        instructions of every CLI command here and more in a large environment. The console
        ships and relies on no pydantic plugin (an observability plugin only watches
        validation; it changes no result), so its own process, and the consoles it starts
        (serve-ssh and serve-web sessions inherit the variable), skip the scan. A value the
        operator set wins: `PYDANTIC_DISABLE_PLUGINS=` (empty) turns discovery back on."""
        os.environ.setdefault(PYDANTIC_PLUGINS_ENV, "__all__")
        return super().main(*args, **kwargs)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(SUBCOMMANDS))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in SUBCOMMANDS:
            module, attr, _ = SUBCOMMANDS[name]
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context):
        """Run the subcommand; a file it cannot read or write (a read-only config dir, a
        file where a directory should be) ends in one line naming the path and exit 2, and so
        does a missing optional package (the line names the extra to install)."""
        try:
            return super().invoke(ctx)
        except ModuleNotFoundError as exc:
            line = missing_extra(exc)
            if line is None:
                raise
            click.echo(line, err=True)
            raise SystemExit(2) from None
        except OSError as exc:
            if exc.filename is None:  # not about a file (a closed pipe, the network)
                raise
            click.echo(f"error: {exc.filename}: {exc.strerror or exc}", err=True)
            raise SystemExit(2) from None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, SUBCOMMANDS[name][2]) for name in sorted(SUBCOMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--demo", is_flag=True,
              help="Start the built-in simulator on 127.0.0.1 and open the console on it.")
@click.option("--screen", metavar="NAME", help="Open this screen first (e.g. call, calls).")
@click.option("--no-mouse", is_flag=True, help="Do not capture the mouse.")
@click.option("--operator", metavar="NAME", help="Operator name recorded with each call.")
@click.option("--env", "env_name", metavar="NAME",
              shell_complete=lazy_completer("complete_environments"),
              help="Use [environments.NAME] of the config file (default: $CALL_CONSOLE_ENV, "
                   "then active_env).")
@click.option("--theme", metavar="NAME", shell_complete=lazy_completer("complete_themes"),
              help="Use this theme (shipped: call-console-dark, call-console-light, "
                   "high-contrast, ansi-256; or one of your theme dir; or a Textual theme). "
                   "Default: theme in config.toml.")
@click.option("--debug", is_flag=True,
              help="Log every API request and answer (token masked) to the log file "
                   "(`call-console locate` names it); same as CALL_CONSOLE_DEBUG=1.")
@click.version_option(__version__, prog_name="call-console")
@click.pass_context
def main(ctx: click.Context, demo: bool, screen: str | None, no_mouse: bool,
         operator: str | None, env_name: str | None, theme: str | None, debug: bool) -> None:
    """call-console: place outbound calls through the MrAssistant API and watch them live.

    Run without a command to open the console; `call-console --demo` runs it on the built-in
    simulator, no account needed.
    """
    ctx.ensure_object(dict)
    if operator:
        ctx.obj["operator"] = operator
    if env_name:
        # Subcommands read it through console.commands.common.selected_env(); the TUI's
        # ConsoleSession takes it as `env=`.
        ctx.obj["env"] = env_name
    if debug:  # through the environment, so child consoles (serve-ssh sessions) inherit it
        os.environ["CALL_CONSOLE_DEBUG"] = "1"
    if ctx.invoked_subcommand is not None:
        if ctx.invoked_subcommand != "completion":
            from console.logs import start_file_log

            start_file_log()
        return
    from console.tui.launch import run_tui

    raise SystemExit(run_tui(demo=demo, screen=screen, mouse=not no_mouse, operator=operator,
                             env=env_name, theme=theme))
