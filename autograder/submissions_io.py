"""Finding and checking submissions laid out as ``<student_id>/<assignment>/*.ipynb``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CourseError


@dataclass
class Submission:
    student_id: str
    folder: Path | None  # SUBMISSIONS_DIR/<student>/<assignment>, None if absent
    problems: list[str] = field(default_factory=list)  # why it cannot be graded (status "invalid")
    notes: list[str] = field(default_factory=list)  # graded anyway, but worth saying


def read_notebook_problem(path: Path) -> str | None:
    """None if ``path`` is a notebook nbgrader can read, else a one-line reason."""
    import nbformat

    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return f"{path.name} is not a text file (is it really a notebook?)"
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        return f"{path.name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); it may be truncated"
    if not isinstance(data, dict) or "cells" not in data and "worksheets" not in data:
        return f"{path.name} is JSON but not a Jupyter notebook (no cells)"
    try:
        nb = nbformat.reads(raw, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"{path.name} is not a valid notebook: {first[:200]}"
    return None


def discover(submissions_dir: Path, assignment: str, expected: list[str]) -> list[Submission]:
    """One :class:`Submission` per student folder; raises :class:`CourseError` when the folder
    cannot be a submissions folder at all (missing, empty, nothing for this assignment)."""
    if not submissions_dir.exists():
        raise CourseError(f"Submissions folder {submissions_dir} does not exist.")
    if not submissions_dir.is_dir():
        raise CourseError(f"{submissions_dir} is a file; give the folder that holds <student_id>/{assignment}/.")
    students = sorted(p for p in submissions_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not students:
        raise CourseError(
            f"Submissions folder {submissions_dir} is empty: expected one folder per student, laid out as "
            f"<student_id>/{assignment}/{expected[0] if expected else '<notebook>.ipynb'}."
        )
    if not any((s / assignment).is_dir() for s in students):
        seen = sorted({p.name for s in students for p in s.iterdir() if p.is_dir()})
        raise CourseError(
            f"No submissions for {assignment!r} in {submissions_dir}: no <student_id>/{assignment}/ folder"
            + (f" (found assignment folders: {', '.join(seen)})." if seen else ".")
        )
    out = []
    for student in students:
        sub = Submission(student.name, student / assignment if (student / assignment).is_dir() else None)
        if sub.folder is None:
            sub.problems.append(f"nothing submitted for {assignment} (no {student.name}/{assignment}/ folder)")
            out.append(sub)
            continue
        present = sorted(p.name for p in sub.folder.glob("*.ipynb"))
        for name in expected:
            if name not in present:
                others = [p for p in present if p not in expected]
                sub.notes.append(f"{name} is missing" + (f" (found {', '.join(others)})" if others else ""))
            else:
                problem = read_notebook_problem(sub.folder / name)
                if problem:
                    sub.problems.append(problem)
        extra = [p for p in present if p not in expected]
        if extra:
            sub.notes.append(f"ignored extra notebooks: {', '.join(extra)}")
        if all(name not in present for name in expected):
            sub.problems.append(
                f"no expected notebook found (expected {', '.join(expected)}; found {', '.join(present) or 'none'})"
            )
        out.append(sub)
    return out
