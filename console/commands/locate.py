"""`call-console locate`: where the console keeps its files."""

from __future__ import annotations

import json

import click

from console import paths


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def locate(as_json: bool) -> None:
    """Print the config, data and log paths (the env overrides are honoured).

    The log file is written by every command and the console (rotated at 1 MiB, 3 kept;
    --debug adds each API exchange); the audit log records who placed, ended and transferred
    which call.
    """
    from console.account.audit import audit_path
    from console.logs import log_file

    found = {
        "config_dir": str(paths.config_dir()),
        "config_file": str(paths.config_file()),
        "profiles_file": str(paths.profiles_file()),
        "data_dir": str(paths.data_dir()),
        "history_db": str(paths.history_db()),
        "log_dir": str(paths.log_dir()),
        "log_file": str(log_file()),
        "audit_log": str(audit_path()),
        "themes_dir": str(paths.user_themes_dir()),
    }
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    width = max(map(len, found))
    for key, value in found.items():
        click.echo(f"{key.replace('_', ' '):<{width}}  {value}")
