"""Start-up of `call-console` against a bare Textual app (Header, Static, Footer), on this machine.

Each program is started in its own pseudo-terminal (120x40) and timed from just before the
spawn until a marker text appears on the terminal; then it is killed. The runs alternate
between the programs so all see the same machine state. Prints the median of each figure and
its ratio to the bare app (`--json` prints the same as one JSON object).

Figures for call-console:
- header frame: the console header ("call-console") is on screen;
- form usable: the call form is on screen with its core fields, down to DTMF;
- typing ready: keys written to the terminal the moment the header shows (a fast typist who
  starts with the first frame) have landed in To and are drawn there. Keys that land anywhere
  else, or nowhere, never show and the run fails with "typed text lost";
- first start, form usable: the same as "form usable" with new, empty config and data
  directories for every run (the configuration check and the first writes of the data dir).

Targets (docs/design.md §5, issue 16): form usable and typing ready <= 1.5 x the bare app;
first start <= 2 x.

Every program runs from compiled bytecode, as after `pip install .` (pip compiles every
module). An editable install under PYTHONDONTWRITEBYTECODE=1 would compile the console's
modules from source on every start (~20 ms), so the console package is byte-compiled first.

    python benchmarks/startup.py [--runs 9] [--demo] [--cmd call-console] [--json]
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import select
import shutil
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time

BARE = """
from textual.app import App
from textual.widgets import Footer, Header, Static

class Bare(App):
    BINDINGS = [("q", "quit", "Quit")]

    def compose(self):
        yield Header()
        yield Static("Hello, first frame")
        yield Footer()

Bare().run()
"""

COLS, ROWS = 120, 40
TIMEOUT = 20.0
#: typed at the header frame; drawn in To as typed (a national number of the default region)
TYPED = b"4155550199"


class TypedTextLost(RuntimeError):
    pass


def time_to_marker(argv: list[str], marker: bytes, env: dict[str, str], *,
                   type_at: bytes | None = None) -> float:
    """Spawn `argv` on a new pty; seconds until `marker` is written to the terminal.

    `type_at`: once this text has been written by the program, write TYPED to its terminal
    (as keys) and wait for TYPED to be drawn instead of `marker`.
    """
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # child
        try:
            os.execvpe(argv[0], argv, env)
        finally:
            os._exit(127)
    try:
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        seen = b""
        typed_from: int | None = None
        deadline = start + TIMEOUT
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                if typed_from is not None:
                    raise TypedTextLost(f"{argv!r}: typed {TYPED!r} never showed")
                raise TimeoutError(f"{argv!r}: no {marker!r} within {TIMEOUT} s")
            ready, _, _ = select.select([fd], [], [], min(remaining, 0.5))
            if not ready:
                if typed_from is not None and time.perf_counter() - start > 8:
                    raise TypedTextLost(f"{argv!r}: typed {TYPED!r} never showed")
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                raise RuntimeError(f"{argv!r} exited early: {seen[-500:]!r}")
            seen += chunk
            if type_at is not None:
                if typed_from is None and type_at in seen:
                    typed_from = len(seen)
                    os.write(fd, TYPED)
                if typed_from is not None and TYPED in seen[typed_from:]:
                    return time.perf_counter() - start
            elif marker in seen:
                return time.perf_counter() - start
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        os.close(fd)


def compile_console_package() -> None:
    """Byte-compile the console package (what `pip install .` does) if it is importable."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("console")
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            compileall.compile_dir(folder, quiet=1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--demo", action="store_true", help="time `call-console --demo`")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    beside = os.path.join(os.path.dirname(sys.executable), "call-console")
    parser.add_argument("--cmd", default=beside if os.path.exists(beside)
                        else shutil.which("call-console") or "call-console")
    args = parser.parse_args()
    compile_console_package()

    with tempfile.TemporaryDirectory() as tmp:
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("CALL_CONSOLE_")}
        base_env.update(TERM="xterm-256color", COLORTERM="truecolor")

        def dirs(name: str) -> dict[str, str]:
            return {**base_env, "CALL_CONSOLE_CONFIG_DIR": os.path.join(tmp, name, "config"),
                    "CALL_CONSOLE_DATA_DIR": os.path.join(tmp, name, "data")}

        fresh = iter(range(1_000_000))
        bare = os.path.join(tmp, "bare.py")
        with open(bare, "w") as f:
            f.write(BARE)
        console = [args.cmd] + (["--demo"] if args.demo else [])
        # name: (argv, marker, type_at, environment maker)
        programs = {
            "bare Textual": ([sys.executable, bare], b"first frame", None, lambda: dirs("bare")),
            "header frame": (console, b"call-console", None, lambda: dirs("kept")),
            "form usable": (console, b"DTMF", None, lambda: dirs("kept")),
            "typing ready": (console, TYPED, b"call-console", lambda: dirs("kept")),
            "first start": (console, b"DTMF", None, lambda: dirs(f"new{next(fresh)}")),
        }

        def run(name: str) -> float | None:
            argv, marker, type_at, env = programs[name]
            try:
                return time_to_marker(argv, marker, env(), type_at=type_at)
            except TypedTextLost:
                return None  # counted and reported as lost

        for name in programs:  # one warm-up run each (disk cache, .pyc files), not counted
            run(name)
        times: dict[str, list[float | None]] = {name: [] for name in programs}
        for _ in range(args.runs):
            for name in programs:
                times[name].append(run(name))

    targets = {"form usable": 1.5, "typing ready": 1.5, "first start": 2.0}
    bare_median = statistics.median(times["bare Textual"])
    report: dict[str, dict[str, float | int | None]] = {}
    for name, values in times.items():
        done = [v for v in values if v is not None]
        median = statistics.median(done) if done else None
        report[name] = {
            "median_ms": round(median * 1000, 1) if median is not None else None,
            "min_ms": round(min(done) * 1000, 1) if done else None,
            "max_ms": round(max(done) * 1000, 1) if done else None,
            "ratio": round(median / bare_median, 2) if median is not None else None,
            "target_ratio": targets.get(name), "lost": len(values) - len(done)}
    if args.json:
        print(json.dumps({"runs": args.runs, "size": [COLS, ROWS], "figures": report}, indent=2))
        return 0
    for name, figures in report.items():
        target = f"  (target <= {figures['target_ratio']:.1f})" if figures["target_ratio"] else ""
        if figures["median_ms"] is None:
            print(f"{name:>14}: typed text lost in every run (n={args.runs})")
            continue
        if figures["lost"]:
            target += f"  typed text LOST in {figures['lost']} of {args.runs} runs"
        print(f"{name:>14}: median {figures['median_ms']:6.0f} ms  "
              f"(min {figures['min_ms']:.0f}, max {figures['max_ms']:.0f}, n={args.runs})  "
              f"ratio {figures['ratio']:.2f}{target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
