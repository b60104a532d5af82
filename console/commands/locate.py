"""`call-console locate`: where the console keeps its files."""

from __future__ import annotations

import json

import click

from console import paths


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def locate(as_json: bool) -> None:
    """Print the config, data and log paths (the env overrides are honoured)."""
    found = {
        "config_dir": str(paths.config_dir()),
        "config_file": str(paths.config_file()),
        "profiles_file": str(paths.profiles_file()),
        "data_dir": str(paths.data_dir()),
        "history_db": str(paths.history_db()),
        "log_dir": str(paths.log_dir()),
        "themes_dir": str(paths.user_themes_dir()),
    }
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    width = max(map(len, found))
    for key, value in found.items():
        click.echo(f"{key.replace('_', ' '):<{width}}  {value}")
