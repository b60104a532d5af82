"""Profile bundles in the TUI: the Profiles screen's Export… and Import… dialogs against real files
in the test's temp dir (its profiles file and bundle files beside it; nothing mocked between the
dialogs and `ProfilesStore`): a round trip, the dry-run report before anything is written, merge
vs replace, a bad bundle named with its line, read-only mode, replacing an existing file only
after a confirmation, and snapshots of the import report.

The current directory and HOME are the temp dir, so the dialogs name files `~/bundle.toml`.
"""

from __future__ import annotations

import pytest

from console.store.profiles import ProfilesStore
from console.tui.profiles.export_bundle import default_bundle_name

from profiles_helpers import (
    CORRUPT,
    SALES,
    fresh,
    paste_text,
    profiles_path,
    profiles_ready,
    seed,
    wait_for,
    writes_done,
)

SIZE = (120, 40)
OPS = "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"

#: `sales` as seeded, `support` with other notes, and a new agent `ops`
AGENTS_BUNDLE = f"""\
schema_version = 1

[agents.sales]
id = "{SALES}"
watch = true
notes = "front desk"

[agents.support]
id = "4d1b2f0e-1a2b-4c3d-9e8f-0123456789ab"
notes = "second line"

[agents.ops]
id = "{OPS}"
"""

#: line 4 is not a UUID
BAD_BUNDLE = """\
schema_version = 1

[agents.x]
id = "not-a-uuid"
"""


@pytest.fixture
def home(tmp_path, monkeypatch):
    """The temp dir as the current directory and as HOME: paths show as ~/name."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def modal_name(app) -> str:
    return app.screen.__class__.__name__


async def open_dialog(pilot, key: str, name: str):
    """From the Profiles screen's list: `key` opens dialog `name`."""
    app = pilot.app
    screen = await profiles_ready(pilot)
    screen.current.entries.focus()
    await pilot.press(key)
    await wait_for(pilot, lambda: modal_name(app) == name, name)
    return app.screen


async def back_on_profiles(pilot) -> None:
    await writes_done(pilot)
    await wait_for(pilot, lambda: modal_name(pilot.app) == "ProfilesScreen", "dialog closed")


async def dry_run(pilot, path: str, mode: int = 0):
    """In the import dialog: the file, the mode (0 merge, 1 merge taking theirs, 2 replace),
    enter; waits for the report (or an error)."""
    dialog = pilot.app.screen
    await paste_text(pilot, path)
    if mode:
        dialog.query_one("#bundle-mode").focus()
        await pilot.press(*["right"] * mode, "enter")
    dialog.query_one("#bundle-path").focus()
    await pilot.press("enter")
    await writes_done(pilot)
    return dialog


def report_of(dialog) -> str:
    return (str(dialog.query_one("#bundle-summary").render()) + "\n"
            + str(dialog.query_one("#bundle-report-text").render()))


def toasts(app) -> list[str]:
    return [n.message for n in app._notifications]


def dumps(store: ProfilesStore) -> dict[str, dict[str, object]]:
    return {kind: {name: entry.model_dump() for name, entry in
                   store.profiles.section(kind).items()}
            for kind in ("agent", "caller_id", "header_set", "template")}


async def test_export_then_import_round_trip(tui_offline, home):
    seed()
    path = profiles_path()
    original, expected = path.read_text(), dumps(fresh())
    app = tui_offline.app(connected=False, screen="profiles")
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(pilot, "e", "ExportBundleScreen")
        name = default_bundle_name(app.clock())
        assert dialog.path_input.value == name
        assert dialog.kinds == ["agent", "caller_id", "header_set", "template"]
        await pilot.press("enter")
        await back_on_profiles(pilot)
        bundle = home / name
        assert bundle.read_text() == original        # every kind: the file as written
        assert toasts(app)[-1] == (f"Exported 2 agents, 2 caller IDs, 2 header sets, "
                                   f"1 template to ~/{name}")

        # Another operator empties the profiles; the bundle brings everything back.
        path.unlink()
        await pilot.press("ctrl+r")
        await writes_done(pilot)
        await wait_for(pilot, lambda: not app.profiles.names("agent"), "emptied")
        dialog = await open_dialog(pilot, "i", "ImportBundleScreen")
        await dry_run(pilot, name)
        assert "7 to add · 0 to change · 0 to remove" in report_of(dialog)
        assert not path.exists()                      # a dry run writes nothing
        assert app.focused is dialog.query_one("#confirm")  # only additions: Import is next
        await pilot.press("enter")
        await back_on_profiles(pilot)
        assert toasts(app)[-1] == f"Imported ~/{name} (merge): 7 added, 0 changed, 0 removed"
        await wait_for(pilot, lambda: app.screen.current.entries.option_count == 2, "listed")
        # The same bundle again: nothing to do, and Import says so.
        written = path.read_bytes()
        dialog = await open_dialog(pilot, "i", "ImportBundleScreen")
        await dry_run(pilot, name)
        assert "7 entries already the same" in report_of(dialog)
        assert "every entry of the bundle is here already" in dialog.status_text
        assert dialog.query_one("#confirm").disabled
        await pilot.press("escape")
        await back_on_profiles(pilot)
        assert path.read_bytes() == written
    assert dumps(fresh()) == expected


async def test_export_some_kinds(tui_offline, home):
    seed()
    app = tui_offline.app(connected=False, screen="profiles")
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(pilot, "e", "ExportBundleScreen")
        dialog.path_input.value = "sub/agents.toml"   # no such directory: refused
        kinds = dialog.query_one("#bundle-kinds")
        kinds.focus()
        await pilot.press("down", "space", "down", "space", "down", "space")
        assert dialog.kinds == ["agent"]
        dialog.path_input.focus()
        await pilot.press("enter")
        await writes_done(pilot)
        assert "there is no directory ~/sub" in dialog.status_text
        assert modal_name(app) == "ExportBundleScreen"
        (home / "sub").mkdir()
        await pilot.press("enter")
        await back_on_profiles(pilot)
        assert toasts(app)[-1] == "Exported 2 agents to ~/sub/agents.toml"
    text = (home / "sub" / "agents.toml").read_text()
    assert "[agents.sales]" in text and "caller_ids" not in text and "templates" not in text


async def test_the_dry_run_report_comes_before_any_write(tui_offline, home):
    seed()
    path = profiles_path()
    before = path.read_bytes()
    (home / "agents.toml").write_text(AGENTS_BUNDLE)
    app = tui_offline.app(connected=False, screen="profiles")
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(pilot, "i", "ImportBundleScreen")
        await dry_run(pilot, "agents.toml")
        report = report_of(dialog)
        assert "~/agents.toml\nMerge, keep ours · dry run" in report
        assert ("1 to add · 0 to change · 0 to remove · 1 conflict (this file's kept)") in report
        assert "add      agent ops" in report
        assert "conflict agent support  differs: kept as it is here" in report
        assert "1 entry already the same" in report
        assert path.read_bytes() == before            # nothing written by the dry run
        # Back: the choices again, still nothing written; check again, then Import.
        dialog.query_one("#back").press()
        await pilot.pause()
        assert dialog.checked is None and dialog.query_one("#bundle-choose").display
        dialog.query_one("#bundle-path").focus()
        await pilot.press("enter")
        await writes_done(pilot)
        assert path.read_bytes() == before
        dialog.query_one("#confirm").press()
        await back_on_profiles(pilot)
        assert toasts(app)[-1] == ("Imported ~/agents.toml (merge): 1 added, 0 changed, "
                                   "0 removed; kept this file's version of 1 differing entry")
    store = fresh()
    assert store.names("agent") == ["sales", "support", "ops"]
    assert store.get("agent", "ops").agent_id == OPS
    assert store.get("agent", "support").notes == ""  # the conflict kept this file's version


@pytest.mark.parametrize("mode", [1, 2], ids=["merge-take-theirs", "replace"])
async def test_merge_taking_theirs_and_replace_change_what_differs(tui_offline, home, mode):
    seed()
    (home / "agents.toml").write_text(AGENTS_BUNDLE)
    app = tui_offline.app(connected=False, screen="profiles")
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(pilot, "i", "ImportBundleScreen")
        await dry_run(pilot, "agents.toml", mode)
        report = report_of(dialog)
        assert "1 to add · 1 to change · 0 to remove" in report
        assert "change   agent support" in report
        assert app.focused is dialog.query_one("#cancel")  # it changes an entry: Cancel first
        dialog.query_one("#confirm").press()
        await back_on_profiles(pilot)
    store = fresh()
    assert store.names("agent") == ["sales", "support", "ops"]
    assert store.get("agent", "support").notes == "second line"
    assert store.names("caller_id") == ["main", "any"]      # kinds not in the bundle: kept


async def test_replace_removes_what_the_bundle_lacks_and_merge_does_not(tui_offline, home):
    seed()
    (home / "ops.toml").write_text('schema_version = 1\n\n[header_sets.ops]\n'
                                   'headers = { X-Team = "ops" }\n')
    path = profiles_path()
    app = tui_offline.app(connected=False, screen="profiles")
    async with app.run_test(size=SIZE) as pilot:
        # Replace: header sets become exactly the bundle's; the template's references to the
        # removed sets would dangle, so the dry run already says it cannot be done.
        dialog = await open_dialog(pilot, "i", "ImportBundleScreen")
        before = path.read_bytes()
        await dry_run(pilot, "ops.toml", 2)
        assert dialog.checked is None
        assert "the profiles would not be valid after this:" in dialog.status_text
        assert "templates.recall.header_sets" in dialog.status_text
        assert path.read_bytes() == before
        await pilot.press("escape")
        await back_on_profiles(pilot)
        # Merge: added beside the others.
        dialog = await open_dialog(pilot, "i", "ImportBundleScreen")
        await dry_run(pilot, "ops.toml")
        assert "1 to add · 0 to change · 0 to remove" in report_of(dialog)
        await pilot.press("enter")
        await back_on_profiles(pilot)
        assert fresh().names("header_set") == ["crm", "qa", "ops"]
        # Replace with every set the template uses, and one it does not: qa goes.
        (home / "sets.toml").write_text(
            'schema_version = 1\n[header_sets.crm]\nheaders = { X-Campaign = "fall", '
            'X-Team = "a" }\n[header_sets.qa]\nheaders = { X-Team = "b" }\n')
        ProfilesStore().update("template", "recall", header_sets=["crm"])
        dialog = await open_dialog(pilot, "i", "ImportBundleScreen")
        await dry_run(pilot, "sets.toml", 2)
        report = report_of(dialog)
        assert "0 to add · 0 to change · 1 to remove" in report
        assert "remove   header set ops" in report
        assert "⚠ 1 entry of the profiles file would be removed" in report
        dialog.query_one("#confirm").press()
        await back_on_profiles(pilot)
        assert toasts(app)[-1] == "Imported ~/sets.toml (replace): 0 added, 0 changed, 1 removed"
    assert fresh().names("header_set") == ["crm", "qa"]


async def test_a_bad_bundle_is_named_with_its_line_and_nothing_is_written(tui_offline, home):
    seed()
    path = profiles_path()
    before = path.read_bytes()
    (home / "bad.toml").write_text(BAD_BUNDLE)
    (home / "latin1.toml").write_bytes(b"schema_version = 1\n# caf\xe9\n")
    (home / "broken.toml").write_text("schema_version = 1\n[agents.x\n")
    app = tui_offline.app(connected=False, screen="profiles")
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(pilot, "i", "ImportBundleScreen")
        for name, expected in (
                ("bad.toml", "~/bad.toml:4: agents.x.id: must be an agent UUID"),
                ("latin1.toml", "~/latin1.toml:2: not UTF-8 text"),
                ("broken.toml", "~/broken.toml:2:"),
                ("missing.toml", "cannot read ~/missing.toml: No such file or directory")):
            dialog.query_one("#bundle-path").value = ""
            await dry_run(pilot, name)
            assert expected in dialog.status_text, dialog.status_text
            assert dialog.checked is None and modal_name(app) == "ImportBundleScreen"
    assert path.read_bytes() == before


async def test_read_only_disables_import_and_export(tui_offline, home):
    path = profiles_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(CORRUPT)
    (home / "agents.toml").write_text(AGENTS_BUNDLE)
    app = tui_offline.app(connected=False, screen="profiles")
    async with app.run_test(size=SIZE) as pilot:
        screen = await profiles_ready(pilot)
        part = screen.current
        assert part.query_one(".btn-import").disabled and part.query_one(".btn-export").disabled
        assert screen.check_action("import_bundle", ()) is None
        assert screen.check_action("export_bundle", ()) is None
        part.entries.focus()
        await pilot.press("i", "e")
        await pilot.pause()
        assert modal_name(app) == "ProfilesScreen"
        from console.tui.profiles.link import profile_commands

        texts = [text for text, _help, _run in profile_commands(app, screen)]
        assert not [t for t in texts if "bundle" in t]
        # Made writable behind the open dialog's back, then corrupt again before Import.
        path.write_text(CORRUPT.replace("not-a-uuid", SALES))
        await pilot.press("ctrl+r")
        await writes_done(pilot)
        await wait_for(pilot, lambda: not app.profiles.read_only, "writable")
        texts = [text for text, _help, _run in profile_commands(app, screen)]
        assert "profile: import a profiles bundle file…" in texts
        dialog = await open_dialog(pilot, "i", "ImportBundleScreen")
        await dry_run(pilot, "agents.toml")
        assert dialog.checked is not None
        path.write_text(CORRUPT)
        dialog.query_one("#confirm").press()
        await writes_done(pilot)
        assert "the profiles file has errors, so nothing is written" in dialog.status_text
        assert dialog.query_one("#confirm").disabled
        await pilot.press("escape")
        await back_on_profiles(pilot)
        await wait_for(pilot, lambda: app.profiles.read_only, "read-only again")
    assert path.read_text() == CORRUPT


async def test_replacing_an_existing_file_needs_a_confirmation(tui_offline, home):
    seed()
    existing = home / "old.toml"
    existing.write_text("# someone's notes\n")
    app = tui_offline.app(connected=False, screen="profiles")
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(pilot, "e", "ExportBundleScreen")
        dialog.path_input.value = "old.toml"
        await pilot.press("enter")
        await writes_done(pilot)
        await wait_for(pilot, lambda: modal_name(app) == "ConfirmScreen", "confirmation")
        assert "~/old.toml already exists" in "".join(
            str(w.render()) for w in app.screen.query("Static"))
        await pilot.press("enter")                     # the focused button: Keep it
        await wait_for(pilot, lambda: modal_name(app) == "ExportBundleScreen", "kept")
        assert existing.read_text() == "# someone's notes\n"
        assert "not replaced" in dialog.status_text
        await pilot.press("enter")
        await writes_done(pilot)
        await wait_for(pilot, lambda: modal_name(app) == "ConfirmScreen", "confirmation")
        app.screen.query_one("#confirm").press()
        await back_on_profiles(pilot)
        assert toasts(app)[-1].endswith("to ~/old.toml")
    assert existing.read_text() == profiles_path().read_text()


async def test_the_buttons_open_the_dialogs(tui_offline, home):
    seed()
    app = tui_offline.app(connected=False, screen="profiles")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await profiles_ready(pilot)
        await pilot.click(".btn-export")
        await wait_for(pilot, lambda: modal_name(app) == "ExportBundleScreen", "export")
        await pilot.press("escape")
        await wait_for(pilot, lambda: modal_name(app) == "ProfilesScreen", "closed")
        screen.current.query_one(".btn-import").press()
        await wait_for(pilot, lambda: modal_name(app) == "ImportBundleScreen", "import")


async def test_the_palette_opens_the_dialogs(tui_offline, home):
    seed()
    app = tui_offline.app(connected=False, screen="call")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.profiles is not None, "profiles")
        from console.tui.profiles.link import profile_commands

        commands = {text: run for text, _help, run in profile_commands(app, app.screen)}
        commands["profile: export profiles to a bundle file…"]()
        await wait_for(pilot, lambda: modal_name(app) == "ExportBundleScreen", "export")
        await pilot.press("escape")
        await wait_for(pilot, lambda: modal_name(app) == "ProfilesScreen", "closed")
        commands["profile: import a profiles bundle file…"]()
        await wait_for(pilot, lambda: modal_name(app) == "ImportBundleScreen", "import")


# -- snapshots ---------------------------------------------------------------------------------


def report_before(tui, path: str, mode: int = 0):
    async def run_before(pilot) -> None:
        await open_dialog(pilot, "i", "ImportBundleScreen")
        await dry_run(pilot, path, mode)
        await writes_done(pilot)
        pilot.app.clear_notifications()
        tui.no_blink(pilot.app)
        await pilot.pause()

    return run_before


def test_snapshot_import_report(snap_compare, tui_offline, home):
    seed()
    (home / "agents.toml").write_text(AGENTS_BUNDLE)
    app = tui_offline.app(connected=False, screen="profiles")
    assert snap_compare(app, terminal_size=SIZE, run_before=report_before(
        tui_offline, "agents.toml"))


def test_snapshot_import_report_replace_80x24(snap_compare, tui_offline, home):
    seed()
    (home / "agents.toml").write_text(AGENTS_BUNDLE.replace(
        '[agents.support]\nid = "4d1b2f0e-1a2b-4c3d-9e8f-0123456789ab"\nnotes = "second line"\n',
        ""))
    app = tui_offline.app(connected=False, screen="profiles")
    assert snap_compare(app, terminal_size=(80, 24), run_before=report_before(
        tui_offline, "agents.toml", 2))


def test_snapshot_export_dialog(snap_compare, tui_offline, home, utc):
    seed()

    async def run_before(pilot) -> None:
        await open_dialog(pilot, "e", "ExportBundleScreen")
        pilot.app.screen.query_one("#bundle-kinds").focus()
        await pilot.press("down", "down", "space")      # no header sets
        assert pilot.app.screen.kinds == ["agent", "caller_id", "template"]
        tui_offline.no_blink(pilot.app)
        await pilot.pause()

    app = tui_offline.app(connected=False, screen="profiles")
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
