"""The key storm at 80x24 (test_key_storm.py has the storm and the 120x40 half)."""

from __future__ import annotations

import pytest

from test_key_storm import SEEDS, STARTS, run_storm


@pytest.mark.parametrize("index", range(SEEDS))
@pytest.mark.parametrize("start", STARTS)
async def test_storm_narrow(tui, tmp_path, monkeypatch, start, index):
    await run_storm(tui, tmp_path, monkeypatch, start, "narrow", index)
