"""The term's configuration (``course.toml``): due dates, the late policy, extensions, and the
course-grade policy; and the late-day arithmetic every command shares.

Lateness is decided from the time the LMS recorded for the submission (``submissions.csv``, written
by ``dlcourse collect``), never from anything inside the notebook: a student can write any date there.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import CourseError

DEFAULT_FILE = "course.toml"
ID_COLUMNS = ("sis_login_id", "sis_user_id", "canvas_id", "email")


@dataclass(frozen=True)
class LatePolicy:
    grace_minutes: float = 0.0
    penalty_per_day: float = 0.0  # percent of the assignment's points per late day
    penalty_table: tuple[float, ...] = ()  # percent after 1, 2, ... late days (overrides per_day)
    max_penalty: float = 100.0
    max_late_days: float | None = None  # later than this: penalty 100 percent

    def percent(self, late_days: float) -> float:
        if late_days <= 0:
            return 0.0
        if self.max_late_days is not None and late_days > self.max_late_days:
            return 100.0
        if self.penalty_table:
            pct = self.penalty_table[min(int(late_days), len(self.penalty_table)) - 1]
        else:
            pct = self.penalty_per_day * late_days
        return min(pct, self.max_penalty)


@dataclass(frozen=True)
class GradePolicy:
    homework: tuple[str, ...] = ()
    homework_best: int = 0
    homework_weight: float = 0.0
    hw0: str = "ignore"
    project: dict[str, tuple[float, float]] = field(default_factory=dict)  # component -> (weight, out of)
    letters: tuple[tuple[str, float], ...] = ()  # (letter, lowest percent), highest first

    def letter(self, percent: float) -> str:
        for name, low in self.letters:
            if percent >= low - 1e-9:
                return name
        return self.letters[-1][0] if self.letters else ""


@dataclass(frozen=True)
class Term:
    path: Path
    name: str
    tz: ZoneInfo
    student_id: str
    late: LatePolicy
    due: dict[str, datetime]  # aware datetimes
    extensions: dict[str, dict[str, float]]  # student -> assignment -> days
    grades: GradePolicy

    def due_for(self, student: str, assignment: str) -> datetime | None:
        due = self.due.get(assignment)
        if due is None:
            return None
        return due + timedelta(days=self.extensions.get(student, {}).get(assignment, 0.0))

    def late_days(self, student: str, assignment: str, submitted_at: str) -> float:
        """Started days past the due date (plus extension and grace); 0 when on time or unknown."""
        due = self.due_for(student, assignment)
        when = parse_time(submitted_at, self.tz) if submitted_at else None
        if due is None or when is None:
            return 0.0
        late = (when - due - timedelta(minutes=self.late.grace_minutes)).total_seconds()
        return float(math.ceil(late / 86400)) if late > 0 else 0.0

    def penalty(self, student: str, assignment: str, submitted_at: str, max_score: float) -> tuple[float, float]:
        """(late_days, penalty in points) for a submission worth ``max_score`` points."""
        days = self.late_days(student, assignment, submitted_at)
        return days, round(max_score * self.late.percent(days) / 100.0, 6)


def parse_time(text: str, tz: ZoneInfo) -> datetime:
    """ISO 8601; a time without an offset is local time of the term's zone."""
    try:
        t = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise CourseError(f"{text!r} is not a date and time (expected ISO 8601, e.g. 2027-02-12T23:59)") from exc
    return t if t.tzinfo else t.replace(tzinfo=tz)


def load(path: Path) -> Term:
    path = Path(path)
    if not path.is_file():
        raise CourseError(f"No term configuration at {path}: copy course.toml from the repository and edit it, "
                          "or pass --term FILE.")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CourseError(f"{path} is not valid TOML: {exc}") from exc
    where = lambda key: f"{path}: {key}"  # noqa: E731
    t = data.get("term", {})
    try:
        tz = ZoneInfo(t.get("timezone", "UTC"))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CourseError(f"{where('term.timezone')}: unknown time zone {t.get('timezone')!r}") from exc
    sid = t.get("student_id", "sis_login_id")
    if sid not in ID_COLUMNS:
        raise CourseError(f"{where('term.student_id')} must be one of {', '.join(ID_COLUMNS)}, not {sid!r}")
    la = data.get("late", {})
    late = LatePolicy(grace_minutes=float(la.get("grace_minutes", 0)),
                      penalty_per_day=float(la.get("penalty_per_day", 0)),
                      penalty_table=tuple(float(x) for x in la.get("penalty_table", ())),
                      max_penalty=float(la.get("max_penalty", 100)),
                      max_late_days=la.get("max_late_days"))
    due = {}
    for name, text in data.get("assignments", {}).items():
        try:
            due[name] = parse_time(str(text), tz)
        except CourseError as exc:
            raise CourseError(f"{where('assignments.' + name)}: {exc}") from exc
    extensions = {}
    for student, per in data.get("extensions", {}).items():
        if not isinstance(per, dict):
            raise CourseError(f"{where('extensions.' + student)}: write {{ hw3 = 2 }} (assignment = days)")
        unknown = [a for a in per if a not in due]
        if unknown:
            raise CourseError(f"{where('extensions.' + student)}: no due date for {', '.join(unknown)}")
        extensions[student] = {a: float(d) for a, d in per.items()}
    _check_schedule(data, due, tz, where)
    return Term(path, t.get("name", ""), tz, sid, late, due, extensions, _grade_policy(data.get("grades", {}), where))


def _check_schedule(data: dict, due: dict[str, datetime], tz: ZoneInfo, where) -> None:
    """Every assignment is due at least ``min_days_after_lecture`` days after each lecture it covers."""
    lectures = dict(data.get("lectures", {}))
    gap = float(lectures.pop("min_days_after_lecture", 0))
    taught = {}
    for lecture, day in lectures.items():
        try:
            taught[lecture] = parse_time(str(day), tz)
        except CourseError as exc:
            raise CourseError(f"{where('lectures.' + lecture)}: {exc}") from exc
    for assignment, needs in data.get("covers", {}).items():
        if assignment not in due:
            raise CourseError(f"{where('covers.' + assignment)}: no due date for {assignment} in [assignments]")
        for lecture in needs:
            if lecture not in taught:
                raise CourseError(f"{where('covers.' + assignment)}: lecture {lecture!r} has no date in [lectures]")
            if due[assignment] < taught[lecture] + timedelta(days=gap):
                raise CourseError(
                    f"{where('covers.' + assignment)}: {assignment} is due {due[assignment]:%Y-%m-%d}, but it needs "
                    f"lecture {lecture} taught {taught[lecture]:%Y-%m-%d}; move the due date to at least "
                    f"{taught[lecture] + timedelta(days=gap):%Y-%m-%d} or change what it covers")


def _grade_policy(g: dict, where) -> GradePolicy:
    hw0 = g.get("hw0", "ignore")
    if hw0 not in ("ignore", "homework"):
        raise CourseError(f"{where('grades.hw0')} must be \"ignore\" or \"homework\", not {hw0!r}")
    homework = tuple(g.get("homework", ()))
    best = int(g.get("homework_best", len(homework)))
    if best > len(homework) + (hw0 == "homework"):
        raise CourseError(f"{where('grades.homework_best')} = {best} but only {len(homework)} homework are listed")
    project = {}
    for name, spec in g.get("project", {}).items():
        if not (isinstance(spec, list) and len(spec) == 2 and spec[1] > 0):
            raise CourseError(f"{where('grades.project.' + name)}: write [weight, points it is scored out of]")
        project[name] = (float(spec[0]), float(spec[1]))
    letters = tuple(sorted(((k, float(v)) for k, v in g.get("letters", {}).items()), key=lambda kv: -kv[1]))
    total = float(g.get("homework_weight", 0)) + sum(w for w, _ in project.values())
    if abs(total - 100) > 1e-6 and (homework or project):
        raise CourseError(f"{where('grades')}: homework_weight and the project weights add up to {total:g}, not 100")
    return GradePolicy(homework, best, float(g.get("homework_weight", 0)), hw0, project, letters)


def find(course_root: Path, given: Path | None) -> Path:
    return Path(given) if given else Path(course_root) / DEFAULT_FILE
