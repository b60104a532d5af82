"""A campaign at scale: N rows dialled at a set rate on the simulator, measured from its side.

    python benchmarks/campaign.py --rows 5000 --rate 600/min [--max-concurrent 50] [--json]

What it does
1. Starts the simulator in a SUBPROCESS (`call-console sim`, time scale 20 by default so calls
   last seconds; cap 100,000 live calls so only the campaign's own cap applies), so the CPU
   figure is the console's own.
2. Writes a CSV of N distinct numbers (the simulator's seeded outcome mix: answered, busy, no
   answer, voicemail, ...), plans it and runs it in THIS process exactly as `call-console
   campaign run` does: `CampaignRunner` + `CallService` (audit records written) + the call
   history store + the `CallTracker` following every call to its end, with the journal in a
   temporary data dir.
3. Reads every call's real start and end from the simulator (`GET /_sim/calls`) and prints:
   - pacing error: |measured − set| / set, measured = (calls − 1) / (last start − first start);
   - spacing: the smallest and the p5/p50/p95 gaps between two starts, against 60/rate;
   - peak concurrency: the most calls live at once on the simulator (sweep over real start
     and end), against `--max-concurrent` (it must never be exceeded);
   - CPU: `time.process_time()` of this process over the run / wall seconds (the simulator
     runs in its own process);
   - wall time, calls dialled, summary counts.
Targets (design.md §5): pacing error ≤ 5 %; the cap never exceeded.

5,000 rows at 600/min take 8 min 20 s of wall time: the rate is the thing measured, so it
cannot be sped up (`--rows 1000` gives the same figures in 100 s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

TARGETS = {"pacing_error_percent": 5.0}


def start_sim(time_scale: float) -> tuple[subprocess.Popen, str, str]:
    token = "bench-" + os.urandom(8).hex()
    command = Path(sys.executable).with_name("call-console")
    child = subprocess.Popen([str(command), "sim", "--port", "0", "--token", token,
                              "--time-scale", str(time_scale), "--max-concurrent", "100000"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = child.stdout.readline()
    base_url = line.split(" listening on ", 1)[1].split()[0]
    return child, base_url, token


def write_rows(path: Path, rows: int) -> None:
    lines = ["to_number,context.row"]
    for i in range(rows):
        exchange, line = 200 + i // 9000, 1000 + i % 9000  # …1000-…9999: the random mix
        lines.append(f"+1415{exchange:03d}{line:04d},{i}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def peak(calls: list[dict]) -> int:
    edges = sorted([(when(c["started_at"]), 1) for c in calls]
                   + [(when(c["ends_at"]), -1) for c in calls])
    live = top = 0
    for _, step in edges:
        live += step
        top = max(top, live)
    return top


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run_campaign(base_url: str, token: str, csv: Path, rate: str, max_concurrent: int):
    from console.account.session import environment_key
    from console.api.client import ApiClient
    from console.calls.service import CallService
    from console.campaign import setup
    from console.campaign.options import CampaignOptions, parse_rate
    from console.campaign.runner import CampaignRunner
    from console.sim.state import DEMO_AGENTS
    from console.store.history import CallStore
    from console.store.journal import Journal

    options = CampaignOptions(rate_per_minute=parse_rate(rate), max_concurrent=max_concurrent,
                              hours="00:00-24:00", days="all")
    prepared = setup.prepare(csv, {"agent_id": DEMO_AGENTS[0].agent_id}, options)
    journal = Journal()
    setup.record(journal, "bench", prepared, environment=environment_key(base_url),
                 operator="bench")
    client = ApiClient(base_url, auth=token)
    service = CallService(lambda: client, face="campaign", environment=environment_key(base_url))
    store = CallStore()
    runner = CampaignRunner(journal, "bench", service=service, client=lambda: client,
                            store=store, placed_by="bench")
    cpu0, wall0 = time.process_time(), time.monotonic()
    summary = await runner.run()
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    await client.aclose()
    store.close()
    journal.close()
    return summary, runner, cpu, wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--rate", default="600/min")
    parser.add_argument("--max-concurrent", type=int, default=50)
    parser.add_argument("--time-scale", type=float, default=20.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import httpx

    from console.campaign.options import parse_rate

    folder = Path(tempfile.mkdtemp(prefix="campaign-bench-"))
    os.environ["CALL_CONSOLE_DATA_DIR"] = str(folder / "data")
    os.environ["CALL_CONSOLE_CONFIG_DIR"] = str(folder / "config")
    csv = folder / "rows.csv"
    write_rows(csv, args.rows)
    child, base_url, token = start_sim(args.time_scale)
    try:
        summary, runner, cpu, wall = asyncio.run(
            run_campaign(base_url, token, csv, args.rate, args.max_concurrent))
        calls = httpx.get(f"{base_url}/_sim/calls", timeout=60).json()
    finally:
        child.terminate()
        child.wait(timeout=10)
    set_rate = parse_rate(args.rate)
    starts = sorted(when(c["started_at"]) for c in calls)
    span = (starts[-1] - starts[0]).total_seconds() if len(starts) > 1 else 0.0
    measured = (len(starts) - 1) / span * 60 if span else 0.0
    gaps = [(b - a).total_seconds() for a, b in zip(starts, starts[1:])] or [0.0]
    figures = {
        "rows": args.rows, "rate_set_per_min": set_rate,
        "rate_measured_per_min": round(measured, 2),
        "pacing_error_percent": round(abs(measured - set_rate) / set_rate * 100, 2),
        "interval_s": round(60 / set_rate, 4),
        "gap_min_s": round(min(gaps), 4), "gap_p5_s": round(percentile(gaps, 0.05), 4),
        "gap_p50_s": round(statistics.median(gaps), 4),
        "gap_p95_s": round(percentile(gaps, 0.95), 4),
        "max_concurrent": args.max_concurrent, "peak_concurrency_sim": peak(calls),
        "peak_concurrency_console": runner.peak_live,
        "cap_exceeded": peak(calls) > args.max_concurrent,
        "calls_on_sim": len(calls), "duplicates_on_sim": len(calls) - len({c["to_number"]
                                                                           for c in calls}),
        "cpu_percent": round(cpu / wall * 100, 1), "cpu_seconds": round(cpu, 2),
        "wall_seconds": round(wall, 1), "summary": summary.to_json(),
        "targets": {**TARGETS, "cap": args.max_concurrent},
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:>26}: {value}")
    ok = figures["pacing_error_percent"] <= TARGETS["pacing_error_percent"] and not \
        figures["cap_exceeded"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
