"""The profiles store: round trips, hand-written files kept, bad files never written, templates."""

from __future__ import annotations

import os
import stat
import string
import tomllib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.store.profiles import (
    ProfileExists,
    ProfileInUse,
    ProfileNotFound,
    ProfilesError,
    ProfilesReadOnly,
    ProfilesStore,
    Reference,
    merge_header_sets,
)
from console.store.profiles.model import check_name, parse_kind
from console.store.profiles.scan import find_line
from console.telephony import sip

A1 = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
A2 = "3c90c3cc-0d44-4b50-8888-8dd25736052b"
A3 = "3c90c3cc-0d44-4b50-8888-8dd25736052c"
NUMBER = "+14155550100"
OTHER = "+14155550123"


@pytest.fixture
def path(tmp_path):
    return tmp_path / "profiles.toml"


@pytest.fixture
def store(path):
    return ProfilesStore(path)


def filled(store: ProfilesStore) -> ProfilesStore:
    store.add_agent("sales", A1, watch=True, notes="the sales bot")
    store.add_agent("support team", A2)
    store.add_caller_id("main", "+1 415 555 0100", display_name="Acme", agents=["sales"])
    store.add_caller_id("any", OTHER)
    store.add_header_set("crm", {"X-Campaign": "fall", "X-Source": "console"})
    store.add_header_set("track", [("x-campaign", "winter"), ("X-Track", "1")])
    store.add_template("fall", agent="sales", caller_id="main", header_sets=["crm", "track"],
                       fields={"priority": "high", "ringing_timeout_seconds": 30,
                               "krisp_enabled": False, "dtmf": "12w#"},
                       context={"campaign": "fall", "nested": {"a": [1, 2]}})
    return store


# --- round trips ---------------------------------------------------------------------------

def test_missing_file_is_an_empty_store(store, path):
    assert store.load().counts() == {"agents": 0, "caller_ids": 0, "header_sets": 0,
                                     "templates": 0}
    assert not store.read_only and not path.exists()


def test_round_trip_every_kind(store, path):
    filled(store)
    again = ProfilesStore(path).load()
    assert again == store.profiles
    assert list(again.agents) == ["sales", "support team"]
    assert again.agents["sales"].watch is True and again.agents["sales"].notes == "the sales bot"
    assert again.caller_ids["main"].number == NUMBER  # saved as E.164
    assert again.caller_ids["main"].agents == ["sales"]
    assert again.header_sets["track"].headers == {"x-campaign": "winter", "X-Track": "1"}
    template = again.templates["fall"]
    assert template.fields["ringing_timeout_seconds"] == 30
    assert template.fields["krisp_enabled"] is False
    assert template.context == {"campaign": "fall", "nested": {"a": [1, 2]}}
    data = tomllib.loads(path.read_text())
    assert data["schema_version"] == 1
    assert data["agents"]["support team"] == {"id": A2}  # defaults are not written


def test_new_file_mode_and_existing_mode_kept(store, path):
    store.add_agent("a", A1)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600  # operator data: private
    os.chmod(path, 0o640)  # shared with a group on purpose
    store.add_agent("b", A2)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_stale_temp_files_are_swept_by_the_next_write(store, path):
    store.add_agent("a", A1)
    stale = path.with_name(f".{path.name}.abc123.tmp")
    stale.write_text("half a file")
    store.add_agent("b", A2)
    assert not stale.exists()


def test_update_rename_duplicate(store, path):
    filled(store)
    store.update("agent", "support team", watch=True, notes="nights")
    assert store.get("agent", "support team").watch is True
    updated = store.rename("agent", "sales", "sales bot")
    assert set(updated) == {Reference("caller_id", "main", "agents"),
                            Reference("template", "fall", "agent")}
    fresh = ProfilesStore(path).load()
    assert "sales" not in fresh.agents and fresh.agents["sales bot"].id == A1
    assert fresh.templates["fall"].agent == "sales bot"
    assert fresh.caller_ids["main"].agents == ["sales bot"]
    store.rename("header_set", "crm", "crm 2")
    assert ProfilesStore(path).load().templates["fall"].header_sets == ["crm 2", "track"]
    copy = store.duplicate("template", "fall", "fall copy")
    assert copy == store.get("template", "fall")
    with pytest.raises(ProfileExists):
        store.duplicate("template", "fall", "FALL COPY")  # names are case-insensitive
    with pytest.raises(ProfileExists):
        store.rename("agent", "support team", "Sales Bot")
    store.rename("agent", "support team", "Support Team")  # a change of case is fine


def test_add_existing_needs_replace_and_replace_updates_in_place(store, path):
    store.add_agent("sales", A1)
    with pytest.raises(ProfileExists, match="already exists"):
        store.add_agent("SALES", A2)
    store.add_agent("SALES", A2, replace=True)
    assert ProfilesStore(path).load().agents == {"sales": store.get("agent", "sales")}
    assert store.get("agent", "Sales").id == A2


def test_not_found(store):
    with pytest.raises(ProfileNotFound, match="no template named 'nope'"):
        store.resolve_template("nope")
    with pytest.raises(ProfileNotFound):
        store.remove("agent", "nope")


def test_export_import_round_trip(store, tmp_path):
    filled(store)
    bundle = store.export_bundle()
    assert bundle == store.path.read_text()  # the whole store, comments and all
    other = ProfilesStore(tmp_path / "other.toml")
    report = other.import_bundle(bundle)
    assert report.written and len(report.added) == 7 and not report.conflicting
    assert other.profiles == store.profiles
    again = other.import_bundle(bundle)
    assert not again.written and len(again.unchanged) == 7


def test_export_selected_kinds(store):
    filled(store)
    agents_only = store.export_bundle(["agents"])
    data = tomllib.loads(agents_only)
    assert set(data) == {"schema_version", "agents"} and set(data["agents"]) == {
        "sales", "support team"}


def test_import_merge_overwrite_replace_and_dry_run(store, tmp_path):
    filled(store)
    bundle = """schema_version = 1
[agents.sales]
id = "3c90c3cc-0d44-4b50-8888-8dd25736052c"
[agents.night]
id = "3c90c3cc-0d44-4b50-8888-8dd25736052b"
[agents."support team"]
id = "3c90c3cc-0d44-4b50-8888-8dd25736052b"
"""
    before = store.path.read_bytes()
    dry = store.import_bundle(bundle, dry_run=True)
    assert dry.added == [("agent", "night")] and dry.conflicting == [("agent", "sales")]
    assert dry.unchanged == [("agent", "support team")] and not dry.written
    assert store.path.read_bytes() == before

    merged = store.import_bundle(bundle)
    assert merged.written and store.get("agent", "sales").id == A1  # the store's version kept
    overwritten = store.import_bundle(bundle, overwrite=True)
    assert overwritten.changed == [("agent", "sales")]
    assert store.get("agent", "sales", fresh=True).id == A3

    # replace: agents become exactly the bundle's; other kinds untouched
    replaced = store.import_bundle(bundle.replace('[agents.night]\nid = "3c90c3cc-0d44-4b50-'
                                                  '8888-8dd25736052b"\n', ""), mode="replace")
    assert replaced.removed == [("agent", "night")]
    assert set(store.profiles.agents) == {"sales", "support team"}
    assert set(store.profiles.templates) == {"fall"}


def test_import_replace_that_breaks_references_writes_nothing(store):
    filled(store)
    before = store.path.read_bytes()
    with pytest.raises(ProfilesError, match="no agent named 'sales'"):
        store.import_bundle(f'[agents.other]\nid = "{A3}"\n', mode="replace")
    assert store.path.read_bytes() == before


def test_bad_bundle_names_its_line(store, tmp_path):
    bundle = 'schema_version = 1\n\n[caller_ids.x]\nnumber = "+1415"\n'
    with pytest.raises(ProfilesError) as info:
        store.import_bundle(bundle, source=tmp_path / "b.toml")
    assert str(info.value).startswith(f"{tmp_path / 'b.toml'}:4: caller_ids.x.number: ")


# --- comments and hand-written order survive ------------------------------------------------

HAND_WRITTEN = f"""# Our team's profiles -- edited by hand.
schema_version = 1

# ---- templates first: we read them most
[templates.fall]   # the autumn campaign
agent = "sales"    # who calls
header_sets = ["crm"]
fields = {{ priority = "high" }}

# Agents
[agents.sales]
id = "{A1}"  # production
# TODO: rotate
notes = "main"

# The support one
[agents.support]
id = "{A2}"

[header_sets.crm]
# for the CRM
headers = {{ X-Campaign = "fall" }}

# Caller IDs
[caller_ids.main]
number = "{NUMBER}"  # the main line
"""


def test_add_keeps_every_hand_written_byte(store, path):
    path.write_text(HAND_WRITTEN)
    store.add_agent("night", A3)
    expected = HAND_WRITTEN.replace(
        f'[agents.support]\nid = "{A2}"\n',
        f'[agents.support]\nid = "{A2}"\n\n[agents.night]\nid = "{A3}"\n')
    assert path.read_text() == expected


def test_add_of_a_new_kind_goes_at_the_end(store, path):
    path.write_text(HAND_WRITTEN)
    store.add_caller_id("second", OTHER)
    assert path.read_text() == HAND_WRITTEN + f'\n[caller_ids.second]\nnumber = "{OTHER}"\n'


def test_remove_takes_the_entry_and_its_comment_only(store, path):
    path.write_text(HAND_WRITTEN)
    store.remove("agent", "support")
    assert path.read_text() == HAND_WRITTEN.replace(
        f'# The support one\n[agents.support]\nid = "{A2}"\n\n', "")


def test_remove_first_entry_with_the_section_banner_above(store, path):
    path.write_text(HAND_WRITTEN)
    store.remove("template", "fall")
    assert path.read_text() == HAND_WRITTEN.replace(
        '# ---- templates first: we read them most\n[templates.fall]   # the autumn campaign\n'
        'agent = "sales"    # who calls\nheader_sets = ["crm"]\nfields = { priority = "high" }\n\n',
        "")


def test_add_then_remove_gives_back_the_same_bytes(store, path):
    path.write_text(HAND_WRITTEN)
    store.add_agent("night", A3)
    store.add_header_set("extra", {"X-Extra": "1"})
    store.remove("agent", "night")
    store.remove("header_set", "extra")
    assert path.read_text() == HAND_WRITTEN


def test_update_changes_only_the_value(store, path):
    path.write_text(HAND_WRITTEN)
    store.update("agent", "sales", notes="renamed", watch=True)
    assert path.read_text() == HAND_WRITTEN.replace(
        f'id = "{A1}"  # production\n# TODO: rotate\nnotes = "main"\n',
        f'id = "{A1}"  # production\nwatch = true\n# TODO: rotate\nnotes = "renamed"\n')
    store.update("caller_id", "main", number=OTHER)
    assert f'number = "{OTHER}"  # the main line\n' in path.read_text()


def test_rename_changes_only_names(store, path):
    path.write_text(HAND_WRITTEN)
    store.rename("agent", "sales", "sales bot")
    assert path.read_text() == HAND_WRITTEN.replace("[agents.sales]", '[agents."sales bot"]') \
        .replace('agent = "sales"    # who calls', 'agent = "sales bot"    # who calls')


def test_file_without_schema_version_gets_one_on_write(store, path):
    path.write_text(f'# mine\n\n[agents.a]\nid = "{A1}"\n')
    store.add_agent("b", A2)
    text = path.read_text()
    assert text.startswith("# mine\nschema_version = 1\n\n[agents.a]")
    assert tomllib.loads(text)["agents"]["b"]["id"] == A2


# --- bad files are reported and never written ------------------------------------------------

BAD_TOML = f"""schema_version = 1

[agents.sales]
id = "{A1}"
notes = "unterminated
"""

BAD_NUMBER = f"""schema_version = 1
# comment kept
[agents.sales]
id = "{A1}"

[caller_ids.sales]
display_name = "Sales"
number = "+1 415 555"
"""


@pytest.mark.parametrize("text,line,key,needle", [
    (BAD_TOML, 5, None, "not valid TOML"),
    (BAD_NUMBER, 8, "caller_ids.sales.number", "too short"),
])
def test_bad_file_is_reported_and_never_written(store, path, text, line, key, needle):
    path.write_text(text)
    original = path.read_bytes()
    with pytest.raises(ProfilesError) as info:
        store.load()
    error = info.value
    assert (error.file, error.line, error.key) == (path, line, key)
    assert needle in error.message
    assert str(error).startswith(f"{path}:{line}: " + (f"{key}: " if key else ""))
    assert store.read_only and store.error is error

    attempts = [
        lambda: store.add_agent("other", A2),
        lambda: store.update("agent", "sales", watch=True),
        lambda: store.remove("agent", "sales", force=True),
        lambda: store.rename("agent", "sales", "x"),
        lambda: store.import_bundle(f'[agents.z]\nid = "{A3}"\n', mode="replace"),
        lambda: store.write_text(f'[agents.z]\nid = "{A3}"\n'),
    ]
    for attempt in attempts:
        with pytest.raises(ProfilesReadOnly) as refused:
            attempt()
        assert str(refused.value) == str(error)
        assert path.read_bytes() == original
    assert not list(path.parent.glob(".profiles.toml.*.tmp"))


def test_fixed_by_hand_then_writable_again(store, path):
    path.write_text(BAD_NUMBER)
    assert store.reload() is not None and store.read_only
    path.write_text(BAD_NUMBER.replace("+1 415 555", NUMBER))
    store.add_agent("other", A2)
    assert not store.read_only
    assert "# comment kept" in path.read_text()


def test_every_issue_is_listed_in_line_order(store, path):
    path.write_text(f"""schema_version = 1
[agents.a]
id = "not-a-uuid"
colour = "blue"
[caller_ids."bad name!"]
number = "+14155550100"
[header_sets.h]
headers = {{ X-A = "1", x-a = "2", Via = "3" }}
[templates.t]
agent = "ghost"
fields = {{ priority = "URGENT", ringing_timeout_seconds = 0, krisp_enabled = "no" }}
""")
    with pytest.raises(ProfilesError) as info:
        store.load()
    found = [(i.line, i.key) for i in info.value.issues]
    assert found == [
        (3, "agents.a.id"), (4, "agents.a.colour"), (5, 'caller_ids."bad name!"'),
        (8, "header_sets.h.headers.x-a"), (8, "header_sets.h.headers.Via"),
        (10, "templates.t.agent"),
        (11, "templates.t.fields.krisp_enabled"), (11, "templates.t.fields.priority"),
        (11, "templates.t.fields.ringing_timeout_seconds"),
    ]
    assert "case-insensitive" in info.value.issues[3].message


@pytest.mark.parametrize("text,key,needle", [
    ("schema_version = 2\n", "schema_version", "newer call-console"),
    ("[robots.r]\nx = 1\n", "robots", "unknown section"),
    (f'[caller_ids.c]\nnumber = "4155550100"\n', "caller_ids.c.number", "international"),
    (f'[agents.a]\nid = "{A1}"\n[agents.A]\nid = "{A2}"\n', "agents.A", "case-insensitive"),
    (f'[agents.a]\nid = "{A1}"\n[caller_ids.c]\nnumber = "{NUMBER}"\nagents = ["b"]\n',
     "caller_ids.c.agents", "no agent named 'b'"),
    (f'[agents.a]\nid = "{A1}"\n[agents.b]\nid = "{A2}"\n[caller_ids.c]\nnumber = "{NUMBER}"\n'
     f'agents = ["a"]\n[templates.t]\nagent = "b"\ncaller_id = "c"\n',
     "templates.t.caller_id", "only for agent(s) a"),
    ('[templates.t]\nfields = { from_number = "+14155550100" }\n', "templates.t.fields.from_number",
     "caller_id key"),
    ('[templates.t]\nfields = { dtmf = "12A" }\n', "templates.t.fields.dtmf", "lowercase"),
    ('[templates.t]\nfields = { display_name = "' + "x" * 129 + '" }\n',
     "templates.t.fields.display_name", "128"),
    ('[templates.t]\n[templates.t.context]\nwhen = 1979-05-27\n', "templates.t.context.when",
     "not JSON"),
    ('[header_sets.h]\nheaders = { X-A = "a\\nVia: x" }\n', "header_sets.h.headers.X-A", "CR/LF"),
])
def test_validation_names_the_key(store, path, text, key, needle):
    path.write_text(text)
    with pytest.raises(ProfilesError) as info:
        store.load()
    assert info.value.key == key
    assert needle in info.value.message
    assert info.value.line is not None


def test_invalid_input_to_a_write_names_the_key_and_writes_nothing(store, path):
    filled(store)
    before = path.read_bytes()
    cases = [
        (lambda: store.add_caller_id("x", "+1415"), "caller_ids.x.number"),
        (lambda: store.add_header_set("x", {"Via": "a"}), "header_sets.x.headers.Via"),
        (lambda: store.add_header_set("x", [("X-A", "1"), ("x-a", "2")]),
         "header_sets.x.headers.x-a"),
        (lambda: store.add_template("x", agent="nobody"), "templates.x.agent"),
        (lambda: store.add_template("x", caller_id="main", agent="support team"),
         "templates.x.caller_id"),
        (lambda: store.add_template("x", fields={"priority": "URGENT"}),
         "templates.x.fields.priority"),
        (lambda: store.add_agent("x y!", A1), 'agents."x y!"'),
        (lambda: store.add_agent("ok", "not-a-uuid"), "agents.ok.id"),
        (lambda: store.update("agent", "sales", colour="red"), "agents.sales.colour"),
    ]
    for attempt, key in cases:
        with pytest.raises(ProfilesError) as info:
            attempt()
        assert info.value.key == key, (key, str(info.value))
        assert path.read_bytes() == before
    assert not store.read_only


# --- references --------------------------------------------------------------------------------

def test_remove_referenced_needs_force_and_force_clears_references(store, path):
    filled(store)
    before = path.read_bytes()
    with pytest.raises(ProfileInUse) as info:
        store.remove("agent", "sales")
    assert set(info.value.references) == {Reference("caller_id", "main", "agents"),
                                          Reference("template", "fall", "agent")}
    assert path.read_bytes() == before
    assert store.referrers("header_set", "crm") == [Reference("template", "fall", "header_sets")]

    cleared = store.remove("header_set", "crm", force=True)
    assert cleared == [Reference("template", "fall", "header_sets")]
    assert store.get("template", "fall").header_sets == ["track"]
    store.remove("header_set", "track", force=True)
    assert "header_sets" not in tomllib.loads(path.read_text())["templates"]["fall"]
    store.remove("agent", "sales", force=True)
    fresh = ProfilesStore(path).load()
    assert fresh.templates["fall"].agent is None
    assert fresh.caller_ids["main"].agents == []
    store.remove("caller_id", "main", force=True)
    assert ProfilesStore(path).load().templates["fall"].caller_id is None


def test_caller_ids_for_agent_and_watched(store):
    filled(store)
    assert set(store.caller_ids_for_agent("sales")) == {"main", "any"}
    assert set(store.caller_ids_for_agent(A1.upper())) == {"main", "any"}  # by UUID too
    assert set(store.caller_ids_for_agent("support team")) == {"any"}
    assert set(store.caller_ids_for_agent(None)) == {"any"}
    assert list(store.watched_agents()) == ["sales"]
    assert store.agent_name_for_id(A2) == "support team"


def test_caller_ids_for_agent_keep_file_order_and_numbers_match(store):
    store.add_agent("sales", A1)
    store.add_agent("Support", A2)
    store.add_caller_id("one", "+14155550101")
    store.add_caller_id("mine", "+14155550102", agents=["sales", "Support"])
    store.add_caller_id("two", "+14155550103")
    store.add_caller_id("theirs", "+14155550104", agents=["Support"])
    assert list(store.caller_ids_for_agent("SALES")) == ["one", "mine", "two"]
    assert list(store.caller_ids_for_agent("support")) == ["one", "mine", "two", "theirs"]
    assert list(store.caller_ids_for_agent(A2)) == ["one", "mine", "two", "theirs"]
    assert store.numbers_for_agent("Support") == (
        "+14155550101", "+14155550102", "+14155550103", "+14155550104")
    assert store.numbers_for_agent("nobody") == ("+14155550101", "+14155550103")


def test_a_write_checks_the_entry_it_changed_not_the_whole_file(path, monkeypatch):
    """`profiles add` on a big file: the file is read and checked once; the write then checks
    the new entry (and the names and references of the whole file), not every entry again."""
    from console.store.profiles import validation
    from console.telephony import phone

    lines = ["schema_version = 1", ""]
    for i in range(300):
        lines += [f"[agents.a{i}]", f'id = "3c90c3cc-0d44-4b50-8888-{i:012d}"',
                  f"[caller_ids.c{i}]", f'number = "+1415555{i:04d}"', ""]
    path.write_text("\n".join(lines))
    store = ProfilesStore(path)
    store.load()
    calls = {"validations": 0, "parses": 0}

    def counted(name, original):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return original(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(validation, "validate_entry",
                        counted("validations", validation.validate_entry))
    monkeypatch.setattr(phone, "_checked", counted("parses", phone._checked))  # every parse
    store.add_agent("new", A1)
    store.add_caller_id("new-line", "+14155559999")
    # each new entry once as written; the new number read as typed, then checked as saved
    assert calls == {"validations": 2, "parses": 2}
    assert len(ProfilesStore(path).load().caller_ids) == 301
    with pytest.raises(ProfilesError, match="no agent named 'ghost'"):
        store.add_caller_id("bad", "+14155559998", agents=["ghost"])  # references: whole file


# --- templates -----------------------------------------------------------------------------------

def test_template_resolution_values_sources_and_conflicts(store):
    filled(store)
    resolved = store.resolve_template("fall")
    assert resolved.values == {
        "agent_id": A1, "from_number": NUMBER, "display_name": "Acme",
        "custom_headers": [("x-campaign", "winter"), ("X-Source", "console"), ("X-Track", "1")],
        "priority": "high", "ringing_timeout_seconds": 30, "krisp_enabled": False,
        "dtmf": "12w#", "context": {"campaign": "fall", "nested": {"a": [1, 2]}},
    }
    assert resolved.sources == {
        "agent_id": "agent:sales", "from_number": "caller_id:main",
        "display_name": "caller_id:main", "custom_headers": "header_set:crm+track",
        "priority": "template:fall", "ringing_timeout_seconds": "template:fall",
        "krisp_enabled": "template:fall", "dtmf": "template:fall", "context": "template:fall",
    }
    assert resolved.header_sources == {"x-campaign": "header_set:track",
                                       "X-Source": "header_set:crm", "X-Track": "header_set:track"}
    [conflict] = resolved.conflicts
    assert (conflict.header, conflict.first_set, conflict.first_value, conflict.later_set,
            conflict.later_value) == ("x-campaign", "crm", "fall", "track", "winter")
    assert "overriding 'fall'" in conflict.message

    result = resolved.check({"to_number": "+14155550000"})
    assert result.ok, result.problems
    body = result.request.to_json_body()
    assert body["custom_headers"] == {"x-campaign": "winter", "X-Source": "console",
                                      "X-Track": "1"}
    assert body["krisp_enabled"] is False and body["ringing_timeout_seconds"] == 30


def test_operator_values_win_over_the_template(store):
    filled(store)
    merged = store.resolve_template("fall").merged({
        "to_number": "+14155550000", "priority": "low", "krisp_enabled": None, "dtmf": "",
        "custom_headers": [("X-CAMPAIGN", "spring"), ("X-New", "1")],
        "context": '{"campaign": "spring", "extra": true}',
    })
    assert merged["priority"] == "low"
    assert merged["krisp_enabled"] is False and merged["dtmf"] == "12w#"
    assert merged["custom_headers"] == [("X-CAMPAIGN", "spring"), ("X-Source", "console"),
                                        ("X-Track", "1"), ("X-New", "1")]
    assert merged["context"] == {"campaign": "spring", "nested": {"a": [1, 2]}, "extra": True}
    bad = store.resolve_template("fall").merged({"context": "[1]"})
    assert bad["context"] == "[1]"  # passed on so check_draft names the problem


def test_same_header_with_same_value_is_no_conflict():
    rows, sources, conflicts = merge_header_sets([("a", {"X-A": "1"}), ("b", {"x-a": "1"})])
    assert rows == [("x-a", "1")] and sources == {"x-a": "header_set:b"} and conflicts == []


def test_template_without_anything_resolves_to_nothing(store):
    store.add_template("blank")
    resolved = store.resolve_template("blank")
    assert resolved.values == {} and resolved.sources == {} and resolved.conflicts == []


def test_refresh_sees_another_writer(store, path):
    filled(store)
    other = ProfilesStore(path)
    other.add_agent("from elsewhere", A3)
    assert store.changed_on_disk()
    assert store.refresh() and "from elsewhere" in store.profiles.agents
    assert not store.refresh()


# --- lines ---------------------------------------------------------------------------------------

def test_find_line_for_keys_tables_inline_and_multiline():
    text = ('a = 1\n[agents."b c"]\nid = """\nmulti\n[not.a.table]\n"""\nwatch = [\n  1,\n]\n'
            'notes = "x"\n[t]\ninline = { x = 1 }\n')
    assert find_line(text, ("agents", "b c")) == 2
    assert find_line(text, ("agents", "b c", "id")) == 3
    assert find_line(text, ("agents", "b c", "watch")) == 7
    assert find_line(text, ("agents", "b c", "notes")) == 10
    assert find_line(text, ("not", "a", "table")) is None
    assert find_line(text, ("t", "inline", "x")) == 12
    assert find_line(text, ("agents", "b c", "missing")) == 2


# --- properties ----------------------------------------------------------------------------------

NAME_ALPHABET = string.ascii_letters + string.digits + " -_."
valid_names = st.text(NAME_ALPHABET, min_size=1, max_size=64).filter(
    lambda s: s == s.strip())


@given(valid_names)
def test_valid_names_pass(name):
    assert check_name(name) is None


@given(st.text(min_size=1, max_size=80))
def test_name_rule(name):
    ok = (len(name) <= 64 and all(c in NAME_ALPHABET for c in name) and name == name.strip())
    assert (check_name(name) is None) == ok


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(valid_names, min_size=1, max_size=4,
                      unique_by=lambda s: s.lower()))
def test_any_valid_name_round_trips_through_the_file(tmp_path_factory, names):
    store = ProfilesStore(tmp_path_factory.mktemp("names") / "p.toml")
    for name in names:
        store.add_agent(name, A1)
        store.add_header_set(name, {"X-A": "1"})
        store.add_template(name, agent=name, header_sets=[name])
    fresh = ProfilesStore(store.path).load()
    assert list(fresh.agents) == names and list(fresh.templates) == names
    for name in names:
        assert fresh.templates[name].agent == name
    store.remove("template", names[0])
    store.rename("agent", names[0], "renamed")
    assert ProfilesStore(store.path).load().agents["renamed"].id == A1


header_names = st.one_of(
    st.text("abcXYZ-_.!%*+`'~09", min_size=1, max_size=12).map(lambda s: "X-" + s),
    st.text(string.printable, min_size=0, max_size=12),
)
header_values = st.one_of(st.text(string.printable, max_size=20),
                          st.text(max_size=6))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(header_names, header_values), min_size=1, max_size=4,
                     unique_by=lambda r: r[0]))
def test_header_sets_accepted_exactly_when_the_form_would(tmp_path_factory, rows):
    store = ProfilesStore(tmp_path_factory.mktemp("hdr") / "p.toml")
    if not sip.check_headers(rows):  # blank rows are skipped, by the form and the store
        store.add_header_set("h", rows)
        assert ProfilesStore(store.path).load().header_sets["h"].headers == \
            sip.headers_to_dict(rows)
    else:
        with pytest.raises(ProfilesError) as info:
            store.add_header_set("h", rows)
        assert info.value.key.startswith("header_sets.h")
        assert not store.path.exists()


def test_kinds_parse():
    assert parse_kind("caller-id").section == "caller_ids"
    assert parse_kind("Header_Sets").id == "header_set"
    with pytest.raises(ValueError, match="unknown kind"):
        parse_kind("robot")


def test_template_from_form_values_round_trips(store):
    filled(store)
    form = store.resolve_template("fall").merged({"to_number": "+14155550000"})
    draft = store.template_from_values(form, based_on="fall")
    assert draft.unsaved == {} and draft.header_sets == ["crm", "track"]
    assert (draft.agent, draft.caller_id) == ("sales", "main")
    assert draft.fields == {"priority": "high", "ringing_timeout_seconds": 30,
                            "krisp_enabled": False, "dtmf": "12w#"}
    assert draft.context == {"campaign": "fall", "nested": {"a": [1, 2]}}
    # without the template it came from, the merged headers match no saved set
    assert store.template_from_values(form).unsaved == {"custom_headers": form["custom_headers"]}
    store.add_header_set("merged", form["custom_headers"])
    draft = store.template_from_values(form)
    assert draft.header_sets == ["merged"] and not draft.unsaved
    store.add_template("saved from form", **draft.kwargs())
    again = store.resolve_template("saved from form").merged({"to_number": "+14155550000"})
    assert store.resolve_template("saved from form").check(
        {"to_number": "+14155550000"}).request == store.resolve_template("fall").check(
        {"to_number": "+14155550000"}).request
    assert again["custom_headers"] == form["custom_headers"]

    unknown = store.template_from_values({"agent_id": A3, "from_number": "+1 415 555 0199",
                                          "custom_headers": [("X-Z", "1"), ("", "")],
                                          "context": "[1]", "to_number": "+14155550000"})
    assert unknown.unsaved == {"agent_id": A3, "from_number": "+14155550199",
                               "custom_headers": [("X-Z", "1")], "context": "[1]"}
    assert unknown.fields == {}
