"""Every key binding of the console, by id: one table for BINDINGS, the footer and the palette.

An id never changes once released (a user keymap in config maps ids to keys), the key may.
The command palette builds its `call:` / `view:` commands from the same specs, so a command and
its key always run the same action.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class KeySpec:
    id: str            # stable binding id, e.g. "call.send"
    key: str           # default key(s)
    action: str        # action name on the owning node (screen or app)
    label: str         # footer text
    command: str = ""  # palette text without namespace ("" = not in the palette)
    help: str = ""
    show: bool = True
    priority: bool = False

    def binding(self) -> Binding:
        return Binding(self.key, self.action, self.label, show=self.show, priority=self.priority,
                       id=self.id, tooltip=self.help)


# -- app-wide ---------------------------------------------------------------------------------

QUIT = KeySpec("app.quit", "ctrl+q", "quit", "Quit", priority=True,
               help="Quit the console (the demo simulator stops with it).")
PALETTE = KeySpec("app.palette", "ctrl+p", "command_palette", "Commands", show=False,
                  priority=True, help="Open the command palette.")

# -- Call screen ------------------------------------------------------------------------------

CALL_SEND = KeySpec("call.send", "ctrl+s", "send", "Send", "Send the call request", priority=True,
                    help="Place the call (POST /calls/outbound, never retried). Disabled while a "
                         "field is invalid or a request is in flight.")
CALL_RESET = KeySpec("call.reset", "ctrl+r", "reset", "Reset", "Reset fields to API defaults",
                     priority=True,
                     help="Put every optional field back to the API default (agent and number stay).")
CALL_UNDO_RESET = KeySpec("call.undo_reset", "ctrl+g", "undo_reset", "Undo reset",
                          "Undo the last reset", priority=True,
                          help="Bring back the values the last reset replaced.")
CALL_PREVIEW = KeySpec("call.preview", "f6", "toggle_preview", "Preview", "Show or hide the preview",
                       help="Show or hide the JSON + curl preview.")
CALL_COPY_JSON = KeySpec("call.copy_json", "f7", "copy_json", "Copy JSON", "Copy the request JSON", show=False,
                         help="Copy the exact JSON body (OSC 52).")
CALL_COPY_CURL = KeySpec("call.copy_curl", "f8", "copy_curl", "Copy curl",
                         "Copy the curl command (token masked)", show=False,
                         help="Copy the curl command; the token is replaced by $CALL_CONSOLE_TOKEN.")
CALL_RECONCILE = KeySpec("call.reconcile", "ctrl+f", "reconcile", "Reconcile",
                         "Reconcile the unknown outcome", priority=True,
                         help="Look the attempt up in the agent's call list. Never resends.")
CALL_STOP_WAITING = KeySpec("call.stop_waiting", "ctrl+t", "stop_waiting", "Stop waiting",
                            "Stop waiting for the answer", priority=True,
                            help="Stop waiting for the answer. This does NOT hang up the call.")

CALL_KEYS: tuple[KeySpec, ...] = (
    CALL_SEND, CALL_RESET, CALL_UNDO_RESET, CALL_PREVIEW, CALL_COPY_JSON, CALL_COPY_CURL,
    CALL_RECONCILE, CALL_STOP_WAITING,
)

# -- account and environments (app-wide) -----------------------------------------------------

SIGN_IN = KeySpec("app.sign_in", "ctrl+l", "sign_in", "Sign in", "Sign in to the API in use",
                  show=False,
                  help="Open the login modal (username + password, or a pre-issued token). What "
                       "is on screen stays as it is.")
ENV_SWITCH = KeySpec("app.env.switch", "f9", "switch_env", "Environment",
                     "Switch to another environment", show=False,
                     help="Pick one of config.toml's environments for this console.")

ACCOUNT_KEYS: tuple[KeySpec, ...] = (SIGN_IN, ENV_SWITCH)

# -- Settings screen --------------------------------------------------------------------------

SETTINGS_ADD = KeySpec("settings.env.add", "ctrl+n", "add_env", "Add env", "Add an environment",
                       help="Add an environment (name, base URL, login or token).")
SETTINGS_EDIT = KeySpec("settings.env.edit", "ctrl+o", "edit_env", "Edit env",
                        "Edit the selected environment",
                        help="Edit the selected environment (enter on the table does it too).")
SETTINGS_REMOVE = KeySpec("settings.env.remove", "delete", "remove_env", "Remove env",
                          "Remove the selected environment",
                          help="Remove the selected environment and forget its stored sign-in.")
SETTINGS_DEFAULT = KeySpec("settings.env.default", "ctrl+b", "make_default", "Make default",
                           "Make the selected environment the default",
                           help="Set active_env: the environment used when --env is not given.")
SETTINGS_USE = KeySpec("settings.env.use", "ctrl+g", "use_env", "Use now",
                       "Use the selected environment now",
                       help="Switch this console to the selected environment.")
SETTINGS_TEST = KeySpec("settings.env.test", "ctrl+t", "test_env", "Test",
                        "Test the selected environment's connection",
                        help="Call /auth/me and the quota route and show what came back.")
SETTINGS_SAVE = KeySpec("settings.save", "ctrl+s", "save_preferences", "Save prefs",
                        "Save the preferences",
                        help="Write the preferences to config.toml (comments are kept).")

SETTINGS_KEYS: tuple[KeySpec, ...] = (
    SETTINGS_ADD, SETTINGS_EDIT, SETTINGS_REMOVE, SETTINGS_DEFAULT, SETTINGS_USE, SETTINGS_TEST,
    SETTINGS_SAVE,
)

# -- widgets ----------------------------------------------------------------------------------

HEADERS_ADD = KeySpec("call.headers.add", "ctrl+n", "add_row", "Add header",
                      help="Add a SIP header row.")
HEADERS_REMOVE = KeySpec("call.headers.remove", "ctrl+o", "remove_row", "Remove header",
                         help="Remove the focused SIP header row.")

MODAL_CLOSE = KeySpec("modal.close", "escape", "close", "Close")

# -- help, jump mode, find (app-wide; console/tui/look_and_feel.py) ---------------------------

HELP = KeySpec("app.help", "f1", "help", "Help", "Help for the focused field, and every key",
               show=False, priority=True,
               help="What the focused field is, its rules and its keys, then every key of the "
                    "console (generated from the bindings and your [keymap]).")
JUMP = KeySpec("app.jump", "ctrl+j", "jump", "Jump", "Jump to a field by its letter", show=False,
               priority=True,
               help="Show a letter on every focusable area; press one to move the focus there.")
FIND = KeySpec("app.find", "f12", "find", "Find", "Find a profile or a call", show=False,
               priority=True,
               help="Search saved agents, caller IDs, header sets, templates and this session's "
                    "calls by name, number or id.")

LOOK_KEYS: tuple[KeySpec, ...] = (HELP, JUMP, FIND)


def bindings(*specs: KeySpec) -> list[Binding]:
    return [spec.binding() for spec in specs]
