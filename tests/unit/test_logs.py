"""The log file: private modes, rotation, and no secret in it (message or traceback)."""

from __future__ import annotations

import logging
import stat

import pytest

from console import logs, paths


@pytest.fixture
def file_log():
    file = logs.start_file_log()
    yield file
    logs.stop_file_log()


def test_the_log_is_private_and_masks_registered_secrets(file_log):
    token = "tok-" + "s3cr3t" * 6
    logs.register_secret(token)
    log = logging.getLogger("console.test")

    def fails(secret):
        raise ValueError(f"server said no to {secret}")

    try:
        fails(token)
    except ValueError:
        log.exception("request failed with %s", token)
    logs.stop_file_log()
    text = file_log.read_text(encoding="utf-8")
    assert token not in text
    assert "request failed with ***" in text and "server said no to ***" in text
    assert "Traceback (most recent call last)" in text and "in fails" in text
    assert stat.S_IMODE(file_log.stat().st_mode) == 0o600
    assert stat.S_IMODE(paths.log_dir().stat().st_mode) == 0o700


def test_short_values_are_not_masked():
    logs.register_secret("abc")
    assert logs.mask_secrets("abc abc") == "abc abc"


def test_the_log_rotates_by_size(file_log, monkeypatch):
    handler = logs._handler
    handler.maxBytes = 2000
    log = logging.getLogger("console.test")
    for index in range(200):
        log.info("line %d %s", index, "x" * 40)
    logs.stop_file_log()
    rotated = sorted(p.name for p in file_log.parent.iterdir())
    assert rotated == ["call-console.log", "call-console.log.1", "call-console.log.2",
                       "call-console.log.3"]
    for path in file_log.parent.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.stat().st_size <= 2100


def test_an_unwritable_log_dir_leaves_the_console_without_a_log(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("CALL_CONSOLE_DATA_DIR", str(blocker / "data"))
    assert logs.start_file_log() is None


def test_a_new_data_dir_gets_its_own_log(file_log, tmp_path, monkeypatch):
    monkeypatch.setenv("CALL_CONSOLE_DATA_DIR", str(tmp_path / "elsewhere"))
    moved = logs.start_file_log()
    logging.getLogger("console.test").warning("after the move")
    logs.stop_file_log()
    assert moved != file_log and "after the move" in moved.read_text(encoding="utf-8")
