"""``dlcourse badges``: point every Colab badge and Colab install line at the configured repository.

One setting, ``[tool.dlcourse]`` in pyproject.toml (``repository``, ``branch``, ``colab_ref``),
decides the "Open in Colab" URL of every lecture and assignment and the git reference the Colab setup
cell installs the course helpers from. Source notebooks' badges point at their released copy.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from .course import Course

BADGE = re.compile(r"https://colab\.research\.google\.com/github/[^)\s]+")
INSTALL = re.compile(r"git\+https://github\.com/[\w.\-]+/[\w.\-]+@[\w.\-]+")


def settings(course: Course) -> dict:
    return tomllib.loads((course.root / "pyproject.toml").read_text())["tool"]["dlcourse"]


def badge_url(cfg: dict, relpath: str) -> str:
    repo = cfg["repository"].removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{repo}/blob/{cfg['branch']}/{relpath}"


def install_ref(cfg: dict) -> str:
    return f"git+{cfg['repository']}@{cfg['colab_ref']}"


def update(course: Course) -> list[Path]:
    """Rewrite badges and install lines in notebooks/ and source/; return the files changed."""
    cfg = settings(course)
    changed = []
    targets = sorted((course.root / "notebooks").glob("*.ipynb")) + sorted(course.source.glob("*/*.ipynb"))
    for path in targets:
        rel = path.relative_to(course.root)
        if rel.parts[0] == "source":
            rel = Path("release", *rel.parts[1:])
        text = path.read_text()
        nb = json.loads(text)
        for i, cell in enumerate(nb["cells"]):
            src = "".join(cell["source"])
            new = INSTALL.sub(install_ref(cfg), src)
            if i == 0:
                new = BADGE.sub(badge_url(cfg, rel.as_posix()), new)
            if new != src:
                lines = new.split("\n")
                cell["source"] = [ln + "\n" for ln in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
        out = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
        if out != text:
            path.write_text(out)
            changed.append(path)
    return changed
