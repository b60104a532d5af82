"""Every private Textual name the console uses is still there (an upgrade that removes one
fails here, by name, instead of somewhere in the UI)."""

from __future__ import annotations

import importlib

import re

import pytest

from console.tui.textual_compat import PRIVATE_NAMES


@pytest.mark.parametrize("name", PRIVATE_NAMES)
def test_private_textual_name_exists(name):
    module_name, _, path = name.partition(":")
    found = importlib.import_module(module_name)
    if path.count(":"):  # "Class.__init__:attribute": set by the constructor
        import inspect

        constructor, attribute = path.split(":")
        for part in constructor.split("."):
            found = getattr(found, part)
        assert re.search(rf"self\.{attribute}\s*(:[^=\n]*)?=", inspect.getsource(found)), \
            f"Textual no longer sets {name} (see textual_compat.py)"
        return
    for part in path.split("."):
        if part.endswith("()"):  # an instance attribute: checked on a new instance
            found = getattr(found, part[:-2])()
            continue
        assert hasattr(found, part), f"Textual no longer has {name} (see textual_compat.py)"
        found = getattr(found, part)


def test_the_data_table_guard_fails_loudly_on_caches_of_another_shape():
    """`update_cells_in_place` relies on the keys of DataTable's render caches; a Textual whose
    keys look otherwise is refused by name (the Calls table then falls back to update_cell)."""
    from textual.cache import LRUCache
    from textual.widgets import DataTable

    from console.tui.textual_compat import (
        DataTableInternalsChanged,
        check_data_table_caches,
    )

    table = DataTable()
    check_data_table_caches(table)  # the shape Textual 8.2 has (keys: see the render test)
    table._cell_render_cache = LRUCache(10)
    table._cell_render_cache[("row", "column")] = []  # keys that are not RowKey/ColumnKey
    with pytest.raises(DataTableInternalsChanged, match="_cell_render_cache"):
        check_data_table_caches(table)
    del table._line_cache
    with pytest.raises(DataTableInternalsChanged, match="_line_cache is gone"):
        check_data_table_caches(table)
