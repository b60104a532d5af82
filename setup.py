"""Build hook: ship the top-level `themes/` folder as the package `console.themes`.

Everything else is configured in pyproject.toml. `[tool.setuptools.package-data]` cannot reach
outside a package, and `packages.find` does not follow `package-dir` mappings, so the theme
files are copied into the built package here. A source checkout (and the editable install)
reads `themes/` directly (see `console.tui.look.themes.shipped_themes_dir`).
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithThemes(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        target = Path(self.build_lib, "console", "themes")
        target.mkdir(parents=True, exist_ok=True)
        for source in sorted((ROOT / "themes").glob("*.toml")):
            self.copy_file(str(source), str(target / source.name))

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = super().get_outputs(include_bytecode)
        if not self.editable_mode:
            outputs += [str(Path(self.build_lib, "console", "themes", p.name))
                        for p in sorted((ROOT / "themes").glob("*.toml"))]
        return outputs


setup(cmdclass={"build_py": BuildWithThemes})
