"""One end-to-end test in a real browser: headless Chromium (the OS's package) driven by
Playwright signs in to `call-console --demo serve-web`, sees the Call form, types a demo number,
sends it, and sees the call in the Calls table.

What the browser received over the console's WebSocket is recorded by a script added to the
page (xterm.js draws on a canvas; its text is not in the DOM): the test reads the screen from
those bytes with the escape sequences taken out.
"""

# ruff: noqa: F811  (pytest fixtures imported from web_helpers, used as arguments)
from __future__ import annotations

import base64
import os
import re
import shutil
from pathlib import Path

import pytest
from waiting import poll
from web_helpers import PASSWORDS, audit_records, wait_for_record
from web_helpers import web_lab  # noqa: F401  (the fixture)

pytestmark = pytest.mark.e2e

#: Where the OS packages put Chromium (Debian: chromium; Ubuntu's snap: chromium-browser).
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    override = os.environ.get("CALL_CONSOLE_TEST_CHROMIUM")
    if override:
        return override if Path(override).exists() else None
    return next((found for name in BROWSER_NAMES if (found := shutil.which(name))), None)


RECORD_FRAMES = """
window.__consoleBytes = [];
const NativeWebSocket = window.WebSocket;
window.WebSocket = function (url, protocols) {
  const socket = protocols ? new NativeWebSocket(url, protocols) : new NativeWebSocket(url);
  socket.addEventListener('message', (event) => {
    if (typeof event.data === 'string') return;
    const bytes = new Uint8Array(event.data);
    let text = '';
    for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    window.__consoleBytes.push(btoa(text));
  });
  return socket;
};
window.WebSocket.prototype = NativeWebSocket.prototype;
"""

ESCAPES = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"
                     r"|\x1b[()][0-9A-Za-z]|\x1b[=>78]")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class BrowserScreen:
    def __init__(self, page):
        self.page = page
        self.mark = 0  # frames before this index are "earlier"

    def text(self, since_mark: bool = False) -> str:
        frames = self.page.evaluate("window.__consoleBytes")
        raw = b"".join(base64.b64decode(f) for f in frames[self.mark if since_mark else 0:])
        return ESCAPES.sub("", raw.decode("utf-8", "replace"))

    def set_mark(self) -> None:
        self.mark = self.page.evaluate("window.__consoleBytes.length")

    def wait_for(self, check, what: str, timeout: float = 20.0, since_mark: bool = False) -> str:
        def seen() -> str | None:
            text = self.text(since_mark)
            return text if check(text) else None

        return poll(seen, what, timeout, 0.1)


def test_sign_in_place_a_demo_call_and_see_it_in_the_calls_table(web_lab):
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("no Chromium installed (apt-get install chromium); the browser test needs "
                    "the OS's browser (Playwright's own download is not used)")
    playwright_api = pytest.importorskip("playwright.sync_api",
                                         reason="playwright is not installed (test extra)")
    pytest.importorskip("textual_serve", reason="serve-web needs the web extra: pip install "
                        "'call-console[web]'")
    server = web_lab.server(prefix=("--demo",), standin=False)
    try:
        with playwright_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                                 args=["--no-sandbox"])
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.add_init_script(RECORD_FRAMES)
                page.goto(server.url + "/")
                assert page.url == server.url + "/login"
                page.fill("input[name=name]", "alice")
                page.fill("input[name=password]", PASSWORDS["alice"])
                page.click("button[type=submit]")
                page.wait_for_url(server.url + "/")
                assert "signed in as alice" in page.inner_text("header")
                cookie = next(c for c in page.context.cookies()
                              if c["name"] == "call_console_session")
                assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
                screen = BrowserScreen(page)
                # The Call form, on the demo simulator, with the cursor in To.
                screen.wait_for(lambda t: "Reception" in t and "online" in t and "To" in t,
                                "the Call form on the demo simulator", timeout=40)
                page.focus(".xterm-helper-textarea")
                page.keyboard.type("+14155550000")
                screen.wait_for(lambda t: "Ready to call +14155550000" in t, "the number typed")
                page.keyboard.press("Control+s")
                placed = screen.wait_for(lambda t: "Call placed" in t and UUID.search(
                    t.split("Call placed", 1)[1]), "the placed call's id")
                call_id = UUID.search(placed.split("Call placed", 1)[1]).group(0)
                # The Calls table (F3) lists it.
                screen.set_mark()
                page.keyboard.press("F3")
                # The Calls table (F3): its row for the call (status, the number as
                # formatted, the demo agent), and the call's id in the detail pane.
                row = re.compile(r"(initiated|ringing|answered|ended)\s+\+1 415-555-0000\s+"
                                 r"\+1 415-555-\d{4}\s+Reception")
                screen.wait_for(lambda t: "Status" in t and row.search(t)
                                and re.search(r"call_id\s+" + call_id, t),
                                "the call in the Calls table", since_mark=True)
                start = wait_for_record(web_lab.data, lambda r: r["kind"] == "session_start"
                                        and r.get("operator") == "alice"
                                        and r.get("face") == "web", "session_start")
                child = Path(f"/proc/{start['child_pid']}")
                if child.exists():  # the console's command line and environment
                    argv = child.joinpath("cmdline").read_bytes().split(b"\0")
                    assert argv[-3:-1] == [b"--operator", b"alice"] and b"--demo" in argv
                    environ = child.joinpath("environ").read_bytes()
                    assert b"CALL_CONSOLE_OPERATOR=alice\0" in environ
                    assert PASSWORDS["alice"].encode() not in environ + b" ".join(argv)
            finally:
                browser.close()
        placed_record = wait_for_record(
            web_lab.data, lambda r: r["kind"] == "call_placed" and r.get("call_id") == call_id,
            "the console's call_placed record")
        assert placed_record["operator"] == "alice"
        assert placed_record["session"] == start["session"]
        wait_for_record(web_lab.data, lambda r: r["kind"] == "session_end"
                        and r.get("session") == start["session"], "session_end", timeout=20)
    finally:
        server.stop()
    assert not any(PASSWORDS["alice"] in str(r) for r in audit_records(web_lab.data))
