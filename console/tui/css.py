"""Where the console's CSS comes from: one rule, applied everywhere.

Every screen's and widget's CSS is a `.tcss` file beside its module, attached to its class as
`DEFAULT_CSS = stylesheet(__file__)` (or `stylesheet(__file__, "other.tcss")` when a module
holds two styled classes). Textual scopes DEFAULT_CSS to the class and parses it when the class
is first used, so a screen nobody opens costs nothing at start-up. Only app-wide rules (toasts,
tooltips) are in `app.tcss`, the app's CSS_PATH. No CSS is written in a Python string.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path


@cache
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def stylesheet(module_file: str, name: str | None = None) -> str:
    """The text of `name` (default: the module's own name with `.tcss`) beside `module_file`."""
    module = Path(module_file)
    return _read(module.with_name(name or module.with_suffix(".tcss").name))
