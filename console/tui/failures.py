"""What an operator's console does with an error nobody expected: log it, say so once, go on.

`textual_compat` hands every exception a handler raised (when the app survives errors) to
`FailureReporter.report`: the traceback goes to the log file (plain, no locals, secrets
masked: `console.logs`), and one error toast names the error and where the log is. The same
error repeating (a widget that fails on every repaint) is logged with a count and toasted at
most once per `REPEAT_QUIET` seconds, so the screen stays usable.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from console.api.safe_text import visible

if TYPE_CHECKING:
    from textual.app import App

log = logging.getLogger("console.tui.failures")

#: the same error is toasted again at most this often (seconds)
REPEAT_QUIET = 30.0
#: longest error text in a toast (the full text is in the log)
TOAST_TEXT_LIMIT = 300


class FailureReporter:
    def __init__(self, app: App) -> None:
        self.app = app
        self.count = 0
        self._last_toast: dict[tuple[str, str], float] = {}

    def report(self, error: BaseException, where: object | None) -> None:
        self.count += 1
        place = type(where).__name__ if where is not None else "the console"
        log.error("unexpected error in %s (the console goes on)", place,
                  exc_info=(type(error), error, error.__traceback__))
        key = (type(error).__name__, str(error)[:200])
        now = time.monotonic()
        if now - self._last_toast.get(key, -REPEAT_QUIET) < REPEAT_QUIET:
            return
        self._last_toast[key] = now
        from console.logs import log_file

        text = visible(f"{type(error).__name__}: {error}", TOAST_TEXT_LIMIT)
        try:
            self.app.notify(f"{text}\nThe console goes on. Details: {log_file()}",
                            title="Unexpected error", severity="error", markup=False,
                            timeout=15)
        except Exception:  # noqa: BLE001 - the app is closing: the log has it
            log.debug("could not show the error toast", exc_info=True)

