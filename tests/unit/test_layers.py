"""The layers of design.md §2, enforced: import contracts over the AST of every module, and a
subprocess that imports every headless module and finds no Textual in `sys.modules`.

Every import counts, wherever it is written (module level, inside a function, or under
`TYPE_CHECKING`): a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "console"

#: The headless layers: every face (TUI, CLI, SSH, web, campaigns) reuses them, so they never
#: import a face, Textual, click, or the simulator.
HEADLESS = ("console.api", "console.telephony", "console.config", "console.store",
            "console.account", "console.calls", "console.campaign", "console.tracker",
            "console.paths", "console.logs", "console.limits", "console.history")
FACES = ("console.tui", "console.cli", "console.commands", "console.ssh", "console.web")
#: The simulator is started only by `--demo` and `call-console sim`: these modules, no others.
SIM_USERS = ("console.commands.sim", "console.tui.app", "console.tui.live_calls",
             "console.tui.launch")


@dataclass(frozen=True)
class Rule:
    name: str
    sources: tuple[str, ...]
    forbidden: tuple[str, ...]
    except_sources: tuple[str, ...] = ()


RULES = (
    Rule("the headless layers never import a face, Textual, click or the simulator",
         HEADLESS, FACES + ("textual", "click", "console.sim")),
    Rule("the TUI never imports another face (the CLI, its commands, SSH, web)",
         ("console.tui",), ("console.cli", "console.commands", "console.ssh", "console.web")),
    Rule("the SSH and web servers never import the TUI, the CLI or each other (they run the "
         "console as a child process)",
         ("console.ssh", "console.web"),
         ("console.tui", "console.cli", "console.commands", "textual")),
    Rule("console.ssh and console.web stay apart", ("console.ssh",), ("console.web",)),
    Rule("console.web and console.ssh stay apart", ("console.web",), ("console.ssh",)),
    Rule("the bottom layers (api, telephony) import only each other and the utilities",
         ("console.api", "console.telephony"),
         ("console.config", "console.store", "console.account", "console.calls",
          "console.campaign", "console.tracker", "console.sim") + FACES),
    Rule("the simulator imports only the shared schema (console.api) from the console",
         ("console.sim",),
         HEADLESS[1:] + FACES),
    Rule("only --demo and `call-console sim` import the simulator",
         ("console",), ("console.sim",), except_sources=SIM_USERS + ("console.sim",)),
)


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def imports_of(path: Path, package_dir: Path = PACKAGE) -> tuple[tuple[str, int], ...]:
    """Every module `path` imports (absolute names), with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    own = module_name(path, package_dir)
    package = own if path.name == "__init__.py" else own.rsplit(".", 1)[0]
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            found.append((base, node.lineno))
            found += [(f"{base}.{alias.name}", node.lineno) for alias in node.names]
    return tuple(found)


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def all_modules(package_dir: Path) -> list[Path]:
    return sorted(p for p in package_dir.rglob("*.py") if "__pycache__" not in p.parts)


def violations(rule: Rule, package_dir: Path = PACKAGE) -> list[str]:
    found = []
    for path in all_modules(package_dir):
        source = module_name(path, package_dir)
        if not within(source, rule.sources) or within(source, rule.except_sources):
            continue
        for name, line in imports_of(path, package_dir):
            if within(name, rule.forbidden) and not within(name, (source,)):
                found.append(f"{path.relative_to(package_dir.parent)}:{line} imports {name}")
    return sorted(set(found))


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.name)
def test_import_contract(rule: Rule):
    assert violations(rule) == [], rule.name


def test_the_contract_checker_sees_lazy_and_relative_imports(tmp_path):
    """The checker itself: a function-level import and a relative import are both found (so
    a contract cannot pass because the checker is blind)."""
    package_dir = tmp_path / "console"
    (package_dir / "store").mkdir(parents=True)
    for init in (package_dir / "__init__.py", package_dir / "store" / "__init__.py"):
        init.write_text("", encoding="utf-8")
    probe = package_dir / "store" / "probe.py"
    probe.write_text("def f():\n    from textual.app import App\n    from ..tui import app\n",
                     encoding="utf-8")
    names = {name for name, _ in imports_of(probe, package_dir)}
    assert "textual.app" in names and "console.tui.app" in names
    assert {line.split(" imports ")[0] for line in violations(RULES[0], package_dir)} == {
        "console/store/probe.py:2", "console/store/probe.py:3"}


def test_importing_every_headless_module_loads_no_textual():
    """Not only what the AST says: importing every module of the headless layers (and what
    they import in turn) leaves Textual out of `sys.modules`."""
    code = (
        "import importlib, pkgutil, sys\n"
        f"names = {list(HEADLESS)!r}\n"
        "for name in names:\n"
        "    try:\n"
        "        module = importlib.import_module(name)\n"
        "    except ModuleNotFoundError as exc:\n"
        "        if exc.name == name: continue  # a layer not built yet\n"
        "        raise\n"
        "    for info in pkgutil.walk_packages(getattr(module, '__path__', []), name + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "loaded = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(len([m for m in sys.modules if m.startswith('console.')]), loaded[:5])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    count, loaded = out.stdout.strip().split(" ", 1)
    assert int(count) > 40, out.stdout  # it did import the layers
    assert loaded == "[]", f"textual loaded by a headless module: {loaded}"
