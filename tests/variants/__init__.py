"""Implementations that the hidden tests must tell apart, one file per assignment (``hwN.py``).

Each file defines ``VARIANTS``: for every graded answer cell (keyed by its nbgrader ``grade_id``),
plausible *wrong* implementations that the hidden tests must reject and *right* ones, written
differently from the reference, that they must accept::

    VARIANTS = {
        "softmax": {
            "wrong": {"no max shift (overflows)": "def softmax(Z):\\n    ...", ...},   # at least 3
            "right": {"scipy.special.softmax": "def softmax(Z):\\n    ...", ...},   # at least 2
        },
    }

A variant's code replaces the whole answer cell (``tests/test_assignment_quality.py``):

* a *right* variant goes into a notebook whose every other answer cell holds the reference solution,
  and must get every point: so it also works with everything downstream that uses it;
* a *wrong* variant goes into a notebook whose earlier answer cells hold the reference and whose later
  ones are left as released, as a student who got it wrong and stopped there would hand it in; its
  baseline is the same notebook with the reference in that cell. The variant must lose points in a
  test cell where the baseline earns them all, so any point it loses is lost by that cell alone.
  (The later experiments fail at once on the stubs, so they cost nothing: grading every variant took
  236 CPU-s instead of 330 when this replaced full notebooks, measured side by side.)
"""

from __future__ import annotations

import copy
import importlib
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)


def assignments_with_variants() -> list[str]:
    return sorted(p.stem for p in Path(__file__).parent.glob("hw*.py"))


def load(assignment: str) -> dict:
    return importlib.import_module(f"variants.{assignment}").VARIANTS


def _nb(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _source(cell) -> str:
    s = cell["source"]
    return "".join(s) if isinstance(s, list) else s


def answer_cells(assignment: str) -> dict[str, str]:
    """grade_id -> the reference solution, as a student would type it (no solution markers), for every
    autograded answer (code) cell of the assignment."""
    (src,) = sorted((ROOT / "source" / assignment).glob("*.ipynb"))
    out = {}
    for cell in _nb(src)["cells"]:
        m = _meta(cell)
        if cell["cell_type"] == "code" and m.get("solution") and not m.get("grade"):
            out[m["grade_id"]] = _MARKER.sub("", _source(cell))
    return out


def answer_test_cells(assignment: str) -> dict[str, set[str]]:
    """grade_id of every autograded answer cell -> the autograded test cells between it and the next one."""
    (src,) = sorted((ROOT / "source" / assignment).glob("*.ipynb"))
    out, current = {}, None
    for cell in _nb(src)["cells"]:
        m = _meta(cell)
        if cell["cell_type"] != "code":
            continue
        if m.get("solution") and not m.get("grade"):
            current = out.setdefault(m["grade_id"], set())
        elif m.get("grade") and current is not None:
            current.add(m["grade_id"])
    return out


def written_cells(assignment: str) -> dict[str, str]:
    (src,) = sorted((ROOT / "source" / assignment).glob("*.ipynb"))
    return {_meta(c)["grade_id"]: _MARKER.sub("", _source(c)) for c in _nb(src)["cells"]
            if c["cell_type"] == "markdown" and _meta(c).get("solution") and _meta(c).get("grade")}


def notebook_with(assignment: str, replace: dict[str, str] | None = None, solved: bool = True,
                  through: str | None = None) -> dict:
    """The released notebook with every answer cell solved (``solved``; with ``through``, only the
    answer cells up to that grade_id: later ones keep the released stub) and ``replace``'s cells
    (grade_id -> code) put in instead."""
    (rel,) = sorted((ROOT / "release" / assignment).glob("*.ipynb"))
    nb = copy.deepcopy(_nb(rel))
    answers = answer_cells(assignment)
    if through is not None:
        order = list(answers)
        answers = {gid: answers[gid] for gid in order[:order.index(through) + 1]}
    fills = {**answers, **written_cells(assignment)} if solved else {}
    fills.update(replace or {})
    for cell in nb["cells"]:
        gid = _meta(cell).get("grade_id")
        if gid in fills:
            cell["source"] = fills[gid]
    return nb


def build_submissions(assignment: str, folder: Path) -> dict[str, dict]:
    """Write reference, blank, one submission per variant and one baseline per answer cell that has
    wrong variants under ``folder``; return student_id -> what it is: {"kind": "reference" | "blank" |
    "wrong" | "right" | "baseline", "cell", "label", and for "wrong" its "baseline" student_id}."""
    (rel,) = sorted((ROOT / "release" / assignment).glob("*.ipynb"))
    manifest = {"reference": {"kind": "reference"}, "blank": {"kind": "blank"}}
    notebooks = {"reference": notebook_with(assignment), "blank": notebook_with(assignment, solved=False)}
    last = list(answer_cells(assignment))[-1]
    n = 0
    for gid, kinds in load(assignment).items():
        baseline = "reference"
        if kinds.get("wrong") and gid != last:  # the last cell's baseline is the reference itself
            baseline = f"baseline-{gid}"
            manifest[baseline] = {"kind": "baseline", "cell": gid, "label": "reference through this cell"}
            notebooks[baseline] = notebook_with(assignment, through=gid)
        for kind in ("wrong", "right"):
            for label, code in kinds.get(kind, {}).items():
                n += 1
                sid = f"{kind}{n:03d}"
                manifest[sid] = {"kind": kind, "cell": gid, "label": label}
                if kind == "wrong":
                    manifest[sid]["baseline"] = baseline
                    notebooks[sid] = notebook_with(assignment, {gid: code}, through=gid)
                else:
                    notebooks[sid] = notebook_with(assignment, {gid: code})
    for sid, nb in notebooks.items():
        dest = folder / sid / assignment / rel.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return manifest
