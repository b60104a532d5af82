"""`call-console` without a subcommand: build the app and run it. Returns the exit code.

Only Textual and the console's own small modules are imported before the first frame; the
settings, the API client and the simulator are loaded by the app right after it.
"""

from __future__ import annotations

import sys


def run_tui(*, demo: bool = False, screen: str | None = None, mouse: bool = True,
            operator: str | None = None) -> int:
    from console.tui.screens import SCREENS

    name = (screen or "call").strip().lower()
    if name not in SCREENS:
        print(f"call-console: unknown screen {screen!r}; choose one of: {', '.join(SCREENS)}",
              file=sys.stderr)
        return 2

    from console.tui.app import make_app

    app = make_app(demo=demo, screen=name, operator=operator)
    try:
        app.run(mouse=mouse)
    finally:
        app.stop_demo()
    if app.fatal_message:
        print(app.fatal_message, file=sys.stderr)
    return app.return_code or 0
