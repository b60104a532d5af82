"""`call-console config ...`: the JSON Schemas of config.toml and profiles.toml, for editors."""

from __future__ import annotations

import click

from console.commands.common import EXIT_INPUT, fail


@click.group("config")
def config_group() -> None:
    """The config and profiles files' JSON Schemas (for taplo / Even Better TOML)."""


@config_group.command("schema")
@click.argument("which", type=click.Choice(("config", "profiles")), default="config")
@click.option("--path", "show_path", is_flag=True,
              help="Print where the package ships the schema file instead (for a "
                   "`#:schema PATH` first line or an editor's association).")
@click.option("-o", "--output", metavar="FILE",
              help="Write the schema to FILE instead of standard output.")
def schema(which: str, show_path: bool, output: str | None) -> None:
    """Print the JSON Schema of config.toml (default) or profiles.toml.

    Generated from the models that read the files, so it matches what the console accepts.
    See docs/config.md for the keys, defaults and ranges.
    """
    from console.config.schema import GENERATORS, render, shipped_path

    if show_path:
        click.echo(str(shipped_path(which)))
        return
    text = render(GENERATORS[which]())
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        fail(f"-o {output}: {exc.strerror or exc}", EXIT_INPUT)
