"""``dlcourse collect``: bring submissions into ``OUT/<student_id>/<assignment>/<notebook>.ipynb``.

    dlcourse collect canvas ZIP ASSIGNMENT --roster ROSTER.csv --out DIR [--id-column sis_login_id]
    dlcourse collect folder FOLDER ASSIGNMENT --roster ROSTER.csv --out DIR [--id-column ...]

``<notebook>`` is the assignment's released notebook name (``release/<assignment>/*.ipynb``): the one
name the grader looks for, whatever the student called the file. Each run also writes
``OUT/submissions.csv`` (one row per collected file; other assignments' rows are kept) and, when some
input could not be used, ``OUT/unmapped-<assignment>.csv`` (entry, reason). Nothing is dropped
without a line there: unknown users, files that are not notebooks, unsafe or nested paths, folders,
duplicates, files over 50 MB. Older attempts that a newer one replaced are listed in the summary.

Canvas ("Download Submissions") names each file ``<name>_[LATE_]<user id>_<file id>_<file name>``
(canvas-lms lib/content_zipper.rb, ``get_filename`` and ``add_upload_submission``): ``<name>`` is the
student's sortable name, lowercased, with everything but letters, digits and ``_`` removed; the third
number is the id of the uploaded file (recorded as ``canvas_submission_id``). Students are matched by
the user id against the roster's Canvas ID, never by the name. With anonymous grading Canvas writes
``anon_<id>`` instead of the name and user id, so such files cannot be mapped and are reported.
The zip holds the files of each student's current submission only (``get_uploaded_files_from``); a
file uploaded again under the same name arrives with ``-1``, ``-2``... added to its stem, and if
several attempts do turn up, the highest number is kept.

Submission times: the zip does NOT carry them, so ``submitted_at`` is left empty for Canvas. Canvas
writes each entry with rubyzip's ``zipfile.get_output_stream(filename)`` and passes no time
(https://github.com/instructure/canvas-lms/blob/master/lib/content_zipper.rb, ``add_attachment_to_zip``);
rubyzip's ``Entry#initialize`` then stamps the entry with ``DOSTime.now``, in 2.x and 3.x alike
(https://github.com/rubyzip/rubyzip/blob/master/lib/zip/entry.rb): the moment the zip was built, as
the server's local time with no time zone. Canvas issue
https://github.com/instructure/canvas-lms/issues/2219 reports exactly that for Canvas's other zips
(same ``add_attachment_to_zip``). Sure from reading the source; not checked against a live Canvas
download. For lateness use ``canvas_late`` (Canvas's own verdict, which honours per-student due
dates) or ``submitted_at`` from Canvas's submissions API: ``--times FILE`` takes the JSON of List
Submissions (``GET /api/v1/courses/:course_id/assignments/:assignment_id/submissions``) and fills
``submitted_at`` from each object's ``submitted_at``, matched by ``user_id``.

Folder mode: ``FOLDER/<student>.ipynb`` or ``FOLDER/<student>_<anything>.ipynb``, where ``<student>``
is a roster student_id or the part of a roster email before ``@``, compared ignoring case; the
longest match wins, so ids containing ``_`` work. The same choice as for Canvas picks one file per
student (highest ``-N``, then the file named like the release notebook, the newest if several).
``submitted_at`` is the file's modification time (UTC), which only says when the file was last
written on this disk (e.g. saved from an email).

Re-running for an assignment replaces that assignment's folders written by the previous run (the
students in its ``submissions.csv`` rows) and those of this run; other assignments are not touched.
Files are never extracted by the name in the zip: each entry's bytes are read (at most 50 MB) and
written to the path computed from the roster.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from .course import Course
from .errors import CourseError
from .results import quote_cell, unquote_cell
from .roster import ID_COLUMNS, Student

EXIT_OK, EXIT_SOME_FAILED = 0, 1  # as in cli.py
MAX_BYTES = 50 << 20  # bounds memory and disk; above the grader's own 32 MB, so that the grader says why
MANIFEST = "submissions.csv"

_CANVAS_NAME = re.compile(r"(?P<name>.+?)_(?:(?P<late>LATE)_)?(?P<uid>\d+)_(?P<fid>\d+)_(?P<file>.+)", re.S)
_ANONYMOUS = re.compile(r"(LATE_)?anon_")
_ATTEMPT = re.compile(r"(?P<base>.+)-(?P<n>\d{1,4})")


@dataclass
class Record:
    """One row of ``submissions.csv``: the file kept for one student."""

    student_id: str
    assignment: str
    file: str  # relative to OUT
    submitted_at: str = ""  # ISO 8601 UTC; '' when unknown (Canvas zips)
    canvas_late: int = 0
    canvas_user_id: str = ""
    canvas_submission_id: str = ""
    canvas_name: str = ""
    original_name: str = ""
    attempt: int = 0  # N of a "-N" resubmission suffix, 0 for the original


COLUMNS = [f.name for f in fields(Record)]


@dataclass
class Summary:
    assignment: str
    collected: list[Record]
    missing: list[Student]  # on the roster, nothing collected
    unmapped: list[tuple[str, str]]  # (entry, reason)
    superseded: list[tuple[str, str]]  # (entry, why): older attempts a newer one replaced
    manifest: Path
    unmapped_file: Path | None

    @property
    def late(self) -> int:
        return sum(r.canvas_late for r in self.collected)

    @property
    def resubmitted(self) -> int:
        return sum(r.attempt > 0 for r in self.collected)


@dataclass
class _Candidate:
    entry: str  # as reported
    student: Student
    attempt: int
    matches: bool  # named like the release notebook
    newer: tuple  # tie-break within an attempt: larger is newer
    read: Callable[[], bytes]
    record: dict = field(default_factory=dict)  # Record fields known from the entry


# ---- Canvas --------------------------------------------------------------------------------------

def canvas_times(path: Path | None) -> dict[str, str]:
    """Canvas user id -> ``submitted_at`` from the JSON of Canvas's List Submissions API
    (``GET /api/v1/courses/:course_id/assignments/:assignment_id/submissions?per_page=100``, the pages
    joined into one list), the only place Canvas gives submission times out."""
    if path is None:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CourseError(f"{path} does not exist.") from None
    except (ValueError, OSError) as exc:
        raise CourseError(f"{path} is not JSON ({exc}); save the API's answer as it came.") from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(d, dict) and "user_id" in d for d in data):
        raise CourseError(f"{path} is not a list of Canvas submission objects (each with user_id and submitted_at).")
    return {str(d["user_id"]): str(d.get("submitted_at") or "") for d in data}


def collect_canvas(zip_path: Path, assignment: str, roster: list[Student], out_dir: Path,
                   course: Course, times: dict[str, str] | None = None) -> Summary:
    notebook = _notebook_name(course, assignment)
    times = times or {}
    by_uid = {s.canvas_id: s for s in roster if s.canvas_id}
    if not by_uid:
        raise CourseError("The roster has no Canvas IDs: give the Canvas gradebook export (Grades > Export) "
                          "as --roster, so that files can be matched by Canvas user id.")
    try:
        zf = zipfile.ZipFile(zip_path)
    except FileNotFoundError:
        raise CourseError(f"{zip_path} does not exist.") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise CourseError(f"{zip_path} is not a zip file or is damaged ({exc}); download the submissions "
                          "from Canvas again (Assignment > Download Submissions).") from None
    with zf:
        candidates, unmapped, seen = [], [], set()
        for info in zf.infolist():
            name = info.filename
            why = _canvas_problem(info, seen)
            seen.add(name)
            if why:
                unmapped.append((name, why))
                continue
            m = _CANVAS_NAME.fullmatch(name)
            student = by_uid.get(m["uid"])
            if student is None:
                unmapped.append((name, f"Canvas user id {m['uid']} is not on the roster"))
                continue
            base, attempt = _attempt(m["file"])
            candidates.append(_Candidate(
                entry=name, student=student, attempt=attempt, matches=base == notebook, newer=(int(m["fid"]),),
                read=lambda info=info: _read_zip_entry(zf, info),
                record=dict(submitted_at=times.get(m["uid"], ""),
                            canvas_late=int(bool(m["late"])), canvas_user_id=m["uid"], canvas_submission_id=m["fid"],
                            canvas_name=m["name"], original_name=m["file"], attempt=attempt)))
        return _finish(assignment, notebook, roster, Path(out_dir), candidates, unmapped)


def _canvas_problem(info: zipfile.ZipInfo, seen: set[str]) -> str | None:
    """Why this entry cannot be a student's notebook, None if it may be one."""
    name = info.filename
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if info.is_dir():
        return "a folder entry"
    if name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name) or ".." in parts:
        return "unsafe path (absolute or with '..')"
    if len(parts) != 1:
        return "inside a folder: Canvas puts every file at the top level of the zip"
    if name in seen:
        return "duplicate entry name in the zip (the first one is used)"
    if not name.lower().endswith(".ipynb"):
        return "not a notebook (.ipynb)"
    if _ANONYMOUS.match(name):
        return "anonymous grading hides the student: turn it off for the download, or match files by hand"
    if not _CANVAS_NAME.fullmatch(name):
        return "name is not Canvas's <name>_<user id>_<file id>_<file name>"
    if info.file_size > MAX_BYTES:
        return f"{_too_large()} uncompressed"
    return None


def _read_zip_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    with zf.open(info) as f:  # the size in the header is the sender's word: read at most one byte past it
        data = f.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValueError(f"{_too_large()} uncompressed")
    return data


# ---- a plain folder -----------------------------------------------------------------------------

def collect_folder(folder: Path, assignment: str, roster: list[Student], out_dir: Path, course: Course) -> Summary:
    notebook = _notebook_name(course, assignment)
    folder = Path(folder)
    if not folder.is_dir():
        raise CourseError(f"{folder} is not a folder of <student>_*.ipynb files.")
    keys: dict[str, Student | None] = {}  # None: the key names two students
    for s in roster:
        for k in {s.student_id.casefold(), s.email.partition("@")[0].casefold() if s.email else ""} - {""}:
            keys[k] = s if keys.get(k, s) is s else None
    candidates, unmapped = [], []
    for name in sorted(os.listdir(folder)):
        path, shown = folder / name, _printable(name)
        st = os.lstat(path)
        why = _file_problem(name, st)
        stem = name[: -len(".ipynb")]
        # The longest "<key>_" prefix (or the whole stem) that is a roster key, so ids with "_" work.
        cut = max((i for i in [*(i for i, ch in enumerate(stem) if ch == "_"), len(stem)]
                   if stem[:i].casefold() in keys), default=None)
        if why is None and cut is None:
            why = "no roster student matches the name (expected <student_id>_<anything>.ipynb)"
        elif why is None and keys[stem[:cut].casefold()] is None:
            why = f"{_printable(stem[:cut])!r} is the id or email name of more than one roster student"
        if why:
            unmapped.append((shown, why))
            continue
        rest = stem[cut + 1:]
        base, attempt = _attempt(rest + ".ipynb") if rest else (notebook, 0)
        when = datetime.fromtimestamp(st.st_mtime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        candidates.append(_Candidate(
            entry=shown, student=keys[stem[:cut].casefold()], attempt=attempt, matches=base == notebook,
            newer=(st.st_mtime_ns, name), read=lambda path=path: _read_file(path),
            record=dict(submitted_at=when, original_name=shown, attempt=attempt)))
    return _finish(assignment, notebook, roster, Path(out_dir), candidates, unmapped)


def _file_problem(name: str, st: os.stat_result) -> str | None:
    if stat.S_ISLNK(st.st_mode):
        return "a symbolic link"
    if stat.S_ISDIR(st.st_mode):
        return "a folder"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    if not name.lower().endswith(".ipynb"):
        return "not a notebook (.ipynb)"
    if st.st_size > MAX_BYTES:
        return _too_large()
    return None


def _too_large() -> str:
    return f"larger than {MAX_BYTES / 2**20:g} MB"


def _read_file(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)  # swapped for a link or FIFO
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise ValueError("not a regular file")
        data = f.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValueError(_too_large())
    return data


# ---- shared: choosing, writing, the manifest ----------------------------------------------------

def _notebook_name(course: Course, assignment: str) -> str:
    course.check_assignment(assignment)
    names = sorted(p.name for p in (course.release / assignment).glob("*.ipynb")) or \
        [p.name for p in course.notebooks(assignment)]
    if len(names) != 1:
        raise CourseError(f"{assignment} has {len(names)} notebooks; collect handles one per assignment.")
    return names[0]


def _attempt(filename: str) -> tuple[str, int]:
    """(file name without Canvas's "-N", N): ``hw3-2.ipynb`` -> ``("hw3.ipynb", 2)``."""
    stem, dot, ext = filename.rpartition(".")
    m = _ATTEMPT.fullmatch(stem) if dot else None
    return (f"{m['base']}.{ext}", int(m["n"])) if m else (filename, 0)


def _pick(cands: list[_Candidate], notebook: str):
    """(kept or None, superseded, unmapped) for one student's candidates: the latest attempt; within it
    the file named like the release notebook (the newest if several), else the only notebook."""
    latest = max(c.attempt for c in cands)
    group = [c for c in cands if c.attempt == latest]
    named = [c for c in group if c.matches]
    if named or len(group) == 1:
        kept = max(named or group, key=lambda c: c.newer)
        superseded = [(c.entry, f"older attempt; kept {kept.entry}") for c in cands if c.attempt < latest]
        superseded += [(c.entry, f"same notebook again; kept the newer {kept.entry}") for c in named if c is not kept]
        unmapped = [(c.entry, f"another notebook in the same submission; kept {kept.entry}")
                    for c in group if c is not kept and not c.matches]
        return kept, superseded, unmapped
    why = f"{len(group)} notebooks in the latest submission and none is named {notebook}; pick one by hand"
    return None, [(c.entry, "older attempt of a submission that was not collected") for c in cands
                  if c.attempt < latest], [(c.entry, why) for c in group]


def _finish(assignment: str, notebook: str, roster: list[Student], out: Path, candidates: list[_Candidate],
            unmapped: list[tuple[str, str]]) -> Summary:
    out.mkdir(parents=True, exist_ok=True)
    by_student: dict[str, list[_Candidate]] = {}
    for c in candidates:
        by_student.setdefault(c.student.student_id, []).append(c)
    records, superseded = [], []
    staging = Path(tempfile.mkdtemp(prefix=f".collect-{assignment}-", dir=out))  # same file system: rename
    try:
        for sid, cands in sorted(by_student.items()):
            kept, older, odd = _pick(cands, notebook)
            superseded += older
            unmapped += odd
            if kept is None:
                continue
            try:
                data = kept.read()
            except Exception as exc:  # a damaged, encrypted or swapped entry is that entry's problem only
                unmapped.append((kept.entry, f"could not be read ({type(exc).__name__}: {str(exc)[:120]})"))
                continue
            (staging / sid).mkdir()
            (staging / sid / notebook).write_bytes(data)
            records.append(Record(student_id=sid, assignment=assignment, file=f"{sid}/{assignment}/{notebook}",
                                  **kept.record))
        previous = read_manifest(out)
        _replace_folders(out, staging, assignment, {r["student_id"] for r in previous if r["assignment"] == assignment})
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _write_csv(out / MANIFEST, COLUMNS,
               [r for r in previous if r["assignment"] != assignment] + [asdict(r) for r in records])
    unmapped_file = out / f"unmapped-{assignment}.csv"
    if unmapped:
        _write_csv(unmapped_file, ["entry", "reason"], [{"entry": e, "reason": w} for e, w in unmapped])
    else:
        unmapped_file.unlink(missing_ok=True)  # a stale list from an earlier run would mislead
    got = {r.student_id for r in records}
    return Summary(assignment, records, [s for s in roster if s.student_id not in got], unmapped, superseded,
                   out / MANIFEST, unmapped_file if unmapped else None)


def _replace_folders(out: Path, staging: Path, assignment: str, previous_ids: set[str]) -> None:
    """This assignment's folders of the last run and of this one go; other assignments' stay."""
    new_ids = {p.name for p in staging.iterdir()}
    for sid in sorted(previous_ids | new_ids):
        if not sid or sid in (".", "..") or "/" in sid or "\0" in sid:  # an edited manifest names no other path
            continue
        student_dir = out / sid
        if os.path.islink(student_dir) or (student_dir.exists() and not student_dir.is_dir()):
            raise CourseError(f"{student_dir} is not a folder; move it away and collect again.")
        target = student_dir / assignment
        if os.path.islink(target) or target.is_file():
            target.unlink()
        elif target.is_dir():
            shutil.rmtree(target)
        if sid in new_ids:
            student_dir.mkdir(exist_ok=True)
            os.replace(staging / sid, target)


def read_manifest(out: Path) -> list[dict]:
    """The rows of ``OUT/submissions.csv`` (cells unquoted); [] when there is none."""
    path = out / MANIFEST
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return [{k: unquote_cell(v or "") for k, v in row.items() if k in COLUMNS} for row in csv.DictReader(f)]


def _write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    """Atomically (temp file, then rename); every text cell quoted against spreadsheet formulas."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=columns, restval="", extrasaction="ignore")
            w.writeheader()
            for row in sorted(rows, key=lambda r: (str(r.get("assignment", "")), str(r.get("student_id", "")))):
                w.writerow({k: v if isinstance(v, int) else quote_cell(str(v)) for k, v in row.items()})
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _printable(name: str) -> str:
    """A file name as text that can be printed and written as UTF-8 (undecodable bytes escaped)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


# ---- command line -------------------------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Fill the ``collect`` subparser with its ``canvas`` and ``folder`` subcommands."""
    sub = parser.add_subparsers(dest="source", required=True, metavar="{canvas,folder}")
    c = sub.add_parser("canvas", help="a Canvas 'Download Submissions' zip")
    c.add_argument("zip", type=Path, metavar="ZIP", help="the zip Canvas gave (Assignment > Download Submissions)")
    c.add_argument("--times", type=Path, default=None,
                   help="submission times: the JSON of Canvas's List Submissions API for this assignment "
                        "(the zip has none; without it a late file counts as 1 late day)")
    f = sub.add_parser("folder", help="a folder of <student_id>_*.ipynb files (e.g. saved from email)")
    f.add_argument("folder", type=Path, metavar="FOLDER")
    for p in (c, f):
        p.add_argument("assignment", metavar="ASSIGNMENT", help="assignment name, e.g. hw3")
        p.add_argument("--roster", type=Path, required=True,
                       help="Canvas gradebook export, or a CSV with a student_id / SID / Email column")
        p.add_argument("--out", type=Path, required=True,
                       help="submissions folder to fill (<student_id>/<assignment>/)")
        p.add_argument("--id-column", choices=ID_COLUMNS, default="sis_login_id",
                       help="roster column that becomes the student id (default: sis_login_id)")


def run(args: argparse.Namespace) -> int:
    """Collect, print a summary; 0 if every entry was used, 1 if some were not (CourseError: bad input)."""
    from .course import find_course
    from .roster import read_roster

    course = find_course()
    course.check_assignment(args.assignment)
    roster = read_roster(args.roster, args.id_column)
    if args.source == "canvas":
        summary = collect_canvas(args.zip, args.assignment, roster, args.out, course, canvas_times(args.times))
    else:
        summary = collect_folder(args.folder, args.assignment, roster, args.out, course)
    print(format_summary(summary))
    return EXIT_SOME_FAILED if summary.unmapped else EXIT_OK


def format_summary(s: Summary) -> str:
    shown = lambda text: "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)  # no terminal escapes
    lines = [f"older attempt skipped: {shown(e)} ({shown(w)})" for e, w in s.superseded]
    lines += [f"unmapped: {shown(e)}: {shown(w)}" for e, w in s.unmapped]
    lines += [f"missing: {m.name or m.student_id} ({m.student_id})" for m in s.missing]
    names = ", ".join(m.name or m.student_id for m in s.missing)
    lines.append(f"{s.assignment}: collected {len(s.collected)}, late {s.late}, resubmitted {s.resubmitted}, "
                 f"missing {len(s.missing)}" + (f" ({names})" if names else "")
                 + (f", unmapped {len(s.unmapped)} -> {s.unmapped_file}" if s.unmapped else ", unmapped 0")
                 + f"; wrote {s.manifest}")
    return "\n".join(lines)
