"""CLI subcommands, one module each, imported lazily by `console.cli`. Never import Textual."""

from __future__ import annotations


def lazy_completer(name: str):
    """A `shell_complete` callback of console.commands.completion, imported only when the shell
    asks for completions, so no command's start-up pays for it."""

    def complete(ctx, param, incomplete: str):
        from console.commands import completion

        return getattr(completion, name)(ctx, param, incomplete)

    return complete
