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

# -- Calls screen (plain keys: typing in the search box is not taken by them) -----------------

CALLS_END = KeySpec("calls.end", "e", "end_call", "End", "End the selected call…",
                    help="Hang up the selected call (asks first; the API answers 409 if it "
                         "already ended).")
CALLS_TRANSFER = KeySpec("calls.transfer", "t", "transfer_call", "Transfer",
                         "Transfer the selected call…",
                         help="Transfer the selected answered call to tel:+E164 or "
                              "sip:user@host, cold or warm.")
CALLS_REDIAL = KeySpec("calls.redial", "r", "redial", "Redial", "Redial the selected call…",
                       help="Place a NEW call with the selected call's request (asks first; "
                            "never retried).")
CALLS_CLONE = KeySpec("calls.clone", "c", "clone", "Clone", "Clone the call into the Call form",
                      help="Open the Call form with the selected call's request loaded.")
CALLS_COPY_ID = KeySpec("calls.copy_id", "y", "copy_id", "Copy id", "Copy the call id",
                        help="Copy the selected call's id (OSC 52).")
CALLS_COPY_RECORDING = KeySpec("calls.copy_recording", "u", "copy_recording", "Copy recording",
                               "Copy the recording URL", show=False,
                               help="Copy the selected call's recording URL (OSC 52).")
CALLS_COPY_JSON = KeySpec("calls.copy_json", "j", "copy_json", "Copy JSON",
                          "Copy the call's raw JSON", show=False,
                          help="Copy the last status JSON of the selected call (OSC 52).")
CALLS_DETAIL = KeySpec("calls.detail", "d", "toggle_detail", "Detail",
                       "Show or hide the detail pane",
                       help="Show or hide the selected call's detail pane.")
CALLS_SEARCH = KeySpec("calls.search", "slash", "search", "Search", "Search calls",
                       help="Search by number, call id, disposition or agent name.")
CALLS_LIVE_ONLY = KeySpec("calls.live_only", "l", "live_only", "Live only",
                          "Show live calls only (toggle)", show=False,
                          help="Hide ended and failed calls (toggle).")
CALLS_STATUS_FILTER = KeySpec("calls.status_filter", "f", "cycle_status", "Status filter",
                              "Filter by the next status", show=False,
                              help="Cycle the status filter: all, each status, other statuses.")
CALLS_AGENT_FILTER = KeySpec("calls.agent_filter", "a", "cycle_agent", "Agent filter",
                             "Filter by the next agent", show=False,
                             help="Cycle the agent filter through the agents in the table.")
CALLS_CLEAR_FILTERS = KeySpec("calls.clear_filters", "x", "clear_filters", "Clear filters",
                              "Clear every filter", show=False,
                              help="Show every tracked call again.")
CALLS_SORT = KeySpec("calls.sort", "s", "cycle_sort", "Sort", "Sort by the next column",
                     show=False,
                     help="Sort by the next column (status, to, from, agent, started, ...).")
CALLS_SORT_REVERSE = KeySpec("calls.sort_reverse", "o", "reverse_sort", "Reverse",
                             "Reverse the sort order", show=False,
                             help="Reverse the sort order.")
CALLS_WATCH_AGENT = KeySpec("calls.watch_agent", "w", "watch_agent", "Watch agent",
                            "Watch agent…", show=False,
                            help="Show the calls an agent places from anywhere (asks for a UUID "
                                 "or a saved agent name).")
CALLS_DISMISS = KeySpec("calls.dismiss", "delete", "dismiss", "Dismiss",
                        "Dismiss the lost call from the table",
                        help="Take the selected lost call off the table (the API answered 404 "
                             "for it several times: it no longer knows the call). It stays in "
                             "the history and is not re-attached at the next start.")
CALLS_COLUMNS = KeySpec("calls.columns", "v", "choose_columns", "Columns",
                       "Choose the table's columns…", show=False,
                       help="Choose the columns of the Calls table and their order for this "
                            "width (saved in config.toml).")
CALLS_FIRST = KeySpec("calls.first", "home", "scroll_top", "First call", show=False,
                      help="Select the first call of the table (the newest, sorted by start).")
CALLS_LAST = KeySpec("calls.last", "end", "scroll_bottom", "Last call", show=False,
                     help="Select the last call of the table.")
#: keys of the calls table itself (a row cursor: Home/End move it, not the horizontal scroll)
CALL_TABLE_KEYS: tuple[KeySpec, ...] = (CALLS_FIRST, CALLS_LAST)
CALLS_FOCUS_TABLE = KeySpec("calls.focus_table", "escape", "focus_table", "Table", show=False,
                            help="Back to the table from the search box or the detail pane.")

CALLS_KEYS: tuple[KeySpec, ...] = (
    CALLS_END, CALLS_TRANSFER, CALLS_REDIAL, CALLS_CLONE, CALLS_COPY_ID, CALLS_DETAIL,
    CALLS_SEARCH, CALLS_COPY_RECORDING, CALLS_COPY_JSON, CALLS_LIVE_ONLY, CALLS_STATUS_FILTER,
    CALLS_AGENT_FILTER, CALLS_CLEAR_FILTERS, CALLS_SORT, CALLS_SORT_REVERSE, CALLS_WATCH_AGENT,
    CALLS_FOCUS_TABLE, CALLS_DISMISS, CALLS_COLUMNS,
)

# -- saved profiles: the Call form's template bar and the Profiles screen ---------------------

CALL_TEMPLATE = KeySpec("call.template", "ctrl+b", "choose_template", "Template",
                        help="Choose a saved call template: it fills the form's fields and marks "
                             "them (◆); a field you edit afterwards loses its mark.")
CALL_SAVE_TEMPLATE = KeySpec("call.save_template", "ctrl+y", "save_template", "Save template",
                             show=False,
                             help="Save the form as a call template (asks for a name and says "
                                  "which values match no saved agent, caller ID or header set).")
CALL_TEMPLATE_KEYS: tuple[KeySpec, ...] = (CALL_TEMPLATE, CALL_SAVE_TEMPLATE)

# On the list of a Profiles part (plain keys: they only act while the list has the focus).
PROFILES_NEW = KeySpec("profiles.new", "n", "screen.new_entry", "New", "New entry",
                       help="Start a new entry of the shown kind in the editor.")
PROFILES_DUPLICATE = KeySpec("profiles.duplicate", "d", "screen.duplicate_entry", "Duplicate",
                             "Duplicate the selected entry",
                             help="Copy the selected entry under a new name.")
PROFILES_RENAME = KeySpec("profiles.rename", "r", "screen.rename_entry", "Rename",
                          "Rename the selected entry",
                          help="Rename the selected entry and every reference to it.")
PROFILES_DELETE = KeySpec("profiles.delete", "delete", "screen.delete_entry", "Delete",
                          "Delete the selected entry",
                          help="Delete the selected entry (asks first and lists what still "
                               "refers to it).")
PROFILES_SEARCH = KeySpec("profiles.search", "slash", "screen.search", "Search",
                          help="Search the list by name, UUID, number or header.")
# Bundles: the whole file (or some kinds) to and from a TOML file. Not in the footer (the list's
# Import… / Export… buttons show them): at 80 columns Save and Reload would not fit.
PROFILES_IMPORT = KeySpec("profiles.import", "i", "screen.import_bundle", "Import",
                          "Import a profiles bundle…", show=False,
                          help="Bring in a bundle file (merge or replace): shows what would be "
                               "added, changed and removed before anything is written.")
PROFILES_EXPORT = KeySpec("profiles.export", "e", "screen.export_bundle", "Export",
                          "Export the profiles to a bundle…", show=False,
                          help="Write some or all kinds of profiles to a bundle file (asks "
                               "before replacing a file).")
PROFILES_LIST_KEYS: tuple[KeySpec, ...] = (
    PROFILES_NEW, PROFILES_DUPLICATE, PROFILES_RENAME, PROFILES_DELETE, PROFILES_SEARCH,
    PROFILES_IMPORT, PROFILES_EXPORT)
# On the whole Profiles screen.
PROFILES_SAVE = KeySpec("profiles.save", "ctrl+s", "save_entry", "Save", "Save the entry",
                        priority=True,
                        help="Write the entry in the editor to the profiles file (locked, "
                             "re-read, merged, replaced atomically).")
PROFILES_RELOAD = KeySpec("profiles.reload", "ctrl+r", "reload", "Reload",
                          "Re-read the profiles file",
                          help="Re-read the profiles file (after fixing it in an editor).")
PROFILES_BACK = KeySpec("profiles.back", "escape", "back_to_list", "List", show=False,
                        help="Back to the list.")
PROFILES_KIND_KEYS: tuple[KeySpec, ...] = tuple(
    KeySpec(f"profiles.kind.{section}", str(number), f"show_kind('{section}')", label,
            show=False, help=f"Show the {label} part.")
    for number, (section, label) in enumerate(
        (("agents", "Agents"), ("caller_ids", "Caller IDs"), ("header_sets", "Header sets"),
         ("templates", "Templates")), start=1))
PROFILES_KEYS: tuple[KeySpec, ...] = (PROFILES_SAVE, PROFILES_RELOAD, PROFILES_BACK,
                                      *PROFILES_KIND_KEYS)

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
