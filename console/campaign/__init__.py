"""Campaigns: a CSV of numbers dialled with pacing, a concurrency cap, the callee's calling hours,
a do-not-call list, and a journal that never lets a row be dialled twice (headless; no Textual).

- `source.py`   the CSV: rows with their line numbers, columns mapped to request fields
- `dnc.py`      the do-not-call list
- `hours.py`    calling hours in the callee's time zone(s), with an injectable clock
- `planner.py`  one verdict per row before anything is dialled (dial / DNC / invalid / ...)
- `pacing.py`   evenly spaced starts (calls per minute)
- `runner.py`   the run: pacing, concurrency, windows, 429, retries, pause/resume/stop
- `summary.py`  the counts every face prints

The journal (`console/store/journal.py`) records "about to dial row N" before the POST and the
outcome after; `runner.reconcile_unknown` settles rows a crash left unsure before any dialling.
"""
