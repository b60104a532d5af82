"""The one asyncssh internal the SSH server relies on, with why and how it is checked.

asyncssh has no hook for "the client asked to authenticate with method X". A method this server
does not offer (password, keyboard-interactive, host-based, GSSAPI) is answered USERAUTH_FAILURE
inside the library (`lookup_server_auth`) and the `SSHServer` object never hears of it, so a
password guesser would leave no trace in the audit log. `watch_auth_requests` wraps the
connection's private `_finish_userauth(begin_auth, method, packet)` (asyncssh 2.x), through which
every USERAUTH_REQUEST passes once its user name and service are checked. The callback gets the
method name only, never the packet (which holds the password), after the library has answered
the request (so `begin_auth` has run); an exception it raises (PermissionDenied) disconnects.

Should asyncssh rename that method, the watch is off (one warning in the server's log) and
authentication itself is unchanged; tests/e2e/test_ssh.py::
test_a_client_sending_passwords_anyway_is_audited_and_cut_off fails then, so it is noticed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger("console.ssh")

_PRIVATE_NAME = "_finish_userauth"
_warned = False


def watch_auth_requests(conn: Any, callback: Callable[[str], None]) -> bool:
    """Call `callback(method)` for every authentication request on `conn`; False when this
    asyncssh has no such internal (nothing is watched then)."""
    global _warned
    original = getattr(conn, _PRIVATE_NAME, None)
    if original is None or not callable(original):
        if not _warned:
            _warned = True
            log.warning("asyncssh %s: cannot watch authentication methods; refused password "
                        "and keyboard-interactive attempts are not audited", _version())
        return False

    async def watched(begin_auth: bool, method: bytes, packet: Any) -> None:
        await original(begin_auth, method, packet)
        callback(method.decode("ascii", "replace")[:64])

    setattr(conn, _PRIVATE_NAME, watched)
    return True


def _version() -> str:
    try:
        import asyncssh

        return str(asyncssh.__version__)
    except (ImportError, AttributeError):  # pragma: no cover
        return "?"
