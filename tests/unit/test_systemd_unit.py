"""The systemd unit of docs/ssh.md (shipped as docs/systemd/call-console-ssh.service): the
copy in the doc is the file, no value carries a trailing comment (systemd reads comments only
on their own lines, so `EnvironmentFile=/etc/x  # note` names a file called "/etc/x  # note"),
After=network-online.target comes with Wants=, and `systemd-analyze verify` accepts it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
UNIT = DOCS / "systemd" / "call-console-ssh.service"


def _entries(text: str) -> list[tuple[str, str, str]]:
    """(section, key, value) of every assignment."""
    section, found = "", []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        if stripped.startswith("["):
            section = stripped.strip("[]")
            continue
        key, _, value = stripped.partition("=")
        found.append((section, key.strip(), value.strip()))
    return found


def test_the_doc_shows_the_shipped_unit():
    text = (DOCS / "ssh.md").read_text(encoding="utf-8")
    block = text.split("<!-- systemd-unit -->", 1)[1].split("```", 2)[1].split("\n", 1)[1]
    assert block == UNIT.read_text(encoding="utf-8")


def test_no_value_has_a_trailing_comment_and_network_online_is_wanted():
    entries = _entries(UNIT.read_text(encoding="utf-8"))
    trailing = [f"{key}={value}" for _, key, value in entries if re.search(r"\s[#;]", value)]
    assert trailing == []
    unit = {(section, key): value for section, key, value in entries}
    assert "network-online.target" in unit[("Unit", "After")].split()
    assert "network-online.target" in unit[("Unit", "Wants")].split()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed here")
def test_systemd_analyze_verify_accepts_the_unit(tmp_path):
    # verify checks that ExecStart's program exists: point it at the installed command (the
    # only change; the unit's own path is /opt/call-console/...).
    command = Path(sys.executable).with_name("call-console")
    text = UNIT.read_text(encoding="utf-8").replace("/opt/call-console/bin/call-console",
                                                    str(command))
    copy = tmp_path / UNIT.name
    copy.write_text(text, encoding="utf-8")
    result = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""
