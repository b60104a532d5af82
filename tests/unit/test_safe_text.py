"""The one sanitizer for server text (`console.api.safe_text`): whatever a server sends, what the
console shows holds no control character, no bidi override, nothing a terminal obeys."""

from __future__ import annotations

import json
import re
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from console.api.safe_text import clip, json_dumps, visible

#: Every character (lone surrogates and the astral planes included), weighted toward the ones
#: that matter here.
DANGEROUS = "\x1b\x07\x08\r\n\t\x00\x7f\x85\x9b\x9c\u200b\u200e\u202a\u202e\u2066\u2069" \
            "\u2028\u2029\ufeff\U000e0041\ud800\udfff"
any_text = st.text(alphabet=st.one_of(st.characters(codec=None, categories=None),
                                      st.sampled_from(DANGEROUS)))


def forbidden(text: str, *, newline_ok: bool = False) -> list[str]:
    """Characters a terminal may obey: C0/C1 controls, DEL, format characters (bidi...),
    line separators, surrogates."""
    bad = []
    for char in text:
        if newline_ok and char == "\n":
            continue
        category = unicodedata.category(char)
        if category in ("Cc", "Cs", "Zl", "Zp") or (
                category == "Cf" and char not in "\u200c\u200d"):
            bad.append(char)
    return bad


@given(any_text)
def test_visible_never_lets_a_control_or_format_character_through(text):
    assert forbidden(visible(text)) == []


@given(any_text, st.integers(min_value=1, max_value=40))
def test_visible_clips_and_stays_safe(text, limit):
    shown = visible(text, limit)
    assert forbidden(shown) == []
    more = re.search(r"… \((\d+) more characters?\)$", shown)
    if more is None:
        assert shown == visible(text) and len(shown) <= limit
    else:  # N counts the characters of `text` that were not shown
        assert len(shown) - len(more.group(0)) <= limit
        assert 0 < int(more.group(1)) <= len(text)


@given(any_text)
def test_visible_is_idempotent_and_keeps_printable_text(text):
    once = visible(text)
    assert visible(once) == once
    if text.isprintable():
        assert once == text


@given(any_text)
def test_multiline_keeps_only_line_feeds(text):
    shown = visible(text, multiline=True)
    assert forbidden(shown, newline_ok=True) == []
    assert shown.count("\n") == text.count("\n")


def test_escapes_are_readable():
    assert visible("teleporting\x1b[2J\x1b[31m") == "teleporting\\x1b[2J\\x1b[31m"
    assert visible("a\x9b31mb\x07c\x08") == "a\\x9b31mb\\x07c\\x08"
    assert visible("abc\u202edef") == "abc\\u202edef"
    assert visible("line\r\nnext\tcol") == "line\\r\\nnext col"
    assert visible("\ud800") == "\\ud800"
    assert visible("tag\U000e0041") == "tag\\U000e0041"
    # what is not a control stays as it is: accents, CJK, emoji joined by ZWJ, markup
    for text in ("José Ñúñez", "東京", "👩\u200d💻", "[bold red]x[/]", "ok"):
        assert visible(text) == text


def test_clip_says_how_much_more():
    assert visible("x" * 10, 4) == "xxxx… (6 more characters)"
    assert visible("x" * 5, 4) == "xxxx… (1 more character)"
    assert visible("\x1b" * 3, 8) == "\\x1b\\x1b… (1 more character)"
    assert clip("x" * 4, 4) == "xxxx"
    assert clip("y" * 100_000, 10) == "y" * 10 + "… (99990 more characters)"


@given(st.recursive(
    st.none() | st.booleans() | st.integers() | any_text,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(any_text, children, max_size=4), max_leaves=12))
def test_json_dumps_is_valid_equal_json_without_raw_controls(value):
    for indent in (None, 2):
        dumped = json_dumps(value, indent=indent)
        assert forbidden(dumped, newline_ok=indent is not None) == []
        assert json.loads(dumped) == value


def test_json_dumps_keeps_non_ascii_readable():
    assert json_dumps({"name": "José", "s": "x\x9by\u202e"}) == \
        '{"name": "José", "s": "x\\u009by\\u202e"}'
