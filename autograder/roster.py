"""Reading the class roster: who is in the course, and the id each student has in dlcourse.

Two kinds of CSV are read (UTF-8, a byte-order mark is fine; header names are matched ignoring case,
spaces and punctuation, so "SIS Login ID" and "sis_login_id" are the same column):

* A Canvas gradebook export (Grades > Export): recognised by its ``Student`` and ``ID`` columns.
  ``id_column`` picks the column that becomes ``student_id``: ``sis_login_id`` (default),
  ``sis_user_id``, ``canvas_id`` (the "ID" column) or ``email`` (only if the file has an Email column).
  Rows that are not students are skipped: "Points Possible", rows with no Canvas ID and no SIS ids
  (the "Manual Posting" row of assignments with a manual posting policy), and Canvas's test student
  ("Student, Test" with no SIS ids).
* A plain roster, for email or Gradescope workflows: any CSV with a ``student_id``, ``SID`` or
  ``Email`` column (Gradescope's roster export is ``First Name, Last Name, SID, Email``). The id is
  the first of those columns present, in that order; ``id_column="email"`` takes the Email column
  instead. The name is the ``Name`` column, else "Last, First" from ``Last Name``/``First Name``.

Every row that is kept must have a non-empty id that can name a folder (``<student_id>/<assignment>/``),
and no two students may share an id (ignoring case: folders on macOS and Windows do).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import CourseError

ID_COLUMNS = ("sis_login_id", "sis_user_id", "canvas_id", "email")
_CANVAS_HEADER = {"canvas_id": "id", "sis_user_id": "sis_user_id", "sis_login_id": "sis_login_id", "email": "email"}
_TEST_STUDENT_NAMES = {"student, test", "test student"}
# An id names a folder the grader walks: no separators, no control characters, not hidden
# (submissions_io skips names starting with '.'), not '.' or '..'.
_BAD_ID = re.compile(r"[/\\\x00-\x1f\x7f]|^\.")


@dataclass(frozen=True)
class Student:
    student_id: str  # the id used everywhere in dlcourse (folder names, grades.csv)
    name: str  # "Last, First" as Canvas writes it, or the name given
    canvas_id: str = ""  # Canvas's numeric user id ("ID" column)
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""
    email: str = ""


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_")


def read_roster(path: Path, id_column: str = "sis_login_id") -> list[Student]:
    """The students of ``path`` in file order; raises :class:`CourseError` on anything that would make
    a student's submission land under the wrong id (see the module docstring for the two formats)."""
    if id_column not in ID_COLUMNS:
        raise CourseError(f"--id-column {id_column!r}: choose one of {', '.join(ID_COLUMNS)}.")
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CourseError(f"Roster {path} does not exist: export it from Canvas (Grades > Export) "
                          "or give a CSV with a student_id column.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CourseError(f"Roster {path} could not be read ({exc}); save it as a UTF-8 CSV.") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    cols = {}
    for i, h in enumerate(header):
        cols.setdefault(_key(h), i)  # Canvas repeats nothing, but the first of a repeated name wins
    rows = list(enumerate(reader, start=2))  # line numbers as a spreadsheet shows them
    if "student" in cols and "id" in cols:
        students = _canvas(path, cols, rows, id_column)
    elif cols.keys() & {"student_id", "sid", "email"}:
        students = _plain(path, cols, rows, id_column)
    else:
        raise CourseError(
            f"Roster {path}: no recognizable header (found: {', '.join(header) or 'nothing'}). Expected a Canvas "
            "gradebook export (Student, ID, SIS User ID, SIS Login ID, Section, ...) or a CSV with a student_id, "
            "SID or Email column."
        )
    _check_unique(path, students)
    return [s for _, s in students]


_FIELDS = ("student", "id", "sis_user_id", "sis_login_id", "section", "email", "student_id", "sid", "canvas_id",
           "name", "first_name", "last_name")


def _record(row: list[str], cols: dict[str, int]) -> dict[str, str]:
    """The known columns of one row, stripped; '' for a column the file lacks or a short row."""
    return {f: row[cols[f]].strip() if f in cols and cols[f] < len(row) else "" for f in _FIELDS}


def _canvas(path: Path, cols: dict[str, int], rows, id_column: str) -> list[tuple[int, Student]]:
    wanted = _CANVAS_HEADER[id_column]
    if wanted not in cols:
        raise CourseError(f"Roster {path} is a Canvas export without a {wanted!r} column; choose another "
                          f"--id-column ({', '.join(c for c in ID_COLUMNS if _CANVAS_HEADER[c] in cols)}).")
    out = []
    for line, row in rows:
        r = _record(row, cols)
        sis = r["sis_user_id"] or r["sis_login_id"]
        if r["student"] == "Points Possible" or not (r["id"] or sis):  # also "Manual Posting", blank rows
            continue
        if r["student"].lower() in _TEST_STUDENT_NAMES and not sis:
            continue
        out.append((line, Student(student_id=r[wanted], name=r["student"], canvas_id=r["id"],
                                  sis_user_id=r["sis_user_id"], sis_login_id=r["sis_login_id"],
                                  section=r["section"], email=r["email"])))
    return out


def _plain(path: Path, cols: dict[str, int], rows, id_column: str) -> list[tuple[int, Student]]:
    if id_column == "email":
        if "email" not in cols:
            raise CourseError(f"Roster {path} has no Email column for --id-column email.")
        wanted = "email"
    else:
        wanted = next(c for c in ("student_id", "sid", "email") if c in cols)
    out = []
    for line, row in rows:
        if not any(c.strip() for c in row):
            continue
        r = _record(row, cols)
        name = r["name"] or ", ".join(p for p in (r["last_name"], r["first_name"]) if p)
        out.append((line, Student(student_id=r[wanted], name=name, canvas_id=r["canvas_id"], section=r["section"],
                                  email=r["email"])))
    return out


def _check_unique(path: Path, students: list[tuple[int, Student]]) -> None:
    seen: dict[str, int] = {}
    canvas_seen: dict[str, int] = {}
    for line, s in students:
        who = f"row {line} ({s.name or 'no name'})"
        if not s.student_id:
            raise CourseError(f"Roster {path}, {who}: the id column is empty; fill it in, remove the row, "
                              "or choose another --id-column.")
        if _BAD_ID.search(s.student_id) or s.student_id in (".", ".."):
            raise CourseError(f"Roster {path}, {who}: id {s.student_id!r} cannot name a folder (no '/', '\\', "
                              "control characters or leading '.'); choose another --id-column.")
        first = seen.setdefault(s.student_id.casefold(), line)
        if first != line:
            raise CourseError(f"Roster {path}: rows {first} and {line} have the same id {s.student_id!r} "
                              "(ids are compared ignoring case); fix the roster or choose another --id-column.")
        if s.canvas_id:
            first = canvas_seen.setdefault(s.canvas_id, line)
            if first != line:
                raise CourseError(f"Roster {path}: rows {first} and {line} have the same Canvas ID {s.canvas_id}.")
    if not students:
        raise CourseError(f"Roster {path} lists no students.")
