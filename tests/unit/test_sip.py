"""DTMF and custom SIP header rules (LiveKit), with property tests."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.telephony.sip import (
    DTMF_ALLOWED,
    DTMF_PAUSE_SECONDS,
    DTMF_TONE_SECONDS,
    HeaderIssue,
    check_dtmf,
    check_header_name,
    check_header_value,
    check_headers,
    dtmf_play_seconds,
    format_play_time,
    headers_to_dict,
    parse_header_line,
)

TOKEN_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~"
ALLOWED_LIST = "0-9 * # a-d w"


# --- DTMF -------------------------------------------------------------------------------

def test_constants():
    assert DTMF_ALLOWED == "0123456789*#abcdw"
    assert DTMF_TONE_SECONDS == DTMF_PAUSE_SECONDS == 0.5


@pytest.mark.parametrize("sequence", ["", "0123456789", "*123#ww456", "abcd", "w", "##**"])
def test_good_sequences(sequence):
    assert check_dtmf(sequence) is None


@pytest.mark.parametrize("char", list("ABCD"))
def test_uppercase_a_to_d(char):
    issue = check_dtmf(f"12{char}4")
    assert (issue.position, issue.char) == (3, char)
    assert issue.message == f"character 3 '{char}' is not allowed: use lowercase a-d"


def test_uppercase_w():
    issue = check_dtmf("*123#W456")
    assert (issue.position, issue.char) == (6, "W")
    assert issue.message == "character 6 'W' is not allowed: use lowercase w for a pause"


@pytest.mark.parametrize("sequence, position, char, named", [
    ("123,456", 4, ",", "a comma"),
    ("123p456", 4, "p", "'p'"),
    ("123 456", 4, " ", "a space"),
    ("1;2", 2, ";", "a semicolon"),
    ("12é", 3, "é", "U+00E9"),
    ("1١", 2, "١", "U+0661"),          # Arabic-Indic one: a digit, but not one LiveKit sends
    ("\t1", 1, "\t", "a tab"),
    ("12e", 3, "e", "'e'"),
    ("1+2", 2, "+", "a plus sign"),
])
def test_dropped_characters_are_named_with_their_position(sequence, position, char, named):
    issue = check_dtmf(sequence)
    assert (issue.position, issue.char) == (position, char)
    assert issue.message.startswith(f"character {position} ")
    assert named in issue.message
    assert "LiveKit would silently drop it" in issue.message
    assert ALLOWED_LIST in issue.message


@pytest.mark.parametrize("char", [",", "p", ";"])
def test_pause_like_characters_suggest_w(char):
    assert "use w for a 0.5 s pause" in check_dtmf(char).message


def test_only_the_first_bad_character_is_reported():
    assert check_dtmf("1A,W").position == 2


@pytest.mark.parametrize("sequence, seconds", [
    ("", 0.0), ("1", 0.5), ("w", 0.5), ("*123#ww456", 5.0), ("1A2", 1.0), ("12 34", 2.0),
])
def test_play_seconds(sequence, seconds):
    assert dtmf_play_seconds(sequence) == seconds


@pytest.mark.parametrize("seconds, text", [
    (0, "0.0 s"), (0.5, "0.5 s"), (3.5, "3.5 s"), (59.5, "59.5 s"), (60, "1 min 0.0 s"),
    (62.5, "1 min 2.5 s"), (125, "2 min 5.0 s"), (59.96, "1 min 0.0 s"), (-1, "0.0 s"),
])
def test_format_play_time(seconds, text):
    assert format_play_time(seconds) == text


@given(st.text(alphabet=DTMF_ALLOWED))
def test_property_allowed_alphabet_is_accepted_and_timed(sequence):
    assert check_dtmf(sequence) is None
    assert dtmf_play_seconds(sequence) == 0.5 * len(sequence)


BAD_DTMF = st.characters(blacklist_characters=DTMF_ALLOWED)


@given(st.text(alphabet=DTMF_ALLOWED), BAD_DTMF, st.text(), st.data())
def test_property_inserted_bad_character_is_found(good, bad, tail, data):
    i = data.draw(st.integers(0, len(good)), label="i")
    issue = check_dtmf(good[:i] + bad + good[i:] + tail)
    assert issue is not None
    assert (issue.position, issue.char) == (i + 1, bad)
    assert issue.message.startswith(f"character {i + 1} ")


@given(st.text())
def test_property_play_time_never_negative_and_bounded(sequence):
    assert 0 <= dtmf_play_seconds(sequence) <= 0.5 * len(sequence)


# --- header names -----------------------------------------------------------------------

@pytest.mark.parametrize("name", [
    "X-Foo", "x-foo", "X-Customer-Id", "X-a.b!c%d*e_f+g`h'i~j", "X-1", "x-" + "a" * 253,
])
def test_valid_header_names(name):
    assert check_header_name(name) is None


def test_name_length_limit():
    assert check_header_name("X-" + "a" * 253) is None          # 255 characters
    message = check_header_name("X-" + "a" * 254)               # 256 characters
    assert message == "header name is 256 characters long; the limit is 255"


@pytest.mark.parametrize("name", ["Call-ID", "From", "To", "Via", "Contact", "CSeq", "Foo", "XFoo"])
def test_missing_x_prefix(name):
    message = check_header_name(name)
    assert message.startswith("header name must start with 'X-'")
    assert "X-*" in message and "Call-ID" in message and "CSeq" in message


def test_bare_prefix_and_empty_name():
    assert check_header_name("X-") == "header name needs something after 'X-'"
    assert check_header_name("") == "header name is empty"


@pytest.mark.parametrize("name, position, named", [
    ("X-Foo Bar", 6, "a space"),
    ("X-Foo:Bar", 6, "a colon"),
    ("X-user@host", 7, "an at sign"),
    ("X-Café", 6, "U+00E9"),
    ("X-(x)", 3, "'('"),
    ("X-a;b", 4, "a semicolon"),
    (" X-Foo", 1, "a space"),
    ("X-a\tb", 4, "a tab"),
])
def test_bad_characters_in_names(name, position, named):
    message = check_header_name(name)
    assert message.startswith(f"character {position} ")
    assert named in message
    assert "not allowed in a header name" in message


@given(st.text(alphabet=TOKEN_CHARS, min_size=1, max_size=253), st.sampled_from(["X-", "x-"]))
def test_property_x_prefixed_token_names_pass(rest, prefix):
    assert check_header_name(prefix + rest) is None


@given(st.text(alphabet=TOKEN_CHARS, max_size=20), st.characters(blacklist_characters=TOKEN_CHARS),
       st.text(alphabet=TOKEN_CHARS, max_size=20))
def test_property_non_token_character_is_found(before, bad, after):
    name = "X-" + before + bad + after
    assert check_header_name(name).startswith(f"character {len(before) + 3} ")


# --- header values ----------------------------------------------------------------------

@pytest.mark.parametrize("value", ["", "abc", "a b\tc", "\t", " !~", "x" * 1024,
                                   "".join(chr(c) for c in range(0x20, 0x7F))])
def test_valid_values(value):
    assert check_header_value(value) is None


@pytest.mark.parametrize("value", ["a\rb", "a\nb", "abc\r\nX-Evil: 1", "\n"])
def test_line_breaks_are_called_out(value):
    assert check_header_value(value).startswith(
        "contains a line break (CR/LF), which could inject a SIP header")


def test_line_break_wins_over_length():
    assert "line break" in check_header_value("x" * 2000 + "\n")


def test_value_length_limit():
    assert check_header_value("x" * 1025) == "value is 1025 characters long; the limit is 1024"


@pytest.mark.parametrize("value, position, named", [
    ("a\x00b", 2, "NUL"), ("\x7f", 1, "U+007F"), ("café", 4, "U+00E9"), ("\x1b[31m", 1, "U+001B"),
])
def test_bad_characters_in_values(value, position, named):
    message = check_header_value(value)
    assert message.startswith(f"character {position} ")
    assert named in message
    assert "printable ASCII" in message


@given(st.text(), st.sampled_from(["\r", "\n", "\r\n"]), st.text())
def test_property_values_with_line_breaks_fail(before, brk, after):
    message = check_header_value(before + brk + after)
    assert message is not None and "line break" in message


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E) | st.just("\t"),
               max_size=1024))
def test_property_printable_ascii_values_pass(value):
    assert check_header_value(value) is None


# --- header tables ----------------------------------------------------------------------

def test_clean_table_has_no_issues():
    rows = [("X-Customer", "42"), ("X-Campaign", "spring"), ("X-Empty", "")]
    assert check_headers(rows) == []
    assert headers_to_dict(rows) == {"X-Customer": "42", "X-Campaign": "spring", "X-Empty": ""}


def test_duplicates_are_case_insensitive_and_reported_on_the_later_row():
    rows = [("X-Foo", "1"), ("X-Bar", "2"), ("x-FOO", "3")]
    assert check_headers(rows) == [
        HeaderIssue(2, "name", "duplicate of row 1 'X-Foo' (names are case-insensitive)")]
    assert headers_to_dict(rows) == {"X-Foo": "1", "X-Bar": "2"}


def test_issues_carry_row_and_field():
    rows = [("Via", "x"), ("X-Ok", "a\nb"), ("X-Bad Name", "\x00")]
    issues = check_headers(rows)
    assert [(i.row, i.field) for i in issues] == [(0, "name"), (1, "value"), (2, "name"), (2, "value")]
    assert headers_to_dict(rows) == {}


def test_blank_rows_are_ignored_but_half_filled_rows_are_not():
    rows = [("", ""), ("X-A", "1"), ("  ", ""), ("", "orphan value")]
    assert check_headers(rows) == [HeaderIssue(3, "name", "header name is empty")]
    assert headers_to_dict(rows) == {"X-A": "1"}


def test_headers_to_dict_keeps_order_and_spelling():
    rows = [("x-zeta", "1"), ("X-Alpha", "2"), ("X-MiXeD", "3")]
    assert list(headers_to_dict(rows).items()) == rows


def test_invalid_row_does_not_block_a_later_duplicate_check():
    rows = [("X-A", "a\nb"), ("x-a", "ok")]
    issues = check_headers(rows)
    assert HeaderIssue(1, "name", "duplicate of row 1 'X-A' (names are case-insensitive)") in issues


@given(st.lists(st.text(alphabet="abAB", min_size=1, max_size=3), max_size=8))
def test_property_duplicates(suffixes):
    rows = [("X-" + s, "v") for s in suffixes]
    issues = check_headers(rows)
    seen: set[str] = set()
    expected_dupes = []
    for i, s in enumerate(suffixes):
        if s.lower() in seen:
            expected_dupes.append(i)
        seen.add(s.lower())
    assert [i.row for i in issues] == expected_dupes
    assert len(headers_to_dict(rows)) == len(seen)


# --- header lines -----------------------------------------------------------------------

@pytest.mark.parametrize("line, expected", [
    ("X-Name: value", ("X-Name", "value")),
    ("X-Name:value", ("X-Name", "value")),
    ("  X-Name  : value", ("X-Name", "value")),
    ("X-Name:  two spaces", ("X-Name", " two spaces")),
    ("X-Url: http://host:80/x", ("X-Url", "http://host:80/x")),
    ("X-Empty:", ("X-Empty", "")),
    ("X-Empty: ", ("X-Empty", "")),
])
def test_parse_header_line(line, expected):
    assert parse_header_line(line) == expected


def test_parse_header_line_without_colon():
    with pytest.raises(ValueError, match="no colon.*'X-Name: value'"):
        parse_header_line("X-Name value")


@given(st.text(alphabet=TOKEN_CHARS, min_size=1, max_size=30),
       st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=30))
def test_property_parse_header_line_round_trips(rest, value):
    assert parse_header_line(f"X-{rest}: {value}") == (f"X-{rest}", value)
