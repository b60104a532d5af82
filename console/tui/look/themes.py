"""Theme files: a small flat TOML format, validated before anything is registered.

    # themes/call-console-dark.toml
    name = "call-console-dark"
    dark = true
    primary = "#4f9fe0"
    background = "#14181f"
    status-answered = "#3fb950"
    ...

Keys:
- `name` (required; lower-case letters, digits and dashes) and `dark` (required, true/false);
  `description` (optional text);
- the semantic colours `primary` (required), `secondary`, `accent`, `foreground`, `background`,
  `surface`, `panel`, `boost`, `success`, `warning`, `error`;
- our own variables (`status-initiated`, ... see `THEME_VARIABLE_DEFAULTS`): colours;
- any variable Textual itself derives from a theme (`footer-key-foreground`,
  `block-cursor-text-style`, ...): colours, or text styles for the `*-text-style` / `*-style*`
  ones.

Every colour must parse with `textual.color.Color.parse`. A key this module does not know, a
value of the wrong type or a colour that does not parse is a `ThemeProblem` naming the file,
the line and the key; the file is skipped (never a crash) and the problems are shown at start.

Shipped themes live in the top-level `themes/` folder of the repository, installed as the
package `console.themes` (see pyproject.toml); the operator's own go in
`paths.user_themes_dir()` and win over a shipped theme of the same name.

Headless on purpose (only `textual.color` / `textual.theme`, no app), so tests and the CLI can
check a theme file without starting the UI.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.config import toml_input

if TYPE_CHECKING:
    from textual.theme import Theme

#: Our own theme variables and their defaults: every built-in Textual theme (textual-dark,
#: nord, ...) lacks them, so `App.get_theme_variable_defaults` returns these. Mid-tone colours
#: chosen to read on dark and light backgrounds alike.
THEME_VARIABLE_DEFAULTS: dict[str, str] = {
    "status-initiated": "#5f87d7",
    "status-ringing": "#d7af00",
    "status-answered": "#00af5f",
    "status-ended": "#8a8a8a",
    "status-failed": "#d75f5f",
    "status-unknown": "#af87d7",
    "status-stale": "#d78700",
    "jump-label-background": "#d7005f",
    "jump-label-foreground": "#ffffff",
    "help-key": "#5fafd7",
}

SEMANTIC_COLOURS = ("primary", "secondary", "accent", "foreground", "background", "surface",
                    "panel", "boost", "success", "warning", "error")
META_KEYS = ("name", "dark", "description")
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
TEXT_STYLE_WORDS = {"bold", "italic", "underline", "reverse", "strike", "dim", "blink", "none",
                    "not", "b", "i", "u", "s", "r", "d", "overline", "underline2", "conceal",
                    "frame", "encircle"}


@dataclass(frozen=True)
class ThemeProblem:
    file: Path
    line: int | None
    key: str | None
    message: str

    def __str__(self) -> str:
        where = str(self.file)
        if self.line is not None:
            where += f":{self.line}"
        key = f" {self.key}:" if self.key else ""
        return f"{where}:{key} {self.message}"


@dataclass
class ThemeSet:
    """What `load_themes` found: the valid themes, where each came from, and the problems."""

    themes: dict[str, Theme] = field(default_factory=dict)
    sources: dict[str, Path] = field(default_factory=dict)
    problems: list[ThemeProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return sorted(self.themes)


# -- where themes live -------------------------------------------------------------------------


def shipped_themes_dir() -> Path:
    """The themes shipped with the console: the installed `console.themes` package (mapped to
    the repository's top-level `themes/` folder), or that folder in a source checkout."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("console.themes")
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            path = Path(location)
            if path.is_dir():
                return path
    import console

    return Path(console.__file__).resolve().parent.parent / "themes"


def theme_dirs() -> list[Path]:
    """Shipped first, then the operator's (a later file of the same name wins)."""
    from console import paths

    return [shipped_themes_dir(), paths.user_themes_dir()]


# -- validation --------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def textual_variable_names() -> frozenset[str]:
    """Every variable Textual derives from a theme (what a theme file may also set)."""
    from textual.theme import Theme

    return frozenset(Theme("probe", primary="#000000").to_color_system().generate())


def _is_text_style_variable(key: str) -> bool:
    return key.endswith("text-style") or key.startswith("link-style")


def _line_of(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^\s*(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None


def _colour_problem(value: Any) -> str | None:
    from textual.color import Color, ColorParseError

    if not isinstance(value, str):
        return f"must be a colour string such as \"#1e90ff\", not {type(value).__name__}"
    try:
        Color.parse(value)
    except ColorParseError as exc:
        suggestion = f" (did you mean {exc.suggested_color!r}?)" if exc.suggested_color else ""
        return f"{value!r} is not a colour{suggestion}"
    return None


def parse_theme_text(text: str, file: Path) -> tuple[Theme | None, list[ThemeProblem]]:
    """Validate one theme file's text; (Theme, []) or (None, problems)."""
    from textual.theme import Theme

    problems: list[ThemeProblem] = []

    def problem(key: str | None, message: str, line: int | None = None) -> None:
        if line is None and key is not None:
            line = _line_of(text, key)
        problems.append(ThemeProblem(file, line, key, message))

    try:
        data = toml_input.loads(text)  # deep nesting and huge numbers too, with the line
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"at line (\d+)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        problem(None, f"not valid TOML: {message}", int(match.group(1)) if match else None)
        return None, problems

    known_textual = textual_variable_names()
    name = data.get("name")
    if name is None:
        problem("name", "missing: every theme needs a name = \"...\"", line=1)
    elif not isinstance(name, str) or not NAME_RE.fullmatch(name):
        problem("name", "must be lower-case letters, digits and dashes, e.g. \"ops-dark\"")
    dark = data.get("dark")
    if dark is None:
        problem("dark", "missing: dark = true or dark = false", line=1)
    elif not isinstance(dark, bool):
        problem("dark", "must be true or false")
    if "description" in data and not isinstance(data["description"], str):
        problem("description", "must be text")
    if "primary" not in data:
        problem("primary", "missing: every theme needs a primary colour", line=1)

    colours: dict[str, str] = {}
    variables: dict[str, str] = {}
    for key, value in data.items():
        if key in META_KEYS:
            continue
        if isinstance(value, dict):
            problem(key, "tables are not part of the theme format (keys are flat: "
                         "primary = \"#...\", status-answered = \"#...\")",
                    line=_table_line(text, key))
            continue
        if key in SEMANTIC_COLOURS:
            message = _colour_problem(value)
            if message:
                problem(key, message)
            else:
                colours[key] = value
        elif key in THEME_VARIABLE_DEFAULTS or (key in known_textual
                                                and not _is_text_style_variable(key)):
            message = _colour_problem(value)
            if message:
                problem(key, message)
            else:
                variables[key] = value
        elif key in known_textual:
            words = value.split() if isinstance(value, str) else None
            if not words or any(word.lower() not in TEXT_STYLE_WORDS for word in words):
                problem(key, f"{value!r} is not a text style (e.g. \"bold\", \"reverse\", "
                             "\"none\")")
            else:
                variables[key] = value
        else:
            close = _close_keys(key, known_textual)
            hint = f" (did you mean {close}?)" if close else ""
            problem(key, f"unknown key{hint}; a theme has name, dark, description, the colours "
                         f"{', '.join(SEMANTIC_COLOURS)} and variables such as "
                         f"{', '.join(list(THEME_VARIABLE_DEFAULTS)[:3])}, ...")
    if problems:
        return None, problems
    theme = Theme(name=name, dark=dark, variables=variables, **colours)
    try:  # the colour system must build (it derives every shade from these colours)
        theme.to_color_system().generate()
    except Exception as exc:  # noqa: BLE001 - report, never crash
        problem(None, f"colours do not make a usable theme: {exc}", line=1)
        return None, problems
    return theme, problems


def _table_line(text: str, key: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(rf"^\s*\[\s*{re.escape(key)}\s*\]", line):
            return number
    return _line_of(text, key)


def _close_keys(key: str, known: frozenset[str]) -> str:
    import difflib

    candidates = list(SEMANTIC_COLOURS) + list(THEME_VARIABLE_DEFAULTS) + sorted(known)
    matches = difflib.get_close_matches(key, candidates, n=1, cutoff=0.75)
    return repr(matches[0]) if matches else ""


def load_theme_file(path: Path) -> tuple[Theme | None, list[ThemeProblem]]:
    from console.limits import THEME_MAX_BYTES
    from console.store.input_files import InputFileError, decode_utf8, read_limited

    try:  # a regular file, size-capped: a FIFO in the theme dir must not freeze the start
        text = decode_utf8(read_limited(path, THEME_MAX_BYTES, what="theme file"), file=path)
    except InputFileError as exc:
        message = f"cannot read: {exc.message}" if exc.unreadable else exc.message
        return None, [ThemeProblem(path, exc.line, None, message)]
    return parse_theme_text(text, path)


def load_themes(dirs: list[Path] | None = None) -> ThemeSet:
    """Every `*.toml` of the theme directories, validated; bad files reported and skipped."""
    found = ThemeSet()
    for directory in theme_dirs() if dirs is None else dirs:
        try:
            files = sorted(directory.glob("*.toml"))
        except OSError:
            continue
        names_here: dict[str, Path] = {}
        for path in files:
            theme, problems = load_theme_file(path)
            if theme is None:
                found.problems.extend(problems)
                continue
            if theme.name in names_here:
                found.problems.append(ThemeProblem(
                    path, _line_of(path.read_text(encoding="utf-8"), "name"), "name",
                    f"theme {theme.name!r} is already defined in {names_here[theme.name]}"))
                continue
            names_here[theme.name] = path
            if theme.name in found.sources:
                found.notes.append(f"{path}: theme {theme.name!r} replaces the one in "
                                   f"{found.sources[theme.name]}")
            found.themes[theme.name] = theme
            found.sources[theme.name] = path
    return found


def shipped_theme_names() -> list[str]:
    return load_themes([shipped_themes_dir()]).names


# -- the choice, saved in config.toml ----------------------------------------------------------


def read_configured_theme() -> str | None:
    """`theme = "..."` of config.toml, read cheaply (no pydantic) before the first frame.
    A file that does not parse is left to the settings loader to report."""
    from console import paths

    try:
        data = toml_input.loads(paths.config_file().read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    value = data.get("theme")
    return value if isinstance(value, str) and value else None


def save_theme_choice(name: str, path: Path | None = None) -> None:
    """Write `theme = NAME` into config.toml, keeping its comments and every other key: one
    preference among the others (`console.config.preferences`, through the one TOML editor:
    atomic replace under the file lock). Raises `ConfigError` when the file does not parse (it
    is never overwritten then)."""
    from console.config.preferences import save_preferences

    save_preferences({"theme": name}, path)
