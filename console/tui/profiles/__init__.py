"""The Profiles screen (F4), split by job:

- `screen`: `ProfilesScreen`, the tabs, the read-only banner and the screen's actions;
- `kind_part`: `KindPart` (one kind: its list beside its editor), `ProfileList`, `summary`;
- `entry_writes`: save / duplicate / rename / delete of one part, in thread workers;
- `editors`: `EntryEditor` and the editor of each kind;
- `checks`: name rules and reference wording shared with the Call form's template bar.

The names below are what the rest of the console and the tests import from here.
"""

from console.tui.profiles.checks import Problem, name_problem, references_text
from console.tui.profiles.editors import (
    EDITORS,
    TEMPLATE_INTS,
    AgentEditor,
    CallerIdEditor,
    EntryEditor,
    HeaderSetEditor,
    TemplateEditor,
)
from console.tui.profiles.kind_part import KindPart, ProfileList, summary
from console.tui.profiles.screen import (
    KIND_TABS,
    NARROW_WIDTH,
    READ_ONLY_HELP,
    ProfilesScreen,
)

__all__ = [
    "EDITORS", "KIND_TABS", "NARROW_WIDTH", "READ_ONLY_HELP", "TEMPLATE_INTS", "AgentEditor",
    "CallerIdEditor", "EntryEditor", "HeaderSetEditor", "KindPart", "Problem", "ProfileList",
    "ProfilesScreen", "TemplateEditor", "name_problem", "references_text", "summary",
]
