"""Finding and checking submissions laid out as ``<student_id>/<assignment>/*.ipynb``.

Everything below the submissions folder is the students' (it usually comes out of an archive they
filled), so it is walked without following symbolic links, and only the expected notebooks are
read, each once (see :mod:`.untrusted_file`). The grader uses ``Submission.notebook`` and
``Submission.digest`` and never goes back to the files.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CourseError
from .untrusted_file import load_notebook

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


@dataclass
class Submission:
    student_id: str
    folder: Path | None  # SUBMISSIONS_DIR/<student>/<assignment>, None if absent or refused
    problems: list[str] = field(default_factory=list)  # why it cannot be graded (status "invalid")
    notes: list[str] = field(default_factory=list)  # graded anyway, but worth saying
    notebook: dict | None = None  # the first expected notebook, parsed (nbformat v4); None if invalid
    digest: str = ""  # sha256 hex of that notebook's bytes; '' if none was read


def read_notebook_problem(path: Path) -> str | None:
    """None if ``path`` is a notebook nbgrader can read, else a one-line reason (the file itself is
    opened without following a link or blocking, like every submitted notebook)."""
    return load_notebook(str(path)).problem


def _lmode(name: str, dir_fd: int) -> int | None:
    """The entry's own type bits (a link is a link), None if it does not exist."""
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode
    except FileNotFoundError:
        return None


def _students(root_fd: int, submissions_dir: Path) -> list[tuple[str, bool]]:
    """(name, is_a_link) of every student folder; a link to a folder is listed so that it gets a row
    that says why it is refused. Hidden entries and stray files are not students."""
    out = []
    for name in sorted(os.listdir(root_fd)):
        if name.startswith("."):
            continue
        mode = _lmode(name, root_fd)
        if mode is not None and stat.S_ISDIR(mode):
            out.append((name, False))
        elif mode is not None and stat.S_ISLNK(mode) and os.path.isdir(submissions_dir / name):
            out.append((name, True))
    return out


def _assignment_mode(root_fd: int, student: str, assignment: str) -> int | None:
    try:
        fd = os.open(student, _DIR_FLAGS, dir_fd=root_fd)
    except OSError:
        return None
    try:
        return _lmode(assignment, fd)
    except OSError:
        return None
    finally:
        os.close(fd)


def _folders_seen(root_fd: int, students: list[tuple[str, bool]]) -> list[str]:
    """Names of the assignment folders the students did make (for the error message)."""
    seen = set()
    for student, is_link in students:
        if is_link:
            continue
        try:
            fd = os.open(student, _DIR_FLAGS, dir_fd=root_fd)
        except OSError:
            continue
        try:
            seen |= {n for n in os.listdir(fd) if (m := _lmode(n, fd)) is not None and stat.S_ISDIR(m)}
        except OSError:
            pass
        finally:
            os.close(fd)
    return sorted(seen)


def discover(submissions_dir: Path, assignment: str, expected: list[str]) -> list[Submission]:
    """One :class:`Submission` per student folder; raises :class:`CourseError` when the folder
    cannot be a submissions folder at all (missing, empty, nothing for this assignment). Nothing a
    student put there raises: it becomes that submission's problem."""
    if not submissions_dir.exists():
        raise CourseError(f"Submissions folder {submissions_dir} does not exist.")
    if not submissions_dir.is_dir():
        raise CourseError(f"{submissions_dir} is a file; give the folder that holds <student_id>/{assignment}/.")
    # The instructor names this folder (it may be a link); everything inside is walked by descriptor.
    root_fd = os.open(submissions_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        students = _students(root_fd, submissions_dir)
        if not students:
            raise CourseError(
                f"Submissions folder {submissions_dir} is empty: expected one folder per student, laid out as "
                f"<student_id>/{assignment}/{expected[0] if expected else '<notebook>.ipynb'}."
            )
        if not any(is_link or _assignment_mode(root_fd, s, assignment) is not None for s, is_link in students):
            seen = _folders_seen(root_fd, students)
            raise CourseError(
                f"No submissions for {assignment!r} in {submissions_dir}: no <student_id>/{assignment}/ folder"
                + (f" (found assignment folders: {', '.join(seen)})." if seen else ".")
            )
        return [_one(root_fd, submissions_dir, student, is_link, assignment, expected)
                for student, is_link in students]
    finally:
        os.close(root_fd)


def _printable_id(name: str) -> str | None:
    """None if ``name`` is valid UTF-8, else a readable, distinct id for its row (grades.csv is UTF-8:
    a folder name with undecodable bytes would stop the whole batch when the row is written)."""
    try:
        name.encode("utf-8")
        return None
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _one(root_fd: int, submissions_dir: Path, student: str, is_link: bool, assignment: str,
         expected: list[str]) -> Submission:
    shown = _printable_id(student)
    if shown is not None:
        return Submission(shown, None, problems=[f"the folder name {shown} is not valid UTF-8; rename the "
                                                 "student's folder and grade again"])
    sub = Submission(student, None)
    if is_link:
        sub.problems.append(f"{student} is a symbolic link, not a folder; put the student's folder itself in the "
                            "submissions folder")
        return sub
    try:
        student_fd = os.open(student, _DIR_FLAGS, dir_fd=root_fd)
    except OSError as exc:
        sub.problems.append(f"{student}/ could not be opened ({exc.strerror or exc}); check its permissions")
        return sub
    try:
        _check_assignment(sub, student_fd, submissions_dir / student, assignment, expected)
    except Exception as exc:  # hostile input: whatever goes wrong is this submission's problem only
        sub.notebook, sub.folder = None, None
        sub.problems.append(f"{student}/{assignment} could not be read ({type(exc).__name__}: {str(exc)[:150]})")
    finally:
        os.close(student_fd)
    return sub


def _check_assignment(sub: Submission, student_fd: int, student_dir: Path, assignment: str,
                      expected: list[str]) -> None:
    where = f"{sub.student_id}/{assignment}"
    mode = _lmode(assignment, student_fd)
    if mode is None:
        sub.problems.append(f"nothing submitted for {assignment} (no {where}/ folder)")
        return
    if stat.S_ISLNK(mode):
        sub.problems.append(f"{where} is a symbolic link; submit the {assignment} folder itself")
        return
    if not stat.S_ISDIR(mode):
        sub.problems.append(f"nothing submitted for {assignment} ({where} is a file, not a folder)")
        return
    try:
        fd = os.open(assignment, _DIR_FLAGS, dir_fd=student_fd)
    except OSError as exc:
        sub.problems.append(f"{where}/ could not be opened ({exc.strerror or exc}); check its permissions")
        return
    try:
        sub.folder = student_dir / assignment
        present = sorted(n for n in os.listdir(fd) if n.endswith(".ipynb") and not n.startswith("."))
        for name in expected:
            if name not in present:
                others = [p for p in present if p not in expected]
                sub.notes.append(f"{name} is missing" + (f" (found {', '.join(others)})" if others else ""))
                continue
            loaded = load_notebook(name, fd)
            if loaded.problem:
                sub.problems.append(loaded.problem)
            if name == expected[0]:
                sub.notebook, sub.digest = loaded.notebook, loaded.digest
        extra = [p for p in present if p not in expected]
        if extra:
            sub.notes.append(f"ignored extra notebooks: {', '.join(extra)}")
        if all(name not in present for name in expected):
            sub.problems.append(
                f"no expected notebook found (expected {', '.join(expected)}; found {', '.join(present) or 'none'})"
            )
        if sub.problems:
            sub.notebook = None
    finally:
        os.close(fd)
