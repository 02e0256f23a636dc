"""The wheel and the sdist carry what the installed package needs to answer (issue #19): the
default article (``corpus/*.md``) and the config files with the fitted models (``config/``),
copied into ``colnato_qa/_bundled/`` when the package is built; ``settings.py`` reads them from
there when it runs outside a source checkout. Everything else is in pyproject.toml."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# The files MANIFEST.in puts in the sdist, by folder of the checkout: every config file (settings,
# fitted models, question banks), and the default article (the corpus's other articles, gold
# questions and source pages are evaluation data: not shipped).
BUNDLED = {
    "config": sorted(p.name for p in (ROOT / "config").iterdir() if p.is_file()),
    "corpus": sorted(p.name for p in (ROOT / "corpus").glob("*.md") if p.name.lower() != "readme.md"),
}


# The shipped fine-tuned encoder (models/<name>/, with its subfolders): every file, paths kept.
BUNDLED_TREES = ("models",)


class BuildPyWithBundle(build_py):
    """``build_py`` that also copies ``BUNDLED`` into ``colnato_qa/_bundled/`` (not for an
    editable install, which runs from the checkout and reads its folders directly)."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for folder, names in BUNDLED.items():
            target = Path(self.build_lib) / "colnato_qa" / "_bundled" / folder
            self.mkpath(str(target))
            for name in names:
                self.copy_file(str(ROOT / folder / name), str(target / name))
        for folder in BUNDLED_TREES:
            for path in sorted((ROOT / folder).rglob("*")):
                if path.is_file():
                    target = Path(self.build_lib) / "colnato_qa" / "_bundled" / path.relative_to(ROOT)
                    self.mkpath(str(target.parent))
                    self.copy_file(str(path), str(target))


setup(cmdclass={"build_py": BuildPyWithBundle})
