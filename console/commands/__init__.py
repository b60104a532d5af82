"""CLI subcommands, one module each, imported lazily by `console.cli`. Never import Textual."""
