"""The call form at start-up: usable from the first frame, keys typed at once land in To.

The first frame holds the core fields (Agent to DTMF) with the caret in To; the rest of the
form (context, options, headers, the result area, the preview) is mounted after it. A fast
typist who starts the moment the console appears must lose nothing, and nothing may land
anywhere but To.
"""

from __future__ import annotations

from imported import loaded_after

from console.tui.app import CallConsoleApp

SIZE = (120, 40)
TYPED = "4155550199"


async def test_keys_typed_before_the_rest_of_the_form_is_mounted_land_in_to(
        tui_offline, monkeypatch):
    # Hold back everything that waits for the first frame (the rest of the form, the settings
    # thread), so the keys are typed while only the first frame's widgets exist.
    held: list[CallConsoleApp] = []
    first_frame_done = CallConsoleApp._first_frame_done
    monkeypatch.setattr(CallConsoleApp, "_first_frame_done", lambda app: held.append(app))
    app = tui_offline.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        await tui_offline.wait_for(pilot, lambda: held, "the first frame")
        screen = app.screen
        assert not screen.form_ready                     # the deferred parts are not in yet
        await pilot.press(*TYPED)
        assert screen.field("to_number").value == TYPED
        first_frame_done(app)                            # now mount the rest
        await tui_offline.wait_for(pilot, lambda: screen.form_ready, "the whole form")
        await pilot.press("1")                           # the caret is still in To
        values = screen.values()
        assert values["to_number"] == TYPED + "1"
        assert values["agent_id"] == "" and values["dtmf"] == "" and values["display_name"] == ""
        assert screen.focused is screen.field("to_number").input


async def test_keys_typed_at_once_land_in_to(tui_offline):
    """No holding back: typed the moment the app runs, while the rest of the form mounts."""
    app = tui_offline.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*TYPED)
        screen = app.screen
        await tui_offline.wait_for(pilot, lambda: screen.form_ready, "the whole form")
        await pilot.pause()
        assert screen.values()["to_number"] == TYPED
        elsewhere = [name for name, frame in screen.fields.items()
                     if name != "to_number" and not frame.is_default()]
        assert elsewhere == []


def test_first_frame_form_imports_nothing_heavy():
    """The app and the core fields of the first frame do not bring httpx, pydantic or
    phonenumbers, nor json (the error reporter's and Send's safe-text helpers)."""
    assert loaded_after(
        "import console.tui.app, console.tui.call.body, console.tui.call.screen",
        ("httpx", "pydantic", "phonenumbers", "console.calls.draft", "json")) == []


def test_the_collector_is_off_from_run_until_the_form_is_mounted(tui_offline, monkeypatch):
    """`CallConsoleApp.run` (the CLI's start) turns the garbage collector off until the form
    is mounted, with what the imports made frozen (never scanned by a later collection)."""
    import gc

    seen: dict[str, object] = {}
    first_frame_done = CallConsoleApp._first_frame_done

    def at_first_frame(app: CallConsoleApp) -> None:
        seen["first frame"] = gc.isenabled()
        seen["frozen"] = gc.get_freeze_count()
        first_frame_done(app)

    monkeypatch.setattr(CallConsoleApp, "_first_frame_done", at_first_frame)
    app = tui_offline.app(connected=False)

    async def auto_pilot(pilot) -> None:
        await tui_offline.wait_for(pilot, lambda: app.screen.form_ready, "the whole form")
        await tui_offline.wait_for(pilot, lambda: app.session_ready, "the settings thread")
        seen["form mounted"] = gc.isenabled()
        app.exit()

    try:
        app.run(headless=True, size=SIZE, auto_pilot=auto_pilot)
    finally:
        gc.unfreeze()
        gc.enable()
    assert seen == {"first frame": False, "frozen": seen["frozen"], "form mounted": True}
    assert seen["frozen"] > 10_000


async def test_the_first_frame_styles_each_node_once(tui_offline, monkeypatch):
    """CSS is most of the first frame's work: each node of the form's first frame is styled
    when it mounts and not again (no restyle on the screen's first resume, none for an order
    pseudo-class, none of an input before it is mounted); only the input that takes the
    caret is restyled, for :focus."""
    from collections import Counter

    from textual.css.stylesheet import Stylesheet
    from textual.widget import Widget

    styled: Counter[Widget] = Counter()
    apply = Stylesheet.apply

    def counting_apply(self, node, **kwargs):
        if isinstance(node, Widget):
            styled[node] += 1
        return apply(self, node, **kwargs)

    held: list[CallConsoleApp] = []
    monkeypatch.setattr(CallConsoleApp, "_first_frame_done", lambda app: held.append(app))
    monkeypatch.setattr(Stylesheet, "apply", counting_apply)
    app = tui_offline.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        await tui_offline.wait_for(pilot, lambda: held, "the first frame")
        screen = app.screen
        caret = screen.field("to_number").input
        form = [screen, *screen.query_one("#call-body").walk_children(with_self=True)]
        again = {f"{type(node).__name__}#{node.id}": styled[node] for node in form
                 if styled[node] > (2 if node is caret else 1)}
        assert len(form) > 25 and all(styled[node] for node in form)
        assert again == {}


async def test_the_rest_of_the_form_waits_while_typed_keys_are_being_delivered(
        tui_offline, monkeypatch):
    """A burst of keys goes first: the form's later parts are not mounted (each step holds
    the app's loop) while keys typed so far are still on their way to To."""
    from console.tui.call import body

    pending = True
    asked = 0

    def keys_pending(app: CallConsoleApp) -> bool:
        nonlocal asked
        asked += 1
        return pending

    monkeypatch.setattr(CallConsoleApp, "keys_pending", property(keys_pending))
    # no release by the deadline in this test
    monkeypatch.setattr(body, "KEYS_WAIT", 60.0, raising=False)
    app = tui_offline.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await tui_offline.wait_for(pilot, lambda: asked >= 3, "the form to ask about keys",
                                   timeout=5)
        assert not screen.query("#agent-select") and not screen.form_ready
        pending = False
        await tui_offline.wait_for(pilot, lambda: screen.form_ready, "the whole form")
