"""The per-problem "Collaborators and AI use" field (autograder/acknowledgements.py): every problem of
every assignment has one, the release keeps it editable and worth no points, ``dlcourse release``
refuses a problem without one, and grading lists the empty ones in grades.csv without costing points."""

import copy
import json

import pytest
from helpers import ROOT, dlcourse, grade_notebooks

from autograder import acknowledgements as ack
from autograder.engine import sandbox

SOURCES = sorted((ROOT / "source").glob("*/*.ipynb"))
SAMPLES = ROOT / "autograder" / "submissions"


def load(path):
    return json.loads(path.read_text())


def release_of(source_path):
    return load(ROOT / "release" / source_path.parent.name / source_path.name)


def problem_numbers(nb) -> list[str]:
    return [n for s in ack.sections(nb) if s.graded for n in s.numbers]


def cell_of(nb, pid) -> dict:
    (cell,) = [c for c in nb["cells"] if ack.field_id(c) == pid]
    return cell


def filled(nb, text="none", only=None) -> dict:
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        pid = ack.field_id(cell)
        if pid is not None and (only is None or pid in only):
            cell["source"] = [f"{ack.label(pid)} {text}"]
    return nb


# -- the course --------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.parent.name)
def test_every_problem_of_every_assignment_ends_with_its_field(path):
    nb = load(path)
    assert ack.problems(nb) == []
    assert ack.field_ids(nb) == problem_numbers(nb) and ack.field_ids(nb)
    for sec in ack.sections(nb):
        fields = [i for i, _ in sec.fields]
        assert fields == list(range(sec.end - len(fields), sec.end)), f"fields close {sec.name}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.parent.name)
def test_release_keeps_one_editable_pointless_field_per_problem(path):
    source, release = load(path), release_of(path)
    assert ack.field_ids(release) == ack.field_ids(source)
    for pid in ack.field_ids(source):
        cell, original = cell_of(release, pid), cell_of(source, pid)
        assert cell["cell_type"] == "markdown" and cell["source"] == original["source"]
        assert cell["metadata"] == {"deletable": False, "dlcourse": {"acknowledgement": pid}}, "no nbgrader: no points"
        assert cell["id"] == original["id"]
    # max scores are those of the graded cells alone
    points = [(c["metadata"].get("nbgrader") or {}).get("points", 0) for c in release["cells"]]
    assert sum(points) == sum((c["metadata"].get("nbgrader") or {}).get("points", 0) for c in source["cells"]) > 0
    assert ack.missing(source, release) == ack.field_ids(source), "an untouched release acknowledges nothing"


def test_the_field_is_the_documented_one():
    cell = ack.field_cell("3")
    text = "".join(cell["source"])
    assert text.startswith("**Collaborators and AI use (problem 3):** _Replace this line")
    assert "AI tool" in text and '"none"' in text
    assert ack.problems({"cells": []}) == []


def test_add_fields_puts_every_field_back_where_it_was():
    for path in SOURCES:
        nb = load(path)
        stripped = copy.deepcopy(nb)
        stripped["cells"] = [c for c in stripped["cells"] if ack.field_id(c) is None]
        assert ack.add_fields(stripped) == ack.field_ids(nb)
        assert stripped == nb, path.parent.name
        assert ack.add_fields(stripped) == []


# -- the authoring rule ------------------------------------------------------------------------------

def _nbg(grade_id, **kw):
    return {"nbgrader": {"grade": False, "solution": False, "locked": True, "schema_version": 3,
                         "grade_id": grade_id, **kw}}


def _md(text, **meta):
    return {"cell_type": "markdown", "metadata": meta, "source": text}


def _code(text, meta):
    return {"cell_type": "code", "execution_count": None, "metadata": meta, "outputs": [], "source": text}


def small_assignment(*fields) -> dict:
    """Intro, problem 1 (answer + test), problem 2 (a written answer), then the self-check."""
    cells = [_md("# Homework 0\n\n```python\n## 5. not a heading: inside a fence\n```"),
             _code("import numpy as np", _nbg("setup")),
             _md("## 1. double"),
             _code("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
                   _nbg("double", solution=True, locked=False)),
             _code("assert double(2) == 4", _nbg("test_double", grade=True, points=1)),
             _md("## 2. Written answer"),
             _md("### BEGIN SOLUTION\nbecause\n### END SOLUTION",
                 **_nbg("written", grade=True, solution=True, locked=False, points=1)),
             _md("## Before you submit"),
             _code('from course_utils import ready_to_submit\n\nready_to_submit("hw0")',
                   {"tags": ["self-check"], **_nbg("ready_to_submit")})]
    for position, cell in sorted(fields, key=lambda f: -f[0]):
        cells.insert(position, cell)
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


GOOD = ((5, ack.field_cell("1")), (7, ack.field_cell("2")))


def test_the_rule_accepts_a_field_per_problem():
    nb = small_assignment(*GOOD)
    assert ack.problems(nb) == []
    assert ack.field_ids(nb) == ["1", "2"]


def test_a_problem_without_its_field_is_refused_with_what_to_add():
    (line,) = ack.problems(small_assignment(GOOD[0]))
    assert line.startswith("problem 2 (\"## 2. Written answer\") has no 'Collaborators and AI use' field")
    assert '{"dlcourse": {"acknowledgement": "2"}}' in line and ack.field_text("2") in line
    assert "python -m autograder.acknowledgements" in line


def test_misplaced_duplicated_graded_or_unlabelled_fields_are_refused():
    def refused(*fields):
        return "\n".join(ack.problems(small_assignment(*GOOD, *fields)))

    assert "field for problem '9' (cell 1) is outside its problem" in refused((1, ack.field_cell("9")))
    assert "it sits in problem 1" in refused((5, ack.field_cell("2", "x")))
    assert "problem 1 has 2 'Collaborators and AI use' fields" in refused((5, ack.field_cell("1", "x")))
    graded = ack.field_cell("1", "x")
    graded["metadata"]["nbgrader"] = {"grade": True, "points": 1, "grade_id": "ack"}
    text = "\n".join(ack.problems(small_assignment(GOOD[1], (5, graded))))
    assert "must have no nbgrader grade/solution/locked/points" in text
    locked = ack.field_cell("1", "x")
    locked["metadata"]["editable"] = False
    assert "is not editable" in "\n".join(ack.problems(small_assignment(GOOD[1], (5, locked))))
    relabelled = ack.field_cell("1", "x")
    relabelled["source"] = ["Who helped you?"]
    assert "must start with '**Collaborators and AI use (problem 1):**'" in "\n".join(
        ack.problems(small_assignment(GOOD[1], (5, relabelled))))
    bare = _md(ack.field_text("1"))
    assert "reads like the 'Collaborators and AI use' field of problem 1 but has no \"dlcourse\" metadata" in "\n".join(
        ack.problems(small_assignment(GOOD[1], (5, bare))))


def test_graded_cells_outside_a_numbered_problem_are_refused():
    nb = small_assignment(*GOOD)
    nb["cells"][2]["source"] = "## Doubling"  # problem 1's heading loses its number
    text = "\n".join(ack.problems(nb))
    assert "graded cells double, test_double are in \"## Doubling\", which is not a numbered problem" in text


def test_two_problems_sharing_cells_get_one_field_each():
    # hw2's problems 5 and 6 are headings of one markdown cell above one answer cell
    nb = small_assignment()
    nb["cells"][2]["source"] = "## 1. double\n\ntext\n\n## 2. and triple"
    nb["cells"][5]["source"] = "## 3. Written answer"
    assert ack.add_fields(nb) == ["1", "2", "3"]
    assert [ack.field_id(c) for c in nb["cells"][5:7]] == ["1", "2"] and ack.field_id(nb["cells"][9]) == "3"
    assert ack.problems(nb) == []


def test_release_refuses_an_assignment_without_the_fields(tmp_path):
    (tmp_path / "source" / "hw0").mkdir(parents=True)
    (tmp_path / "autograder").mkdir()
    (tmp_path / "source" / "hw0" / "hw0.ipynb").write_text(json.dumps(small_assignment(GOOD[1])))
    result = dlcourse("release", "hw0", cwd=tmp_path, env={"DLCOURSE_ROOT": str(tmp_path)})
    assert result.returncode == 2, result.stderr
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip().startswith("hw0 ")]
    assert len(lines) == 1 and lines[0].startswith("hw0 problem 1 (\"## 1. double\") has no 'Collaborators and AI "
                                                   "use' field: add at the end of the section"), result.stderr
    assert not (tmp_path / "release").exists(), "nothing is released"


# -- missing() on what students hand in ---------------------------------------------------------

SOURCE0 = load(ROOT / "source" / "hw0" / "hw0.ipynb")
RELEASE0 = load(ROOT / "release" / "hw0" / "hw0.ipynb")


def test_filled_fields_are_not_missing():
    assert ack.missing(SOURCE0, filled(RELEASE0)) == []
    for kind in ("perfect", "alternative"):
        for path in sorted((SAMPLES / kind).glob("*/*.ipynb")):
            assert ack.missing(load(ROOT / "source" / path.parent.name / path.name), load(path)) == [], path
    assert ack.missing(SOURCE0, filled(RELEASE0, only={"1", "7"})) == ["2", "3", "4", "5", "6", "8"]
    assert ack.column(SOURCE0, filled(RELEASE0, only={"1", "7"})) == "2; 3; 4; 5; 6; 8"


@pytest.mark.parametrize(("edit", "is_missing"), [
    ("delete the cell", True),
    ("leave the placeholder", True),
    ("write only whitespace", True),
    ("keep only the label", True),
    ("empty markdown emphasis", True),
    ("remove the metadata, keep the filled label", False),
    ("remove the metadata and the label", True),
    ("drop the label, keep the metadata", False),
    ("write after the placeholder", False),
    ("duplicate: one empty, one filled", False),
    ("label without bold, lower case", False),
])
def test_what_counts_as_missing(edit, is_missing):
    nb = filled(RELEASE0, "worked with Ada; asked an AI to explain broadcasting")
    cells = nb["cells"]
    i = next(k for k, c in enumerate(cells) if ack.field_id(c) == "3")
    placeholder = cell_of(RELEASE0, "3")["source"]
    if edit == "delete the cell":
        del cells[i]
    elif edit == "leave the placeholder":
        cells[i]["source"] = placeholder
    elif edit == "write only whitespace":
        cells[i]["source"] = ["  \n", "\t \n"]
    elif edit == "keep only the label":
        cells[i]["source"] = ack.label("3") + "   "
    elif edit == "empty markdown emphasis":
        cells[i]["source"] = ack.label("3") + " __ ** _ _"
    elif edit == "remove the metadata, keep the filled label":
        cells[i]["metadata"] = {}
    elif edit == "remove the metadata and the label":
        cells[i]["metadata"] = {}
        cells[i]["source"] = "none"
    elif edit == "drop the label, keep the metadata":
        cells[i]["source"] = "none"
    elif edit == "write after the placeholder":
        cells[i]["source"] = placeholder + ["\n", "none"]
    elif edit == "duplicate: one empty, one filled":
        cells.insert(i, copy.deepcopy(cell_of(RELEASE0, "3")))
    elif edit == "label without bold, lower case":
        cells[i]["metadata"] = {}
        cells[i]["source"] = "collaborators and AI use (Problem 3): none"
    assert ack.missing(SOURCE0, nb) == (["3"] if is_missing else [])


@pytest.mark.parametrize("student", [
    None, "not a notebook", [], {}, {"cells": "x"}, {"cells": [1, None, "x", []]},
    {"cells": [{"metadata": "x", "source": 5}, {"metadata": {"dlcourse": "x"}, "source": [1, 2]}]},
    {"cells": [{"metadata": {"dlcourse": {"acknowledgement": ["3"]}}, "source": "none"}]},
    {"cells": [{"metadata": {"dlcourse": {"acknowledgement": "3" * 10_000}}, "source": "none" * 100_000}]},
])
def test_hostile_notebooks_miss_everything_and_never_raise(student):
    assert ack.missing(SOURCE0, student) == ack.field_ids(SOURCE0)
    assert ack.column(SOURCE0, student) == "1; 2; 3; 4; 5; 6; 7; 8"


def test_a_huge_field_is_read_capped():
    nb = filled(RELEASE0)
    cell_of(nb, "2")["source"] = [" " * (ack.MAX_TEXT + 10), "none"]  # past the cap: not read, so missing
    cell_of(nb, "3")["source"] = [ack.label("3") + " none", "x" * 10_000_000]
    assert ack.missing(SOURCE0, nb) == ["2"]


def test_column_never_raises():
    assert ack.column({"cells": 5}, {}) == "?"
    assert ack.column(SOURCE0, None) == "1; 2; 3; 4; 5; 6; 7; 8"


# -- grading -----------------------------------------------------------------------------------------

def test_grades_csv_lists_the_empty_fields_and_scores_do_not_change(tmp_path):
    if not sandbox.available()[0]:
        pytest.skip(sandbox.available()[1])
    perfect = load(SAMPLES / "perfect" / "hw0" / "hw0.ipynb")
    sloppy = copy.deepcopy(perfect)  # the same answers, acknowledgements left out
    sloppy["cells"] = [c for c in sloppy["cells"] if ack.field_id(c) != "1"]
    for pid in ("3", "7"):
        cell_of(sloppy, pid)["source"] = cell_of(RELEASE0, pid)["source"]
    rows = grade_notebooks(tmp_path, "hw0", {"filled": perfect, "sloppy": sloppy})
    assert rows["filled"]["acknowledgements_missing"] == ""
    assert rows["sloppy"]["acknowledgements_missing"] == "1; 3; 7"
    for row in rows.values():
        assert row["status"] == "graded", row["reason"]
        assert (float(row["auto_score"]), float(row["auto_max_score"]), float(row["max_score"])) == (16, 16, 18)
        assert float(row["manual_pending"]) == 2
