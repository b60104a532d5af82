"""The one editor of config.toml (`console.config.toml_edit`): comments and order kept, a file
that does not parse refused with its line and left alone, a crash before the rename leaves the
old file, and two writers under the lock keep each other's edit."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
import threading

import pytest

from console.config.settings import ConfigError
from console.config.toml_edit import edit_toml, set_top_level

COMMENTED = textwrap.dedent("""\
    # my settings — keep me
    default_region = "GB"   # London desk
    operator = "alice"

    # the APIs
    [environments.prod]
    base_url = "https://api.example.com"  # the real one
    auth = "login"
    """)


@pytest.fixture
def config(tmp_path):
    file = tmp_path / "config" / "config.toml"
    file.parent.mkdir()
    file.write_text(COMMENTED, encoding="utf-8")
    return file


def test_comments_layout_and_key_order_are_kept(config):
    edit_toml(config, lambda doc: set_top_level(doc, {"default_region": "US",
                                                       "poll_concurrency": 4}))
    text = config.read_text(encoding="utf-8")
    assert text.startswith("# my settings — keep me\n"
                           'default_region = "US"   # London desk\n'
                           'operator = "alice"\n')
    assert "# the APIs" in text and "# the real one" in text
    # A new top-level key goes before the first table (TOML needs it there).
    assert text.index("poll_concurrency = 4") < text.index("[environments.prod]")
    assert text.index("base_url") < text.index('auth = "login"')


def test_none_removes_a_key_and_the_rest_stays(config):
    edit_toml(config, lambda doc: set_top_level(doc, {"operator": None}))
    text = config.read_text(encoding="utf-8")
    assert "operator" not in text
    assert text == COMMENTED.replace('operator = "alice"\n', "")


def test_validate_sees_the_new_contents_and_its_result_is_returned(config):
    result = edit_toml(config, lambda doc: set_top_level(doc, {"theme": "ansi-256"}),
                       validate=lambda data: (data["theme"], sorted(data["environments"])))
    assert result == ("ansi-256", ["prod"])


def test_a_file_that_does_not_parse_is_refused_with_its_line_and_kept(config):
    broken = COMMENTED.replace('operator = "alice"', 'operator = "alice')   # line 3
    config.write_text(broken, encoding="utf-8")
    changed = []
    with pytest.raises(ConfigError) as caught:
        edit_toml(config, changed.append)
    assert caught.value.line == 3 and caught.value.file == config
    assert f"{config}:3: not valid TOML" in str(caught.value)
    assert changed == []                                   # the change never ran
    assert config.read_text(encoding="utf-8") == broken


def test_a_file_that_is_not_utf8_is_refused_with_its_line(config):
    raw = COMMENTED.encode("utf-8").replace(b"alice", b"al\xffice")
    config.write_bytes(raw)
    with pytest.raises(ConfigError) as caught:
        edit_toml(config, lambda doc: set_top_level(doc, {"theme": "x"}))
    assert caught.value.line == 3 and "not UTF-8" in str(caught.value)
    assert config.read_bytes() == raw


@pytest.mark.parametrize("where", ["change", "validate"])
def test_a_refused_edit_writes_nothing(config, where):
    def refuse(_):
        raise ConfigError("no", key="theme")

    change = refuse if where == "change" else (lambda doc: set_top_level(doc, {"theme": "x"}))
    with pytest.raises(ConfigError, match="theme: no"):
        edit_toml(config, change, validate=refuse if where == "validate" else None)
    assert config.read_text(encoding="utf-8") == COMMENTED


def test_a_crash_before_the_rename_leaves_the_old_file(config, monkeypatch):
    """A kill between writing the temporary file and `os.replace`: simulated by a replace that
    fails. The old text stays whole, the temporary file is gone, and the next edit works."""
    real_replace = os.replace

    def crash(src, dst, *args, **kwargs):
        raise OSError(5, "simulated crash before the rename")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="simulated crash"):
        edit_toml(config, lambda doc: set_top_level(doc, {"theme": "ansi-256"}))
    assert config.read_text(encoding="utf-8") == COMMENTED
    assert sorted(p.name for p in config.parent.iterdir()) == ["config.toml", "config.toml.lock"]

    monkeypatch.setattr(os, "replace", real_replace)
    edit_toml(config, lambda doc: set_top_level(doc, {"theme": "ansi-256"}))
    text = config.read_text(encoding="utf-8")
    assert 'theme = "ansi-256"' in text and "# London desk" in text


def test_a_temporary_file_a_killed_writer_left_is_swept(config):
    stale = config.parent / ".config.toml.k1ll3d.tmp"
    stale.write_text("half a file")
    edit_toml(config, lambda doc: set_top_level(doc, {"theme": "ansi-256"}))
    assert not stale.exists()


def test_a_new_file_is_private_and_an_existing_one_keeps_its_mode(tmp_path, config):
    new = tmp_path / "fresh" / "config.toml"
    edit_toml(new, lambda doc: set_top_level(doc, {"theme": "ansi-256"}))
    assert new.read_text(encoding="utf-8") == 'theme = "ansi-256"\n'
    assert stat.S_IMODE(new.stat().st_mode) == 0o600
    config.chmod(0o640)
    edit_toml(config, lambda doc: set_top_level(doc, {"theme": "ansi-256"}))
    assert stat.S_IMODE(config.stat().st_mode) == 0o640


WRITER_B = """
import sys
from pathlib import Path
from console.config.toml_edit import edit_toml, set_top_level
print("ready", flush=True)
edit_toml(Path(sys.argv[1]), lambda doc: set_top_level(doc, {"operator": "from-b"}))
"""


def test_two_writers_under_the_lock_keep_each_others_edit(config):
    """Writer A (this process) is inside its edit, having read the file; writer B (another
    process) edits the same file meanwhile. B must wait for A's lock and then read what A
    wrote: both edits end up in the file. Without the lock B writes first and A's write,
    made from the text it read before, drops B's edit."""
    inside, release = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def slow_change(doc) -> None:
        set_top_level(doc, {"theme": "from-a"})
        inside.set()
        release.wait(timeout=60)

    def writer_a() -> None:
        try:
            edit_toml(config, slow_change)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(exc)

    a = threading.Thread(target=writer_a)
    a.start()
    try:
        assert inside.wait(timeout=30), "writer A never got inside its edit"
        b = subprocess.Popen([sys.executable, "-c", WRITER_B, str(config)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert b.stdout.readline().strip() == "ready"
        try:
            b.wait(timeout=1.5)      # with the lock B is still waiting for A here
        except subprocess.TimeoutExpired:
            pass
    finally:
        release.set()
        a.join(timeout=60)
    _, err = b.communicate(timeout=60)
    assert not failures and b.returncode == 0, (failures, err)
    text = config.read_text(encoding="utf-8")
    assert 'theme = "from-a"' in text and 'operator = "from-b"' in text
    assert "# my settings — keep me" in text and "# the real one" in text


def _writers():
    from console.account.environments import Environment, add_environment
    from console.config.preferences import save_preferences
    from console.tui.look.themes import save_theme_choice

    return {
        "environments": lambda file: add_environment(
            Environment("staging", "https://staging.example.com"), path=file),
        "preferences": lambda file: save_preferences({"default_region": "US"}, file),
        "theme": lambda file: save_theme_choice("ansi-256", file),
    }


@pytest.mark.parametrize("writer", ["environments", "preferences", "theme"])
def test_every_writer_of_config_toml_keeps_comments_and_refuses_a_broken_file(config, writer):
    write = _writers()[writer]
    write(config)
    text = config.read_text(encoding="utf-8")
    for comment in ("# my settings — keep me", "# London desk", "# the APIs", "# the real one"):
        assert comment in text

    broken = text + "\n[environments.broken\n"
    config.write_text(broken, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        write(config)
    assert caught.value.line == broken.count("\n") and "not valid TOML" in str(caught.value)
    assert config.read_text(encoding="utf-8") == broken
