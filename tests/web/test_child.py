"""The textual-serve names ConsoleChild relies on beyond its public API (1.1.3): if a release
renames them, this says which, before a browser finds out."""

from __future__ import annotations

import inspect

import pytest

pytest.importorskip("textual_serve", reason="serve-web needs the web extra: pip install "
                    "'call-console[web]'")


def test_app_service_still_starts_its_process_through_the_overridden_method():
    from textual_serve.app_service import AppService

    from console.web.child import ConsoleChild

    assert list(inspect.signature(AppService._open_app_process).parameters) == [
        "self", "width", "height"]
    start = inspect.getsource(AppService.start)
    assert "self._open_app_process(width, height)" in start
    assert "self._task" in start
    # run() reads the process that _open_app_process stored; send_* write to _stdin.
    assert "self._process" in inspect.getsource(AppService.run)
    assert "self._stdin" in inspect.getsource(AppService.stdin.fget)
    assert ConsoleChild._open_app_process is not AppService._open_app_process
