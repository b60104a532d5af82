"""The `[keymap]` section of config.toml: binding id → key(s), and its checks.

    [keymap]
    "call.send" = "ctrl+y"            # quoted id ...
    call.reset = "ctrl+r,f4"           # ... or a dotted key: the same thing
    "app.jump" = ["ctrl+j", "f11"]     # a list is several keys

Applied with `App.set_keymap` before the first frame (the footer and the help show the new
keys at once). The checks run right after it, when there is a remapping to check: a value that is not a key, an id no binding has,
and *conflicts* — two binding ids on one key in the same context (the app and one screen, or
one widget) — are reported with the file and the line; the app starts anyway.

Everything is derived at run time from the bindings themselves (every `DOMNode` subclass under
`console.` with ids in its BINDINGS, plus the registered screens), so a new screen or widget is
checked without touching this module.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.config import toml_input

if TYPE_CHECKING:
    from textual.app import App
    from textual.binding import Binding
    from textual.dom import DOMNode

log = logging.getLogger("console.tui.keys.keymap")


@dataclass(frozen=True)
class KeymapProblem:
    file: Path | None
    line: int | None
    key: str | None
    message: str

    def __str__(self) -> str:
        where = "" if self.file is None else str(self.file)
        if self.file is not None and self.line is not None:
            where += f":{self.line}"
        key = f"{self.key}: " if self.key else ""
        return f"{where}: {key}{self.message}" if where else f"{key}{self.message}"


@dataclass
class Keymap:
    """The remapping as read from the config (id → "key,key"), and what was wrong with it."""

    mapping: dict[str, str] = field(default_factory=dict)
    file: Path | None = None
    problems: list[KeymapProblem] = field(default_factory=list)
    #: id → 1-based line where it is written
    lines: dict[str, int | None] = field(default_factory=dict)


def _flatten(table: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    for key, value in table.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flatten(value, full + ".")
        else:
            yield full, value


def line_of(path: Path, binding_id: str) -> int | None:
    from console.config.settings import locate_key

    line = locate_key(path, ["keymap", binding_id])
    dotted = locate_key(path, ["keymap", *binding_id.split(".")])
    # locate_key falls back to the table header; prefer the line that names the key itself.
    header = locate_key(path, ["keymap"])
    for candidate in (line, dotted):
        if candidate is not None and candidate != header:
            return candidate
    return line or dotted


def read_keymap(path: Path | None = None) -> Keymap:
    """The `[keymap]` table of config.toml (cheap: tomllib only). A file that does not parse is
    left to the settings loader, which reports it with its line."""
    if path is None:
        from console import paths

        path = paths.config_file()
    keymap = Keymap(file=path)
    try:
        data = toml_input.loads(path.read_text(encoding="utf-8"))  # no RecursionError
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return keymap
    table = data.get("keymap")
    if table is None:
        return keymap
    if not isinstance(table, dict):
        keymap.problems.append(KeymapProblem(path, _top_line(path), "keymap",
                                             "must be a table: [keymap] then \"id\" = \"key\""))
        return keymap
    for binding_id, value in _flatten(table):
        line = line_of(path, binding_id)
        keymap.lines[binding_id] = line
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            value = ",".join(value)
        if not isinstance(value, str) or not value.strip():
            keymap.problems.append(KeymapProblem(
                path, line, f"keymap.{binding_id}",
                "must be a key such as \"ctrl+y\", several as \"ctrl+y,f4\" or a list"))
            continue
        keys = [k.strip() for k in value.split(",") if k.strip()]
        bad = [k for k in keys if " " in k]
        if bad:
            keymap.problems.append(KeymapProblem(
                path, line, f"keymap.{binding_id}",
                f"{bad[0]!r} is not a key name (e.g. ctrl+y, f4, shift+tab, escape)"))
            continue
        keymap.mapping[binding_id] = ",".join(keys)
    return keymap


def _top_line(path: Path) -> int | None:
    from console.config.settings import locate_key

    return locate_key(path, ["keymap"])


# -- contexts: where bindings live -------------------------------------------------------------


@dataclass
class Context:
    """Bindings that are active together: the app's and one screen's, or one widget's."""

    name: str
    owner: type | None
    bindings: list[Binding]


def class_bindings(cls: type[DOMNode]) -> list[Binding]:
    """Every binding a node class has (its own and inherited), in declaration order."""
    from console.tui.textual_compat import merged_bindings

    merged = merged_bindings(cls)
    seen: set[int] = set()
    result: list[Binding] = []
    for key_bindings in merged.key_to_bindings.values():
        for binding in key_bindings:
            if id(binding) not in seen:
                seen.add(id(binding))
                result.append(binding)
    return result


def import_tui_modules() -> None:
    """Import the registered screens and every console.tui module, so that every class with
    bindings is known (modules that fail to import are logged and skipped)."""
    import console.tui as tui
    from console.tui.screens import SCREENS

    for spec in SCREENS.values():
        module = spec.target.partition(":")[0]
        try:
            importlib.import_module(module)
        except Exception as exc:  # noqa: BLE001 - a broken screen must not break the checks
            log.warning("cannot import %s: %r", module, exc)
    for info in pkgutil.walk_packages(tui.__path__, "console.tui."):
        try:
            importlib.import_module(info.name)
        except Exception as exc:  # noqa: BLE001
            log.warning("cannot import %s: %r", info.name, exc)


def _subclasses(cls: type) -> Iterable[type]:
    seen: set[type] = set()
    stack = list(cls.__subclasses__())
    while stack:
        sub = stack.pop()
        if sub in seen:
            continue
        seen.add(sub)
        stack.extend(sub.__subclasses__())
        yield sub


def binding_contexts(app: App[Any] | type[App[Any]], *, import_all: bool = True) -> list[Context]:
    """The app context, one per registered screen (with the app's bindings), and one per other
    console screen or widget class that declares bindings with ids."""
    from textual.app import App
    from textual.dom import DOMNode
    from textual.screen import Screen

    from console.tui.screens import SCREENS

    if import_all:
        import_tui_modules()
    app_cls = app if isinstance(app, type) else type(app)
    app_bindings = class_bindings(app_cls)
    contexts = [Context("Everywhere", app_cls, app_bindings)]
    screen_classes: dict[type, str] = {}
    for spec in SCREENS.values():
        module, _, attr = spec.target.partition(":")
        try:
            screen_cls = getattr(importlib.import_module(module), attr)
        except Exception:  # noqa: BLE001
            continue
        screen_classes[screen_cls] = f"{spec.title} screen"
        contexts.append(Context(f"{spec.title} screen", screen_cls,
                                app_bindings + class_bindings(screen_cls)))
    for cls in sorted(_subclasses(DOMNode), key=lambda c: (c.__module__, c.__qualname__)):
        if (not cls.__module__.startswith("console.") or cls in screen_classes
                or issubclass(cls, App)
                or any(issubclass(screen, cls) for screen in screen_classes)):
            continue  # the app itself, a registered screen, or a base class of one
        own = cls.__dict__.get("BINDINGS") or []
        if not any(getattr(b, "id", None) for b in own if not isinstance(b, tuple)):
            continue
        bindings = class_bindings(cls)
        if issubclass(cls, Screen):
            # a modal: the app's priority bindings still fire above it
            bindings = [b for b in app_bindings if b.priority] + bindings
        contexts.append(Context(_describe(cls), cls, bindings))
    return contexts


def _describe(cls: type) -> str:
    from textual.screen import ModalScreen, Screen

    if issubclass(cls, ModalScreen):
        return f"{cls.__name__} (dialog)"
    if issubclass(cls, Screen):
        return f"{cls.__name__} (screen)"
    return f"{cls.__name__} (when focused)"


def effective_keys(binding: Binding, keymap: Mapping[str, str]) -> list[str]:
    from console.tui.textual_compat import normalize_keymap

    if binding.id and binding.id in keymap:
        raw = keymap[binding.id]
    else:
        raw = binding.key
    normalised = normalize_keymap({"_": raw})["_"]
    return [k.strip() for k in normalised.split(",") if k.strip()]


def known_ids(contexts: Iterable[Context]) -> set[str]:
    return {b.id for context in contexts for b in context.bindings if b.id}


def find_conflicts(contexts: Iterable[Context], keymap: Mapping[str, str]
                   ) -> list[tuple[str, str, list[str]]]:
    """(context name, key, ids) for every key that two or more binding ids share."""
    found: list[tuple[str, str, list[str]]] = []
    for context in contexts:
        by_key: dict[str, list[str]] = {}
        for binding in context.bindings:
            if not binding.id:
                continue
            for key in effective_keys(binding, keymap):
                ids = by_key.setdefault(key, [])
                if binding.id not in ids:
                    ids.append(binding.id)
        for key, ids in by_key.items():
            if len(ids) > 1:
                found.append((context.name, key, ids))
    return found


def needs_check(keymap: Keymap, overrides: Mapping[str, str] | None = None) -> bool:
    """Whether there is anything to check: a remapping (config or `make_app(keymap=...)`) or
    a problem reading it. With neither, the default keys alone are in force, and those are
    checked by the test suite (tests/tui/test_keymap.py), not at every start: the check imports
    every screen, which would compete with the first frames for the interpreter."""
    return bool(keymap.mapping or keymap.problems or overrides)


def check_keymap(keymap: Keymap, contexts: list[Context]) -> list[KeymapProblem]:
    """Unknown ids and conflicts. A conflict that involves a remapped id is reported at that
    id's line; one between defaults only (a bug of ours) is reported without a file."""
    problems: list[KeymapProblem] = list(keymap.problems)
    ids = known_ids(contexts)
    for binding_id in keymap.mapping:
        if binding_id not in ids:
            import difflib

            close = difflib.get_close_matches(binding_id, sorted(ids), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(KeymapProblem(
                keymap.file, keymap.lines.get(binding_id), f"keymap.{binding_id}",
                f"no binding has this id{hint}; F1 lists every id"))
    reported: set[tuple[str, frozenset[str]]] = set()
    for context, key, conflict_ids in find_conflicts(contexts, keymap.mapping):
        marker = (key, frozenset(conflict_ids))
        if marker in reported:
            continue
        reported.add(marker)
        remapped = [i for i in conflict_ids if i in keymap.mapping]
        others = ", ".join(i for i in conflict_ids if i != (remapped[0] if remapped else None))
        if remapped:
            first = remapped[0]
            problems.append(KeymapProblem(
                keymap.file, keymap.lines.get(first), f"keymap.{first}",
                f"{key} is also bound to {others} ({context}); only one of them can have it"))
        else:
            problems.append(KeymapProblem(
                None, None, None,
                f"default keys clash: {key} is bound to {', '.join(conflict_ids)} ({context})"))
    return problems
