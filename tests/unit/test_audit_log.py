"""The audit log: rotation by size without losing or tearing a line under concurrent appenders,
reading while it is written, and the reader's filters."""

from __future__ import annotations

import json
import multiprocessing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from console.account import audit


def _appender(path: str, name: str, n: int, limit: int, keep: int, go) -> None:
    go.wait(30)
    for i in range(n):
        data = audit.format_record("test", {"writer": name, "seq": i, "pad": "x" * (i % 50)})
        audit.append_line(Path(path), data, limit=limit, keep=keep)


def _lines(path: Path, keep: int) -> list[bytes]:
    out = []
    for file in audit.audit_files(path, keep):
        out += file.read_bytes().splitlines(keepends=True)
    return out


def test_rotation_under_concurrent_appenders_loses_and_tears_nothing(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    ctx = multiprocessing.get_context("spawn")
    go = ctx.Event()
    n, limit, keep = 250, 4096, 200
    procs = [ctx.Process(target=_appender, args=(str(path), f"w{k}", n, limit, keep, go))
             for k in range(4)]
    for p in procs:
        p.start()
    go.set()
    read_while_writing = 0
    while any(p.is_alive() for p in procs):  # a reader takes no lock and never fails
        read_while_writing = max(read_while_writing, sum(1 for _ in audit.read_audit(path)))
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    lines = _lines(path, keep)
    assert all(line.endswith(b"\n") for line in lines)
    records = [json.loads(line) for line in lines]  # every line is whole JSON: none torn
    seen = {(r["writer"], r["seq"]) for r in records}
    assert len(records) == len(seen) == 4 * n  # none lost, none doubled
    files = audit.audit_files(path, keep)
    assert len(files) > 10  # it did rotate, many times
    assert all(f.stat().st_size <= limit for f in files)
    for name in ("w0", "w3"):  # each writer's records stay in its order across the files
        assert [r["seq"] for r in records if r["writer"] == name] == list(range(n))
    assert read_while_writing <= 4 * n


def test_oldest_rotated_file_is_dropped_past_keep(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    for i in range(40):
        audit.append_line(path, audit.format_record("t", {"seq": i, "pad": "y" * 80}),
                          limit=400, keep=2)
    files = audit.audit_files(path, 2)
    assert [f.name for f in files] == ["audit.jsonl.2", "audit.jsonl.1", "audit.jsonl"]
    seqs = [r["seq"] for r in audit.read_audit(path)]
    assert seqs == list(range(seqs[0], 40))  # the newest, in order, nothing in between lost


def test_a_line_being_written_is_not_read_half(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "audit.jsonl"
    monkeypatch.setenv(audit.AUDIT_LOG_ENV, str(path))
    assert audit.audit_event("one", call_id="c-1")
    whole = audit.format_record("two", {})
    with path.open("ab") as handle:
        handle.write(whole[:20])  # a writer between two write() calls
    assert [r["kind"] for r in audit.read_audit()] == ["one"]
    with path.open("ab") as handle:
        handle.write(whole[20:])
    assert [r["kind"] for r in audit.read_audit()] == ["one", "two"]


def test_the_max_size_comes_from_the_environment(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "audit.jsonl"
    monkeypatch.setenv(audit.AUDIT_LOG_ENV, str(path))
    monkeypatch.setenv(audit.MAX_BYTES_ENV, "300")
    for i in range(6):  # one record a file: five rotated and the live one
        assert audit.audit_event("t", seq=i, pad="z" * 100)
    assert audit.rotated_path(path, 5).exists()
    assert [r["seq"] for r in audit.read_audit()] == list(range(6))
    monkeypatch.setenv(audit.MAX_BYTES_ENV, "not a number")
    assert audit.max_bytes() == audit.DEFAULT_MAX_BYTES


def test_select_records_by_operator_action_and_time() -> None:
    t0 = datetime(2026, 3, 2, 10, tzinfo=UTC)
    records = [{"ts": (t0 + timedelta(minutes=i)).isoformat(), "kind": kind, "operator": op}
               for i, (kind, op) in enumerate([("call_placed", "ann"), ("call_ended", "bob"),
                                               ("sign_in", "ann"), ("call_placed", "bob"),
                                               ("profile_changed", None)])]
    records.append({"ts": "not a time", "kind": "call_placed", "operator": "ann"})

    def kinds(**kw):
        return [(r["kind"], r["operator"]) for r in audit.select_records(records, **kw)]

    assert kinds(operator="ann", since=t0) == [("call_placed", "ann"), ("sign_in", "ann")]
    assert kinds(actions=["call_*"], since=t0 + timedelta(minutes=1)) == [
        ("call_ended", "bob"), ("call_placed", "bob")]
    assert kinds(actions=["sign_in", "profile_changed"]) == [("sign_in", "ann"),
                                                              ("profile_changed", None)]
    assert len(kinds()) == 6
    assert kinds(until=t0 + timedelta(minutes=1)) == [("call_placed", "ann")]
