"""Campaign rules without a server: the CSV, the DNC list, calling hours across zones and DST,
the planner's verdicts, and the pacer's spacing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.campaign.dnc import DncError, DoNotCall, parse_dnc, read_dnc
from console.campaign.hours import CallingHours, HoursError, parse_days
from console.campaign.pacing import Pacer
from console.campaign.planner import plan_rows
from console.campaign.source import SourceError, parse_csv, read_csv
from console.telephony.phone import parse_phone

AGENT = "a1b2c3d4-0001-4e5f-8a9b-0c1d2e3f4a01"
NINE_TO_EIGHT = CallingHours.parse("09:00-20:00", "mon-fri")


# -- the CSV ---------------------------------------------------------------------------------

def test_csv_with_bom_semicolons_aliases_context_and_headers(tmp_path):
    path = tmp_path / "leads.csv"
    path.write_bytes("\ufeffPhone;context.patient;X-Lead;display_name;notes\n"
                     "+1 415 555 0000;Ann;7;Clinic;call after 5\n"
                     "\n"
                     '"+1 415 555 0001";"Bob\nSmith";;;x\n'
                     "+1 415 555 0002;Cy;9;;\n".encode("utf-8"))
    source = read_csv(path)
    assert source.delimiter == ";"
    assert source.ignored_columns == ["notes"]
    lines = [row.line for row in source.rows]
    assert lines == [2, 4, 6]  # the blank line is skipped; the quoted newline spans 4-5
    first = source.rows[0].values
    assert first["to_number"] == "+1 415 555 0000"
    assert first["context"] == {"patient": "Ann"}
    assert first["custom_headers"] == [("X-Lead", "7")]
    assert first["display_name"] == "Clinic"
    assert source.rows[1].values["context"] == {"patient": "Bob\nSmith"}
    assert "custom_headers" not in source.rows[1].values  # an empty X- cell sends no header


@pytest.mark.parametrize("text, needle", [
    ("name,notes\nAnn,x\n", "no number column"),
    ("phone,number\n1,2\n", "several number columns"),
    ("to_number,Display_Name,display_name\n1,a,b\n", "appears twice"),
    ("\n+14155550000\n", "no header row"),
    ("to_number,context,context.a\n1,{},2\n", "both a context column"),
])
def test_csv_that_cannot_be_used_names_file_and_line(text, needle):
    with pytest.raises(SourceError) as caught:
        parse_csv(text, path="leads.csv")
    assert needle in str(caught.value)
    assert str(caught.value).startswith("leads.csv:1: ")


def test_csv_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"to_number,display_name\n+14155550000,Jos\xe9\n")
    with pytest.raises(SourceError) as caught:
        read_csv(path)
    assert f"{path}:2: not UTF-8" in str(caught.value)


# -- the DNC list ----------------------------------------------------------------------------

def test_dnc_matches_any_format_and_skips_comments():
    numbers = parse_dnc("# opted out\n(415) 555-0100  # by phone\n\n+44 20 7946 0958\n",
                        region="US")
    assert numbers == {"+14155550100", "+442079460958"}


def test_dnc_bad_line_is_an_error_with_its_line(tmp_path):
    path = tmp_path / "dnc.txt"
    path.write_text("+14155550100\nnot a number\n")
    with pytest.raises(DncError) as caught:
        read_dnc([path])
    assert f"{path}:2: 'not a number'" in str(caught.value)


# -- calling hours ---------------------------------------------------------------------------

def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_hours_are_the_callees_clock_not_ours():
    new_york = ("America/New_York",)
    tokyo = ("Asia/Tokyo",)
    # Tue 2026-11-24 14:00 UTC: 09:00 in New York, 23:00 in Tokyo
    now = utc(2026, 11, 24, 14, 0)
    assert NINE_TO_EIGHT.open_for(new_york, now)
    assert not NINE_TO_EIGHT.open_for(tokyo, now)
    # Tokyo opens at 09:00 Wed local = 00:00 UTC Wed
    assert NINE_TO_EIGHT.next_open(tokyo, now) == utc(2026, 11, 25, 0, 0)
    # one minute before New York's window opens
    assert NINE_TO_EIGHT.next_open(new_york, utc(2026, 11, 24, 13, 59)) == utc(2026, 11, 24, 14)


def test_a_number_in_two_zones_waits_for_both():
    idaho = parse_phone("+1 208 555 0100").time_zones
    assert set(idaho) == {"America/Boise", "America/Los_Angeles"}
    # 16:30 UTC Tue: 09:30 in Boise (MST), 08:30 in Los Angeles (PST): not yet
    now = utc(2026, 11, 24, 16, 30)
    assert NINE_TO_EIGHT.open_for(("America/Boise",), now)
    assert not NINE_TO_EIGHT.open_for(idaho, now)
    assert NINE_TO_EIGHT.next_open(idaho, now) == utc(2026, 11, 24, 17, 0)  # 09:00 in LA
    # 02:30 UTC Wed: 19:30 Boise, 18:30 LA: open; 03:00 UTC: 20:00 in Boise, closed
    assert NINE_TO_EIGHT.open_for(idaho, utc(2026, 11, 25, 2, 30))
    assert not NINE_TO_EIGHT.open_for(idaho, utc(2026, 11, 25, 3, 0))


def test_dst_change_moves_the_window_with_the_callees_clock():
    new_york = ("America/New_York",)
    # 13:30 UTC: 08:30 EST on Fri 6 March 2026, but 09:30 EDT on Mon 9 March (DST began 8 March)
    assert not NINE_TO_EIGHT.open_for(new_york, utc(2026, 3, 6, 13, 30))
    assert NINE_TO_EIGHT.open_for(new_york, utc(2026, 3, 9, 13, 30))
    # Friday evening after 20:00 EST, the next window across the weekend's change: Monday
    # 09:00 EDT = 13:00 UTC (not 14:00, which an offset fixed on Friday would give)
    assert NINE_TO_EIGHT.next_open(new_york, utc(2026, 3, 7, 1, 30)) == utc(2026, 3, 9, 13, 0)
    # and back in November: Monday 9 Nov 09:00 EST = 14:00 UTC
    assert NINE_TO_EIGHT.next_open(new_york, utc(2026, 11, 7, 1, 30)) == utc(2026, 11, 9, 14, 0)


def test_a_window_starting_inside_the_spring_forward_gap():
    hours = CallingHours.parse("02:30-04:00", "all")
    new_york = ("America/New_York",)
    opens = hours.next_open(new_york, utc(2026, 3, 8, 5, 0))  # 00:00 EST on the change day
    assert opens is not None and hours.open_for(new_york, opens)
    assert opens.astimezone(UTC) < utc(2026, 3, 8, 8, 0)  # that same morning, not a day later


@given(start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),
       number=st.sampled_from(["+1 208 555 0100", "+1 212 555 0100", "+81 3 1234 5678",
                               "+61 412 345 678", "+44 20 7946 0958"]))
@settings(max_examples=60, deadline=None)
def test_next_open_is_open_and_nothing_opens_earlier(start, number):
    zones = parse_phone(number).time_zones
    hours = CallingHours.parse("09:00-20:00", "mon-fri")
    now = start.replace(tzinfo=UTC)
    opens = hours.next_open(zones, now)
    if opens is None:  # e.g. Australia's zones never share 11 hours of a weekday
        return
    assert opens >= now and hours.open_for(zones, opens)
    probe = now
    while probe < opens - timedelta(minutes=15):
        assert not hours.open_for(zones, probe)
        probe += timedelta(minutes=15)


def test_window_across_midnight_and_bad_values():
    late = CallingHours.parse("22:00-02:00", "fri")
    zone = ("Europe/London",)
    assert late.open_for(zone, utc(2026, 11, 27, 23, 0))   # Fri 23:00
    assert late.open_for(zone, utc(2026, 11, 28, 1, 0))    # Sat 01:00, Friday's window
    assert not late.open_for(zone, utc(2026, 11, 29, 1, 0))  # Sun 01:00
    assert parse_days("fri-mon") == {4, 5, 6, 0}
    for hours, days in (("9-17", "mon"), ("09:00-09:00", "mon"), ("25:00-26:00", "mon"),
                        ("09:00-17:00", "funday")):
        with pytest.raises(HoursError):
            CallingHours.parse(hours, days)


# -- the planner -----------------------------------------------------------------------------

def test_verdicts_in_order_dnc_duplicate_invalid_hours():
    source = parse_csv(
        "to_number,dtmf,context\n"
        "+1 212 555 0100,,\n"            # 2: New York, open at 14:00 UTC
        "+81 3 1234 5678,,\n"            # 3: Tokyo, 23:00: outside hours
        "(212) 555-0100,,\n"             # 4: line 2's number again
        "+1 415 555 0101,12A,\n"         # 5: bad DTMF
        "+1 415 555 0102,,[1]\n"         # 6: context not an object
        "+1 415 555 0103,,\n"            # 7: on the DNC list
        "+800 1234 5678,,\n"             # 8: no time zone
        "12,,\n")                        # 9: not a number
    dnc = DoNotCall(frozenset({"+14155550103"}))
    plan = plan_rows(source.rows, {"agent_id": AGENT}, region="US", dnc=dnc,
                     hours=NINE_TO_EIGHT, now=utc(2026, 11, 24, 14, 0))
    got = {row.line: (row.verdict, row.text) for row in plan.rows}
    assert got[2] == ("dial", "would dial at local time 09:00 Tue (America/New_York)")
    assert got[3] == ("outside_hours",
                      "outside hours: opens at local time 09:00 Wed (Asia/Tokyo)")
    assert got[4] == ("duplicate", "duplicate: same number as line 2")
    assert got[5][0] == "invalid" and got[5][1].startswith("invalid: dtmf: ")
    assert got[6][0] == "invalid" and "context: " in got[6][1]
    assert got[7] == ("dnc", "DNC: on the do-not-call list")
    assert got[8][0] == "invalid" and "no time zone" in got[8][1]
    assert got[9] == ("invalid", "invalid: to_number: too short to be a phone number")
    assert plan.rows[0].request["to_number"] == "+12125550100"


def test_row_cells_override_the_template():
    source = parse_csv("to_number,priority,X-Lead,context.k\n+1 415 555 0100,high,9,v\n")
    base = {"agent_id": AGENT, "priority": "low", "custom_headers": [("x-lead", "1")],
            "context": {"campaign": "fall"}}
    plan = plan_rows(source.rows, base, region="US", dnc=DoNotCall(),
                     hours=CallingHours(), now=utc(2026, 11, 24, 14, 0))
    body = plan.rows[0].request
    assert body["priority"] == "high"
    assert body["custom_headers"] == {"X-Lead": "9"}
    assert body["context"] == {"campaign": "fall", "k": "v"}


# -- pacing ----------------------------------------------------------------------------------

@given(lateness=st.lists(st.floats(min_value=0, max_value=0.5), min_size=2, max_size=60))
@settings(max_examples=100, deadline=None)
def test_pacer_never_starts_two_calls_closer_than_the_interval(lateness):
    pacer = Pacer(0.1)
    now, starts = 0.0, []
    for late in lateness:
        slot = pacer.next_slot(now)
        at = max(slot, now) + late * 0.1 if late < 0.45 else max(slot, now) + late * 10
        pacer.started(at)
        starts.append(at)
        now = at
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    assert all(gap >= 0.1 - 0.1 * 0.45 - 1e-9 for gap in gaps)
    # small lateness does not accumulate: starts stay on the anchored schedule
    pacer = Pacer(0.1)
    pacer.started(0.0)
    for k in range(1, 50):
        assert pacer.next_slot(k * 0.1 - 0.05 + 0.04) == pytest.approx(k * 0.1)
        pacer.started(k * 0.1 + 0.04)


# -- layering --------------------------------------------------------------------------------

def test_the_engine_never_imports_textual_and_the_first_frame_never_imports_the_engine():
    import subprocess
    import sys

    code = ("import sys\n"
            "import console.campaign.runner, console.campaign.setup, console.campaign.progress\n"
            "import console.store.journal, console.commands.campaign\n"
            "assert not [m for m in sys.modules if m.startswith('textual')], 'textual'\n"
            "from console.tui.app import make_app\n"
            "for name in [m for m in sys.modules if m.startswith('console.campaign')]:\n"
            "    del sys.modules[name]\n"
            "make_app()\n"
            "assert not [m for m in sys.modules if m.startswith('console.campaign')], 'engine'\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
