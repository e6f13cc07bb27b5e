"""Grades into nbgrader's gradebook, so formgrader and nbgrader's exports see them.

The sandboxed engine decides every autograded point; this module only copies its results into the
gradebook: one submission per student, each grade cell's ``auto_score``, and written answers left
for a human (``needs_manual_grade``). Manual scores already entered in formgrader are never
overwritten. The database is SQLite (``OUT/gradebook.db``) unless ``--db-url`` names another
SQLAlchemy URL, e.g. PostgreSQL, which Slurm shards can write to at the same time.
"""

from __future__ import annotations

import contextlib
import copy
import fcntl
import json
import random
import shutil
import tempfile
import time
from pathlib import Path

from .errors import CourseError
from .nbgrader_api import _put_env_bin_on_path, load_config, prepare_workspace, read_alembic_head_in_process
from .safe_markdown import neutralise

RETRIES = 6
LOCK_KEY = 0x646C63  # 'dlc': the advisory lock every dlcourse gradebook writer takes


def default_url(out_dir: Path) -> str:
    return f"sqlite:///{Path(out_dir).resolve() / 'gradebook.db'}"


def _course_id() -> str:
    _put_env_bin_on_path()  # nbgrader's Gradebook runs `alembic` by name
    read_alembic_head_in_process()
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


@contextlib.contextmanager
def _quiet_nbgrader():
    """nbgrader's models on SQLAlchemy 2 warn on every new submission that an object is "not in
    session" during autoflush; the rows are added explicitly right after, so the warning is noise."""
    import warnings

    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Object of type <\w+> not in session", category=SAWarning)
        yield


def formgrader_root(out_dir: Path) -> Path:
    """The nbgrader course directory formgrader is started on: ``OUT/nbgrader``."""
    return Path(out_dir).resolve() / "nbgrader"


def write_autograded(out_dir: Path, assignment: str, nb_name: str, student_id: str, source_nb: dict, plan) -> None:
    """What formgrader shows a human grader: the instructor's notebook (tests, hidden ones too) with
    this student's answers in the answer cells."""
    nb = copy.deepcopy(source_nb)
    written = {i.grade_id: i.student_text for i in plan.items if i.kind == "written"}
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        gid = meta.get("grade_id")
        if meta.get("solution") and gid:
            if cell.get("cell_type") == "markdown":
                # Formgrader renders markdown with raw HTML and live links, in the grader's session.
                cell["source"] = neutralise(written.get(gid) or "")
            else:
                cell["source"] = plan.answer_sources.get(gid) or ""
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
    dest = formgrader_root(out_dir) / "autograded" / student_id / assignment / nb_name
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(nb, indent=1), encoding="utf-8")


def register_assignment(course, assignment: str, db_url: str) -> None:
    """The assignment, its notebook and its grade cells, as nbgrader's generate_assignment records them."""

    def once():
        with tempfile.TemporaryDirectory(prefix="dlcourse-gb-") as ws:
            prepare_workspace(Path(ws), course.source / assignment, assignment, db_url)

    _retry(f"register {assignment}", once)


@contextlib.contextmanager
def _writers_lock(db_url: str):
    """One grading process writes the gradebook at a time. Shards finish together, and nbgrader's
    registration of an assignment can rewrite its grade cells while another shard creates a
    submission, which then lacks a grade row for good ("No such grade"). PostgreSQL: an advisory
    lock (shards may run on different hosts); SQLite: a lock file next to the database."""
    if db_url.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        engine = create_engine(db_url)
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": LOCK_KEY})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
        engine.dispose()
    elif db_url.startswith("sqlite:///"):
        with open(db_url[len("sqlite:///"):] + ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield
    else:
        yield


def record(course, assignment: str, out_dir: Path, student_ids: list[str], db_url: str) -> int:
    """Copy the results of ``student_ids`` (from ``OUT/feedback/<id>/<assignment>.json``) into the
    gradebook; returns how many submissions were written."""
    with _writers_lock(db_url):
        return _record(course, assignment, out_dir, student_ids, db_url)


def _record(course, assignment: str, out_dir: Path, student_ids: list[str], db_url: str) -> int:
    from nbgrader.api import Gradebook

    register_assignment(course, assignment, db_url)
    (nb,) = course.notebooks(assignment)
    src = formgrader_root(out_dir) / "source" / assignment
    shutil.copytree(course.source / assignment, src, dirs_exist_ok=True)
    written = 0
    with _quiet_nbgrader(), Gradebook(db_url, course_id=_course_id()) as gb:
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
    """student_id -> {"auto", "manual", "pending", "score", "manual_items"} as the gradebook has them
    now; ``manual_items`` lists each manually graded question with its score and comment."""
    from nbgrader.api import Gradebook

    out = {}
    with _quiet_nbgrader(), Gradebook(db_url, course_id=_course_id()) as gb:
        for sub in gb.find_assignment(assignment).submissions:
            grades = [g for nb in sub.notebooks for g in nb.grades]
            # Only written answers (markdown cells) are graded by people; a score typed over an
            # autograded cell is ignored, so the engine's verdicts cannot be overruled by accident.
            written = [g for g in grades if g.cell.cell_type == "markdown"]
            comments = {c.name: c.manual_comment for nb in sub.notebooks for c in nb.comments}
            out[sub.student.id] = {
                "manual_items": [{"question": g.name, "score": g.manual_score, "max_score": g.max_score,
                                  "comment": comments.get(g.name) or ""}
                                 for g in written if g.manual_score is not None],
                "auto": sum(g.auto_score or 0 for g in grades if g.cell.cell_type == "code"),
                "manual": sum(g.manual_score for g in written if g.manual_score is not None),
                "pending": sum(g.max_score for g in written if g.needs_manual_grade and g.manual_score is None),
                "score": sub.score,
            }
    return out


def apply_manual_grades(out_dir: Path, assignment: str, db_url: str) -> list:
    """grades.csv rows of ``assignment`` with the manual scores entered in formgrader: the written
    points move from ``manual_pending`` into ``score``. Autograded points stay the engine's."""
    from .results import read_rows, write_rows

    csv_path = Path(out_dir) / "grades.csv"
    rows = read_rows(csv_path)
    gb = export_rows(db_url, assignment)
    changed = []
    for row in rows:
        entry = gb.get(row.student_id)
        if row.assignment != assignment or entry is None or row.status != "graded":
            continue
        row.score = round(row.auto_score + entry["manual"], 6)
        row.manual_pending = round(entry["pending"], 6)
        note = [r for r in row.reason.split("; ") if r and "need manual grading" not in r]
        if row.manual_pending:
            note.append(f"{row.manual_pending:g} points of written answers need manual grading")
        row.reason = "; ".join(note)
        changed.append(row)
    write_rows(csv_path, rows)
    _write_manual_csv(Path(out_dir) / "manual_grades.csv", assignment, gb)
    return changed


def _write_manual_csv(path: Path, assignment: str, gb: dict) -> None:
    """Every manual score and comment, one line per question: what the human graders decided."""
    import csv

    from .results import quote_cell, unquote_cell

    fields = ["student_id", "assignment", "question", "score", "max_score", "comment"]
    kept = []
    if path.exists():
        with open(path, newline="", encoding="utf-8") as f:
            kept = [{k: unquote_cell(r.get(k) or "") for k in fields} for r in csv.DictReader(f)]
        kept = [r for r in kept if r["assignment"] != assignment]
    new = [{"student_id": sid, "assignment": assignment, "question": it["question"], "score": f"{it['score']:g}",
            "max_score": f"{it['max_score']:g}", "comment": it["comment"]}
           for sid, entry in sorted(gb.items()) for it in entry["manual_items"]]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        # Ids and comments are text a student or a grader typed: never a formula in a spreadsheet.
        w.writerows({k: v if k in ("score", "max_score") else quote_cell(v) for k, v in r.items()}
                    for r in kept + new)


def write_formgrader_config(out_dir: Path, db_url: str) -> Path:
    """``OUT/nbgrader/nbgrader_config.py``: formgrader reads its course from the folder it starts in."""
    root = formgrader_root(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    cfg = root / "nbgrader_config.py"
    cfg.write_text("\n".join([
        "# Written by `dlcourse formgrader`: formgrader on the results of `dlcourse grade --out ...`.",
        "c = get_config()  # noqa: F821",
        f"c.CourseDirectory.root = {str(root)!r}",
        f"c.CourseDirectory.db_url = {db_url!r}",
        f"c.CourseDirectory.course_id = {_course_id()!r}",
        "", ""]))
    return cfg
