"""Crash safety and concurrency of profile writes: kill -9 mid-save, two writers at once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
import tomllib

import pytest

from console.store.atomic import atomic_write
from console.store.profiles import ProfilesStore

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork and SIGKILL")


def big_profiles(tag: str, agents: int, note_size: int) -> bytes:
    """A valid profiles file, large enough that a write takes a while."""
    lines = [f"# bundle {tag}", "schema_version = 1", ""]
    for i in range(agents):
        lines += [f"[agents.{tag}-{i}]", f'id = "3c90c3cc-0d44-4b50-8888-{i:012d}"',
                  f'notes = "{tag * (note_size // len(tag))}"', ""]
    return "\n".join(lines).encode()


def kill_while_saving(save_forever, path, contents: tuple[bytes, bytes], iterations: int,
                      max_delay: float) -> int:
    """Fork a child that saves in a loop, SIGKILL it at a random moment, check the file.
    Returns how often the file had changed between two kills (so the child really wrote)."""
    rng = random.Random(1234)
    flips = 0
    last = path.read_bytes()
    for iteration in range(iterations):
        pid = os.fork()
        if pid == 0:  # child: never returns into pytest
            try:
                save_forever()
            finally:
                os._exit(0)
        if iteration % 2:
            # Every other kill waits (up to 10 s) for the child's first completed write, so
            # that on a loaded machine, where one save can outlast max_delay, kills still
            # land in later writes too and the file still flips.
            deadline = time.monotonic() + 10
            while path.read_bytes() == last and time.monotonic() < deadline:
                time.sleep(0.005)
        time.sleep(rng.uniform(0, max_delay))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        now = path.read_bytes()
        assert now in contents, "the file is neither the old nor the new content"
        flips += now != last
        last = now
    return flips


def test_sigkill_during_atomic_write_leaves_old_or_new(tmp_path):
    path = tmp_path / "profiles.toml"
    a = big_profiles("alpha", 2500, 300)  # about 1 MB each
    b = big_profiles("bravo", 2500, 300)
    assert len(a) > 500_000 and a != b
    tomllib.loads(a.decode()), tomllib.loads(b.decode())  # both parse
    path.write_bytes(a)

    def save_forever():
        while True:
            atomic_write(path, b, default_mode=0o644)
            atomic_write(path, a, default_mode=0o644)

    flips = kill_while_saving(save_forever, path, (a, b), iterations=80, max_delay=0.03)
    assert flips >= 5
    tomllib.loads(path.read_text())


def test_sigkill_during_store_saves_leaves_old_or_new(tmp_path):
    """The same through the store: lock, re-read, validate, write — killed anywhere."""
    path = tmp_path / "profiles.toml"
    a = big_profiles("alpha", 150, 200)
    b = big_profiles("bravo", 150, 200)
    path.write_bytes(a)
    ProfilesStore(path).write_text(a.decode())  # warm up: children fork with imports done
    assert path.read_bytes() == a

    def save_forever():
        store = ProfilesStore(path)
        while True:
            store.write_text(b.decode())
            store.write_text(a.decode())

    flips = kill_while_saving(save_forever, path, (a, b), iterations=30, max_delay=0.15)
    assert flips >= 3
    store = ProfilesStore(path, lock_timeout=2)
    assert len(store.load().agents) == 150
    # The killed writers' lock died with them, and their temp files are swept up.
    store.add_agent("after", "3c90c3cc-0d44-4b50-8888-8dd25736052a")
    assert not list(tmp_path.glob(".profiles.toml.*.tmp"))
    assert "after" in ProfilesStore(path).load().agents


WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from console.store.profiles import ProfilesStore

    path, tag, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    store = ProfilesStore(path, lock_timeout=60)
    store.load()
    while not go.exists():
        time.sleep(0.001)
    for i in range(100):
        store.add_agent(f"{tag}-{i}", f"3c90c3cc-0d44-4b50-8888-{i:012d}")
""")


def test_two_processes_adding_100_each_lose_nothing(tmp_path):
    path = tmp_path / "profiles.toml"
    path.write_text("# shared by two operators\nschema_version = 1\n")
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), tag, str(go)],
                                env=env, stderr=subprocess.PIPE, text=True)
               for tag in ("one", "two")]
    time.sleep(0.5)  # both import and load before the start signal
    go.touch()
    for writer in writers:
        _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
    agents = ProfilesStore(path).load().agents
    assert len(agents) == 200
    assert {f"{t}-{i}" for t in ("one", "two") for i in range(100)} == set(agents)
    text = path.read_text()
    assert text.startswith("# shared by two operators\nschema_version = 1\n")
    # interleaved: each writer re-read the other's additions before adding its own
    order = [name.split("-")[0] for name in agents]
    switches = sum(1 for x, y in zip(order, order[1:]) if x != y)
    assert switches >= 1
