"""Packaging promises that need no build: a missing optional package is one line naming the
extra (never a traceback), and the metadata is the standard, SPDX form."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: Runs `call-console ARGS` with MODULE hidden, as if its extra were not installed.
HIDE = """
import sys
from importlib.abc import MetaPathFinder

class Hide(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == {module!r} or name.startswith({module!r} + "."):
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

for loaded in [m for m in sys.modules if m == {module!r} or m.startswith({module!r} + ".")]:
    del sys.modules[loaded]
sys.meta_path.insert(0, Hide())
sys.argv = ["call-console", *{args!r}]
from console.cli import main
main()
"""


@pytest.mark.parametrize("module,extra,args", [
    ("asyncssh", "ssh", ["serve-ssh", "--port", "0"]),
])
def test_a_missing_optional_package_is_one_line_naming_the_extra(module, extra, args):
    result = subprocess.run([sys.executable, "-c", HIDE.format(module=module, args=args)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr == (f"error: this command needs the optional package {module!r}: "
                             f"pip install 'call-console[{extra}]'\n")
    assert result.stdout == ""


def test_metadata_is_standard():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    assert project["build-system"]["build-backend"] == "hatchling.build"
    meta = project["project"]
    assert meta["license"] == "MIT" and (ROOT / "LICENSE").is_file()
    assert not (ROOT / "setup.py").exists()
    assert all("asyncssh" not in dep for dep in meta["dependencies"])
    extras = meta["optional-dependencies"]
    assert extras["ssh"] == ["asyncssh>=2.17"]
    assert "call-console[ssh,web]" in extras["test"]  # README's test command gets every face
    assert any(dep.startswith(("fastapi", "uvicorn")) for dep in meta["dependencies"])
    assert meta["classifiers"] and meta["urls"]
