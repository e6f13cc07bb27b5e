"""``dlcourse badges``: point every Colab badge and Colab setup block at the configured repository.

One setting, ``[tool.dlcourse]`` in pyproject.toml (``repository``, ``branch``), decides the "Open in
Colab" URL of every lecture and assignment and what the Colab setup block installs the course
helpers from: the same branch the badge opens. A notebook a student can open therefore always has
an install target; there is no tag to create or forget. Source notebooks' badges point at their
released copy. ``dlcourse publish --check`` (publish.py) verifies both against the remote.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from .course import Course

BADGE = re.compile(r"https://colab\.research\.google\.com/github/[^)\s]+")
# The Colab block: from `import sys` to the first line that is neither indented nor blank.
COLAB_BLOCK = re.compile(r'^import sys\n\nif "google\.colab" in sys\.modules:.*?\n(?=\S)', re.S | re.M)
INSTALL_TARGET = re.compile(r'^    COURSE = "(?P<target>[^"]+)"$', re.M)

# What a student sees in Colab. It has to work before the course helpers exist, so it is spelled
# out in every notebook; `dlcourse badges` rewrites it from here and tests/test_colab.py holds every
# notebook to it. It installs once per runtime and never touches Colab's own torch.
_BLOCK = '''\
import sys

if "google.colab" in sys.modules:  # Colab: install the course helpers once per runtime (Colab's torch is kept)
    import importlib.util
    import subprocess

    COURSE = "{target}"
    if importlib.util.find_spec("course_utils") is None:
        pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-color",
                              f"dl-first-principles @ {{COURSE}}"],
                             capture_output=True, text=True)
        if pip.returncode:
            why = [ln.strip().removeprefix("WARNING: ") for ln in pip.stderr.splitlines()
                   if any(k in ln for k in ("fatal:", "Did not find", "ERROR:"))] or ["pip failed"]
            raise SystemExit(f"Could not install the course helpers from {{COURSE}} ({{why[0]}}); check that "
                             "Colab is online and run this cell again, or tell your instructor.")
    import course_utils

    print(course_utils.installed())

'''


def settings(course: Course) -> dict:
    return tomllib.loads((course.root / "pyproject.toml").read_text())["tool"]["dlcourse"]


def badge_url(cfg: dict, relpath: str) -> str:
    repo = cfg["repository"].removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{repo}/blob/{cfg['branch']}/{relpath}"


def install_target(cfg: dict) -> str:
    """The pip VCS URL of the course helpers: the configured repository at the configured branch."""
    return f"git+{cfg['repository']}@{cfg['branch']}"


def colab_block(cfg: dict) -> str:
    return _BLOCK.format(target=install_target(cfg))


def student_path(course: Course, path: Path) -> Path:
    """Where a student opens ``path`` from: a source notebook's badge points at its released copy."""
    rel = path.relative_to(course.root)
    return Path("release", *rel.parts[1:]) if rel.parts[0] == "source" else rel


def notebooks(course: Course) -> list[Path]:
    return sorted((course.root / "notebooks").glob("*.ipynb")) + sorted(course.source.glob("*/*.ipynb"))


def _set_source(cell: dict, text: str) -> None:
    lines = text.split("\n")
    cell["source"] = [ln + "\n" for ln in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


def update(course: Course) -> list[Path]:
    """Rewrite badges and Colab blocks in notebooks/ and source/; return the files changed."""
    cfg = settings(course)
    changed = []
    for path in notebooks(course):
        text = path.read_text()
        nb = json.loads(text)
        first_code = next((i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"), None)
        for i, cell in enumerate(nb["cells"]):
            src = "".join(cell["source"])
            new = src
            if i == 0:
                new = BADGE.sub(badge_url(cfg, student_path(course, path).as_posix()), new)
            if i == first_code:
                new = COLAB_BLOCK.sub(lambda _: colab_block(cfg), new, count=1)
            if new != src:
                _set_source(cell, new)
        out = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
        if out != text:
            path.write_text(out)
            changed.append(path)
    return changed
