"""Standing rules for every committed notebook: stripped outputs and the course skeleton."""

import json
import re
import subprocess
import tomllib

import pytest
from helpers import ROOT


def tracked_notebooks():
    try:
        out = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True, check=True)
        files = [ROOT / f for f in out.stdout.split()]
    except (OSError, subprocess.CalledProcessError):
        files = []
    # Before a first commit, fall back to every notebook in the tree.
    return files or sorted(p for p in ROOT.glob("**/*.ipynb") if ".venv" not in p.parts and "build" not in p.parts)


NOTEBOOKS = tracked_notebooks()
LECTURES = sorted((ROOT / "notebooks").glob("*.ipynb"))
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["dlcourse"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_is_valid_and_stripped(path):
    nb = json.loads(path.read_text())
    assert nb["nbformat"] == 4
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"cell {i} of {path.name} has outputs: run `make strip`"
            assert cell.get("execution_count") is None, f"cell {i} of {path.name} has an execution count"


def badge_target(nb) -> str | None:
    first = "".join(nb["cells"][0]["source"])
    m = re.search(r"\(https://colab\.research\.google\.com/github/([^)]+)\)", first)
    return m.group(1) if m else None


def expected_badge_target(relpath: str) -> str:
    repo = CONFIG["repository"].removeprefix("https://github.com/")
    return f"{repo}/blob/{CONFIG['branch']}/{relpath}"


@pytest.mark.parametrize("path", LECTURES + sorted((ROOT / "release").glob("*/*.ipynb")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_colab_badge_points_at_the_notebook_itself(path):
    nb = json.loads(path.read_text())
    assert badge_target(nb) == expected_badge_target(str(path.relative_to(ROOT)))


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.name)
def test_lecture_follows_the_skeleton(path):
    nb = json.loads(path.read_text())
    cells = nb["cells"]
    header = "".join(cells[0]["source"])
    assert re.search(r"^# \d\d\. ", header, flags=re.M), "title '# NN. Title' in the first cell"
    assert re.search(r"target", header, flags=re.I), "the target result is stated at the top"
    params = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(params) == 1, "exactly one setup cell tagged 'parameters'"
    setup = "".join(params[0]["source"])
    for needle in ("google.colab", "import course_utils as cu", "cu.fast_mode()", "cu.get_device()",
                   "cu.seed_everything("):
        assert needle in setup, f"setup cell lacks {needle}"
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    named = f'notebook="{path.stem}"' in code or (f'NB = "{path.stem}"' in code and "notebook=NB" in code)
    assert named, "the target is asserted with cu.report_target(..., notebook=\"NN_name\") (or NB = \"NN_name\")"
    markdown = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    assert re.search(r"^#+ .*Summary", markdown, flags=re.M | re.I), "a Summary section"
    assert re.search(r"^#+ .*Exercises", markdown, flags=re.M | re.I), "an Exercises section"


def test_colab_install_is_pinned_to_one_tag():
    pins = set()
    for path in LECTURES + sorted((ROOT / "source").glob("*/*.ipynb")):
        pins |= set(re.findall(r"git\+https://github\.com/[^@\"]+@([\w.\-]+)", path.read_text()))
    assert len(pins) <= 1, f"notebooks install different course_utils versions: {pins}"


def test_badges_and_install_lines_are_up_to_date(tmp_path):
    """`dlcourse badges` would change nothing: every badge and install line follows pyproject.toml."""
    import shutil

    from autograder.badges import update
    from autograder.course import Course

    for name in ("notebooks", "source", "pyproject.toml"):
        src = ROOT / name
        if src.exists():
            (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / name)
    assert update(Course(tmp_path)) == []
