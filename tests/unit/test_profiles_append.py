"""`profiles add` without reading the whole file again: the append path of `ProfilesStore.put`.

A new entry is written as text after its section's last entry, checked against the outline of
the file (names, caller IDs' agents, where each section ends) kept in memory and in a private
cache file keyed by the SHA-256 of the file's bytes. These tests hold it to the full path:
the same text as `ProfilesEditor.add_entry` on hand-written files, the same refusals, no
write to a file that does not check, and a cache that is used only when it can be trusted.
"""

from __future__ import annotations

import os

import pytest

from console.store.profiles import (
    ProfileExists,
    ProfilesEditor,
    ProfilesError,
    ProfilesReadOnly,
    ProfilesStore,
    entry_plain,
    outline_cache,
    validation,
)
from console.store.profiles.model import parse_kind
from console.store.profiles.outline import digest, outline_of
from console.store.profiles.parse import read_profiles

A1 = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
A2 = "4d1b2f0e-1a2b-4c3d-9e8f-0123456789ab"

#: hand-written: comments above, between and after entries, a section written twice apart,
#: an empty-looking gap, trailing notes, no newline at the end
HAND_WRITTEN = """\
# shared profiles of the night shift
schema_version = 1

# the bots
[agents.sales]
id = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
watch = true
# notes about sales stay with sales

[caller_ids.main]
number = "+14155550100"   # the main line
agents = ["sales"]
[caller_ids."front desk"]
number = "+14155550101"
display_name = "Front"

[agents.support]  # added later, below the caller IDs
id = "4d1b2f0e-1a2b-4c3d-9e8f-0123456789ab"
notes = '''
two lines
of notes'''
# end of file"""

ADDS = [
    ("agent", "new-bot", {"id": A2, "watch": True}),
    ("caller_id", "night", {"number": "+14155550102", "agents": ["sales", "new-bot"]}),
    ("header_set", "crm", {"headers": {"X-Campaign": "fall"}}),
    ("template", "recall", {"agent": "sales", "caller_id": "main", "header_sets": ["crm"],
                            "fields": {"priority": "high", "ringing_timeout_seconds": 30},
                            "context": {"campaign": "fall", "rows": list(range(30))}}),
    ("agent", "late", {"id": A1, "notes": "after the others"}),
    ("header_set", "second", {"headers": {"X-Team": "b"}}),
]


def full_path_text(text: str, kind: str, name: str, plain: dict) -> str:
    editor = ProfilesEditor(text)
    editor.add_entry(parse_kind(kind).section, name, plain)
    return editor.text


def counting(monkeypatch) -> dict[str, int]:
    """Counts entry checks (`validate_entry`): 1 for an add that did not check the whole file,
    one per entry more when it did."""
    calls = {"entries": 0}
    original = validation.validate_entry

    def counted(*args, **kwargs):
        calls["entries"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(validation, "validate_entry", counted)
    return calls


@pytest.mark.parametrize("fresh_store", [False, True], ids=["one-store", "a-store-per-add"])
def test_each_add_writes_what_the_full_path_writes(tmp_path, fresh_store):
    path = tmp_path / "profiles.toml"
    path.write_text(HAND_WRITTEN)
    store = ProfilesStore(path)
    for kind, name, plain in ADDS:
        before = path.read_text()
        if fresh_store:  # another process: the outline comes from the cache file
            store = ProfilesStore(path)
        entry = store.put(kind, name, plain)
        desired = store._checked_plain(parse_kind(kind), name, plain)  # as the file holds it
        assert path.read_text() == full_path_text(before, kind, name, desired), name
        assert entry_plain(kind, entry) == desired
        # The outline carried forward is the one a fresh read of the new text makes.
        raw = path.read_bytes()
        data, _ = read_profiles(raw, file=path)
        assert store._outline == outline_of(raw.decode(), data, digest(raw)), name
    profiles = ProfilesStore(path).load()
    assert list(profiles.agents) == ["sales", "support", "new-bot", "late"]
    assert profiles.templates["recall"].context["rows"] == list(range(30))
    assert "# notes about sales stay with sales" in path.read_text()
    if not fresh_store:  # what the store holds is the file as written
        assert store.profiles == profiles and store.text() == path.read_text()


def test_a_second_process_adds_without_checking_the_whole_file(tmp_path, monkeypatch):
    path = tmp_path / "profiles.toml"
    lines = ["schema_version = 1", ""]
    for i in range(200):
        lines += [f"[agents.a{i}]", f'id = "3c90c3cc-0d44-4b50-8888-{i:012d}"', ""]
    path.write_text("\n".join(lines))
    ProfilesStore(path).add_agent("first", A1)  # checks the file whole once, keeps its outline
    calls = counting(monkeypatch)
    ProfilesStore(path).add_agent("second", A2)  # a new process: the outline from the cache
    assert calls["entries"] == 1  # the new entry; not the 201 others
    with pytest.raises(ProfileExists, match="'A7' already exists|'a7' already exists"):
        ProfilesStore(path).add_agent("A7", A2)  # the names ignore case, from the outline
    with pytest.raises(ProfilesError, match="no agent named 'ghost'"):
        ProfilesStore(path).add_caller_id("x", "+14155550100", agents=["ghost"])
    assert calls["entries"] == 2
    assert len(ProfilesStore(path).load().agents) == 202


def test_references_are_checked_against_the_whole_file(tmp_path):
    path = tmp_path / "profiles.toml"
    path.write_text(HAND_WRITTEN)
    store = ProfilesStore(path)
    store.add_agent("other", A2)
    before = path.read_bytes()
    for kwargs, message in (
            ({"agent": "ghost"}, "no agent named 'ghost'"),
            ({"caller_id": "nope"}, "no caller ID named 'nope'"),
            ({"header_sets": ["none"]}, "no header set named 'none'"),
            ({"agent": "other", "caller_id": "main"}, "only for agent"),
            ({"header_sets": ["crm", "crm"]}, None)):
        with pytest.raises(ProfilesError, match=message or "header set|twice"):
            ProfilesStore(path).add_template("t", **kwargs)
        assert path.read_bytes() == before
    ProfilesStore(path).add_template("t", agent="sales", caller_id="main")


def test_a_file_changed_by_hand_is_checked_whole_and_a_bad_one_never_written(tmp_path):
    path = tmp_path / "profiles.toml"
    path.write_text(HAND_WRITTEN)
    ProfilesStore(path).add_agent("cached", A2)  # the cache now has this file's outline
    broken = path.read_text().replace('number = "+14155550101"', 'number = "555"')
    path.write_text(broken)
    with pytest.raises(ProfilesReadOnly) as refused:
        ProfilesStore(path).add_agent("more", A1)
    line = broken.splitlines().index('number = "555"') + 1
    assert f"{path}:{line}: " in str(refused.value.issues[0])
    assert path.read_text() == broken
    path.write_text(broken + "\n[agents.half\n")  # not TOML at all
    with pytest.raises(ProfilesReadOnly, match="not valid TOML"):
        ProfilesStore(path).add_agent("more", A1)
    assert path.read_text() == broken + "\n[agents.half\n"


def test_the_cache_is_used_only_when_private_and_current(tmp_path, monkeypatch):
    path = tmp_path / "profiles.toml"
    path.write_text(HAND_WRITTEN)
    ProfilesStore(path).add_agent("cached", A2)
    cache = outline_cache.cache_file(path)
    assert cache.stat().st_mode & 0o777 == 0o600
    assert cache.parent.stat().st_mode & 0o777 == 0o700
    assert "+1415555" not in cache.read_text()  # names only, no numbers
    calls = counting(monkeypatch)

    def checked_whole(add) -> bool:
        before = calls["entries"]
        add()
        return calls["entries"] - before > 1

    os.chmod(cache, 0o620)  # another user could have written it: not trusted
    assert checked_whole(lambda: ProfilesStore(path).add_agent("a", A1))
    cache.write_text(cache.read_text().replace('"code": "', '"code": "old '))  # other code
    os.chmod(cache, 0o600)
    assert checked_whole(lambda: ProfilesStore(path).add_agent("b", A1))
    cache.write_text("{not json")
    assert checked_whole(lambda: ProfilesStore(path).add_agent("c", A1))
    # the cache was written again, privately: the next process uses it
    assert not checked_whole(lambda: ProfilesStore(path).add_agent("d", A1))
    assert list(ProfilesStore(path).load().agents)[-4:] == ["a", "b", "c", "d"]


def test_sections_not_written_as_tables_take_the_full_path(tmp_path, monkeypatch):
    path = tmp_path / "profiles.toml"
    path.write_text(f'schema_version = 1\n\n[agents]\nsales.id = "{A1}"\n\n'
                    '[caller_ids.main]\nnumber = "+14155550100"\n')
    ProfilesStore(path).add_caller_id("second", "+14155550101")  # caller IDs: plain tables
    calls = counting(monkeypatch)
    store = ProfilesStore(path)
    store.add_caller_id("third", "+14155550102")
    assert calls["entries"] == 1
    before = path.read_text()
    store.add_agent("support", A2)  # agents are dotted keys under [agents]: the full path
    # the 4 entries of the file read whole, then the new agent in the edited file
    assert calls["entries"] == 1 + 4 + 1
    assert path.read_text() == full_path_text(before, "agent", "support", {"id": A2})
    assert list(ProfilesStore(path).load().agents) == ["sales", "support"]
