"""Late days and penalties in ``grades.csv``, from the submission times in ``submissions.csv``.

``dlcourse collect`` writes ``SUBMISSIONS_DIR/submissions.csv`` with the time the LMS recorded for
each kept submission. The raw score is never changed: ``late_days`` and ``penalty`` (points) sit
beside it, and ``dlcourse course-grades`` subtracts the penalty.
"""

from __future__ import annotations

from pathlib import Path

from . import results
from .collect import read_manifest
from .term import Term

CANVAS_ONLY = "late per Canvas, time unknown: counted as 1 late day (collect with --times for the count)"


def submission_times(submissions_dir: Path, assignment: str) -> dict[str, tuple[str, bool]]:
    """student_id -> (submitted_at, Canvas's late flag) for ``assignment``; empty without a manifest."""
    return {r.get("student_id", ""): (r.get("submitted_at", "").strip(), r.get("canvas_late", "").strip() == "1")
            for r in read_manifest(Path(submissions_dir)) if r.get("assignment") == assignment}


def apply(term: Term, assignment: str, submissions_dir: Path, out_dir: Path) -> list[results.Row]:
    """Fill submitted_at, late_days and penalty of ``assignment``'s rows in ``OUT/grades.csv``."""
    csv_path = Path(out_dir) / "grades.csv"
    rows = results.read_rows(csv_path)
    times = submission_times(submissions_dir, assignment)
    changed = []
    for row in rows:
        if row.assignment != assignment:
            continue
        submitted_at, canvas_late = times.get(row.student_id, (row.submitted_at, False))
        row.submitted_at = submitted_at
        row.reason = "; ".join(r for r in row.reason.split("; ") if r and r != CANVAS_ONLY)
        if row.student_id not in times:
            row.late_days, row.penalty = 0.0, 0.0  # nothing was handed in: nothing is late
        elif not submitted_at and canvas_late:
            # Canvas's zip says late but not when (its entries carry the time the zip was built).
            row.late_days, row.penalty = 1.0, round(row.max_score * term.late.percent(1) / 100.0, 6)
            row.reason = "; ".join(filter(None, [row.reason, CANVAS_ONLY]))
        else:
            row.late_days, row.penalty = term.penalty(row.student_id, assignment, submitted_at, row.max_score)
        changed.append(row)
    results.write_rows(csv_path, rows)
    return changed


def final_score(row: results.Row) -> float:
    """What counts toward the course grade: the raw score less the late penalty, never below 0."""
    return max(0.0, row.score - row.penalty)
