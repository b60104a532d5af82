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
