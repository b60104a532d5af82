"""The two HTML pages of `serve-web`: the sign-in form and the console (xterm.js from
textual-serve's static files). Every value put into them is escaped; no external fonts or
scripts, so the Content-Security-Policy can be `'self'` only."""

from __future__ import annotations

from html import escape

#: Sent with every response of the server.
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; "
                                "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                                "font-src 'self' data:; connect-src 'self'; "
                                "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # "no-referrer" makes Chromium send Origin: null
}

_STYLE = """
body { background: #0c181f; color: #e8eef2; font-family: menlo, monospace; margin: 0; }
main.login { max-width: 22rem; margin: 12vh auto; padding: 2rem; background: #12232d; }
main.login h1 { font-size: 1.2rem; margin-top: 0; }
label { display: block; margin-top: 1rem; }
input { width: 100%; box-sizing: border-box; padding: .5rem; margin-top: .25rem;
        background: #0c181f; color: #e8eef2; border: 1px solid #3a5566; font: inherit; }
button { margin-top: 1.25rem; padding: .5rem 1.5rem; background: #5e0ba7; color: #fff;
         border: none; font: inherit; cursor: pointer; }
.message { color: #ff9d8a; margin: 1rem 0 0; }
.note { color: #8aa4b4; font-size: .85rem; margin-top: 1.5rem; }
"""


def login_page(*, message: str = "", name: str = "", title: str = "call-console") -> str:
    """The sign-in form; `message` says what went wrong, `name` keeps what was typed."""
    shown = f'<p class="message" role="alert">{escape(message)}</p>' if message else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in · {escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{_STYLE}</style></head>
<body><main class="login">
<h1>{escape(title)}: sign in</h1>
<form method="post" action="/login">
<label>Operator <input name="name" autocomplete="username" autocapitalize="none"
  spellcheck="false" value="{escape(name)}" required autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password"
  required></label>
{shown}
<button type="submit">Sign in</button>
</form>
<p class="note">Accounts are made on the server: <code>call-console web-users add NAME</code>.</p>
</main></body></html>
"""


_CONSOLE_STYLE = """
html, body { height: 100%; }
body { display: flex; flex-direction: column; }
header { display: flex; gap: 1rem; align-items: center; padding: .25rem .75rem;
         background: #12232d; font-size: .85rem; }
header .who { flex: 1; }
header button { margin: 0; padding: .2rem .8rem; }
.textual-terminal { flex: 1; min-height: 0; }
.closed { display: none; padding: .5rem .75rem; background: #3a1d12; }
body.-closed .closed { display: block; }
a { color: #9fd0ff; }
"""


def console_page(*, operator: str, websocket_url: str, static_url: str = "/static/",
                 title: str = "call-console", font_size: int = 16) -> str:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)} · {escape(operator)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="{escape(static_url)}css/xterm.css">
<script src="{escape(static_url)}js/textual.js"></script>
<style>{_STYLE}{_CONSOLE_STYLE}</style></head>
<body>
<header><span class="who">{escape(title)} · signed in as <b>{escape(operator)}</b></span>
<form method="post" action="/logout"><button type="submit">Sign out</button></form></header>
<div class="closed" role="status">Session ended. <a href="/">Open a new console</a></div>
<div id="terminal" class="textual-terminal"
  data-session-websocket-url="{escape(websocket_url)}" data-font-size="{int(font_size)}"></div>
</body></html>
"""
