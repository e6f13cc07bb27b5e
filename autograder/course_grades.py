"""``dlcourse course-grades``: the course grade of every student, from ``grades.csv`` and the project.

Homework: each assignment counts as its final score (raw score less the late penalty) over its
points; the best ``homework_best`` of them are averaged (the rest are listed as dropped). Project:
each component is scored once per team (``scores.csv``) and lands in every member's grade, times the
member's adjustment factor (``adjustments.csv``, bounded), capped at the component's points.
Missing work counts 0 and is listed, so a student with nothing handed in still gets a line.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from . import results
from .errors import CourseError
from .lateness import final_score
from .term import Term

ADJUSTMENT_RANGE = ("0.80", "1.20")  # project/README.md: a member's share moves by at most 20 percent
CENT = Decimal("0.01")


@dataclass
class CourseGrade:
    student_id: str
    name: str = ""
    homework: dict[str, float] = field(default_factory=dict)  # assignment -> fraction after penalty
    dropped: list[str] = field(default_factory=list)
    homework_percent: float = 0.0
    project: dict[str, float] = field(default_factory=dict)  # component -> points after adjustment
    total: float = 0.0
    letter: str = ""
    missing: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)  # not graded yet (written answers, project parts)


_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_NUMBER = re.compile(r"\d+(\.\d{1,2})?")


def _read_csv(path: Path, needed: tuple[str, ...], what: str) -> list[tuple[int, dict]]:
    """(line number, record) of every row; the rules of project/README.md, or a CourseError naming
    the file, the line and the rule (nothing is guessed or skipped)."""
    if not Path(path).is_file():
        raise CourseError(f"{what} {path} does not exist.")
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        lacking = [c for c in needed if c not in (reader.fieldnames or [])]
        if lacking:
            raise CourseError(f"{path} lacks the column(s) {', '.join(lacking)} (a {what} has {', '.join(needed)}).")
        out = []
        for rec in reader:
            line = reader.line_num
            rec = {k: (rec.get(k) or "").strip() for k in needed}
            for k, v in rec.items():
                if not v:
                    raise CourseError(f"{path} line {line}: {k} is empty")
                if k in ("team", "student_id") and not _ID.fullmatch(v):
                    raise CourseError(f"{path} line {line}: {k} {v!r} is not an id ([A-Za-z0-9][A-Za-z0-9_.-]*)")
            out.append((line, rec))
        return out


def _number(text: str, where: str) -> Decimal:
    if not _NUMBER.fullmatch(text):
        raise CourseError(f"{where}: {text!r} is not a plain decimal with at most 2 digits after the point")
    return Decimal(text)


def project_points(term: Term, teams: Path | None, scores: Path | None,
                   adjustments: Path | None) -> tuple[dict[str, dict[str, float]], dict[str, str]]:
    """student -> component -> points (components without a team score yet are absent), and
    student -> team. Rules and arithmetic: project/README.md ("Files the course-grade command reads")."""
    components = term.grades.project
    if not components or teams is None or scores is None:
        return {}, {}
    team_of: dict[str, str] = {}
    for line, r in _read_csv(teams, ("team", "student_id"), "teams file"):
        if r["student_id"] in team_of:
            raise CourseError(f"{teams} line {line}: {r['student_id']} is on two teams "
                              f"({team_of[r['student_id']]}, {r['team']})")
        team_of[r["student_id"]] = r["team"]
    sizes = Counter(team_of.values())
    odd = sorted(t for t, n in sizes.items() if not 3 <= n <= 4)
    if odd:
        raise CourseError(f"{teams}: teams have 3 or 4 members; {', '.join(f'{t} has {sizes[t]}' for t in odd)}")
    team_scores: dict[str, dict[str, Decimal]] = {}
    for line, r in _read_csv(scores, ("team", "component", "score"), "project scores file"):
        comp, where = r["component"], f"{scores} line {line}"
        if comp not in components:
            raise CourseError(f"{where}: unknown component {comp!r} (course.toml has {', '.join(components)})")
        if r["team"] not in sizes:
            raise CourseError(f"{where}: team {r['team']!r} is not in {teams}")
        pts = _number(r["score"], where)
        if not 0 <= pts <= Decimal(str(components[comp][1])):
            raise CourseError(f"{where}: {pts} is outside 0..{components[comp][1]:g} for {comp}")
        if comp in team_scores.get(r["team"], {}):
            raise CourseError(f"{where}: a second score for {r['team']}'s {comp}")
        team_scores.setdefault(r["team"], {})[comp] = pts
    factors: dict[tuple[str, str], Decimal] = {}
    for line, r in (_read_csv(adjustments, ("student_id", "component", "factor"), "adjustments file")
                    if adjustments is not None else []):
        where, key = f"{adjustments} line {line}", (r["student_id"], r["component"])
        f = _number(r["factor"], where)
        lo, hi = (Decimal(str(x)) for x in ADJUSTMENT_RANGE)
        if not lo <= f <= hi:
            raise CourseError(f"{where}: factor {f} is outside {lo}..{hi}")
        if r["component"] not in components:
            raise CourseError(f"{where}: unknown component {r['component']!r}")
        if r["student_id"] not in team_of:
            raise CourseError(f"{where}: {r['student_id']} is on no team in {teams}")
        if key in factors:
            raise CourseError(f"{where}: a second factor for {key[0]}'s {key[1]}")
        factors[key] = f
    out = {}
    for sid, team in team_of.items():
        out[sid] = {comp: float(min(Decimal(str(components[comp][1])),
                                    (pts * factors.get((sid, comp), Decimal(1))).quantize(CENT, ROUND_HALF_UP)))
                    for comp, pts in team_scores.get(team, {}).items()}
    return out, team_of


def compute(term: Term, rows: list[results.Row], students: list[tuple[str, str]],
            project: dict[str, dict[str, float]], team_of: dict[str, str] | None = None) -> list[CourseGrade]:
    """``students``: (student_id, name) of everyone to grade, roster order."""
    policy = term.grades
    counted = list(policy.homework) + (["hw0"] if policy.hw0 == "homework" else [])
    by_key = {(r.student_id, r.assignment): r for r in rows}
    out = []
    for sid, name in students:
        g = CourseGrade(sid, name)
        for hw in counted:
            row = by_key.get((sid, hw))
            if row is None or (row.status == "invalid" and not row.submitted_at and row.score == 0):
                g.homework[hw] = 0.0
                g.missing.append(hw)
                continue
            g.homework[hw] = final_score(row) / row.max_score if row.max_score else 0.0
            if row.manual_pending:
                g.pending.append(hw)
        ranked = sorted(counted, key=lambda hw: (-g.homework[hw], counted.index(hw)))
        best = ranked[: policy.homework_best]
        g.dropped = [hw for hw in counted if hw not in best]
        mean = sum(g.homework[hw] for hw in best) / len(best) if best else 0.0
        g.homework_percent = round(100 * mean, 4)
        total = policy.homework_weight * mean
        if policy.project and team_of is not None and sid not in team_of:
            g.pending.append("no project team")
        for comp, (weight, out_of) in policy.project.items():
            pts = project.get(sid, {}).get(comp)
            if pts is None:  # not scored yet (or no team): counts 0 for now, and the line says so
                if team_of is None:
                    g.missing.append(comp)
                elif sid in team_of:
                    g.pending.append(comp)
                pts = 0.0
            g.project[comp] = pts
            total += weight * pts / out_of
        g.total = round(total, 2)
        g.letter = policy.letter(g.total)
        out.append(g)
    return out


def write(out_dir: Path, term: Term, grades: list[CourseGrade]) -> Path:
    policy = term.grades
    counted = list(policy.homework) + (["hw0"] if policy.hw0 == "homework" else [])
    fields = (["student_id", "name"] + counted + ["dropped", "homework_percent"] + list(policy.project)
              + ["total", "letter", "missing", "pending"])
    path = Path(out_dir) / "course_grades.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(fields)
        for g in grades:
            w.writerow([results.quote_cell(g.student_id), results.quote_cell(g.name)]
                       + [f"{100 * g.homework[hw]:.2f}" for hw in counted]
                       + [";".join(g.dropped), f"{g.homework_percent:.2f}"]
                       + [f"{g.project[c]:g}" for c in policy.project]
                       + [f"{g.total:.2f}", g.letter, ";".join(g.missing), ";".join(g.pending)])
    return path


def write_canvas_import(out_dir: Path, term: Term, grades: list[CourseGrade], roster) -> Path:
    """A gradebook CSV for Canvas's Grades > Import: the identity columns of Canvas's own export,
    a "Points Possible" row, then one column per grade. Canvas matches a column to an existing
    assignment by its "name (id)" header and creates an assignment for any other name."""
    policy = term.grades
    by_id = {s.student_id: s for s in roster}
    columns = [(f"{hw} (dlcourse)", 100.0) for hw in policy.homework] + [("Homework (dlcourse)", 100.0)]
    columns += [(f"Project {c.replace('_', ' ')} (dlcourse)", out_of) for c, (_, out_of) in policy.project.items()]
    columns += [("Course total (dlcourse)", 100.0)]
    path = Path(out_dir) / "course_grades_canvas_import.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section"] + [c for c, _ in columns])
        w.writerow(["    Points Possible", "", "", "", ""] + [f"{p:g}" for _, p in columns])
        for g in grades:
            s = by_id[g.student_id]
            values = [100 * g.homework[hw] for hw in policy.homework] + [g.homework_percent]
            values += [g.project[c] for c in policy.project] + [g.total]
            w.writerow([results.quote_cell(x) for x in (s.name, s.canvas_id, s.sis_user_id, s.sis_login_id,
                                                         s.section)] + [f"{v:.2f}" for v in values])
    return path
