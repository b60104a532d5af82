"""`call-console sim` as an operator runs it: a taken port is one clear line and exit 2."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

COMMAND = str(Path(sys.executable).with_name("call-console"))


def test_a_taken_port_is_one_line_and_exit_2():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([COMMAND, "sim", "--port", str(port)], capture_output=True,
                                text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: cannot listen on http://127.0.0.1:{port}: the port "
                                    "is in use")
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
    assert result.stdout == ""
