"""The one private tomlkit name the profiles editor uses (console/store/profiles/edit.py):
tomlkit has no public "insert at" and 0.15.3 removed `_insert_after`, which broke every
profile update on a fresh install. This fails loudly when an upgrade removes this one too."""

import tomlkit
from tomlkit.container import Container


def test_insert_at_is_still_there_and_keeps_comments():
    assert callable(getattr(Container, "_insert_at", None))
    doc = tomlkit.parse('a = 1  # one\nb = 2\n')
    doc._insert_at(1, "x", 9)  # a TOMLDocument is a Container
    assert tomlkit.dumps(doc).splitlines() == ["a = 1  # one", "x = 9", "b = 2"]
