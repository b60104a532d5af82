"""Every private Textual name the console uses is still there (an upgrade that removes one
fails here, by name, instead of somewhere in the UI)."""

from __future__ import annotations

import importlib

import pytest

from console.tui.textual_compat import PRIVATE_NAMES


@pytest.mark.parametrize("name", PRIVATE_NAMES)
def test_private_textual_name_exists(name):
    module_name, _, path = name.partition(":")
    found = importlib.import_module(module_name)
    for part in path.split("."):
        assert hasattr(found, part), f"Textual no longer has {name} (see textual_compat.py)"
        found = getattr(found, part)
