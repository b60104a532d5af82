"""Time to first frame: `call-console` against a bare Textual hello app, on this machine.

Each program is started in its own pseudo-terminal (120x40) and timed from just before the
spawn until a marker text appears on the terminal; then it is killed. The runs alternate
between the programs so all see the same machine state. Prints the medians and the ratio
(target: call-console <= 1.3 x bare Textual).

Two figures for call-console:
- first frame: the header ("call-console") and the key bar are on screen. The form (about 170
  widgets) is mounted once that frame is out, so it does not hold it up;
- form on screen: the last field of the form ("SIP headers") has been painted.

Both programs run from compiled bytecode, as after `pip install .` (pip compiles every
module). An editable install under PYTHONDONTWRITEBYTECODE=1 would compile the console's
modules from source on every start (~20 ms), so the console package is byte-compiled first.

For scale: Textual's own Header and Footer with ten keys, and nothing else, take about
1.3 x the bare app on this machine.

    python benchmarks/startup.py [--runs 9] [--demo] [--cmd call-console]
"""

from __future__ import annotations

import argparse
import fcntl
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

HELLO = """
from textual.app import App
from textual.widgets import Static

class Hello(App):
    def compose(self):
        yield Static("Hello, first frame")

Hello().run()
"""

COLS, ROWS = 120, 40
TIMEOUT = 20.0


def first_frame_seconds(argv: list[str], marker: bytes, env: dict[str, str]) -> float:
    """Spawn `argv` on a new pty; seconds until `marker` is written to the terminal."""
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
        deadline = start + TIMEOUT
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError(f"{argv!r}: no {marker!r} within {TIMEOUT} s")
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                raise RuntimeError(f"{argv!r} exited before its first frame: {seen[-500:]!r}")
            seen += chunk
            if marker in seen:
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
    beside = os.path.join(os.path.dirname(sys.executable), "call-console")
    parser.add_argument("--cmd", default=beside if os.path.exists(beside)
                        else shutil.which("call-console") or "call-console")
    args = parser.parse_args()
    compile_console_package()

    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CALL_CONSOLE_")}
        env.update(TERM="xterm-256color", COLORTERM="truecolor",
                   CALL_CONSOLE_CONFIG_DIR=os.path.join(tmp, "config"),
                   CALL_CONSOLE_DATA_DIR=os.path.join(tmp, "data"))
        hello = os.path.join(tmp, "hello.py")
        with open(hello, "w") as f:
            f.write(HELLO)
        console_argv = [args.cmd] + (["--demo"] if args.demo else [])
        programs = {
            "bare Textual": ([sys.executable, hello], b"first frame"),
            "call-console": (console_argv, b"call-console"),
            "form on screen": (console_argv, b"SIP headers"),
        }
        # One warm-up run each (disk cache, .pyc files), not counted.
        for argv, marker in programs.values():
            first_frame_seconds(argv, marker, env)
        times: dict[str, list[float]] = {name: [] for name in programs}
        for _ in range(args.runs):
            for name, (argv, marker) in programs.items():
                times[name].append(first_frame_seconds(argv, marker, env))

    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        print(f"{name:>14}: median {medians[name] * 1000:6.0f} ms  "
              f"(min {min(values) * 1000:.0f}, max {max(values) * 1000:.0f}, n={len(values)})")
    bare = medians["bare Textual"]
    print(f"ratio, first frame of call-console / bare Textual: "
          f"{medians['call-console'] / bare:.2f} (target <= 1.30)")
    print(f"ratio, whole form on screen / bare Textual: {medians['form on screen'] / bare:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
