"""The Profiles screen's Export… and Import… dialogs in an SSH session: paths confined to the
operator's exchange folder (console/store/exchange.py), and only regular files written.

The real app through Pilot, with CALL_CONSOLE_SSH_SESSION and CALL_CONSOLE_OPERATOR set as
serve-ssh sets them for its child; real files in the test's temp dir. The "server files" are
stand-ins next to the data dir (an authorized_keys), never the machine's own.
"""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime

import pytest

from console.tui.profiles.export_bundle import default_bundle_name

from profiles_helpers import paste_text, profiles_path, profiles_ready, seed, wait_for

SIZE = (120, 40)
KEYS = "ssh-ed25519 AAAAC3Nz... admin\n"


@pytest.fixture
def home(tmp_path, monkeypatch):
    """The temp dir as the current directory and HOME (paths show as ~/...)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


@pytest.fixture
def ssh_session(home, monkeypatch):
    """What serve-ssh sets for alice's console; returns her exchange folder."""
    monkeypatch.setenv("CALL_CONSOLE_SSH_SESSION", "c0ffee01-1")
    monkeypatch.setenv("CALL_CONSOLE_OPERATOR", "alice")
    return home / "data" / "exchange" / "alice"


@pytest.fixture
def server_keys(home):
    keys = home / "config" / "authorized_keys"
    keys.parent.mkdir(parents=True, exist_ok=True)
    keys.write_text(KEYS)
    return keys


def ssh_app():
    """The console as serve-ssh starts it for alice: settings from the environment (her name
    from CALL_CONSOLE_OPERATOR), offline, on the Profiles screen."""
    from console.config.settings import Settings
    from console.account.session import ConsoleSession
    from console.tui.app import make_app

    now = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
    return make_app(session=ConsoleSession(Settings()), clock=lambda: now, screen="profiles")


def modal_name(app) -> str:
    return app.screen.__class__.__name__


async def open_dialog(pilot, key: str, name: str):
    app = pilot.app
    screen = await profiles_ready(pilot)
    screen.current.entries.focus()
    await pilot.press(key)
    await wait_for(pilot, lambda: modal_name(app) == name, name)
    return app.screen


async def submit(pilot, dialog, text: str, until) -> None:
    """Replace the path with `text` (as a paste), press enter, wait for `until(dialog)`."""
    field = dialog.query_one("#bundle-path")
    field.value = ""
    field.focus()
    await paste_text(pilot, text)
    await pilot.press("enter")
    await wait_for(pilot, lambda: not dialog.busy and until(dialog), f"the answer to {text!r}")


def refused(dialog) -> bool:
    return "outside your exchange folder" in dialog.status_text


def toasts(app) -> list[str]:
    return [n.message for n in app._notifications]


async def test_export_is_confined_to_the_exchange_folder(ssh_session, server_keys, home):
    seed()
    app = ssh_app()
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(pilot, "e", "ExportBundleScreen")
        notice = str(dialog.query_one("#bundle-confined").render())
        assert notice == ("SSH session: files are read and written only in your exchange "
                          "folder ~/data/exchange/alice/; paths outside it are refused.")
        name = default_bundle_name(app.clock())
        assert str(dialog.query_one("#bundle-where").render()) == \
            f"→ ~/data/exchange/alice/{name}"
        for typed in (str(server_keys), "../../config/authorized_keys", "~/elsewhere.toml"):
            await submit(pilot, dialog, typed, refused)
            assert dialog.status_text.startswith(f"{typed}: outside your exchange folder")
            assert dialog.query_one("#bundle-path").value == typed   # what was typed stays
            assert modal_name(app) == "ExportBundleScreen"
        assert server_keys.read_text() == KEYS
        assert not (home / "elsewhere.toml").exists()
        # Each refusal is in the audit log, with the operator (the SSH session's name).
        from console.account.audit import read_audit

        def refusals() -> list:
            return [(r["operator"], r["session"], r["action"], r["path"])
                    for r in read_audit() if r["kind"] == "file_refused"]

        await wait_for(pilot, lambda: len(refusals()) == 3, "three file_refused records")
        assert refusals() == [("alice", "c0ffee01-1", "export", typed) for typed in (
            str(server_keys), "../../config/authorized_keys", "~/elsewhere.toml")]
        # A name: into the folder (created private), as a new private file.
        await submit(pilot, dialog, name, lambda d: modal_name(app) == "ProfilesScreen")
        assert toasts(app)[-1].endswith(f"to ~/data/exchange/alice/{name}")
    bundle = ssh_session / name
    assert bundle.read_text() == profiles_path().read_text()
    assert stat.S_IMODE(os.stat(bundle).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(ssh_session).st_mode) == 0o700


async def test_import_is_confined_to_the_exchange_folder(ssh_session, home):
    seed()
    ssh_session.mkdir(parents=True)
    (ssh_session / "ops.toml").write_text(
        'schema_version = 1\n[agents.ops]\nid = "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"\n')
    (ssh_session / "peek.toml").symlink_to(profiles_path())  # a link pointing out
    app = ssh_app()
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(pilot, "i", "ImportBundleScreen")
        assert dialog.query_one("#bundle-confined").display
        assert "exchange folder" in dialog.query_one("#bundle-path").placeholder
        for typed in ("/etc/passwd", "../../x", str(profiles_path())):
            await submit(pilot, dialog, typed, refused)
            assert dialog.checked is None and dialog.query_one("#bundle-path").value == typed
        await submit(pilot, dialog, "peek.toml",
                     lambda d: "symbolic link to a file outside" in d.status_text)
        assert dialog.checked is None
        from console.account.audit import read_audit

        await wait_for(pilot, lambda: len([r for r in read_audit()
                                           if r["kind"] == "file_refused"]) == 4, "audited")
        assert {r["action"] for r in read_audit() if r["kind"] == "file_refused"} == {"import"}
        await submit(pilot, dialog, "ops.toml", lambda d: d.checked is not None)
        assert "1 to add" in str(dialog.query_one("#bundle-summary").render())
        assert "~/data/exchange/alice/ops.toml" in str(
            dialog.query_one("#bundle-summary").render())


async def test_export_refuses_links_and_fifos_outside_ssh_too(tui_offline, home, server_keys):
    """Not confined (no SSH session): still only regular files; a link is refused before the
    'replace it?' question, and nothing is written through it."""
    seed()
    (home / "keys.toml").symlink_to(server_keys)
    os.mkfifo(home / "pipe.toml")
    app = tui_offline.app(connected=False, screen="profiles")
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(pilot, "e", "ExportBundleScreen")
        assert not dialog.query("#bundle-confined")
        await submit(pilot, dialog, "keys.toml", lambda d: "symbolic link" in d.status_text)
        assert dialog.status_text.startswith("~/keys.toml: is a symbolic link: the console does "
                                             "not write through links")
        assert modal_name(app) == "ExportBundleScreen"                 # no confirmation asked
        await submit(pilot, dialog, "pipe.toml", lambda d: "FIFO" in d.status_text)
        assert "~/pipe.toml: is a FIFO (named pipe)" in dialog.status_text
    assert server_keys.read_text() == KEYS and (home / "keys.toml").is_symlink()
    assert stat.S_ISFIFO(os.lstat(home / "pipe.toml").st_mode)


def test_snapshot_export_dialog_in_an_ssh_session(snap_compare, tui_offline, ssh_session, utc):
    seed()

    async def run_before(pilot) -> None:
        await open_dialog(pilot, "e", "ExportBundleScreen")
        tui_offline.no_blink(pilot.app)
        await pilot.pause()

    app = tui_offline.app(connected=False, screen="profiles")
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
