"""``dlcourse feedback``: hand the graded work back once people have graded the written answers.

Brings the manual scores from the gradebook into ``grades.csv`` (as ``dlcourse export`` does),
rebuilds each student's page with those scores and the graders' comments, the late penalty and the
acknowledgement reminder, and writes the pages out twice:
- ``OUT/handback/<assignment>/<student_id>.html``, one per student;
- ``OUT/handback/<assignment>_canvas_upload.zip``, for Canvas's "Re-Upload Submissions" (Assignment
  > Speedgrader's gradebook menu): each file keeps the ``<name>_<user id>_<submission id>_`` prefix of
  the file Canvas gave out (from ``submissions.csv``), which is how Canvas finds the student, and
  Canvas attaches it to that submission as a comment.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from . import feedback, results


def _canvas_prefixes(submissions_dir: Path | None, assignment: str) -> dict[str, str]:
    if submissions_dir is None:
        return {}
    from .collect import read_manifest

    out = {}
    for r in read_manifest(Path(submissions_dir)):
        if r.get("assignment") != assignment or not r.get("canvas_user_id"):
            continue
        late = "_LATE" if r.get("canvas_late") in ("1", "True", "true") else ""
        # The name part came from a file name a student's LMS profile shaped: letters and digits only.
        name, uid, sub = (re.sub(r"[^0-9A-Za-z]", "", r.get(k, "")) for k in
                          ("canvas_name", "canvas_user_id", "canvas_submission_id"))
        out[r["student_id"]] = f"{name}{late}_{uid}_{sub}_"
    return out


def _parts(out_dir: Path, row: results.Row, manual: dict) -> list[feedback.Part]:
    path = Path(out_dir) / "feedback" / row.student_id / f"{row.assignment}.json"
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    by_question = {m["question"]: m for m in manual.get("manual_items", [])}
    parts = []
    for it in items:
        earned, message = it["earned"], it.get("message", "")
        graded = by_question.get(it["grade_id"])
        if it["kind"] == "written" and graded is not None:
            earned = graded["score"]
            message = "Graded by hand." + (f" Comment: {graded['comment']}" if graded["comment"] else "")
        parts.append(feedback.Part(it["grade_id"], it["kind"], it["points"], earned,
                                   None if earned is None else earned >= it["points"], message))
    return parts


def hand_back(out_dir: Path, assignment: str, db_url: str | None,
              submissions_dir: Path | None = None) -> tuple[list[Path], Path | None]:
    from .gradebook import apply_manual_grades, export_rows

    out_dir = Path(out_dir)
    manual = {}
    if db_url:
        apply_manual_grades(out_dir, assignment, db_url)
        manual = export_rows(db_url, assignment)
    rows = [r for r in results.read_rows(out_dir / "grades.csv") if r.assignment == assignment]
    folder = out_dir / "handback" / assignment
    folder.mkdir(parents=True, exist_ok=True)
    pages = []
    for row in rows:
        page = feedback.render(row, _parts(out_dir, row, manual.get(row.student_id, {})))
        for path in (out_dir / "feedback" / row.student_id / f"{assignment}.html", folder / f"{row.student_id}.html"):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(page, encoding="utf-8")
        pages.append(folder / f"{row.student_id}.html")
    prefixes = _canvas_prefixes(submissions_dir, assignment)
    upload = None
    if prefixes:
        upload = out_dir / "handback" / f"{assignment}_canvas_upload.zip"
        with zipfile.ZipFile(upload, "w", zipfile.ZIP_DEFLATED) as z:
            for row in rows:
                if row.student_id in prefixes:
                    z.write(folder / f"{row.student_id}.html", f"{prefixes[row.student_id]}{assignment}-feedback.html")
    return pages, upload
