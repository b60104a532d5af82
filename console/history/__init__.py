"""The call history's headless work: agents by name, fetching a range from the API, exports.

Never imports Textual: the CLI (`history ...`), the TUI's History screen and the benchmark all
use it.
"""
