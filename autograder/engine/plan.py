"""Build the list of cells to run for one submission.

Everything that decides a grade comes from the instructor's source notebook: test cells (with their
hidden tests), points, read-only cells. From the student we take only answer cells, matched by
nbgrader ``grade_id`` (or, when an editor dropped the metadata, by the answer cell's first line,
e.g. ``def softmax(Z):``), plus any extra code cells they added. So deleting, duplicating or
editing test cells, or changing points or ``locked`` in the metadata, changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
SELF_CHECK_TAG = "self-check"  # the cell that calls course_utils.ready_to_submit
STATIC_DIRECTIVE = re.compile(r"^#\s*grader-static:\s*(\w+)\((\w+)\)\s*$", re.M)


@dataclass
class Cell:
    label: str  # grade_id, or "extra-N" for cells the student added
    source: str
    origin: str  # "trusted" | "student"
    kind: str  # "setup" | "answer" | "test" | "extra"


@dataclass
class GradeItem:
    grade_id: str
    kind: str  # "test" | "written"
    points: float
    has_hidden: bool = False
    visible_source: str = ""  # the release version of the cell: what a student may see
    static_checks: list[tuple[str, str]] = field(default_factory=list)
    student_text: str | None = None  # written answers: the student's markdown
    stub_text: str = ""


@dataclass
class Plan:
    cells: list[Cell]
    items: list[GradeItem]
    notes: list[str] = field(default_factory=list)
    answer_sources: dict[str, str] = field(default_factory=dict)  # grade_id -> student's code


def nbgrader_meta(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def _src(cell) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else str(s)


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip() and not line.strip().startswith("#"):
            return line.strip()
    return ""


def visible_part(test_source: str) -> str:
    return test_source.split(HIDDEN_BEGIN)[0]


def reference_plan(source_nb, release_nb=None) -> Plan:
    """The instructor's own run: every cell trusted, solutions included."""
    return build_plan(source_nb, source_nb, release_nb, student_is_reference=True)


def build_plan(source_nb, student_nb, release_nb=None, student_is_reference: bool = False) -> Plan:
    release_by_id = {nbgrader_meta(c).get("grade_id"): c for c in (release_nb or {}).get("cells", [])}
    student_cells = student_nb.get("cells", []) if isinstance(student_nb, dict) else []
    by_id: dict[str, list[int]] = {}
    for i, c in enumerate(student_cells):
        gid = nbgrader_meta(c).get("grade_id")
        if gid:
            by_id.setdefault(gid, []).append(i)

    plan = Plan([], [])
    used: set[int] = set()
    answer_pos: dict[str, int] = {}
    for cell in source_nb["cells"]:
        meta = nbgrader_meta(cell)
        gid = meta.get("grade_id")
        text = _src(cell)
        ctype = cell.get("cell_type")
        if meta.get("solution") and gid:
            idx = _match_answer(gid, text, student_cells, by_id, release_by_id, used, plan.notes)
            if idx is not None:
                used.add(idx)
                answer_pos[gid] = idx
            student_text = _src(student_cells[idx]) if idx is not None else None
            if ctype == "code":
                if student_is_reference:
                    student_text = text
                plan.cells.append(Cell(gid, student_text or "", "student", "answer"))
                plan.answer_sources[gid] = student_text or ""
            if meta.get("grade"):  # a written answer graded by hand
                stub = _src(release_by_id[gid]) if gid in release_by_id else ""
                plan.items.append(GradeItem(gid, "written", float(meta.get("points", 0)),
                                            student_text=student_text, stub_text=stub))
        elif ctype == "code":
            if SELF_CHECK_TAG in (cell.get("metadata", {}).get("tags") or []):
                continue  # the student's own checklist (course_utils.ready_to_submit): advice, never run here
            is_test = bool(meta.get("grade")) and gid
            label = gid or f"cell-{len(plan.cells)}"
            plan.cells.append(Cell(label, text, "trusted", "test" if is_test else "setup"))
            if is_test:
                visible = _src(release_by_id[gid]) if gid in release_by_id else visible_part(text)
                plan.items.append(GradeItem(gid, "test", float(meta.get("points", 0)), HIDDEN_BEGIN in text,
                                            visible, STATIC_DIRECTIVE.findall(text)))
    if not student_is_reference:
        _insert_extra_cells(plan, student_cells, used, answer_pos)
    return plan


def _match_answer(gid, source_text, student_cells, by_id, release_by_id, used, notes):
    candidates = [i for i in by_id.get(gid, []) if i not in used]
    if len(candidates) > 1:
        stub = _src(release_by_id[gid]) if gid in release_by_id else None
        edited = [i for i in candidates if _src(student_cells[i]) != stub]
        notes.append(f"answer cell {gid} appears {len(candidates)} times; graded the last edited copy")
        return (edited or candidates)[-1]
    if candidates:
        return candidates[0]
    # No metadata (some editors drop it): match an unlabelled cell by its first line, e.g. `def f(x):`.
    first = _first_line(source_text)
    if first:
        for i, c in enumerate(student_cells):
            if i not in used and not nbgrader_meta(c).get("grade_id") and _first_line(_src(c)) == first:
                notes.append(f"answer cell {gid} had no nbgrader metadata; matched by its first line")
                return i
    notes.append(f"answer cell {gid} is missing")
    return None


def _insert_extra_cells(plan: Plan, student_cells, used, answer_pos):
    """Code cells the student added run right after the answer cell they follow."""
    pos_to_gid = {i: gid for gid, i in answer_pos.items()}
    extra_after: dict[str | None, list[Cell]] = {}
    anchor = None
    for i, c in enumerate(student_cells):
        if i in pos_to_gid:
            anchor = pos_to_gid[i]
            continue
        if i in used or c.get("cell_type") != "code" or nbgrader_meta(c).get("grade_id"):
            continue
        text = _src(c)
        if text.strip():
            extra_after.setdefault(anchor, []).append(Cell(f"extra-{i}", text, "student", "extra"))
    if not extra_after:
        return
    cells = []
    first_answer = next((k for k, c in enumerate(plan.cells) if c.kind == "answer"), len(plan.cells))
    for k, cell in enumerate(plan.cells):
        if k == first_answer:
            cells += extra_after.get(None, [])  # added before any answer: run before the first answer
        cells.append(cell)
        if cell.kind == "answer":
            cells += extra_after.get(cell.label, [])
    plan.cells = cells
    plan.notes.append(f"ran {sum(len(v) for v in extra_after.values())} extra code cell(s) added by the student")
