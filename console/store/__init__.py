"""Local stores: call history (SQLite, `history.py`) and saved profiles (TOML).

Headless: nothing here imports Textual, so the TUI, the CLI and tests share them.
"""
