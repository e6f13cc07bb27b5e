"""release/ is exactly what nbgrader generates from source/, and runs with only stub errors."""

import json
import re

import nbformat
import pytest
from helpers import ROOT, dlcourse, tree_digest

RELEASED = sorted((ROOT / "release").glob("*/*.ipynb"))


def test_release_is_in_sync_with_source():
    result = dlcourse("release", "all", "--check")
    assert result.returncode == 0, result.stderr


def test_every_source_assignment_is_released():
    sources = {p.relative_to(ROOT / "source") for p in (ROOT / "source").glob("*/*.ipynb")}
    assert sources == {p.relative_to(ROOT / "release") for p in RELEASED}


@pytest.mark.parametrize("path", RELEASED, ids=lambda p: str(p.relative_to(ROOT)))
def test_release_has_no_solutions_or_hidden_tests(path):
    text = path.read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in text
    assert "raise NotImplementedError()" in text


@pytest.mark.parametrize("path", RELEASED, ids=lambda p: str(p.relative_to(ROOT)))
def test_release_runs_with_only_not_implemented_errors(path, tmp_path):
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, allow_errors=True, resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [(i, o["ename"]) for i, c in enumerate(nb.cells) if c.cell_type == "code"
              for o in c.outputs if o.output_type == "error"]
    assert errors, "an untouched release should fail its tests with NotImplementedError"
    assert {e for _, e in errors} == {"NotImplementedError"}, errors


def test_release_stubs_parse_as_python():
    for path in RELEASED:
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                src = "".join(cell["source"])
                compile(re.sub(r"^[%!].*$", "", src, flags=re.M), str(path), "exec")


def test_demo_leaves_the_repository_as_it_found_it(tmp_path):
    before = {d: tree_digest(ROOT / d) for d in ("release", "source", "autograder")}
    top_level = sorted(p.name for p in ROOT.iterdir())
    result = dlcourse("demo", "--out", tmp_path / "demo", "--jobs", "1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Grade report" in result.stdout
    # A class of 200 must grade on a laptop: all the sample submissions of each homework (the perfect one,
    # every experiment run, among them) on one job, the grader's start-up included, within 90 s.
    batches = {hw: (int(n), float(s)) for n, hw, s in
               re.findall(r"^Graded (\d+) submissions of (hw\d) in ([\d.]+) s$", result.stdout, flags=re.M)}
    print("\none job, start-up included: " + ", ".join(f"{hw} {n} submissions in {s:.1f} s"
                                                      for hw, (n, s) in batches.items()))
    assert sorted(batches) == [f"hw{k}" for k in range(7)], result.stdout
    assert all(n >= 2 and s <= 90 for n, s in batches.values()), batches
    for student in ("perfect", "untouched", "partial", "alternative"):
        assert re.search(rf"^{student}\s+hw0\s", result.stdout, flags=re.M)
    assert (tmp_path / "demo" / "grades.csv").exists()
    assert "Questions most often failed" in (tmp_path / "demo" / "report.html").read_text()
    # Releasing an in-sync course rewrites identical files, and nothing else appears (no gradebook).
    assert {d: tree_digest(ROOT / d) for d in before} == before
    assert sorted(p.name for p in ROOT.iterdir()) == top_level
