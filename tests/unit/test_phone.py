"""Phone number parsing: formats, operator-facing messages, local time, and property sweeps."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from datetime import datetime, timezone

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from console.telephony.phone import (
    ParsedNumber,
    PhoneError,
    is_known_region,
    parse_phone,
    region_name,
    to_e164,
)

WINTER = datetime(2025, 1, 7, 22, 5, tzinfo=timezone.utc)   # a Tuesday; US on standard time
SUMMER = datetime(2025, 7, 1, 21, 5, tzinfo=timezone.utc)   # a Tuesday; US on daylight time
E164 = re.compile(r"\+[1-9]\d{1,14}")


def error(text: str, region: str = "US") -> str:
    with pytest.raises(PhoneError) as info:
        parse_phone(text, region)
    return str(info.value)


# --- what parses ------------------------------------------------------------------------

@pytest.mark.parametrize("last", range(5))
def test_simulator_demo_numbers_are_valid_us_numbers(last):
    n = parse_phone(f"+1415555000{last}")
    assert n.e164 == f"+1415555000{last}"
    assert n.international == f"+1 415-555-000{last}"
    assert (n.region, n.region_name) == ("US", "United States")
    assert n.time_zones == ("America/Los_Angeles",)
    assert n.number_type == "fixed line or mobile"


@pytest.mark.parametrize("text, region", [
    ("+14155550000", "US"),
    ("+1 (415) 555-0000", "US"),
    ("+1.415.555.0000", "US"),
    ("1-415-555-0000", "US"),
    ("(415) 555-0000", "US"),
    ("415 555 0000", "US"),
    ("  415 555 0000  ", "US"),
    ("+1 415\u2013555\u20130000", "US"),      # en dashes, as pasted from documents
    ("+1\u00a0415\u00a0555\u00a00000", "US"),  # non-breaking spaces
    ("\uff14\uff11\uff15 555 0000", "US"),      # full-width digits
    ("011 1 415 555 0000", "US"),
    ("00 1 415 555 0000", "US"),
    ("+14155550000", "GB"),
])
def test_formats_of_one_us_number(text, region):
    assert parse_phone(text, region).e164 == "+14155550000"


@pytest.mark.parametrize("text, region", [
    ("00 44 20 7946 0000", "US"),      # 00 is read as the international prefix everywhere
    ("00 44 20 7946 0000", "GB"),
    ("011 44 20 7946 0000", "US"),
    ("+44 (0)20 7946 0000", "US"),
    ("+44 20 7946 0000", "DE"),
    ("020 7946 0000", "GB"),
    ("020 7946 0000", "gb"),            # region code case does not matter
])
def test_formats_of_one_uk_number(text, region):
    n = parse_phone(text, region)
    assert n.e164 == "+442079460000"
    assert n.international == "+44 20 7946 0000"
    assert (n.region, n.region_name) == ("GB", "United Kingdom")
    assert n.time_zones == ("Europe/London",)
    assert n.number_type == "fixed line"


def test_national_number_with_german_default_region():
    n = parse_phone("030 901820", "DE")
    assert n.e164 == "+4930901820"
    assert (n.region, n.region_name) == ("DE", "Germany")
    assert n.time_zones == ("Europe/Berlin",)


def test_same_digits_differ_by_default_region():
    assert parse_phone("020 7946 0000", "GB").e164 != to_e164("030 901820", "DE")
    with pytest.raises(PhoneError):
        parse_phone("020 7946 0000", "US")


@pytest.mark.parametrize("text, words", [
    ("+1 800 555 1234", "toll free"),
    ("+44 7911 123456", "mobile"),
    ("+49 30 901820", "fixed line"),
    ("+1 310-1234", "universal access number"),   # Canada's local-only but valid 310 codes
])
def test_number_type_in_words(text, words):
    assert parse_phone(text).number_type == words


def test_non_geographic_number_has_no_region_or_zone():
    n = parse_phone("+800 1234 5678")
    assert n.e164 == "+80012345678"
    assert n.region is None
    assert n.region_name == "non-geographic"
    assert n.time_zones == ()
    assert n.local_time(WINTER) is None
    assert n.local_time_text(WINTER) == ""


def test_to_e164_and_result_is_frozen():
    assert to_e164("(415) 555-0002") == "+14155550002"
    n = parse_phone("+14155550000")
    assert isinstance(n, ParsedNumber)
    with pytest.raises(dataclasses.FrozenInstanceError):
        n.e164 = "+1"  # type: ignore[misc]


# --- what is refused, and what the operator is told --------------------------------------

def test_phone_error_is_a_value_error():
    assert issubclass(PhoneError, ValueError)


@pytest.mark.parametrize("text", ["", "   ", "\t"])
def test_empty(text):
    assert error(text) == "phone number is empty"


@pytest.mark.parametrize("text, position, char", [
    ("415-555-CALL", 9, "C"),
    ("+1 415 555 0000 ext 5", 17, "e"),
    ("tel:+14155550000", 1, "t"),
    ("+1 415 555 0000#", 16, "#"),
    ("+1 415*555", 7, "*"),
    ("+1 415 555 00é0", 14, "é"),
])
def test_bad_character_is_named_with_its_position(text, position, char):
    message = error(text)
    assert message.startswith(f"character {position} '{char}' ")
    assert "digits" in message


def test_letter_is_called_a_letter():
    assert "is a letter" in error("1-800-FLOWERS")


def test_control_character_is_shown_as_code_point():
    assert error("415\x00555").startswith("character 4 U+0000 is not allowed")


def test_plus_only_at_the_start():
    assert error("1 +415 555 0000").startswith("character 3 '+' is not allowed here")
    assert error("++14155550000").startswith("character 2 '+'")


@pytest.mark.parametrize("text", ["---", "()", "+", "+ - ."])
def test_no_digits(text):
    assert error(text) == "not a phone number: it has no digits"


@pytest.mark.parametrize("text", ["+1", "1", "12"])
def test_far_too_short(text):
    assert "too short" in error(text)


def test_too_short_for_region():
    assert error("+1 415 555 000") == "too short for United States (US)"


def test_too_long_for_region():
    assert error("+1 415 555 00000") == "too long for United States (US)"


def test_longer_than_e164_allows():
    # phonenumbers calls this German number valid, but E.164 stops at 15 digits.
    assert error("+49 201 00000000000") == "too long: an international number has at most 15 digits"


def test_way_too_long_input():
    assert "too long" in error("1" * 300)


def test_local_number_without_area_code():
    assert error("555 0000") == "too short for United States (US): include the area code"


def test_possible_but_invalid_is_an_error_naming_the_region():
    assert error("+1 200 555 0000") == "not a valid number for United States (US)"
    assert error("200 555 0000", "CA") == "not a valid number for Canada (CA)"


def test_possible_but_invalid_without_region():
    assert error("+979 0 1234 5678") == "not a valid number"


def test_unknown_country_code():
    assert "unknown country code" in error("+999 1234 5678")


def test_national_number_with_unknown_default_region():
    message = error("415 555 0000", "ZZ")
    assert message.startswith("no country code: start with +")
    assert "'ZZ'" in message
    assert parse_phone("+14155550000", "ZZ").region == "US"   # '+' numbers need no region


# --- local time -------------------------------------------------------------------------

def test_local_time_single_zone_winter_and_summer():
    n = parse_phone("+14155550000")
    local = n.local_time(WINTER)
    assert local is not None and local.utcoffset() is not None
    assert (local.hour, local.minute) == (14, 5)
    assert str(local.tzinfo) == "America/Los_Angeles"
    assert local == WINTER
    assert n.local_time_text(WINTER) == "14:05 Tue (America/Los_Angeles)"
    assert n.local_time_text(SUMMER) == "14:05 Tue (America/Los_Angeles)"   # PDT is UTC-7


def test_local_time_defaults_to_now():
    local = parse_phone("+442079460000").local_time()
    assert local is not None
    assert abs((local - datetime.now(timezone.utc)).total_seconds()) < 60


def test_local_time_several_zones_shows_the_span():
    n = parse_phone("+1 907 555 0000")   # Alaska: Adak and Anchorage
    assert n.time_zones == ("America/Adak", "America/Anchorage")
    assert n.local_time_text(WINTER) == "12:05–13:05 (2 time zones)"
    assert str(n.local_time(WINTER).tzinfo) == "America/Adak"


def test_local_time_several_zones_with_the_same_clock():
    n = parse_phone("+44 7911 123456")   # London, Jersey, Guernsey, Isle of Man
    assert len(n.time_zones) == 4
    assert n.local_time_text(WINTER) == "22:05 Tue (4 time zones)"


def test_local_time_toll_free_spans_the_date_line():
    n = parse_phone("+1 800 555 1234")
    assert len(n.time_zones) > 10 and "Etc/Unknown" not in n.time_zones
    text = n.local_time_text(WINTER)
    # Pago Pago (UTC-11) is on Tuesday while Guam (UTC+10) is already on Wednesday.
    assert text == f"11:05 Tue–08:05 Wed ({len(n.time_zones)} time zones)"


# --- regions ----------------------------------------------------------------------------

@pytest.mark.parametrize("code, name", [
    ("US", "United States"), ("gb", "United Kingdom"), ("DE", "Germany"),
    ("XK", "Kosovo"), ("QQ", "QQ"),
])
def test_region_name(code, name):
    assert region_name(code) == name


def test_every_supported_region_has_a_name():
    for code in phonenumbers.SUPPORTED_REGIONS:
        assert region_name(code) != code, code


@pytest.mark.parametrize("code, known", [
    ("US", True), ("gb", True), (" DE ", True), ("ZZ", False), ("", False),
    ("USA", False), ("001", False),
])
def test_is_known_region(code, known):
    assert is_known_region(code) is known


# --- properties -------------------------------------------------------------------------

REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)
TYPES = sorted(PhoneNumberType.values())


def _renderings(example: phonenumbers.PhoneNumber, region: str) -> list[tuple[str, str]]:
    """(text, default region) pairs an operator might type for one number."""
    return [
        (phonenumbers.format_number(example, PhoneNumberFormat.E164), "ZZ"),
        (phonenumbers.format_number(example, PhoneNumberFormat.INTERNATIONAL), "US"),
        (phonenumbers.format_number(example, PhoneNumberFormat.NATIONAL), region),
        (phonenumbers.format_out_of_country_calling_number(example, "US"), "US"),
        (phonenumbers.format_out_of_country_calling_number(example, "DE"), "DE"),
    ]


def _check_round_trip(region: str, kind: int) -> None:
    example = phonenumbers.example_number_for_type(region, kind)
    if example is None:
        return
    expected = phonenumbers.format_number(example, PhoneNumberFormat.E164)
    for text, default in _renderings(example, region):
        parsed = parse_phone(text, default)
        assert parsed.e164 == expected, (region, kind, text, default)
        assert E164.fullmatch(parsed.e164)
        assert parse_phone(parsed.international, "ZZ").e164 == expected


def test_every_example_number_of_every_region_round_trips():
    """Exhaustive sweep (about 7 000 parses, well under a second)."""
    for region in REGIONS:
        for kind in TYPES:
            _check_round_trip(region, kind)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(REGIONS), st.sampled_from(TYPES))
def test_property_example_numbers_round_trip(region, kind):
    _check_round_trip(region, kind)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(), st.sampled_from(REGIONS + ["ZZ", "", "us", "XX"]))
def test_property_only_phone_errors_escape(text, region):
    try:
        parsed = parse_phone(text, region)
    except PhoneError as exc:
        message = str(exc)
        assert message and "\n" not in message
    else:
        assert E164.fullmatch(parsed.e164)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="0123456789+-() ./\u00a0", max_size=30),
       st.sampled_from(["US", "GB", "DE", "IN", "BR", "ZZ"]))
def test_property_phone_like_text_gives_e164_or_phone_error(text, region):
    try:
        parsed = parse_phone(text, region)
    except PhoneError:
        return
    assert E164.fullmatch(parsed.e164)
    assert parse_phone(parsed.e164, "ZZ").e164 == parsed.e164


def test_layer_is_headless():
    code = ("import sys, console.telephony.phone, console.telephony.sip; "
            "sys.exit('textual' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_region_names_match_phonenumbers_geocoder_without_loading_it():
    from phonenumbers.geocoder import _region_display_name

    from console.telephony.phone import _english_region_names

    names = _english_region_names()
    assert len(names) > 200
    assert {code: name for code, name in names.items()
            if _region_display_name(code, "en") != name} == {}
