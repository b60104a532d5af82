"""Saved profiles in the Call form: choosing a template fills and marks the fields, an edited
field loses its mark, header sets are added (conflicts reported), the agent and caller-ID
pickers are fed by the store, "save as template" round-trips, and a corrupt profiles file
leaves the form working without templates (and untouched). Real profiles.toml in a temp dir.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from console.store.profiles import ProfilesStore

from profiles_helpers import (
    CORRUPT,
    SALES,
    SUPPORT,
    form_ready,
    fresh,
    paste_text,
    seed,
    type_text,
    wait_for,
    writes_done,
)

SIZE = (120, 40)
RECALL = {
    "agent_id": SALES,
    "from_number": "+14155550100",
    "display_name": "ACME Sales",
    "priority": "high",
    "ringing_timeout_seconds": "30",
}
MARKED = {"agent_id", "from_number", "display_name", "custom_headers", "priority",
          "ringing_timeout_seconds", "context"}


def marked(screen) -> set[str]:
    return {name for name, frame in screen.fields.items() if frame.has_class("-from-template")}


def legend(screen) -> str:
    return str(screen.query_one("#template-legend").render())


async def choose_template(pilot, name: str) -> None:
    """ctrl+b opens the template list; type-to-search the name; enter."""
    screen = pilot.app.screen
    await pilot.press("ctrl+b")
    await wait_for(pilot, lambda: screen.query_one("#template-select").expanded, "list open")
    await type_text(pilot, name)
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen.template_picker.applied == name, f"template {name}")


@asynccontextmanager
async def recall_form(tui_offline):
    """The seeded profiles, the Call form filled from template 'recall': (pilot, screen)."""
    seed()
    app = tui_offline.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await form_ready(pilot)
        await choose_template(pilot, "recall")
        yield pilot, screen


async def test_choosing_a_template_fills_and_marks_the_form(tui_offline):
    async with recall_form(tui_offline) as (pilot, screen):
        values = screen.values()
        for name, value in RECALL.items():
            assert values[name] == value, name
        # crm then qa: qa's X-Team wins and the conflict is reported.
        assert values["custom_headers"] == [("X-Campaign", "fall"), ("X-Team", "b")]
        assert '"campaign": "fall"' in values["context"]
        assert marked(screen) == MARKED
        shown = legend(screen)
        assert "from template 'recall'" in shown
        assert "X-Team: header set 'qa' sets 'b', overriding 'a' from 'crm'" in shown
        for name in MARKED:                               # the ◆ before the label
            frame = screen.field(name)
            assert frame.query_one(".template-mark").display
        # The template's values are checked like typed ones: only To is missing.
        await pilot.pause()
        assert [p.field for p in screen.draft.problems] == ["to_number"]
        await paste_text(pilot, "")                       # nothing: still only To
        screen.field("to_number").focus_input()
        await paste_text(pilot, "+14155550000")
        await wait_for(pilot, lambda: screen.draft.ok, "request ok")
        assert screen.draft.request.custom_headers == {"X-Campaign": "fall", "X-Team": "b"}


async def test_editing_a_marked_field_clears_only_its_mark(tui_offline):
    async with recall_form(tui_offline) as (pilot, screen):
        app = pilot.app
        screen.field("display_name").focus_input()
        await pilot.press("backspace")
        await wait_for(pilot, lambda: "display_name" not in marked(screen), "mark cleared")
        assert marked(screen) == MARKED - {"display_name"}
        assert "Display name" not in legend(screen)
        await type_text(pilot, "s")                       # the template's value again:
        assert "display_name" not in marked(screen)       # an edited field stays unmarked
        # Another template: what recall set and nobody edited goes back to the defaults.
        app.profiles.add_template("support line", agent="support", fields={"dtmf": "1w2"})
        app.profiles_written()
        await pilot.pause()
        await choose_template(pilot, "support line")
        values = screen.values()
        assert values["agent_id"] == SUPPORT and values["dtmf"] == "1w2"
        assert values["priority"] == "normal" and values["from_number"] == ""
        assert values["display_name"] == "ACME Sales"     # typed by the operator: kept
        assert marked(screen) == {"agent_id", "dtmf"}


async def test_header_set_picker_and_caller_ids_from_the_store(tui_offline):
    seed()
    app = tui_offline.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await form_ready(pilot)
        agent = screen.field("agent_id")
        assert [(a.name, a.source) for a in agent.known_agents] == [
            ("sales", "profile"), ("support", "profile")]
        agent.focus_input()                               # (the caret starts in To)
        await pilot.pause()
        await paste_text(pilot, SALES)
        caller = screen.field("from_number")
        await wait_for(pilot, lambda: caller.known_numbers, "caller IDs")
        assert caller.known_numbers == ["+14155550100", "+14155550199"]
        agent.set_value(SUPPORT)                          # 'main' is only for sales
        await wait_for(pilot, lambda: caller.known_numbers == ["+14155550199"], "support's")
        # Add header set crm, then qa: qa replaces X-Team, and says so.
        picker = screen.template_picker
        select = picker.query_one("#header-set-select")
        select.focus()
        await pilot.press("enter", "down", "enter")       # crm
        await wait_for(pilot, lambda: "custom_headers" in marked(screen), "headers marked")
        select.focus()
        await pilot.press("enter", "down", "down", "enter")  # qa
        await wait_for(pilot, lambda: "replacing 'a'" in legend(screen), "conflict")
        assert screen.field("custom_headers").value == [("X-Campaign", "fall"), ("X-Team", "b")]
        assert "from header set 'qa'" in legend(screen)


def test_known_agents_are_the_saved_ones_and_the_servers():
    from console.tui.known_agents import KnownAgent
    from console.tui.profiles.link import merge_known_agents, profile_agents

    store = seed()
    server = [KnownAgent(SALES, "Reception", ("+14155551000",)),
              KnownAgent("99999999-8888-4777-8666-555555555555", "Billing", ("+14155552000",))]
    known = merge_known_agents(profile_agents(store), server, store)
    assert [(a.name, a.caller_ids) for a in known] == [
        ("sales", ("+14155550100", "+14155550199", "+14155551000")),   # saved name, both lists
        ("support", ("+14155550199",)),                                # 'main' is sales' only
        ("Billing", ("+14155552000", "+14155550199")),                 # + caller IDs for anyone
    ]


async def test_save_as_template_round_trip(tui_offline):
    async with recall_form(tui_offline) as (pilot, screen):
        app = pilot.app
        screen.field("priority").set_value("urgent")
        screen.field("dtmf").focus_input()
        await type_text(pilot, "12#")
        await pilot.press("ctrl+y")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ProfileNameScreen",
                       "modal")
        modal = app.screen
        assert modal.name_field.value == "recall copy"
        await type_text(pilot, "recall urgent")
        await pilot.press("enter")
        await writes_done(pilot)
        await wait_for(pilot, lambda: app.screen is screen, "modal closed")
        saved = screen.values()
    store = fresh()
    template = store.get("template", "recall urgent")
    assert (template.agent, template.caller_id, template.header_sets) == (
        "sales", "main", ["crm", "qa"])                   # the sets it came from, reused
    assert template.fields == {"priority": "urgent", "ringing_timeout_seconds": 30,
                               "dtmf": "12#"}
    assert template.context == {"campaign": "fall"}
    # A fresh form filled from the saved template holds the same values.
    app = tui_offline.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await form_ready(pilot)
        await choose_template(pilot, "recall urgent")
        assert screen.values() == saved


async def test_save_as_template_reports_what_it_cannot_keep(tui_offline):
    seed()
    app = tui_offline.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await form_ready(pilot)
        screen.set_values({"agent_id": "11111111-2222-4333-8444-555555555555",
                           "from_number": "+14155550123", "priority": "low",
                           "custom_headers": [("X-Other", "1")]})
        await pilot.pause()
        await pilot.press("ctrl+y")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ProfileNameScreen",
                       "modal")
        body = str(app.screen.query_one(".name-body").render())
        assert "Not saved" in body
        for needed in ("the agent UUID is not a saved agent",
                       "the caller ID is not a saved caller ID",
                       "the SIP headers are not a saved header set", "Priority = 'low'"):
            assert needed in body
        await paste_text(pilot, "low prio")
        await pilot.press("enter")
        await writes_done(pilot)
        await wait_for(pilot, lambda: app.screen is screen, "modal closed")
    template = fresh().get("template", "low prio")
    assert template.agent is None and template.fields == {"priority": "low"}


async def test_a_corrupt_profiles_file_leaves_the_form_working_and_the_file_alone(tui_offline):
    path = ProfilesStore().path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(CORRUPT)
    before = path.read_bytes()
    app = tui_offline.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await form_ready(pilot)
        assert screen.query_one("#template-select").disabled
        assert screen.query_one("#save-template").disabled
        assert "profiles.toml line 6 has an error" in legend(screen)
        assert screen.check_action("save_template", ()) is None
        screen.template_picker.save_as_template()         # refused with the reason
        await pilot.pause()
        assert app.screen is screen
        screen.set_values({"agent_id": SALES, "to_number": "+14155550000"})
        await wait_for(pilot, lambda: screen.draft is not None and screen.draft.ok,
                       "the form still checks")
        assert screen.preview.json_text is not None
    assert path.read_bytes() == before


def test_snapshot_form_filled_from_a_template(snap_compare, tui_offline):
    seed()

    async def run_before(pilot) -> None:
        screen = await form_ready(pilot)
        await choose_template(pilot, "recall")
        screen.field("to_number").focus_input()
        await paste_text(pilot, "+14155550000")
        await wait_for(pilot, lambda: screen.draft is not None and screen.draft.ok, "ok")
        await pilot.pause()
        pilot.app.clear_notifications()
        tui_offline.no_blink(pilot.app)
        await pilot.pause()

    assert snap_compare(tui_offline.app(connected=False), terminal_size=SIZE,
                        run_before=run_before)


# -- reset to defaults and its undo, with a template ---------------------------------------

def changed(screen) -> set[str]:
    """The fields shown as differing from their API default (●)."""
    return {name for name, frame in screen.fields.items() if frame.changed}


def chosen(screen):
    return screen.query_one("#template-select").value


async def reset(pilot) -> None:
    await pilot.press("ctrl+r")
    await pilot.pause()
    await pilot.pause()                                   # the fields' Changed messages too


async def undo(pilot) -> None:
    await pilot.press("ctrl+g")
    await pilot.pause()
    await pilot.pause()


def assert_reset(screen) -> None:
    """At the API defaults: nothing is from a template, no template is chosen."""
    from textual.widgets import Select

    picker = screen.template_picker
    assert marked(screen) == set()
    assert picker.marks == {} and picker.applied is None
    assert chosen(screen) is Select.NULL
    assert legend(screen) == ""                          # no marks, no header conflict
    assert changed(screen) == set()
    values = screen.values()
    assert values["agent_id"] != "" and values["priority"] == "normal"  # required ones stay
    assert values["custom_headers"] == [] and values["display_name"] == ""


def assert_from(screen, template: str, marks: set[str]) -> None:
    assert marked(screen) == marks
    for name in marks:                                    # the ◆ before the label
        assert screen.field(name).query_one(".template-mark").display
    assert screen.template_picker.applied == template and chosen(screen) == template


async def test_undo_of_reset_brings_back_the_template_and_its_marks(tui_offline):
    async with recall_form(tui_offline) as (pilot, screen):
        values, shown, differing = screen.values(), legend(screen), changed(screen)
        assert "header conflict" in shown
        await reset(pilot)
        assert_reset(screen)
        await undo(pilot)
        assert screen.values() == values
        assert_from(screen, "recall", MARKED)
        assert legend(screen) == shown                    # marks and the header conflict
        assert changed(screen) == differing
        await pilot.pause(0.1)                            # the undo's own changes settled:
        assert marked(screen) == MARKED                   # they did not count as edits
        assert screen.check_action("undo_reset", ()) is False
        # The restored marks work as before: an edit still clears only its own.
        screen.field("priority").set_value("low")
        await wait_for(pilot, lambda: "priority" not in marked(screen), "mark cleared")
        assert marked(screen) == MARKED - {"priority"}


async def test_undo_of_reset_keeps_an_edited_field_unmarked(tui_offline):
    async with recall_form(tui_offline) as (pilot, screen):
        name = screen.field("display_name")
        name.focus_input()
        await pilot.press("backspace")                    # edited: loses its mark
        await wait_for(pilot, lambda: not name.has_class("-from-template"), "mark cleared")
        values, differing = screen.values(), changed(screen)
        await reset(pilot)
        assert_reset(screen)
        await undo(pilot)
        assert screen.values() == values and values["display_name"] == "ACME Sale"
        assert_from(screen, "recall", MARKED - {"display_name"})
        assert "Display name" not in legend(screen)
        assert changed(screen) == differing
        name.focus_input()
        await type_text(pilot, "s")                       # the template's value again:
        assert "display_name" not in marked(screen)       # still an edited field


async def test_two_resets_then_two_undos(tui_offline):
    async with recall_form(tui_offline) as (pilot, screen):
        app = pilot.app
        app.profiles.add_template("support line", agent="support", fields={"dtmf": "1w2"})
        app.profiles_written()
        await pilot.pause()
        first, first_legend = screen.values(), legend(screen)
        await reset(pilot)
        assert_reset(screen)
        await choose_template(pilot, "support line")
        second = screen.values()
        assert marked(screen) == {"agent_id", "dtmf"}
        assert second["agent_id"] == SUPPORT and second["priority"] == "normal"
        await reset(pilot)
        assert_reset(screen)
        await undo(pilot)
        assert screen.values() == second
        assert_from(screen, "support line", {"agent_id", "dtmf"})
        assert changed(screen) == {"dtmf"}
        assert screen.check_action("undo_reset", ()) is True
        await undo(pilot)
        assert screen.values() == first
        assert_from(screen, "recall", MARKED)
        assert legend(screen) == first_legend
        assert changed(screen) == MARKED - {"agent_id"}
        assert screen.check_action("undo_reset", ()) is False
        await pilot.pause(0.1)
        assert marked(screen) == MARKED
