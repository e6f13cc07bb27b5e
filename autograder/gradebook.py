"""Grades into nbgrader's gradebook, so formgrader and nbgrader's exports see them.

The sandboxed engine decides every autograded point; this module only copies its results into the
gradebook: one submission per student, each grade cell's ``auto_score``, and written answers left
for a human (``needs_manual_grade``). Manual scores already entered in formgrader are never
overwritten. The database is SQLite (``OUT/gradebook.db``) unless ``--db-url`` names another
SQLAlchemy URL, e.g. PostgreSQL, which Slurm shards can write to at the same time.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from pathlib import Path

from .errors import CourseError
from .nbgrader_api import _put_env_bin_on_path, load_config, prepare_workspace

RETRIES = 6


def default_url(out_dir: Path) -> str:
    return f"sqlite:///{Path(out_dir).resolve() / 'gradebook.db'}"


def _course_id() -> str:
    _put_env_bin_on_path()  # nbgrader's Gradebook runs `alembic` by name
    return str(load_config(Path(".")).CourseDirectory.course_id)


def _retry(what: str, fn):
    """Shards start together, so two may create the same assignment or student at once: the loser
    of such a race gets an integrity error; it waits a moment and finds the row the winner made."""
    last = None
    for attempt in range(RETRIES):
        try:
            return fn()
        except Exception as exc:  # IntegrityError / InvalidEntry / CourseError from a lost race
            last = exc
            time.sleep(0.2 * (attempt + 1) + random.random() * 0.3)
    raise CourseError(f"could not {what} in the gradebook: {last}")


def register_assignment(course, assignment: str, db_url: str) -> None:
    """The assignment, its notebook and its grade cells, as nbgrader's generate_assignment records them."""

    def once():
        with tempfile.TemporaryDirectory(prefix="dlcourse-gb-") as ws:
            prepare_workspace(Path(ws), course.source / assignment, assignment, db_url)

    _retry(f"register {assignment}", once)


def record(course, assignment: str, out_dir: Path, student_ids: list[str], db_url: str) -> int:
    """Copy the results of ``student_ids`` (from ``OUT/feedback/<id>/<assignment>.json``) into the
    gradebook; returns how many submissions were written."""
    from nbgrader.api import Gradebook

    register_assignment(course, assignment, db_url)
    (nb,) = course.notebooks(assignment)
    written = 0
    with Gradebook(db_url, course_id=_course_id()) as gb:
        for sid in student_ids:
            path = Path(out_dir) / "feedback" / sid / f"{assignment}.json"
            try:
                parts = json.loads(path.read_text())
            except (OSError, ValueError):
                continue  # invalid submissions have no results to record

            def store(sid=sid, parts=parts):
                try:
                    gb.update_or_create_student(sid)
                    gb.update_or_create_submission(assignment, sid)
                    for p in parts:
                        grade = gb.find_grade(p["grade_id"], nb.stem, assignment, sid)
                        grade.auto_score = p["earned"]  # None: a written answer for a human
                        grade.needs_manual_grade = grade.manual_score is not None or p["earned"] is None
                    gb.db.commit()
                except Exception:
                    gb.db.rollback()
                    raise

            _retry(f"record {sid}'s {assignment}", store)
            written += 1
    return written


def export_rows(db_url: str, assignment: str) -> dict[str, dict]:
    """student_id -> {"auto": .., "manual": .., "pending": ..} as the gradebook has them now."""
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(db_url, course_id=_course_id()) as gb:
        for sub in gb.find_assignment(assignment).submissions:
            grades = [g for nb in sub.notebooks for g in nb.grades]
            out[sub.student.id] = {
                "auto": sum(g.auto_score or 0 for g in grades if g.manual_score is None),
                "manual": sum(g.manual_score for g in grades if g.manual_score is not None),
                "pending": sum(g.max_score for g in grades if g.needs_manual_grade and g.manual_score is None),
                "score": sub.score,
            }
    return out
