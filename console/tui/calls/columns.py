"""Which columns the Calls table shows at a given width, in which order, and how wide each is.

The operator picks the columns per width (the column chooser, `calls_columns` in config.toml:
`"FROM_WIDTH: column column ..."`); the defaults keep the outcome (status, duration and
disposition) on an 80-column terminal. The chosen columns share the table's whole width: each
gets its minimum, then the columns whose text can be long (agent names, dispositions, flags,
campaign names) grow up to what they can use, and whatever is left goes to the last of them,
so a wide terminal shows "Reception desk" and "ring-latency-exceeded" whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from console.config.settings import CALLS_COLUMN_KEYS, ConfigError, parse_calls_columns


@dataclass(frozen=True)
class ColumnSpec:
    key: str
    label: str
    width: int          # the least it gets (and all it needs when it does not grow)
    grows_to: int = 0   # how wide it can usefully get (0: fixed)


SPECS: dict[str, ColumnSpec] = {spec.key: spec for spec in (
    ColumnSpec("status", "Status", 14),
    ColumnSpec("to", "To", 17),
    ColumnSpec("from", "From", 17),
    ColumnSpec("agent", "Agent", 10, 28),
    ColumnSpec("started", "Started", 9),
    ColumnSpec("duration", "Duration", 8),
    ColumnSpec("disposition", "Disposition", 11, 32),
    ColumnSpec("flags", "Flags", 12, 40),
    ColumnSpec("campaign", "Campaign", 10, 28),
)}
assert tuple(SPECS) == CALLS_COLUMN_KEYS

#: one line about each column (the column chooser shows it)
COLUMN_HELP: dict[str, str] = {
    "status": "initiated, ringing, answered, ended, failed (or lost)",
    "to": "the number called",
    "from": "the caller ID it was placed from",
    "agent": "the agent, by saved or server name",
    "started": "when it started (local time)",
    "duration": "talk time, ticking while answered",
    "disposition": "how it ended (busy, no-answer, completed, ...)",
    "flags": "stale, watchdog, outcome unknown, ...",
    "campaign": "the campaign that dialled it",
}

#: (from width, columns): 80 columns keep the outcome; from 120 everything but the campaign
DEFAULT_LAYOUTS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (0, ("status", "to", "agent", "duration", "disposition")),
    (120, ("status", "to", "from", "agent", "started", "duration", "disposition", "flags")),
)
#: the DataTable pads each cell with one space either side
CELL_PADDING = 2


def layouts_from(setting: Sequence[str] | None) -> list[tuple[int, tuple[str, ...]]]:
    """The layouts of the `calls_columns` setting (checked when the settings were read), or
    the defaults."""
    if not setting:
        return list(DEFAULT_LAYOUTS)
    layouts = parse_calls_columns(list(setting))
    if layouts[0][0] > 0:  # below the narrowest width given: the narrowest layout
        layouts[0] = (0, layouts[0][1])
    return layouts


def tier_for(width: int, layouts: Sequence[tuple[int, tuple[str, ...]]]) -> int:
    """Index of the layout used at `width` (the one with the largest FROM_WIDTH <= width)."""
    index = 0
    for i, (start, _columns) in enumerate(layouts):
        if start <= width:
            index = i
    return index


def widths_for(columns: Iterable[str], available: int) -> dict[str, int]:
    """Each column's width (cell padding not included) so that together they fill
    `available` cells: minimums first, then the growing columns up to what they can use,
    then the rest to the last growing column (or the last column)."""
    columns = list(columns)
    widths = {key: SPECS[key].width for key in columns}
    spare = available - sum(widths.values()) - CELL_PADDING * len(columns)
    growing = [key for key in columns if SPECS[key].grows_to]
    while spare > 0 and growing:
        wanting = [key for key in growing if widths[key] < SPECS[key].grows_to]
        if not wanting:
            break
        share = max(1, spare // len(wanting))
        for key in wanting:
            extra = min(share, SPECS[key].grows_to - widths[key], spare)
            widths[key] += extra
            spare -= extra
            if spare <= 0:
                break
    if spare > 0 and columns:
        widths[(growing or columns)[-1]] += spare
    return widths


def layout_entries(layouts: Sequence[tuple[int, tuple[str, ...]]]) -> list[str]:
    """The `calls_columns` value for `layouts`."""
    return [f"{start}: {' '.join(columns)}" for start, columns in layouts]


def save_layouts(layouts: Sequence[tuple[int, tuple[str, ...]]],
                 path: Path | None = None) -> list[str]:
    """Write `calls_columns` into config.toml (the one config editor, comments kept); returns
    the value written. Raises ConfigError (the file is not valid: it is left as it was)."""
    from console import paths
    from console.config.toml_edit import edit_toml, set_top_level

    file = path or paths.config_file()
    entries = layout_entries(layouts)

    def validate(data: dict) -> None:
        try:
            parse_calls_columns(data.get("calls_columns") or [])
        except ValueError as exc:
            raise ConfigError(str(exc), file=file, key="calls_columns") from None

    edit_toml(file, lambda document: set_top_level(document, {"calls_columns": entries}),
              validate=validate)
    return entries
