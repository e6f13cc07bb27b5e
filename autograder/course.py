"""Where the course lives on disk and which assignments it has."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import CourseError

CONFIG_FILE = Path(__file__).with_name("nbgrader_config.py")


@dataclass(frozen=True)
class Course:
    root: Path

    @property
    def source(self) -> Path:
        return self.root / "source"

    @property
    def release(self) -> Path:
        return self.root / "release"

    @property
    def samples(self) -> Path:
        return self.root / "autograder" / "submissions"

    def assignments(self) -> list[str]:
        if not self.source.is_dir():
            return []
        return sorted(p.name for p in self.source.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))

    def check_assignment(self, name: str) -> str:
        names = self.assignments()
        if name not in names:
            hint = f"Known assignments: {', '.join(names)}." if names else f"{self.source} holds no assignments."
            raise CourseError(f"Unknown assignment {name!r}. {hint}")
        return name

    def notebooks(self, name: str) -> list[Path]:
        return sorted((self.source / name).glob("*.ipynb"))


def find_course(start: Path | None = None) -> Course:
    """The course root: ``$DLCOURSE_ROOT``, else the nearest folder above ``start`` (default: the
    current directory) holding ``source/`` and ``autograder/``, else the checkout this package is in."""
    env = os.environ.get("DLCOURSE_ROOT")
    candidates = [Path(env)] if env else []
    here = (start or Path.cwd()).resolve()
    candidates += [here, *here.parents, Path(__file__).resolve().parent.parent]
    for c in candidates:
        if (c / "source").is_dir() and (c / "autograder").is_dir():
            return Course(c)
    raise CourseError(
        "Could not find the course folder (one holding source/ and autograder/). Run dlcourse inside the "
        "repository, or set DLCOURSE_ROOT to its path."
    )
