"""The console process's garbage-collector policy, in one place.

- Start-up (`App.run` until the Call form is mounted): everything the imports made is frozen
  (`gc.freeze`: no later full collection scans it) and the collector is off: the first frame
  allocates thousands of objects, enough for several collections, one of them a full one
  over every object the imports made (~40-60 ms of the first frame here).
- Live calls published: full collections are spaced out (`space_full_collections`).
"""

from __future__ import annotations

import gc

#: A full garbage collection at most once per this many young-generation (gen 1) ones
#: (CPython's default: 10). See `space_full_collections`.
FULL_COLLECTION_EVERY = 30


def hold_for_start_up() -> None:
    """Freeze what the imports made and turn the collector off until `start_up_done`."""
    gc.freeze()
    gc.disable()


def start_up_done() -> None:
    gc.enable()


def space_full_collections() -> None:
    """Full (gen 2) collections at most every `FULL_COLLECTION_EVERY` gen-1 ones.

    With 1,000 live calls the table's frames keep promoting render objects to the oldest
    generation, so CPython ran a full collection every 10 gen-1 ones: 8-9 per 45 s, each
    walking ~100,000 objects for ~100 ms (up to 200 ms at load 4) with the UI frozen; they
    were most of the keystroke p95's tail. Measured on `benchmarks/live_calls.py --stalls`
    (1,000 calls, load 1.3): 3 full collections per 45 s instead of 9 (260 ms of them instead
    of 960 ms), the same peak RSS (96 MB). The young generations are left as they are."""
    young, middle, full = gc.get_threshold()
    if full < FULL_COLLECTION_EVERY:
        gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)
