"""httpx without its command-line tool: keep `import httpx` from loading rich and pygments.

httpx's `__init__` imports `httpx._main` (the `httpx` command-line client) whenever click,
rich and pygments are installed, which they are here (Textual brings rich and pygments). That
costs about 100 ms of CPU at every CLI start (benchmarks/cli_startup.py) for a tool the console
never runs. `install()` puts a stand-in `httpx._main` in `sys.modules` before httpx is first
imported; its `main()` imports the real module and runs it, so `httpx.main` still works.

A private module name of httpx: if a release moves the tool, the stand-in is simply unused
(tests/api/test_cli_startup.py checks both that the real tool still runs and that rich stays
out of a CLI command).
"""

from __future__ import annotations

import importlib.util
import sys
import types

MODULE = "httpx._main"


def _main(*args, **kwargs):  # pragma: no cover - the httpx command-line tool, on demand
    del sys.modules[MODULE]
    spec = importlib.util.find_spec(MODULE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE] = module
    spec.loader.exec_module(module)
    return module.main(*args, **kwargs)


def install() -> None:
    """Stand in for `httpx._main` unless httpx (or its tool) is already imported."""
    if "httpx" in sys.modules or MODULE in sys.modules:
        return
    stand_in = types.ModuleType(MODULE, "httpx's command-line tool, imported when run")
    stand_in.main = _main
    sys.modules[MODULE] = stand_in
