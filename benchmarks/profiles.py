"""The profiles store on a large file: load, and `profiles add` from the command line.

    python benchmarks/profiles.py [--entries 5000] [--runs 9] [--json]

Writes a hand-written-looking profiles file of N entries (with comments) in a temp dir: 40 %
agents, 30 % caller IDs (some limited to agents), 20 % header sets and 10 % templates that
compose them. Then prints the medians (wall clock, and CPU seconds of the process doing the
work, which moves less when other jobs share the machine) of:
- load: `ProfilesStore(path).load()` in this process (parse, validate, nothing cached);
- add (store): `store.add_agent(...)` on a loaded store: lock, re-read, edit, validate, atomic
  write, in this process;
- add (CLI): `call-console profiles --file F add agent NAME UUID` as a child process, start-up
  included (what an operator or a script waits for). The first add after the file changed by
  other means reads and checks it whole and keeps its outline (`add_cli_first_ms`); the next
  ones use that outline (the median, `add_cli_ms`). The children write bytecode to a temp
  pycache (as an installed console has its .pyc files; PYTHONDONTWRITEBYTECODE would make each
  child compile the console's modules again) after one untimed `profiles validate`, and keep
  their data (the outline cache) in the temp dir;
- tui: the console (headless, not connected) on that file: from F4 to the frame that draws
  the list of every agent (`f4_list_ms`), to the editor beside it mounted and the app idle
  (`f4_settled_ms`), and the longest the UI loop went without a turn from start-up to then
  (`ui_max_stall_ms`: a freeze shows here), one run each.

Only the public API is used (`console.store.profiles.ProfilesStore` and the command), so the
same script measures any version of the store, e.g. before and after a refactoring: run it with
PYTHONPATH pointing at the other checkout.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def uuid_for(i: int) -> str:
    return f"3c90c3cc-0d44-4b50-8888-{i:012d}"


def big_profiles(entries: int) -> str:
    """A valid profiles file of about `entries` entries of all four kinds."""
    agents = max(1, entries * 4 // 10)
    callers = entries * 3 // 10
    sets = entries * 2 // 10
    templates = entries - agents - callers - sets
    out = ["# call-console saved profiles (benchmark)", "schema_version = 1", ""]
    for i in range(agents):
        out += [f"# agent {i}", f"[agents.agent-{i}]", f'id = "{uuid_for(i)}"',
                "watch = true" if i % 7 == 0 else f'notes = "team {i % 13}"', ""]
    for i in range(callers):
        out += [f"[caller_ids.caller-{i}]", f'number = "+1415555{i % 10000:04d}"',
                f'display_name = "Line {i}"']
        if i % 3 == 0:
            out.append(f'agents = ["agent-{i % agents}"]')
        out.append("")
    for i in range(sets):
        out += [f"[header_sets.set-{i}]",
                f'headers = {{ "X-Campaign" = "c{i}", "X-Team" = "t{i % 9}" }}', ""]
    for i in range(templates):
        caller = 3 * (i % max(1, callers // 3)) + 1  # unrestricted caller IDs only
        out += [f"[templates.template-{i}]", f'agent = "agent-{i % agents}"']
        if callers:
            out.append(f'caller_id = "caller-{caller % callers}"')
        if sets:
            out.append(f'header_sets = ["set-{i % sets}"]')
        out += ['fields = { priority = "high", ringing_timeout_seconds = 40 }',
                f'context = {{ campaign = "fall", row = {i} }}', ""]
    return "\n".join(out)


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 1)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Timer:
    """Wall and CPU seconds of each timed block: this process's CPU, or its children's."""

    def __init__(self, children: bool = False):
        self.cpu_now = children_cpu if children else time.process_time
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def __enter__(self) -> Timer:
        self.start = (time.perf_counter(), self.cpu_now())
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall.append(time.perf_counter() - self.start[0])
        self.cpu.append(self.cpu_now() - self.start[1])

    def figures(self, name: str) -> dict[str, float]:
        return {f"{name}_ms": median_ms(self.wall), f"{name}_cpu_ms": median_ms(self.cpu)}


async def _tui_figures(agents: int) -> dict[str, float]:
    """Start the console on the file in CALL_CONSOLE_PROFILES; press F4; time the list.

    Beside each wall-clock figure, the CPU time this process spent in it (`_cpu_ms`: the
    threads of the console together; a stall's CPU is capped at its wall time). Where other
    jobs share the machine the wall figures grow with the load; the CPU ones far less."""
    import asyncio

    from console.account.session import ConsoleSession
    from console.config.settings import Settings
    from console.tui.app import make_app

    app = make_app(session=ConsoleSession(Settings(operator="bench")))
    stalls = [0.0, 0.0]  # longest wall gap, most CPU (capped by its wall) in one gap
    running = True

    async def watch_loop() -> None:
        last, last_cpu = time.perf_counter(), time.process_time()
        while running:
            await asyncio.sleep(0.005)
            now, cpu = time.perf_counter(), time.process_time()
            stalls[0] = max(stalls[0], now - last)
            stalls[1] = max(stalls[1], min(now - last, cpu - last_cpu))
            last, last_cpu = now, cpu

    async def until(predicate, timeout: float = 120.0) -> None:
        deadline = time.perf_counter() + timeout
        while not predicate():
            if time.perf_counter() > deadline:
                raise TimeoutError("the console did not get there in time")
            await asyncio.sleep(0.002)

    def agents_list():
        """The Profiles screen's agents list once composed (None before)."""
        screen = app.screen
        if getattr(screen, "SCREEN_NAME", "") != "profiles":
            return None
        found = screen.query("#part-agents ProfileList")
        return found.first() if found else None

    def listed() -> bool:
        listing = agents_list()
        return listing is not None and listing.option_count >= agents and listing.rows_drawn > 0

    async with app.run_test(size=(120, 40)) as pilot:
        watcher = asyncio.create_task(watch_loop())
        await until(lambda: app.profiles is not None and app.session_ready)
        await pilot.pause()
        start, start_cpu = time.perf_counter(), time.process_time()
        press = asyncio.create_task(pilot.press("f4"))  # (press waits for the app to idle)
        await until(listed)  # the list's rows drawn: the frame that shows them
        shown, shown_cpu = time.perf_counter() - start, time.process_time() - start_cpu
        part = app.screen.query_one("#part-agents")
        await until(part.editor_ready.is_set)
        await press
        await pilot.pause()
        settled = time.perf_counter() - start
        running = False
        await watcher
    return {"f4_list_ms": round(shown * 1000, 1), "f4_list_cpu_ms": round(shown_cpu * 1000, 1),
            "f4_settled_ms": round(settled * 1000, 1),
            "ui_max_stall_ms": round(stalls[0] * 1000, 1),
            "ui_max_stall_cpu_ms": round(stalls[1] * 1000, 1)}


def measure(entries: int, runs: int, command: list[str]) -> dict[str, object]:
    from console.store.profiles import ProfilesStore

    work = Path(tempfile.mkdtemp(prefix="profiles-bench-"))
    try:
        path = work / "profiles.toml"
        path.write_text(big_profiles(entries), encoding="utf-8")
        os.chmod(path, 0o600)
        counts = ProfilesStore(path).load().counts()

        load = Timer()
        for _ in range(runs):
            with load:
                ProfilesStore(path).load()

        store = ProfilesStore(path)
        store.load()
        add_store = Timer()
        for run in range(runs):
            with add_store:
                store.add_agent(f"bench-store-{run}", uuid_for(10**9 + run))

        env = dict(os.environ, CALL_CONSOLE_PROFILES=str(path),
                   CALL_CONSOLE_CONFIG_DIR=str(work / "config"),
                   CALL_CONSOLE_DATA_DIR=str(work / "data"),
                   PYTHONPYCACHEPREFIX=str(work / "pycache"))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run(command + ["profiles", "--file", str(path), "validate"], env=env,
                       check=True, capture_output=True)
        path.write_text(path.read_text(encoding="utf-8") + "\n# edited by hand\n",
                        encoding="utf-8")  # as another editor would: no outline of it yet
        add_cli_first, add_cli = Timer(children=True), Timer(children=True)
        for run in range(runs + 1):
            argv = command + ["profiles", "--file", str(path), "add", "agent",
                              f"bench-cli-{run}", uuid_for(2 * 10**9 + run)]
            with add_cli_first if run == 0 else add_cli:
                subprocess.run(argv, env=env, check=True, capture_output=True)

        import asyncio

        os.environ["CALL_CONSOLE_PROFILES"] = str(path)
        os.environ.setdefault("CALL_CONSOLE_CONFIG_DIR", str(work / "config"))
        os.environ.setdefault("CALL_CONSOLE_DATA_DIR", str(work / "data"))
        tui = asyncio.run(_tui_figures(counts["agents"]))

        return {"entries": sum(counts.values()), "counts": counts,
                "bytes": path.stat().st_size, "runs": runs, **load.figures("load"),
                **add_store.figures("add_store"), **add_cli_first.figures("add_cli_first"),
                **add_cli.figures("add_cli"), **tui, "loadavg": round(os.getloadavg()[0], 2)}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    # The command of this interpreter, so PYTHONPATH (another checkout) holds for the child too.
    command = [sys.executable, "-m", "console"]
    figures = measure(args.entries, args.runs, command)
    if args.json:
        print(json.dumps(figures))
        return
    print(f"profiles file: {figures['entries']} entries {figures['counts']}, "
          f"{figures['bytes']} bytes; medians of {figures['runs']} runs; "
          f"load average {figures['loadavg']}")
    for name, label, target in (
            ("load", "load (ProfilesStore.load)", ""),
            ("add_store", "add agent (store, in process)", ""),
            ("add_cli_first", "profiles add agent, first (CLI)", ""),
            ("add_cli", "profiles add agent (CLI process)", "target <= 500 ms")):
        print(f"{label:<35}{figures[name + '_ms']:>8} ms  "
              f"(CPU {figures[name + '_cpu_ms']} ms)  {target}".rstrip())
    print(f"{'F4 list shown (TUI)':<35}{figures['f4_list_ms']:>8} ms  "
          f"(CPU {figures['f4_list_cpu_ms']} ms)  target <= 300 ms")
    print(f"{'F4 editor mounted, app idle':<35}{figures['f4_settled_ms']:>8} ms")
    print(f"{'longest UI stall (start to F4)':<35}{figures['ui_max_stall_ms']:>8} ms  "
          f"(CPU {figures['ui_max_stall_cpu_ms']} ms)  target: well under 300 ms")


if __name__ == "__main__":
    main()
