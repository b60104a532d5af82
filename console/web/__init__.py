"""The console in a browser: `call-console serve-web` (issue 18).

- `accounts` — operator accounts: a 0600 file of salted scrypt hashes (standard library only,
  so `call-console web-users` works without the `[web]` extra).
- `signin`   — session cookies and the failed sign-in limiter (plain state, no I/O).
- `pages`    — the sign-in and console pages, and the security headers.
- `child`    — one child console per browser tab (textual-serve's AppService, no shell).
- `server`   — the aiohttp server: sign-in in front of textual-serve, per-operator rules
  shared with serve-ssh.

Only `child` and `server` import aiohttp and textual-serve (the `[web]` extra), and only
`call-console serve-web` imports them. Nothing here imports Textual.
"""
