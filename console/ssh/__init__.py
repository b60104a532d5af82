"""SSH operator access: `call-console serve-ssh` and the audit log.

- `server`  — the asyncssh server: public-key auth only, every other request refused.
- `session` — one child console process per SSH session, in its own PTY.
- `keys`    — host key (generated on first run, 0600) and the authorized-keys file.
- `audit`   — JSON-lines audit log shared by the server and every console process.

Only `server`, `session` and `keys` import asyncssh, and only `call-console serve-ssh` imports
them. `audit` is plain standard library: the console calls `audit_event()` when a call is placed,
ended or transferred. Nothing here imports Textual.
"""
