"""The request's option fields two to a row, as the Call form lays them out.

The template editor on the Profiles screen repeats this layout, so both compose it from here.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal

from console.tui.fields.choice import MediaEncryptionField, PriorityField
from console.tui.fields.number_input import MaxDurationField, RingingTimeoutField
from console.tui.fields.switch_field import (
    DialtoneField,
    HideNumberField,
    KrispField,
    WaitAnsweredField,
)

#: the class of the left field of a pair. The form's CSS selects it by class, not with
#: `:first-child`: a rule with an order pseudo-class makes Textual restyle every FieldFrame (and
#: all inside it) once more after each mount, the first frame's core fields too.
PAIR_FIRST = "-pair-first"


def option_pairs(*, blank_timeouts: bool = False) -> list[Horizontal]:
    """Priority and media encryption, the two timeouts, then the four switches.

    `blank_timeouts` leaves the timeouts empty instead of at the API defaults (a template sets
    only the fields it names).
    """
    timeout_value = {"value": ""} if blank_timeouts else {}
    first = {"classes": PAIR_FIRST}
    return [
        Horizontal(PriorityField(**first), MediaEncryptionField(), classes="pair"),
        Horizontal(RingingTimeoutField(**timeout_value, **first),
                   MaxDurationField(**timeout_value), classes="pair"),
        Horizontal(KrispField(**first), WaitAnsweredField(), classes="pair"),
        Horizontal(DialtoneField(**first), HideNumberField(), classes="pair"),
    ]


def compose_option_pairs(*, blank_timeouts: bool = False) -> ComposeResult:
    """`option_pairs` in a compose method."""
    yield from option_pairs(blank_timeouts=blank_timeouts)
