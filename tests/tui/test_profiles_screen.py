"""The Profiles screen (F4) against a real profiles.toml in the test's temp config dir: create an
entry of every kind with the keyboard and read it back with `ProfilesStore`, live checks, errors
at the field, duplicate, rename (references follow), delete (warns with the referrers), a corrupt
file shown with its line and never written, and snapshots of each part and the read-only state.
"""

from __future__ import annotations

import os

import pytest

from console.store.profiles import ProfilesStore
from console.tui.profiles import KindPart

from profiles_helpers import (
    CORRUPT,
    SALES,
    fresh,
    paste_text,
    profiles_ready,
    seed,
    type_text,
    wait_for,
    writes_done,
)

SIZE = (120, 40)
NEW_UUID = "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"


def part(app, section: str) -> KindPart:
    return app.screen.query_one(f"#part-{section}", KindPart)


async def show(pilot, section: str) -> KindPart:
    """The tab of `section` with its list focused (number keys 1-4 work from the list) and
    its editor mounted (it is, right after the list is first shown)."""
    app = pilot.app
    number = ["agents", "caller_ids", "header_sets", "templates"].index(section) + 1
    await pilot.press("escape")
    await pilot.press(str(number))
    await wait_for(pilot, lambda: app.screen.current is not None
                   and app.screen.active_section == section
                   and app.focused is app.screen.current.entries
                   and app.screen.current.editor_ready.is_set(), f"{section} list")
    return part(app, section)


def screen_text(app) -> str:
    """All text on the screen (from an SVG export, tags stripped, entities decoded)."""
    import html
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", app.export_screenshot())).replace("\xa0", " ")


async def focus_field(pilot, kind_part: KindPart, name: str) -> None:
    kind_part.editor.field(name).focus_input()
    await pilot.pause()


async def save(pilot) -> None:
    await pilot.press("ctrl+s")
    await pilot.pause()
    await writes_done(pilot)


async def test_create_one_of_each_kind_in_the_tui(tui_offline):
    app = tui_offline.app(connected=False, screen="profiles")
    async with app.run_test(size=SIZE) as pilot:
        await profiles_ready(pilot)
        path = app.profiles.path
        assert not path.exists()

        # Agent: n, name, UUID, watch on, ctrl+s.
        agents = await show(pilot, "agents")
        await pilot.press("n")
        assert agents.mode == "new"
        assert app.focused is agents.editor.field("name").input
        await type_text(pilot, "sales")
        await focus_field(pilot, agents, "agent_id")
        await paste_text(pilot, SALES)
        await focus_field(pilot, agents, "watch")
        await pilot.press("space")
        await save(pilot)
        assert agents.mode == "edit" and agents.selected == "sales"
        assert "[agents.sales]" in path.read_text()

        # Caller ID: a national number is saved in E.164; only for agent sales.
        callers = await show(pilot, "caller_ids")
        await pilot.press("n")
        await paste_text(pilot, "main")
        await focus_field(pilot, callers, "number")
        await paste_text(pilot, "(415) 555-0100")
        await focus_field(pilot, callers, "display_name")
        await paste_text(pilot, "ACME")
        await focus_field(pilot, callers, "agents")
        await pilot.press("space")                        # tick the first agent: sales
        await save(pilot)
        assert callers.selected == "main"

        # Header set: add two rows with the header list editor.
        sets = await show(pilot, "header_sets")
        await pilot.press("n")
        await paste_text(pilot, "crm")
        await focus_field(pilot, sets, "custom_headers")  # the "+ Add header" button
        await pilot.press("enter")
        await paste_text(pilot, "X-Campaign")
        await pilot.press("tab")
        await paste_text(pilot, "fall")
        await pilot.press("ctrl+n")                       # the header list's own add-row key
        await paste_text(pilot, "X-Team")
        await pilot.press("tab")
        await type_text(pilot, "a")
        await save(pilot)
        assert sets.selected == "crm"

        # Template: agent, caller ID and header set from the saved names; two field defaults.
        templates = await show(pilot, "templates")
        await pilot.press("n")
        await paste_text(pilot, "recall")
        editor = templates.editor
        await focus_field(pilot, templates, "agent")
        await pilot.press("enter", "down", "enter")       # open the list, first name: sales
        await wait_for(pilot, lambda: editor.field("agent").value == "sales", "agent")
        await focus_field(pilot, templates, "caller_id")
        await pilot.press("enter", "down", "enter")
        await wait_for(pilot, lambda: editor.field("caller_id").value == "main", "caller")
        await focus_field(pilot, templates, "header_sets")
        await pilot.press("space")
        await focus_field(pilot, templates, "priority")
        await pilot.press("enter", "down", "enter")       # normal -> high
        await wait_for(pilot, lambda: editor.field("priority").value == "high", "priority")
        await focus_field(pilot, templates, "ringing_timeout_seconds")
        await type_text(pilot, "30")
        await focus_field(pilot, templates, "context")
        await paste_text(pilot, '{"campaign": "fall"}')
        await save(pilot)
        assert templates.selected == "recall", {
            n: f.problems for n, f in editor.fields.items() if f.problems}

    text = path.read_text()
    for needed in ("[agents.sales]", "[caller_ids.main]", "[header_sets.crm]",
                   "[templates.recall]"):
        assert needed in text
    store = fresh()
    assert store.get("agent", "sales").agent_id == SALES
    assert store.get("agent", "sales").watch is True
    main = store.get("caller_id", "main")
    assert (main.number, main.display_name, main.agents) == ("+14155550100", "ACME", ["sales"])
    assert store.get("header_set", "crm").headers == {"X-Campaign": "fall", "X-Team": "a"}
    recall = store.get("template", "recall")
    assert (recall.agent, recall.caller_id, recall.header_sets) == ("sales", "main", ["crm"])
    assert recall.fields == {"priority": "high", "ringing_timeout_seconds": 30}
    assert recall.context == {"campaign": "fall"}
    assert store.resolve_template("recall").check({"to_number": "+14155550000"}).ok


async def test_live_checks_block_saving_and_show_under_the_field(tui_offline):
    seed()
    before = ProfilesStore().path.read_bytes()
    app = tui_offline.app(connected=False, screen="profiles")
    async with app.run_test(size=SIZE) as pilot:
        await profiles_ready(pilot)
        agents = await show(pilot, "agents")
        await pilot.press("n")
        await type_text(pilot, "Sales")                   # names are case-insensitive
        name = agents.editor.field("name")
        assert any("already exists" in p for p in name.problems)
        await focus_field(pilot, agents, "agent_id")
        await paste_text(pilot, "not-a-uuid")
        uuid = agents.editor.field("agent_id")
        assert any("UUID" in p for p in uuid.problems)
        await save(pilot)
        assert "not saved" in str(agents.query_one(".editor-status").render())
        assert app.focused is name.input                  # the first bad field
    assert ProfilesStore().path.read_bytes() == before


async def test_a_write_error_from_the_store_is_shown_at_its_field(tui_offline):
    """Another process adds the same name between the live check and the save: the store's
    ProfileExists lands under the name, and the other process's entry is kept."""
    seed()
    app = tui_offline.app(connected=False, screen="profiles")
    async with app.run_test(size=SIZE) as pilot:
        await profiles_ready(pilot)
        agents = await show(pilot, "agents")
        await pilot.press("n")
        await type_text(pilot, "ops")
        await focus_field(pilot, agents, "agent_id")
        await paste_text(pilot, NEW_UUID)
        assert not agents.editor.field("name").problems
        ProfilesStore().add_agent("ops", SALES)           # someone else, right now
        await save(pilot)
        await wait_for(pilot, lambda: agents.editor.field("name").problems, "name problem")
        assert "already exists" in agents.editor.field("name").problems[0]
        assert agents.mode == "new"
    assert fresh().get("agent", "ops").agent_id == SALES


async def test_search_filters_the_list(tui_offline):
    seed()
    app = tui_offline.app(connected=False, screen="profiles")
    async with app.run_test(size=SIZE) as pilot:
        await profiles_ready(pilot)
        callers = await show(pilot, "caller_ids")
        assert callers.entries.option_count == 2
        await pilot.press("slash")
        await type_text(pilot, "0199")                    # searches numbers too
        assert callers.entries.option_count == 1
        assert callers.entries.get_option_at_index(0).id == "any"
        await pilot.press("enter")
        assert app.focused is callers.entries
        # Another operator adds one: the app sees the file change (its 3 s timer runs this).
        ProfilesStore().add_caller_id("night", "+14155550777")
        app._watch_profiles_file()
        await writes_done(pilot)
        await wait_for(pilot, lambda: "Caller IDs (3)" in screen_text(app), "tab count")
        callers.query_one(".part-search").value = ""
        await wait_for(pilot, lambda: callers.entries.option_count == 3, "listed")


async def test_editing_an_entry_keeps_the_hand_written_comments(tui_offline):
    store = seed()
    path = store.path
    path.write_text(path.read_text().replace("[caller_ids.any]",
                                             "# the shared line\n[caller_ids.any]"))
    app = tui_offline.app(connected=False, screen="profiles")
    async with app.run_test(size=SIZE) as pilot:
        await profiles_ready(pilot)
        callers = await show(pilot, "caller_ids")
        await pilot.press("down")                         # "any"
        await wait_for(pilot, lambda: callers.selected == "any", "any")
        await focus_field(pilot, callers, "display_name")
        await paste_text(pilot, "Hotline")
        await save(pilot)
    assert "# the shared line\n[caller_ids.any]" in path.read_text()
    assert fresh().get("caller_id", "any").display_name == "Hotline"


async def test_duplicate(tui_offline):
    seed()
    app = tui_offline.app(connected=False, screen="profiles")
    async with app.run_test(size=SIZE) as pilot:
        await profiles_ready(pilot)
        await show(pilot, "header_sets")
        await pilot.press("d")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ProfileNameScreen",
                       "modal")
        assert app.screen.name_field.value == "crm copy"
        await pilot.press("enter")
        await writes_done(pilot)
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ProfilesScreen",
                       "modal closed")
        assert part(app, "header_sets").selected == "crm copy"
    assert fresh().get("header_set", "crm copy").headers == {"X-Campaign": "fall", "X-Team": "a"}


async def test_rename_updates_every_reference(tui_offline):
    seed()
    app = tui_offline.app(connected=False, screen="profiles")
    async with app.run_test(size=SIZE) as pilot:
        await profiles_ready(pilot)
        await show(pilot, "agents")
        await pilot.press("r")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ProfileNameScreen",
                       "modal")
        body = screen_text(app)
        assert "caller ID 'main' (agents)" in body and "template 'recall' (agent)" in body
        await type_text(pilot, "support")                 # taken: checked as typed
        assert any("already exists" in p for p in app.screen.name_field.problems)
        assert app.screen.query_one("#confirm").disabled
        app.screen.name_field.set_value("")
        await paste_text(pilot, "field-sales")
        await pilot.press("enter")
        await writes_done(pilot)
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ProfilesScreen",
                       "modal closed")
        agents = part(app, "agents")
        assert agents.selected == "field-sales"
        assert [agents.entries.get_option_at_index(i).id
                for i in range(agents.entries.option_count)] == ["field-sales", "support"]
    store = fresh()
    assert store.names("agent") == ["field-sales", "support"]
    assert store.get("caller_id", "main").agents == ["field-sales"]
    assert store.get("template", "recall").agent == "field-sales"


async def test_delete_warns_with_the_referrers_then_clears_them(tui_offline):
    seed()
    path = ProfilesStore().path
    before = path.read_bytes()
    app = tui_offline.app(connected=False, screen="profiles")
    async with app.run_test(size=SIZE) as pilot:
        await profiles_ready(pilot)
        await show(pilot, "header_sets")
        await pilot.press("delete")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ConfirmScreen",
                       "confirm")
        await wait_for(pilot, lambda: "still used by" in screen_text(app)
                       and "template 'recall' (header_sets)" in screen_text(app),
                       "the warning and its referrers painted")
        await pilot.press("enter")                        # the focused button: Keep it
        await pilot.pause()
        assert path.read_bytes() == before
        await pilot.press("delete")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ConfirmScreen",
                       "confirm")
        app.screen.query_one("#confirm").press()
        await pilot.pause()
        await writes_done(pilot)
        sets = part(app, "header_sets")
        assert [sets.entries.get_option_at_index(i).id
                for i in range(sets.entries.option_count)] == ["qa"]
        # Something nobody refers to: the confirmation says so.
        await show(pilot, "agents")
        await pilot.press("down", "delete")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ConfirmScreen",
                       "confirm")
        await wait_for(pilot, lambda: "Nothing refers to 'support'" in screen_text(app),
                       "the confirmation painted")
        app.screen.query_one("#confirm").press()
        await pilot.pause()
        await writes_done(pilot)
    store = fresh()
    assert store.names("header_set") == ["qa"]
    assert store.get("template", "recall").header_sets == ["qa"]
    assert store.names("agent") == ["sales"]


async def test_a_corrupt_file_is_shown_with_its_line_and_never_written(tui_offline, tmp_path,
                                                                        monkeypatch):
    path = ProfilesStore().path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(CORRUPT)
    before = path.read_bytes()
    app = tui_offline.app(connected=False, screen="profiles")
    async with app.run_test(size=SIZE) as pilot:
        screen = await profiles_ready(pilot)
        banner = screen_text(app)
        assert f"{path}:6: agents.sales.id:" in banner.replace("\n", "")
        assert "read-only" in banner
        agents = await show(pilot, "agents")
        assert agents.query_one(".btn-new").disabled
        assert agents.editor.disabled
        assert screen.check_action("new_entry", ()) is None
        await pilot.press("n", "ctrl+s")                  # nothing happens
        await pilot.pause()
        assert agents.mode == "empty"
        agents.mode = "new"                               # force the editor open and try
        agents.editor.field("name").set_value("x")
        agents.editor.field("agent_id").set_value(SALES)
        await pilot.pause()
        agents.save()
        await writes_done(pilot)
        assert "nothing is written" in str(agents.query_one(".editor-status").render())
        app.reload_profiles()
        await writes_done(pilot)
        assert path.read_bytes() == before
        # Fixed by hand: reload makes it writable again.
        path.write_text(CORRUPT.replace("not-a-uuid", SALES))
        await pilot.press("ctrl+r")
        await writes_done(pilot)
        await wait_for(pilot, lambda: not app.profiles.read_only, "reload")
        assert not screen.query_one("#profiles-error").has_class("-shown")
        assert not agents.query_one(".btn-new").disabled
        assert agents.entries.option_count == 1
    assert os.path.exists(path)


async def test_tab_switches_in_quick_succession_settle_on_the_last(tui_offline):
    """A focus asked for just before a tab switch must not pull the tabs back (they used to flip
    between the two panes for ever, each switch focusing its own list again)."""
    seed()
    app = tui_offline.app(connected=False, screen="profiles")
    async with app.run_test(size=SIZE) as pilot:
        screen = await profiles_ready(pilot)
        await show(pilot, "header_sets")
        await show(pilot, "agents")
        tabs = screen.query_one("#profiles-tabs")
        screen.part("agents").focus_search()  # applied a moment later, after the switch
        tabs.active = "header_sets"
        seen = []
        for _ in range(30):  # (a flip-flop never idles: the suite's per-test timeout ends it)
            await pilot.pause()
            seen.append(screen.active_section)
        assert set(seen) == {"header_sets"}
        assert app.focused is screen.part("header_sets").entries


async def test_a_checklist_entered_by_tab_or_jump_highlights_its_first_item(tui_offline):
    seed()
    app = tui_offline.app(connected=False, screen="profiles")
    async with app.run_test(size=SIZE) as pilot:
        await profiles_ready(pilot)
        templates = await show(pilot, "templates")
        await pilot.press("enter")                               # load "recall"
        await wait_for(pilot, lambda: templates.mode == "edit", "the template in the editor")
        checklist = templates.editor.field("header_sets").selection
        checklist.highlighted = None
        while app.focused is not checklist:                      # Tab through the editor
            await pilot.press("tab")
        assert checklist.highlighted == 0
        await pilot.press("space")                               # acts on what is shown
        assert templates.editor.field("header_sets").value == ["qa"]
        checklist.highlighted = None
        await pilot.press("escape")
        await pilot.press("ctrl+j")
        overlay = app.screen
        letter = next(t.letter for t in overlay.targets if t.widget is checklist)
        await pilot.press(letter)
        await wait_for(pilot, lambda: app.focused is checklist, "the checklist by jump")
        assert checklist.highlighted == 0


async def test_a_header_set_saved_with_an_empty_value_says_so(tui_offline):
    app = tui_offline.app(connected=False, screen="profiles")
    async with app.run_test(size=SIZE) as pilot:
        await profiles_ready(pilot)
        header_sets = await show(pilot, "header_sets")
        await pilot.press("n")
        await wait_for(pilot, lambda: header_sets.mode == "new", "a new header set")
        header_sets.editor.field("name").focus_input()
        await type_text(pilot, "blank")
        header_sets.editor.field("custom_headers").focus_input()
        await pilot.press("ctrl+n", *"X-Empty")
        await save(pilot)
        assert fresh().profiles.section(header_sets.kind)["blank"].headers == {"X-Empty": ""}
        status = str(header_sets.query_one(".editor-status").render())
        assert "Added header set 'blank'" in status and "X-Empty has an empty value" in status
        assert any("X-Empty has an empty value" in n.message and n.severity == "warning"
                   for n in app.notices)


@pytest.mark.parametrize("section, field", [("agents", "notes"), ("caller_ids", "display_name"),
                                            ("header_sets", "custom_headers"),
                                            ("templates", "dtmf")])
async def test_after_saving_escape_returns_to_the_list(tui_offline, section, field):
    seed()
    app = tui_offline.app(connected=False, screen="profiles")
    async with app.run_test(size=SIZE) as pilot:
        await profiles_ready(pilot)
        kind_part = await show(pilot, section)
        await pilot.press("enter")                               # the first entry
        await wait_for(pilot, lambda: kind_part.mode == "edit", "the entry in the editor")
        await focus_field(pilot, kind_part, field)
        await save(pilot)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.focused is kind_part.entries, "the list focused")


async def test_the_palette_opens_a_new_entry_of_a_kind(tui_offline):
    seed()
    app = tui_offline.app(connected=False, screen="call")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.profiles is not None, "profiles")
        from console.tui.profiles.link import profile_commands

        commands = {text: callback for text, _help, callback in
                    profile_commands(app, app.screen)}
        assert "profile: use template recall" in commands
        commands["profile: new caller ID"]()
        await profiles_ready(pilot)
        await wait_for(pilot, lambda: app.screen.query("#part-caller_ids"), "the caller IDs")
        callers = part(app, "caller_ids")
        await wait_for(pilot, lambda: callers.mode == "new", "new caller ID")
        assert app.screen.query_one("TabbedContent").active == "caller_ids"


# -- snapshots ---------------------------------------------------------------------------------


def prepare(tui, section: str, *, then=None):
    async def run_before(pilot) -> None:
        await profiles_ready(pilot)
        await show(pilot, section)
        if then is not None:
            await then(pilot)
        await writes_done(pilot)
        pilot.app.clear_notifications()
        tui.no_blink(pilot.app)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("section", ["agents", "caller_ids", "header_sets", "templates"])
def test_snapshot_part(snap_compare, tui_offline, section):
    seed()
    app = tui_offline.app(connected=False, screen="profiles")
    assert snap_compare(app, terminal_size=SIZE, run_before=prepare(tui_offline, section))


def test_snapshot_agents_80x24(snap_compare, tui_offline):
    seed()
    app = tui_offline.app(connected=False, screen="profiles")
    assert snap_compare(app, terminal_size=(80, 24), run_before=prepare(tui_offline, "agents"))


def test_snapshot_template_defaults_80x24(snap_compare, tui_offline):
    """Below 100 columns the template editor's paired fields stack (selects stay usable)."""
    seed()

    async def to_priority(pilot) -> None:
        templates = part(pilot.app, "templates")
        editor = templates.query_one(".part-editor")
        editor.scroll_to_widget(templates.editor.field("priority"), animate=False, top=True)
        await pilot.pause()

    app = tui_offline.app(connected=False, screen="profiles")
    assert snap_compare(app, terminal_size=(80, 24),
                        run_before=prepare(tui_offline, "templates", then=to_priority))


def test_snapshot_read_only(snap_compare, tui_offline, tmp_path, monkeypatch):
    # A relative path so the picture does not hold the temp dir's name.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CALL_CONSOLE_PROFILES", "profiles.toml")
    (tmp_path / "profiles.toml").write_text(CORRUPT)
    app = tui_offline.app(connected=False, screen="profiles")
    assert snap_compare(app, terminal_size=SIZE, run_before=prepare(tui_offline, "agents"))
    assert (tmp_path / "profiles.toml").read_text() == CORRUPT


async def test_the_list_comes_first_and_a_key_pressed_before_the_editor_is_kept(
        tui_offline, monkeypatch):
    """F4 shows the list, then mounts the editor beside it; "n" pressed in between opens a
    new entry once the editor is there (not lost, no error)."""
    seed()
    monkeypatch.setattr(KindPart, "EDITOR_POLL", 0.4)  # a slow machine: a wide gap
    app = tui_offline.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.profiles is not None, "profiles")
        await pilot.press("f4")
        await wait_for(pilot, lambda: getattr(app.screen, "SCREEN_NAME", "") == "profiles"
                       and app.screen.current is not None
                       and app.focused is app.screen.current.entries, "the list")
        agents = app.screen.current
        assert not agents.editor_ready.is_set()
        assert [agents.entries.get_option_at_index(i).id
                for i in range(agents.entries.option_count)] == ["sales", "support"]
        await pilot.press("n")
        await wait_for(pilot, agents.editor_ready.is_set, "the editor")
        await wait_for(pilot, lambda: agents.mode == "new", "a new agent")
        assert app.focused is agents.editor.field("name").input
