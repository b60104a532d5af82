"""The one CSS rule (console/tui/css.py): a class's CSS is a .tcss file beside its module,
attached with `stylesheet()`; no CSS in Python strings; no .tcss file left unused."""

from __future__ import annotations

import ast
from pathlib import Path

TUI = Path(__file__).resolve().parents[2] / "console" / "tui"


def _css_assignments():
    for path in sorted(TUI.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id in ("DEFAULT_CSS", "CSS", "CSS_PATH")
                    for t in node.targets):
                yield path, node


def test_every_class_css_comes_from_a_tcss_file_beside_it():
    wrong = []
    for path, node in _css_assignments():
        name = node.targets[0].id
        value = node.value
        if name == "CSS_PATH" and path.name == "app.py":
            assert isinstance(value, ast.Constant) and value.value == "app.tcss"
            continue
        is_stylesheet = (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
                         and value.func.id == "stylesheet")
        if name != "DEFAULT_CSS" or not is_stylesheet:
            wrong.append(f"{path.relative_to(TUI)}:{node.lineno} {name}")
    assert wrong == []


def test_every_tcss_file_is_used_and_every_stylesheet_exists():
    used: set[Path] = {TUI / "app.tcss"}
    for path, node in _css_assignments():
        value = node.value
        if isinstance(value, ast.Call):
            name = value.args[1].value if len(value.args) > 1 else path.with_suffix(".tcss").name
            target = path.with_name(name)
            assert target.exists(), f"{path.relative_to(TUI)}:{node.lineno} reads {name}"
            used.add(target)
    assert sorted(p.relative_to(TUI) for p in TUI.rglob("*.tcss") if p not in used) == []
