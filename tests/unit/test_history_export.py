"""Exports of the call history: round trips, formula neutralising, no token, exact selection."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from console.api.models import CallResponse, CallStatus
from console.history.export import (
    EXPORT_COLUMNS,
    export_record,
    export_text,
    neutralise,
    read_csv,
)
from console.store.history import CallStore, HistoryFilter

AGENT = "a1b2c3d4-0001-4e5f-8a9b-0c1d2e3f4a01"
ENV = "https://api.example.com"
T0 = datetime(2026, 3, 2, 10, 0, 0, 123456, tzinfo=UTC)
NAMES = {AGENT: "Reception"}
HOSTILE = ["=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1",
           "\r=1", "'=already", "plain, with \"quotes\"\nand a newline"]


def status_of(call_id: str, **fields) -> CallStatus:
    values = {"agent_id": AGENT, "to_number": "+1 415 555 0000", "from_number": "+14155551000",
              "status": "ended", "started_at": T0.isoformat()} | fields
    return CallStatus(call_id=call_id, **values)


@pytest.fixture
def store(tmp_path: Path):
    with CallStore(tmp_path / "calls.sqlite3") as s:
        for i, text in enumerate(HOSTILE):
            s.record_status(status_of(f"h-{i}", disposition=text,
                                      started_at=(T0 + timedelta(minutes=i)).isoformat(),
                                      ended_at=(T0 + timedelta(minutes=i, seconds=30)).isoformat(),
                                      duration_seconds=30),
                            placed_by=text, campaign=text, environment=ENV)
        s.record_placed(CallResponse(call_id="mine", session_id="s", room_name="r",
                                     agent_id=AGENT, direction="outbound", from_number=None,
                                     to_number="+14155550000", status="initiated"),
                        {"agent_id": AGENT}, "ann", at=T0, environment=ENV)
        s.record_status(status_of("other-env"), environment="demo:x")
        yield s


def _expected(store: CallStore, flt: HistoryFilter) -> list[dict]:
    return [export_record(c, NAMES) for c in store.iter_matching(flt)]


def test_csv_round_trip_equals_the_store(store) -> None:
    flt = HistoryFilter(environment=ENV)
    text = export_text(store.iter_matching(flt), "csv", NAMES)
    rows = read_csv(text)
    expected = [{k: None if v is None else str(v) for k, v in r.items()}
                for r in _expected(store, flt)]
    assert rows == expected and len(rows) == len(HOSTILE) + 1
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    first = rows[-1]  # oldest of the hostile ones (newest first)
    assert datetime.fromisoformat(first["started"]) == T0  # ISO 8601 with its offset
    assert first["started"].endswith("+00:00") and first["to"] == "+14155550000"  # E.164
    assert first["agent_name"] == "Reception" and first["placed"] == "elsewhere"
    assert next(r for r in rows if r["call_id"] == "mine")["placed"] == "here"


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_round_trips_equal_the_store_unaltered(store, fmt) -> None:
    flt = HistoryFilter(environment=ENV, statuses="ended")
    text = export_text(store.iter_matching(flt), fmt, NAMES)
    rows = json.loads(text) if fmt == "json" else [json.loads(line)
                                                   for line in text.splitlines()]
    assert rows == _expected(store, flt) and len(rows) == len(HOSTILE)
    assert {r["disposition"] for r in rows} == set(HOSTILE)  # never neutralised in JSON


def test_csv_cells_that_could_run_as_formulas_are_neutralised(store) -> None:
    text = export_text(store.iter_matching(HistoryFilter(environment=ENV)), "csv", NAMES)
    import csv
    import io

    cells = [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]
    for cell in cells:
        if cell.startswith(("=", "+", "-", "@", "\t", "\r")):
            assert cell.lstrip("+").isdigit(), f"{cell!r} would run in a spreadsheet"
    for text_ in HOSTILE[:6]:
        assert "'" + text_ in cells
    assert "+14155550000" in cells  # an E.164 number stays a number
    assert neutralise("+1415x") == "'+1415x" and neutralise("x=1") == "x=1"


def test_an_export_holds_exactly_what_the_filter_selects(store) -> None:
    for flt in (HistoryFilter(environment=ENV, operators="ann"),
                HistoryFilter(environment=ENV, since=T0 + timedelta(minutes=2),
                              until=T0 + timedelta(minutes=4)),
                HistoryFilter(environment="demo:x"), HistoryFilter(environment="none")):
        rows = read_csv(export_text(store.iter_matching(flt), "csv", NAMES))
        assert [r["call_id"] for r in rows] == [c.call_id for c in store.iter_matching(flt)]
        assert len(rows) == store.count(flt)


def test_no_token_or_secret_in_any_export(tmp_path: Path) -> None:
    token = "tok-" + "9f8e7d6c5b4a" * 3
    with CallStore(tmp_path / "calls.sqlite3") as s:
        s.record_placed(CallResponse(call_id="c-1", session_id="s", room_name="r",
                                     agent_id=AGENT, direction="outbound", from_number=None,
                                     to_number="+14155550000", status="initiated"),
                        {"agent_id": AGENT, "token": token,
                         "context": {"note": token, "Authorization": f"Bearer {token}"}},
                        "ann", at=T0, environment=ENV)
        s.record_status(status_of("c-1", api_key=token, transcript=token), environment=ENV)
        for fmt in ("csv", "json", "jsonl"):
            text = export_text(s.iter_matching(), fmt, NAMES)
            assert "c-1" in text and token not in text, fmt
