"""Implementations that the hidden tests must tell apart, one file per assignment (``hwN.py``).

Each file defines ``VARIANTS``: for every graded answer cell (keyed by its nbgrader ``grade_id``),
plausible *wrong* implementations that the hidden tests must reject and *right* ones, written
differently from the reference, that they must accept::

    VARIANTS = {
        "softmax": {
            "wrong": {"no max shift (overflows)": "def softmax(Z):\\n    ...", ...},   # at least 3
            "right": {"scipy.special.softmax": "def softmax(Z):\\n    ...", ...},   # at least 1
        },
    }

A variant's code replaces the whole answer cell, in a notebook whose every other answer cell holds
the reference solution; so any point it loses is lost by that cell alone
(``tests/test_assignment_quality.py``).
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


def written_cells(assignment: str) -> dict[str, str]:
    (src,) = sorted((ROOT / "source" / assignment).glob("*.ipynb"))
    return {_meta(c)["grade_id"]: _MARKER.sub("", _source(c)) for c in _nb(src)["cells"]
            if c["cell_type"] == "markdown" and _meta(c).get("solution") and _meta(c).get("grade")}


def notebook_with(assignment: str, replace: dict[str, str] | None = None, solved: bool = True) -> dict:
    """The released notebook with every answer cell solved (``solved``) and ``replace``'s cells
    (grade_id -> code) put in instead."""
    (rel,) = sorted((ROOT / "release" / assignment).glob("*.ipynb"))
    nb = copy.deepcopy(_nb(rel))
    fills = {**answer_cells(assignment), **written_cells(assignment)} if solved else {}
    fills.update(replace or {})
    for cell in nb["cells"]:
        gid = _meta(cell).get("grade_id")
        if gid in fills:
            cell["source"] = fills[gid]
    return nb


def build_submissions(assignment: str, folder: Path) -> dict[str, dict]:
    """Write reference, blank and one submission per variant under ``folder``; return
    student_id -> what it is ({"kind": "reference" | "blank" | "wrong" | "right", "cell", "label"})."""
    (rel,) = sorted((ROOT / "release" / assignment).glob("*.ipynb"))
    manifest = {"reference": {"kind": "reference"}, "blank": {"kind": "blank"}}
    notebooks = {"reference": notebook_with(assignment), "blank": notebook_with(assignment, solved=False)}
    n = 0
    for gid, kinds in load(assignment).items():
        for kind in ("wrong", "right"):
            for label, code in kinds.get(kind, {}).items():
                n += 1
                sid = f"{kind}{n:03d}"
                manifest[sid] = {"kind": kind, "cell": gid, "label": label}
                notebooks[sid] = notebook_with(assignment, {gid: code})
    for sid, nb in notebooks.items():
        dest = folder / sid / assignment / rel.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return manifest
