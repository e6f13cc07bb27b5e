"""``dlcourse grade``: autograde a folder of submissions with nbgrader, in parallel, without
touching the folder, and write ``grades.csv`` plus per-student HTML feedback."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from . import feedback, results
from .course import Course
from .results import Row
from .submissions_io import Submission, discover


def grade(course: Course, assignment: str, submissions_dir: Path, out_dir: Path, jobs: int | None = None,
          progress: bool = True) -> list[Row]:
    course.check_assignment(assignment)
    expected = [p.name for p in course.notebooks(assignment)]
    subs = discover(Path(submissions_dir), assignment, expected)
    gradable = [s for s in subs if not s.problems]
    rows = [_invalid_row(s, assignment) for s in subs if s.problems]
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(gradable) or 1))
    out_dir = Path(out_dir)
    (out_dir / "feedback").mkdir(parents=True, exist_ok=True)
    chunks = [gradable[i::jobs] for i in range(jobs) if gradable[i::jobs]]
    start = time.perf_counter()
    if chunks:
        # Always in worker processes, even for one chunk: a worker's stderr (kernel chatter, nbgrader's
        # database warnings) goes to a log instead of the instructor's terminal.
        with ProcessPoolExecutor(len(chunks), mp_context=get_context("spawn")) as pool:
            futures = [pool.submit(_grade_chunk, str(course.root), assignment, c, str(out_dir), progress)
                       for c in chunks]
            for chunk, fut in zip(chunks, futures):
                try:
                    rows += fut.result()
                except Exception as exc:  # a worker died: its students still get a row
                    rows += [Row(s.student_id, assignment, status="crashed",
                                 reason=f"grading worker failed: {type(exc).__name__}: {exc}") for s in chunk]
    elapsed = time.perf_counter() - start
    csv_path = out_dir / "grades.csv"
    results.write_rows(csv_path, results.merge(results.read_rows(csv_path), rows))
    if progress:
        print(f"Graded {len(rows)} submissions of {assignment} in {elapsed:.1f} s", flush=True)
    return sorted(rows, key=lambda r: r.student_id)


def _invalid_row(sub: Submission, assignment: str) -> Row:
    return Row(sub.student_id, assignment, status="invalid", reason="; ".join(sub.problems + sub.notes))


def _grade_chunk(course_root: str, assignment: str, subs: list[Submission], out_dir: str, progress: bool):
    """Grade some submissions in one private nbgrader workspace (one process, one gradebook)."""
    from .nbgrader_api import prepare_workspace

    course = Course(Path(course_root))
    rows = []
    with tempfile.TemporaryDirectory(prefix="dlcourse-grade-") as tmp:
        ws = Path(tmp)
        log = open(ws / "worker.log", "w")  # noqa: SIM115 - lives as long as the workspace
        os.dup2(log.fileno(), 2)
        api = prepare_workspace(ws, course.source / assignment, assignment)
        for sub in subs:
            try:
                row = _grade_one(api, ws, assignment, sub, Path(out_dir))
            except Exception as exc:  # one submission never stops the batch
                row = Row(sub.student_id, assignment, status="crashed", reason=f"{type(exc).__name__}: {exc}")
            if progress:
                print(f"  {sub.student_id}: {row.auto_score:g}/{row.auto_max_score:g} autograded, {row.status}",
                      flush=True)
            rows.append(row)
    return rows


def _grade_one(api, ws: Path, assignment: str, sub: Submission, out_dir: Path) -> Row:
    import nbformat

    target = ws / "submitted" / sub.student_id / assignment
    # A copy: nbgrader writes timestamps and outputs, and the instructor's folder must stay untouched.
    shutil.copytree(sub.folder, target, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    result = api.autograde(assignment, sub.student_id, force=True, create=True)
    if not result.get("success"):
        lines = [ln for ln in (result.get("error") or result.get("log") or "").splitlines() if ln.strip()]
        reason = (lines[-1] if lines else "nbgrader failed")[:300]
        return Row(sub.student_id, assignment, status="crashed", reason=reason)
    row, parts = _read_grades(api, ws, assignment, sub.student_id, nbformat)
    if sub.notes:
        row.reason = "; ".join(filter(None, [row.reason, *sub.notes]))
    page = out_dir / "feedback" / sub.student_id / f"{assignment}.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(feedback.render(row, parts), encoding="utf-8")
    return row


def _read_grades(api, ws: Path, assignment: str, student: str, nbformat):
    from nbgrader.api import Gradebook

    row = Row(student, assignment)
    parts: list[feedback.Part] = []
    with Gradebook(api.coursedir.db_url) as gb:
        submission = gb.find_submission(assignment, student)
        for nb in submission.notebooks:
            source = _cells_by_id(ws / "source" / assignment / f"{nb.name}.ipynb", nbformat)
            release = _cells_by_id(ws / "release" / assignment / f"{nb.name}.ipynb", nbformat)
            graded_path = ws / "autograded" / student / assignment / f"{nb.name}.ipynb"
            graded = _cells_by_id(graded_path, nbformat) if graded_path.exists() else {}
            for g in sorted(nb.grades, key=lambda g: _order(source, g.name)):
                points = float(g.max_score)
                row.max_score += points
                is_test = g.cell.cell_type == "code" and g.name not in _solution_ids(source)
                if is_test:
                    row.auto_max_score += points
                    earned = float(g.score or 0)
                    row.auto_score += earned
                    row.score += earned
                    cell = graded.get(g.name, {})
                    msg = feedback.test_message(
                        "".join(source[g.name]["source"]) if g.name in source else "",
                        "".join(release[g.name]["source"]) if g.name in release else "",
                        feedback.error_of(cell),
                        passed=earned >= points,
                    )
                    parts.append(feedback.Part(g.name, "tests", points, earned, earned >= points, msg))
                elif g.needs_manual_grade:
                    row.manual_pending += points
                    parts.append(feedback.Part(g.name, "written", points, None, None, ""))
                else:  # unanswered (nbgrader gives 0 automatically) or already graded by hand
                    earned = float(g.score or 0)
                    row.score += earned
                    msg = "Graded by hand." if g.manual_score is not None else "No answer given."
                    parts.append(feedback.Part(g.name, "written", points, earned, earned >= points, msg))
    if row.manual_pending:
        row.reason = f"{row.manual_pending:g} points of written answers need manual grading"
    return row, parts


def _cells_by_id(path: Path, nbformat) -> dict:
    if not path.exists():
        return {}
    nb = nbformat.read(str(path), as_version=4)
    out = {}
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid:
            out[gid] = cell
    return out


def _solution_ids(cells: dict) -> set[str]:
    return {gid for gid, c in cells.items() if c["metadata"]["nbgrader"].get("solution")}


def _order(cells: dict, grade_id: str) -> int:
    return list(cells).index(grade_id) if grade_id in cells else len(cells)
