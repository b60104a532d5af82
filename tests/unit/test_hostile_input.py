"""Hostile operator input to the Call form's rules (`check_draft`, shared by the form and the
CLI): a display name that could inject a SIP header. Refused with a message naming the field,
never sent; property test: any text gives a value or a clean error."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from console.cli import main
from console.draft import check_draft, request_json
from console.telephony.sip import check_display_name

AGENT = "3c90c3cc-0d44-4b50-8888-8dd25736052a"


def draft(**values):
    return check_draft({"agent_id": AGENT, "to_number": "+14155550000", **values})


def problem(result, field: str) -> str:
    messages = [p.message for p in result.problems if p.field == field]
    assert messages, result.problems
    return messages[0]


def cli(*args: str):
    """The real command in-process; an exception (a traceback) fails the test."""
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


# --- display name -------------------------------------------------------------------------

INJECTIONS = [
    ("Bob\r\nX-Evil: 1", "contains a line break (CR/LF), which could inject a SIP header "
                         "(character 4)"),
    ("Bob\nVia: x", "line break (CR/LF)"),
    ("Bob\rX", "line break (CR/LF)"),
    ("Bob\x00", "character 4 (a NUL byte) is not allowed in a display name"),
    ("a\x1b[2Jb", "character 2 U+001B is not allowed in a display name (a control character)"),
    ("tab\there", "character 4 (a tab) is not allowed"),
    ("del\x7f", "character 4 U+007F"),
    ("c1\x85", "character 3 U+0085"),
    ("line\u2028sep", "character 5 U+2028"),
    ("evil\u202eman", "character 5 U+202E is not allowed in a display name (it reorders"),
    ("half\udcff", "character 5 U+DCFF"),
]


@pytest.mark.parametrize("name,message", INJECTIONS)
def test_display_name_with_a_line_break_or_control_character_is_refused(name, message):
    assert message in problem(draft(display_name=name), "display_name")


@pytest.mark.parametrize("name", ["ACME Sales", "Zoë Ångström", "営業部", "Support 😀 24/7",
                                  "O'Brien \"Bob\" <x>", "x" * 128])
def test_display_names_people_write_pass(name):
    result = draft(display_name=name)
    assert result.ok, result.problems
    assert result.request.display_name == name


def test_cli_refuses_a_display_name_with_crlf_and_sends_nothing():
    result = cli("call", "place", "--agent", AGENT, "--to", "+14155550000",
                 "--display-name", "Bob\r\nX-Evil: 1", "--dry-run")
    assert result.exit_code == 2
    assert result.stderr.strip() == ("error: --display-name: contains a line break (CR/LF), "
                                     "which could inject a SIP header (character 4)")
    assert result.stdout == ""  # no JSON, no curl line


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40, alphabet=st.characters(exclude_categories=())))
def test_display_name_rule_is_total_and_lets_only_safe_text_through(name):
    message = check_display_name(name)
    assert message is None or isinstance(message, str)
    if message is None:
        assert "\r" not in name and "\n" not in name
        assert all(ch.isprintable() or ch == " " or ord(ch) > 0x9F for ch in name)
        assert not any(0xD800 <= ord(ch) <= 0xDFFF for ch in name)
        # what passes is what the preview shows and the client sends
        result = draft(display_name=name)
        if result.ok:
            request_json(result.request).encode("utf-8")
