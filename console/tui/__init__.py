"""The Textual console: `make_app` (app.py) builds it, `run_tui` (launch.py) runs it.

Only this package imports Textual; everything below it (api, telephony, draft, session) stays
headless so the CLI, the SSH server and tests reuse it.
"""
