"""Which modules a fresh interpreter holds after running some code (start-up import checks)."""

from __future__ import annotations

import subprocess
import sys


def loaded_after(code: str, names: tuple[str, ...]) -> list[str]:
    """The `names` found in `sys.modules` of a new Python process once `code` ran."""
    probe = f"{code}\nimport sys\nprint(','.join(m for m in {names!r} if m in sys.modules))\n"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True)
    return [name for name in out.stdout.strip().split(",") if name]
