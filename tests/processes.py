"""Whether a process the tests started still runs (serve-ssh's and serve-web's consoles)."""

from __future__ import annotations

import os
from pathlib import Path


def pid_alive(pid: int, marker: str | None = None) -> bool:
    """True while `pid` runs (and, if given, its command line contains `marker`); a zombie
    counts as ended."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        if not Path("/proc").is_dir():  # pragma: no cover - no procfs
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return False
            return True
        return False
    except PermissionError:  # pragma: no cover
        return True
    if not cmdline:  # zombie
        return False
    return marker is None or marker.encode() in cmdline
