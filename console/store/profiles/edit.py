"""Edits to a hand-written profiles file that keep everything around them byte for byte.

Adding, removing and renaming an entry are done on the text, guided by the statement scanner
(`scan.py`: table headers, keys and the lines their values span): a new entry goes after the
last entry of its section with one blank line either side; a removed entry takes its own lines
and the comment lines directly above it, nothing else. Changes inside an entry (a value, a list
item, a new key) go through tomlkit, which keeps comments, order and formatting of what it does
not touch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from console.store.profiles.model import format_key
from console.store.profiles.scan import scan

# --- rendering new values ---------------------------------------------------------------

INLINE_LIMIT = 88


def value_item(value: Any):
    """A tomlkit item for a plain value; tables become inline tables (nested too)."""
    import tomlkit

    if isinstance(value, Mapping):
        table = tomlkit.inline_table()
        for key, item in value.items():
            table.append(key, value_item(item))
        return table
    if isinstance(value, (list, tuple)):
        array = tomlkit.array()
        for item in value:
            array.append(value_item(item))
        return array
    return tomlkit.item(value)


def _fits_inline(value: Mapping[str, Any]) -> bool:
    return len(value_item(value).as_string()) <= INLINE_LIMIT - 12


def render_entry(section: str, name: str, plain: Mapping[str, Any]) -> str:
    """`[section.name]` with its keys (None values and empty tables/lists left out); a nested
    table is inline when it is short, else its own `[section.name.key]` table."""
    import tomlkit

    table = tomlkit.table()
    nested = []
    for key, value in plain.items():
        if value is None or (isinstance(value, (Mapping, list, tuple)) and not value):
            continue
        if isinstance(value, Mapping) and not _fits_inline(value):
            nested.append((key, value))
            continue
        table.append(key, value_item(value))
    for key, value in nested:
        sub = tomlkit.table()
        for inner_key, inner in value.items():
            sub.append(inner_key, value_item(inner))
        table.append(key, sub)
    doc = tomlkit.document()
    holder = tomlkit.table(is_super_table=True)
    holder.append(name, table)
    doc.append(section, holder)
    text = doc.as_string()
    return text if text.endswith("\n") else text + "\n"


# --- the editor ---------------------------------------------------------------------------

def _blank(line: str) -> bool:
    return not line.strip()


def _comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def append_position(statements: Sequence[Any], lines: Sequence[str]) -> int | None:
    """The line a new entry of a section goes to: after the section's last statement and
    the comment lines right after it (unless they sit on the next header); None when the
    section has no statement (then the caller appends at the end)."""
    if not statements:
        return None
    position = max(s.end for s in statements) + 1
    probe = position
    while probe < len(lines) and _comment(lines[probe]):
        probe += 1
    if probe > position and (probe >= len(lines) or _blank(lines[probe])):
        position = probe
    return position


class EditError(Exception):
    """An edit that cannot be made on this text (the caller reports it)."""


class ProfilesEditor:
    """Applies a sequence of edits to the text of a profiles file.

    Text edits and tomlkit edits can be mixed; `text` is always the current result.
    """

    def __init__(self, text: str):
        self._text = text
        self._doc = None

    # -- plumbing
    @property
    def text(self) -> str:
        if self._doc is not None:
            self._text = self._doc.as_string()
            self._doc = None
        return self._text

    def _document(self):
        if self._doc is None:
            import tomlkit
            from tomlkit.exceptions import TOMLKitError

            try:
                self._doc = tomlkit.parse(self._text)
            except TOMLKitError as exc:  # tomllib accepted it, tomlkit did not
                raise EditError(f"cannot edit this file: {exc}") from None
        return self._doc

    def _lines(self) -> list[str]:
        lines = self.text.splitlines(keepends=True)
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        return lines

    def _entry_blocks(self, section: str, name: str) -> list[tuple[int, int]]:
        """Line ranges (first, last) of the statements that write `section.name`, in order."""
        blocks: list[tuple[int, int]] = []
        inside = False
        for statement in scan(self.text):
            mine = statement.path[:2] == (section, name)
            if mine and inside:
                blocks[-1] = (blocks[-1][0], statement.end)
            elif mine:
                blocks.append((statement.start, statement.end))
            inside = mine
        return blocks

    # -- whole entries (text)
    def has_statements(self, section: str, name: str) -> bool:
        return bool(self._entry_blocks(section, name))

    def add_entry(self, section: str, name: str, plain: Mapping[str, Any]) -> None:
        """Write a new `[section.name]` after the section's last entry (or at the end)."""
        entry = render_entry(section, name, plain).splitlines(keepends=True)
        lines = self._lines()
        statements = [s for s in scan(self.text) if s.path[:1] == (section,)]
        position = append_position(statements, lines)
        if position is None:
            position = len(lines)
        before = [] if position == 0 or _blank(lines[position - 1]) else ["\n"]
        after = ["\n"] if position < len(lines) and not _blank(lines[position]) else []
        self._text = "".join(lines[:position] + before + entry + after + lines[position:])

    def remove_entry(self, section: str, name: str) -> None:
        """Delete the entry's lines and the comment lines directly above each of its blocks."""
        blocks = self._entry_blocks(section, name)
        if not blocks:
            self._remove_with_tomlkit(section, name)
            return
        lines = self._lines()
        statements = scan(self.text)
        starts = {s.start for s in statements}
        for first, last in reversed(blocks):
            while first > 0 and _comment(lines[first - 1]):
                first -= 1
            probe = last + 1
            while probe < len(lines) and _comment(lines[probe]):
                probe += 1
            if probe > last + 1 and probe not in starts:  # trailing notes, not the next header's
                last = probe - 1
            del lines[first:last + 1]
            gap_before = first == 0 or _blank(lines[first - 1])
            if gap_before and first < len(lines) and _blank(lines[first]):
                del lines[first]
        self._text = "".join(lines)

    def _remove_with_tomlkit(self, section: str, name: str) -> None:
        doc = self._document()
        try:
            del doc[section][name]
        except (KeyError, TypeError):
            raise EditError(f"{format_key((section, name))} is not in the file") from None

    def rename_entry(self, section: str, old: str, new: str) -> None:
        """Change the name in every header and key that writes `section.old`."""
        written = format_key((new,))
        edits: list[tuple[int, int]] = []
        for statement in scan(self.text):
            if statement.path[:2] != (section, old):
                continue
            # Index of the name among the parts written on this line.
            index = 1 - (len(statement.table) if statement.kind == "key" else 0)
            if 0 <= index < len(statement.parts):
                _, start, end = statement.parts[index]
                edits.append((start, end))
        if not edits:
            raise EditError(f"{format_key((section, old))} is not written as a table or key "
                            "this editor can rename")
        text = self.text
        for start, end in sorted(edits, reverse=True):
            text = text[:start] + written + text[end:]
        self._text = text

    # -- values inside entries (tomlkit)
    def _container(self, path: Sequence[str]):
        node = self._document()
        for part in path:
            node = node[part]
        return node

    def sync_entry(self, section: str, name: str, plain: Mapping[str, Any]) -> None:
        """Make `section.name` hold exactly `plain` (None = absent), touching only what differs.
        A key written by hand with its default value (`watch = false`) is left alone."""
        _sync(self._container((section, name)), plain, keep_defaults=True)

    def set_value(self, path: Sequence[str], value: Any) -> None:
        _set_key(self._container(path[:-1]), path[-1], value)

    def delete_value(self, path: Sequence[str]) -> None:
        holder = self._container(path[:-1])
        if path[-1] in holder:
            del holder[path[-1]]

    def replace_in_list(self, path: Sequence[str], old: Any, new: Any) -> None:
        array = self._container(path)
        for index, item in enumerate(list(array)):
            if item == old:
                array[index] = new

    def remove_from_list(self, path: Sequence[str], value: Any) -> None:
        array = self._container(path)
        for index in reversed(range(len(array))):
            if array[index] == value:
                del array[index]

    def ensure_schema_version(self, version: int) -> None:
        """Write `schema_version = N` at the top when the file has none."""
        if any(s.path == ("schema_version",) for s in scan(self.text)):
            return
        lines = self._lines()
        # After a leading comment block (the file's own header), else first.
        position = 0
        while position < len(lines) and _comment(lines[position]):
            position += 1
        insert = [f"schema_version = {version}\n"]
        if position < len(lines) and not _blank(lines[position]):
            insert.append("\n")
        self._text = "".join(lines[:position] + insert + lines[position:])


def _plain(item: Any) -> Any:
    return item.unwrap() if hasattr(item, "unwrap") else item


_DEFAULTS = (False, "", [], {})


def _sync(holder, desired: Mapping[str, Any], *, keep_defaults: bool = False) -> None:
    from tomlkit.items import InlineTable

    for key in list(holder):
        if desired.get(key) is not None:
            continue
        value = _plain(holder[key])
        if keep_defaults and key in desired and any(
                value == d and type(value) is type(d) for d in _DEFAULTS):
            continue
        del holder[key]
    order = [k for k, v in desired.items() if v is not None]
    for position, key in enumerate(order):
        value = desired[key]
        if key in holder:
            current = holder[key]
            plain = _plain(current)
            if plain == value and type(plain) is type(value):
                continue
            if (isinstance(value, Mapping) and isinstance(plain, dict)
                    and not isinstance(current, InlineTable)):
                _sync(current, value)  # a [sub.table]: keep its comments
                continue
        before = next((k for k in reversed(order[:position]) if k in holder), None)
        _set_key(holder, key, value, after=before)


def _set_key(holder, key: str, value: Any, *, after: str | None = None) -> None:
    """Set a key. A new key goes after `after` when given, else after the table's last plain
    key: before its trailing comments and sub-tables (tomlkit alone would append it after
    whatever comment ends the table, which belongs to the next table)."""
    from tomlkit.items import AoT, Table

    if key in holder or not isinstance(holder, Table):
        holder[key] = value_item(value)
        return
    container = holder.value
    body = container.body
    anchor = None
    if after is not None and after in holder:
        item = holder[after]
        if not isinstance(item, (Table, AoT)):
            anchor = after
    if anchor is None:
        for k, item in body:
            if k is not None and not isinstance(item, (Table, AoT)):
                anchor = k.key
    if anchor is not None:
        # By position, with `_insert_at` (tomlkit has no public insert; `_insert_after` is
        # gone in 0.15.3). Past the last item, a plain append is the same thing.
        index = next(i for i, (k, _) in enumerate(body) if k is not None and k.key == anchor)
        if index + 1 < len(body):
            container._insert_at(index + 1, key, value_item(value))
        else:
            container.append(key, value_item(value))
    elif body:
        container._insert_at(0, key, value_item(value))
    else:
        holder[key] = value_item(value)
