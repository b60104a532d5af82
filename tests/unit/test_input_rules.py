"""Hostile operator input to the Call form's rules (`check_draft`, shared by the form and the
CLI): a display name that could inject a SIP header, context JSON that Python's json takes but
the wire must not carry (NaN, huge numbers, lone surrogates, deep nesting), numbers that make
int() raise. Each is refused with a message naming the field (and line/column), never an
exception; property tests: any input gives a value or a clean error."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from console.cli import main
from console.calls.context_json import check_context_value, parse_context
from console.calls.draft import check_draft, check_int, curl_command, request_json
from console.limits import CONTEXT_MAX_BYTES, CONTEXT_MAX_DEPTH, NUMBER_MAX_DIGITS
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


# --- context ------------------------------------------------------------------------------

DEEP_LISTS = "[" * 300 + "]" * 300
DEEP_OBJECTS = '{"a":' * 5000 + "1" + "}" * 5000
HOSTILE_CONTEXTS = [
    ('{"a": NaN}', "line 1, column 7: NaN is not a JSON number (use null or a string)"),
    ('{"a": Infinity}', "line 1, column 7: Infinity is not a JSON number"),
    ('{\n  "a": -Infinity}', "line 2, column 8: -Infinity is not a JSON number"),
    ('{"a": 1e999}', "line 1, column 7: 1e999 is too large for a JSON number (it would be "
                     "sent as null)"),
    ('{"a": ' + "1" * 5001 + "}", "line 1, column 7: a number of 5001 digits; the limit is "
                                  f"{NUMBER_MAX_DIGITS} (put longer ones in quotes)"),
    ('{"a": ' + "9" * (NUMBER_MAX_DIGITS + 1) + "}",
     f"line 1, column 7: a number of {NUMBER_MAX_DIGITS + 1} digits"),
    ('{"a": "\\ud800"}', "line 1, column 8: \\ud800 is half of a UTF-16 pair (a lone "
                         "surrogate), not a character: it cannot be sent"),
    ('{"a": "ok \\udc00 then"}', "line 1, column 11: \\udc00 is half of a UTF-16 pair"),
    ('{"k\\udfff": 1}', "line 1, column 4: \\udfff is half"),
    ('{"a": "x\udcff"}', "line 1, column 9: byte 0xFF is not UTF-8 text"),
    ('{"a": ' + DEEP_LISTS + "}", f"line 1, column {7 + CONTEXT_MAX_DEPTH - 1}: nested more "
                                  f"than {CONTEXT_MAX_DEPTH} levels deep"),
    (DEEP_LISTS, "must be a JSON object {...}, not a list"),
    (DEEP_OBJECTS, f"line 1, column {5 * CONTEXT_MAX_DEPTH + 1}: nested more than "
                   f"{CONTEXT_MAX_DEPTH} levels deep"),
    ('{"k": "' + "x" * CONTEXT_MAX_BYTES + '"}',
     f"the object is {CONTEXT_MAX_BYTES + 8:,} bytes as JSON; the limit is "
     f"{CONTEXT_MAX_BYTES:,} (64 KiB)"),
    ("[" * 300_000, "the text is 300,000 characters long; the limit is"),
]


@pytest.mark.parametrize("text,message", HOSTILE_CONTEXTS,
                         ids=[f"case{i}" for i in range(len(HOSTILE_CONTEXTS))])
def test_hostile_context_json_is_an_error_at_the_field(text, message):
    value, error = parse_context(text)
    assert value is None
    assert error.startswith(message), error
    assert problem(draft(context=text), "context").startswith(message)


@pytest.mark.parametrize("text,expected", [
    ('{"a": "\\ud83d\\ude00"}', {"a": "😀"}),                      # a surrogate *pair* is fine
    ('{"a": "\\\\ud800"}', {"a": "\\ud800"}),                      # an escaped backslash
    ('{"a": ' + "9" * NUMBER_MAX_DIGITS + "}", {"a": int("9" * NUMBER_MAX_DIGITS)}),
    ('{"a": 1.5e300, "b": -0.0}', {"a": 1.5e300, "b": -0.0}),
    ('{"NaN": "Infinity"}', {"NaN": "Infinity"}),                  # names inside strings
    ('{"a":' * (CONTEXT_MAX_DEPTH - 1) + "[]" + "}" * (CONTEXT_MAX_DEPTH - 1), None),
])
def test_context_near_the_limits_still_passes(text, expected):
    value, error = parse_context(text)
    assert error is None
    if expected is not None:
        assert value == expected
    result = draft(context=text)
    assert result.ok, result.problems
    body = json.loads(request_json(result.request))  # what is sent: valid, strict JSON
    assert body["context"] == value


@pytest.mark.parametrize("value,message", [
    ({"a": math.nan}, "at a: nan is not a JSON number"),
    ({"a": [1, math.inf]}, "at a: inf is not a JSON number"),
    ({"n": 10 ** 200}, f"at n: a number of more than {NUMBER_MAX_DIGITS} digits"),
    ({"s": "\ud800"}, "at s: \\ud800 is half of a UTF-16 pair"),
    ({1: "x"}, "key 1 is not text"),
])
def test_a_context_object_from_a_template_obeys_the_same_rules(value, message):
    assert check_context_value(value).startswith(message)
    assert problem(draft(context=value), "context").startswith(message)


def test_deeply_nested_context_object_is_refused_without_recursing():
    value: dict = {}
    for _ in range(5000):  # deeper than Python's recursion limit
        value = {"a": value}
    message = problem(draft(context=value), "context")
    assert message.endswith(f"nested more than {CONTEXT_MAX_DEPTH} levels deep")


CLI_CONTEXTS = [
    ('{"a": NaN}', "error: --context: line 1, column 7: NaN is not a JSON number"),
    ('{"a": ' + "1" * 5001 + "}", "error: --context: line 1, column 7: a number of 5001 "
                                  "digits"),
    ('{"a": "\\ud800"}', "error: --context: line 1, column 8: \\ud800 is half of a UTF-16"),
    (DEEP_OBJECTS, "error: --context: line 1, column 161: nested more than"),
]


@pytest.mark.parametrize("text,message", CLI_CONTEXTS, ids=["nan", "digits", "surrogate", "deep"])
def test_cli_exits_2_on_hostile_context_and_sends_nothing(text, message):
    result = cli("call", "place", "--agent", AGENT, "--to", "+14155550000", "--context", text,
                 "--dry-run")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(message), result.stderr
    assert result.stdout == ""


def test_cli_context_file_that_is_not_utf8_or_endless(tmp_path):
    latin = tmp_path / "ctx.json"
    latin.write_bytes(b'{\n  "name": "caf\xe9"\n}\n')
    result = cli("call", "place", "--agent", AGENT, "--to", "+14155550000",
                 "--context", f"@{latin}", "--dry-run")
    assert result.exit_code == 2
    assert result.stderr == f"error: --context: {latin}:2: not UTF-8 text (byte 0xE9)\n"
    result = cli("call", "place", "--agent", AGENT, "--to", "+14155550000",
                 "--context", "@/dev/zero", "--dry-run")
    assert result.exit_code == 2
    assert result.stderr == ("error: --context: /dev/zero: holds more than 1 MiB; that is the "
                             "most a context file may have\n")


def test_profiles_template_context_option_obeys_the_same_rules():
    result = cli("profiles", "add", "template", "t", "--context", '{"a": Infinity}')
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --context: line 1, column 7: Infinity is not")


JSON_SCALARS = (st.none() | st.booleans() | st.integers() | st.floats()
                | st.text(max_size=12))
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=6), inner, max_size=4),
                           max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60, alphabet=st.characters(exclude_categories=())) | st.from_regex(
    r'\A[\[\]{}":,0-9eE.+\- a-zNIfy\\u]{0,60}\Z'))
def test_parse_context_is_total_on_any_text(text):
    value, error = parse_context(text)
    assert (value is None) != (error is None)
    if value is not None:
        assert isinstance(value, dict)
        json.dumps(value, allow_nan=False, ensure_ascii=False).encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=6), JSON_VALUES, max_size=4))
def test_parse_context_takes_what_can_be_sent_and_refuses_the_rest(value):
    text = json.dumps(value, ensure_ascii=False)  # NaN/Infinity are written bare by Python
    parsed, error = parse_context(text)
    if error is None:
        assert parsed == value
        result = draft(context=text)
        assert result.ok, result.problems
        strict = json.dumps(result.request.to_json_body(), allow_nan=False, ensure_ascii=False)
        strict.encode("utf-8")
        assert curl_command("http://x", result.request)
    else:
        assert check_context_value(value) is not None or "NaN" in text or "Infinity" in text


# --- whole numbers ----------------------------------------------------------------------

@pytest.mark.parametrize("text,message", [
    ("²", "must be a whole number from 1 to 80"),           # isdigit() but int() refuses it
    ("--5", "must be a whole number from 1 to 80"),
    ("1" * 5001, "must be from 1 to 80 (got a number of 5001 digits)"),
])
def test_check_int_never_raises(text, message):
    assert check_int(text, 1, 80) == (None, message)
    assert problem(draft(ringing_timeout_seconds=text), "ringing_timeout_seconds") == message


@given(st.text(max_size=30))
def test_check_int_is_total(text):
    value, message = check_int(text, 60, 86400)
    assert (value is None) != (message is None)
