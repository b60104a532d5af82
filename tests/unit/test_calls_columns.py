"""The Calls table's column layouts: the `calls_columns` setting, and widths that fill the
table (console/tui/calls/columns.py; no app needed)."""

from __future__ import annotations

import pytest

from console.config.settings import ConfigError, Settings, parse_calls_columns
from console.tui.calls.columns import (
    CELL_PADDING,
    DEFAULT_LAYOUTS,
    layouts_from,
    save_layouts,
    tier_for,
    widths_for,
)


def test_setting_parses_per_width_and_names_a_bad_entry():
    assert parse_calls_columns(["120: status to from", "0: status, duration"]) == [
        (0, ("status", "duration")), (120, ("status", "to", "from"))]
    for entry, needle in (("status to", "FROM_WIDTH"), ("80:", "at least one column"),
                          ("80: status colour", "unknown column 'colour'"),
                          ("80: to to", "listed twice")):
        with pytest.raises(ValueError, match=needle):
            parse_calls_columns([entry])
    with pytest.raises(ValueError, match="entry 2"):
        Settings(calls_columns=["0: status", "x"])


def test_default_80_columns_keep_the_outcome_and_every_width_is_filled():
    narrow = DEFAULT_LAYOUTS[tier_for(80, DEFAULT_LAYOUTS)][1]
    assert {"status", "duration", "disposition"} <= set(narrow)
    assert tier_for(119, DEFAULT_LAYOUTS) == 0 and tier_for(120, DEFAULT_LAYOUTS) == 1
    for width, layout in ((79, narrow), (119, DEFAULT_LAYOUTS[1][1]), (219, DEFAULT_LAYOUTS[1][1])):
        widths = widths_for(layout, width)
        assert sum(widths.values()) + CELL_PADDING * len(layout) == width
    wide = widths_for(DEFAULT_LAYOUTS[1][1], 219)
    assert wide["agent"] >= len("Reception desk") and wide["disposition"] >= len(
        "ring-latency-exceeded")


def test_layouts_saved_in_config_toml_keep_the_file(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("# mine\noperator = \"ann\"\n")
    layouts = [(0, ("status", "disposition")), (100, ("to", "status", "campaign"))]
    save_layouts(layouts, config)
    text = config.read_text()
    assert text.startswith("# mine\n") and 'operator = "ann"' in text
    from console.config.settings import read_toml

    assert layouts_from(read_toml(config)["calls_columns"]) == layouts
    config.write_text("operator = [\n")  # not TOML: reported, never overwritten
    with pytest.raises(ConfigError):
        save_layouts(layouts, config)
    assert config.read_text() == "operator = [\n"
