"""``dlcourse release``: generate the student version of assignments into ``release/``."""

from __future__ import annotations

import filecmp
import shutil
import tempfile
from pathlib import Path

from .course import Course
from .errors import CourseError
from .nbgrader_api import prepare_workspace


class AuthoringProblems(CourseError):
    """Assignments that break the authoring rules (``authoring.py``): nothing was released."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        super().__init__("source/ breaks the authoring rules, nothing released:\n  " + "\n  ".join(lines))


def authoring_problems(course: Course, assignments: list[str]) -> list[str]:
    """One line per problem, e.g. ``hw0 test_softmax: assert in the hidden part (line 17): ...``."""
    import json

    from . import acknowledgements, self_check
    from .authoring import lint_notebook

    return [f"{name} {problem}" for name in assignments for nb in course.notebooks(name)
            for parsed in [json.loads(nb.read_text())]
            for problem in lint_notebook(nb) + self_check.problems(parsed, name) + acknowledgements.problems(parsed)]


def generate(course: Course, assignment: str, dest: Path) -> Path:
    """Generate ``assignment`` with nbgrader into ``dest/<assignment>`` (replacing it)."""
    course.check_assignment(assignment)
    with tempfile.TemporaryDirectory(prefix="dlcourse-release-") as tmp:
        ws = Path(tmp)
        prepare_workspace(ws, course.source / assignment, assignment)
        out = dest / assignment
        if out.exists():
            shutil.rmtree(out)
        shutil.copytree(ws / "release" / assignment, out)
    return out


def release(course: Course, assignments: list[str]) -> list[Path]:
    # all or nothing: a student must never receive a notebook whose hidden tests the grader can't trust
    problems = authoring_problems(course, assignments)
    if problems:
        raise AuthoringProblems(problems)
    from . import self_check

    out = [generate(course, a, course.release) for a in assignments]
    self_check.write(course)  # what ready_to_submit compares against, from the student versions
    return out


def differences(course: Course, assignment: str) -> list[str]:
    """Files that differ between the committed ``release/<assignment>`` and a fresh generation."""
    with tempfile.TemporaryDirectory(prefix="dlcourse-check-") as tmp:
        fresh = generate(course, assignment, Path(tmp))
        committed = course.release / assignment
        if not committed.is_dir():
            return [f"release/{assignment} is missing"]
        stale = [f"release/{assignment}/{name}" for name in _diff(filecmp.dircmp(fresh, committed))]
    from . import self_check

    if not stale and self_check.out_of_date(course):
        stale.append(str(self_check.manifest_path(course).relative_to(course.root)))
    return stale


def _diff(cmp: filecmp.dircmp, prefix: str = "") -> list[str]:
    # dircmp's own diff_files compares os.stat signatures only; compare contents instead.
    out = [prefix + n for n in cmp.left_only + cmp.right_only]
    for name in cmp.common_files:
        if Path(cmp.left, name).read_bytes() != Path(cmp.right, name).read_bytes():
            out.append(prefix + name)
    for name, sub in cmp.subdirs.items():
        out += _diff(sub, f"{prefix}{name}/")
    return sorted(out)
