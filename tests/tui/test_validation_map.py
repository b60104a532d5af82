"""Property tests: every 422 entry lands somewhere, header entries on the row they name."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from console.api.models import ErrorEntry
from console.tui.call.validation_map import FIELD_NAMES, map_entries

names = st.from_regex(r"X-[A-Za-z0-9]{1,8}", fullmatch=True)


@given(st.lists(st.tuples(names, st.text(max_size=5)), min_size=1, max_size=6, unique_by=lambda r: r[0].lower()),
       st.data())
def test_header_entry_lands_on_the_named_row(rows, data):
    index = data.draw(st.integers(0, len(rows) - 1))
    name = rows[index][0]
    spelled = data.draw(st.sampled_from([name, name.lower(), name.upper()]))
    key_error = data.draw(st.booleans())
    loc = ["body", "custom_headers", spelled] + (["[key]"] if key_error else [])
    by_field, unplaced = map_entries([ErrorEntry(loc=loc, msg="bad")], rows)
    assert unplaced == []
    [problem] = by_field["custom_headers"]
    assert problem.row == index
    assert problem.part == ("name" if key_error else None)
    assert problem.message == "server: bad"


@given(st.lists(st.tuples(st.sampled_from(FIELD_NAMES + ("bogus", "")), st.text(min_size=1,
                                                                                  max_size=10)),
                max_size=8))
def test_every_entry_is_placed_exactly_once(entries):
    errors = [ErrorEntry(loc=["body", field] if field else ["body"], msg=msg)
              for field, msg in entries]
    by_field, unplaced = map_entries(errors, [])
    placed = sum(len(v) for v in by_field.values())
    assert placed + len(unplaced) == len(errors)
    assert set(by_field) <= set(FIELD_NAMES)
    for field, msg in entries:
        if field in FIELD_NAMES:
            assert any(p.message == f"server: {msg}" for p in by_field[field])


def test_unknown_header_name_stays_under_the_header_list():
    by_field, _ = map_entries([ErrorEntry(loc=["body", "custom_headers", "X-Gone"], msg="no")],
                              [("X-Here", "1")])
    [problem] = by_field["custom_headers"]
    assert problem.row is None and "X-Gone" in problem.message
