"""CLI start-up: `call list` and `call status` against `--version`, on this machine.

Each command is run to completion as a fresh process (what a script or cron job pays) against
the built-in simulator on 127.0.0.1, so the figure is imports + settings + one HTTP request.
Both wall time and the process's CPU time (user + system, from wait4) are reported: on a
shared machine the wall time swings with the load, the CPU time much less.
Runs alternate between the commands so all see the same machine state; prints the medians and
the ratio to `--version` (target, design.md §5: `call list` <= 3 x `--version`). With
`--imports` it also prints the slowest imports of `call list` (python -X importtime).

The console package is byte-compiled first, as after `pip install .`.

`--instructions` counts the instructions each command executes under valgrind (callgrind):
slow (about 10 s a command) but the same on a busy machine as on an idle one, so the ratio it
prints is the one to compare between commits.

`--floor` counts (valgrind too) the instructions of the imports `call list` cannot do without,
stage by stage: the interpreter, click (what `--version` needs), asyncio, httpx, pydantic's
models, pydantic's plugin loader, then httpcore, h11 and anyio's asyncio backend (which httpx
loads for its first request), and last the console's own modules: where the floor of the
ratio is, and which imports make it.

    python benchmarks/cli_startup.py [--runs 15] [--imports] [--instructions] [--floor] [--json]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AGENT = "a1b2c3d4-0001-4e5f-8a9b-0c1d2e3f4a01"  # the simulator's first demo agent


def _command() -> list[str]:
    installed = Path(sys.executable).with_name("call-console")
    return [str(installed)] if installed.exists() else [sys.executable, "-m", "console"]


def _run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds user + system) of one run to completion."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {process.returncode}")
    return elapsed, usage.ru_utime + usage.ru_stime


#: (stage, code run after the previous stages' code): the imports of `call list`, cumulative.
FLOOR_STAGES = (
    ("interpreter", "pass"),
    ("+ click", "import click"),
    ("+ asyncio", "import asyncio"),
    ("+ httpx (without its CLI)", "import console.api, httpx"),
    ("+ pydantic BaseModel, Field, validators",
     "from pydantic import BaseModel, Field, field_validator"),
    ("+ pydantic plugin loader (importlib.metadata)", "import pydantic.plugin._loader"),
    ("+ httpcore, h11 (first request)", "import httpcore, h11"),
    ("+ anyio asyncio backend (first connect)", "import anyio._backends._asyncio"),
    ("+ the console's modules of call list",
     ("import console.cli, console.commands.call, console.api.client, "
      "console.account.sign_in, console.logs")),
)
#: The stages before this one are libraries `call list` cannot run without.
FLOOR_LAST_LIBRARY = len(FLOOR_STAGES) - 1


def _floor(env: dict[str, str]) -> list[tuple[str, int]]:
    """(stage, cumulative instructions) of each stage of FLOOR_STAGES."""
    counts = []
    code = []
    for stage, line in FLOOR_STAGES:
        code.append(line)
        counts.append((stage, _instructions([sys.executable, "-c", "; ".join(code)], env)))
    return counts


def _instructions(argv: list[str], env: dict[str, str]) -> int:
    """Instructions executed by one run (valgrind's callgrind `I refs`)."""
    result = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                             *argv], env=env, capture_output=True, text=True, timeout=600)
    for line in result.stderr.splitlines():
        if "I   refs:" in line:
            return int(line.rsplit(":", 1)[1].replace(",", ""))
    raise SystemExit(f"valgrind gave no count for {' '.join(argv)}: {result.stderr[-300:]}")


def _slowest_imports(argv: list[str], env: dict[str, str], top: int = 15) -> list[str]:
    result = subprocess.run([sys.executable, "-X", "importtime", *argv], env=env,
                            capture_output=True, text=True, timeout=60)
    rows = []
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _self_us, cumulative, name = line.split(":", 1)[1].split("|")
        rows.append((int(cumulative), name.strip()))
    rows.sort(reverse=True)
    return [f"{us / 1000:7.1f} ms  {name}" for us, name in rows[:top]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--imports", action="store_true", help="print the slowest imports")
    parser.add_argument("--instructions", action="store_true",
                        help="also count instructions under valgrind (steady under load)")
    parser.add_argument("--floor", action="store_true",
                        help="count the instructions of call list's imports, stage by stage")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    compileall.compile_dir(str(ROOT / "console"), quiet=1)
    sys.path.insert(0, str(ROOT))
    from console.sim.runner import start_in_thread
    from console.sim.state import SimConfig

    server = start_in_thread(SimConfig(time_scale=50.0))
    try:
        with tempfile.TemporaryDirectory() as sandbox:
            env = {**os.environ, "CALL_CONSOLE_CONFIG_DIR": f"{sandbox}/config",
                   "CALL_CONSOLE_DATA_DIR": f"{sandbox}/data", "CALL_CONSOLE_KEYRING": "0",
                   "CALL_CONSOLE_BASE_URL": server.base_url, "CALL_CONSOLE_TOKEN": server.token}
            env.pop("CALL_CONSOLE_DEBUG", None)
            command = _command()
            placed = subprocess.run([*command, "call", "place", "--agent", AGENT, "--to",
                                     "+14155550004", "--json"], env=env, capture_output=True,
                                    text=True, timeout=60)
            call_id = json.loads(placed.stdout)["call_id"]
            commands = {
                "--version": [*command, "--version"],
                "call list": [*command, "call", "list", "--agent", AGENT, "--limit", "5"],
                "call status": [*command, "call", "status", call_id],
            }
            for argv in commands.values():  # warm the page cache and the bytecode
                _run(argv, env)
            walls: dict[str, list[float]] = {name: [] for name in commands}
            cpus: dict[str, list[float]] = {name: [] for name in commands}
            for _ in range(args.runs):
                for name, argv in commands.items():
                    wall, cpu = _run(argv, env)
                    walls[name].append(wall)
                    cpus[name].append(cpu)
            wall_base = statistics.median(walls["--version"])
            cpu_base = statistics.median(cpus["--version"])
            figures = {}
            for name in commands:
                wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
                figures[name] = {"wall_ms": round(wall * 1000, 1),
                                 "wall_ratio": round(wall / wall_base, 2),
                                 "cpu_ms": round(cpu * 1000, 1),
                                 "cpu_ratio": round(cpu / cpu_base, 2)}
            if args.instructions or args.floor:
                counts = {name: _instructions(argv, env) for name, argv in commands.items()}
                for name, count in counts.items():
                    figures[name]["instructions_M"] = round(count / 1e6, 1)
                    figures[name]["instructions_ratio"] = round(count / counts["--version"], 2)
            if args.floor:
                figures["floor"] = [
                    {"stage": stage, "instructions_M": round(count / 1e6, 1),
                     "ratio": round(count / counts["--version"], 2)}
                    for stage, count in _floor(env)]
            figures["load_average"] = [round(x, 2) for x in os.getloadavg()]
            if args.json:
                print(json.dumps(figures, indent=2))
            else:
                print(f"{'':<12} {'wall':>9} {'ratio':>6}   {'cpu':>9} {'ratio':>6}"
                      f"   (medians of {args.runs}, load average "
                      f"{' '.join(map(str, figures['load_average']))})")
                for name in commands:
                    f = figures[name]
                    print(f"{name:<12} {f['wall_ms']:6.1f} ms {f['wall_ratio']:5.2f}x   "
                          f"{f['cpu_ms']:6.1f} ms {f['cpu_ratio']:5.2f}x")
                if args.instructions or args.floor:
                    print("instructions (valgrind):")
                    for name in commands:
                        f = figures[name]
                        print(f"{name:<12} {f['instructions_M']:8.1f} M  "
                              f"{f['instructions_ratio']:5.2f}x")
                if args.floor:
                    print("\nthe imports of call list, cumulative (valgrind; ratio to --version):")
                    previous = 0.0
                    for number, row in enumerate(figures["floor"]):
                        if number == FLOOR_LAST_LIBRARY:
                            print(f"{'= floor: the libraries alone':<46} {previous:8.1f} M  "
                                  f"{figures['floor'][number - 1]['ratio']:5.2f}x")
                        print(f"{row['stage']:<46} {row['instructions_M']:8.1f} M  "
                              f"{row['ratio']:5.2f}x  (+{row['instructions_M'] - previous:.1f})")
                        previous = row["instructions_M"]
                print("target: call list <= 3 x --version (the CPU ratio is the steadier one "
                      "on a busy machine; the instruction ratio does not move with the load)")
            if args.imports:
                print("\nslowest imports of `call list` (cumulative):")
                argv = ["-m", "console", *commands["call list"][len(command):]] \
                    if command[0] != sys.executable else commands["call list"][1:]
                for line in _slowest_imports(argv, env):
                    print(line)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
