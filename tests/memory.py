"""The process's peak memory growth over a block (Linux /proc): how the hostile-server tests
show that a huge answer is refused without being read whole."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


def _status_mb(key: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1]) // 1024
    raise KeyError(key)


@contextlib.contextmanager
def peak_growth() -> Iterator[dict[str, int]]:
    """How far the process's peak RSS rose above its RSS at the start (MB), in `["mb"]`."""
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # reset VmHWM, the peak RSS, to the current RSS
    start = _status_mb("VmRSS")
    out: dict[str, int] = {}
    yield out
    out["mb"] = _status_mb("VmHWM") - start
