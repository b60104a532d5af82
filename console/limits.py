"""Limits on what the console accepts from operators and from the files it reads.

Every reader of operator input (the Call form, `--context`, profiles, bundles, config.toml,
themes) refuses input past these limits with a message naming the field, option or file and
line, instead of a traceback, a frozen screen or a request the server cannot parse. They are
far above anything a person writes by hand, and low enough that a hostile file cannot make
the console recurse, allocate without bound or block.
"""

from __future__ import annotations

#: Objects and lists inside one another in a call's `context` (`{}` is depth 1). Pydantic
#: refuses to serialise past 255 levels and Python's json recurses; real metadata stays
#: below 10.
CONTEXT_MAX_DEPTH = 32

#: The `context` object as sent (compact UTF-8 JSON). It is metadata for the agent, not a
#: document store.
CONTEXT_MAX_BYTES = 64 * 1024

#: The context *text* (typed, pasted or read from `--context @FILE`) before it is parsed:
#: room for indentation around CONTEXT_MAX_BYTES of JSON, and a bound on the parser's work.
CONTEXT_MAX_TEXT = 4 * CONTEXT_MAX_BYTES

#: Digits of one number in a context (JSON or TOML). Python refuses to read integers of more
#: than 4,300 digits; no agent needs more than a 64-bit id (20 digits): longer ones go in
#: quotes.
NUMBER_MAX_DIGITS = 100

#: Arrays, inline tables and dotted-key parts inside one another in any TOML file the console
#: reads (config.toml, profiles, bundles, themes); tomllib recurses and dies near 300.
TOML_MAX_DEPTH = 64

#: The profiles file and an imported bundle. 5,000 entries of each kind, notes included,
#: take about 3 MB.
PROFILES_MAX_BYTES = 16 * 1024 * 1024

#: config.toml: a few dozen settings, environments and key remaps.
CONFIG_MAX_BYTES = 1024 * 1024

#: A theme file: a few dozen colours.
THEME_MAX_BYTES = 256 * 1024
