"""Grade rows: what ``grades.csv`` holds, and how rows of several runs are merged."""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, fields
from pathlib import Path

STATUSES = ("graded", "flagged", "timeout", "crashed", "invalid")


@dataclass
class Row:
    student_id: str
    assignment: str
    score: float = 0.0  # points earned so far: autograded plus any manual grade already given
    max_score: float = 0.0  # every point of the assignment, written answers included
    auto_score: float = 0.0
    auto_max_score: float = 0.0
    manual_pending: float = 0.0  # points of answered written questions awaiting a human grader
    status: str = "graded"
    reason: str = ""

    @property
    def key(self):
        return (self.student_id, self.assignment)


COLUMNS = [f.name for f in fields(Row)]


def read_rows(path: Path) -> list[Row]:
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        rows = []
        for rec in csv.DictReader(f):
            kw = {k: rec.get(k, "") for k in COLUMNS}
            for k in ("score", "max_score", "auto_score", "auto_max_score", "manual_pending"):
                kw[k] = float(kw[k] or 0)
            rows.append(Row(**kw))
        return rows


def write_rows(path: Path, rows: list[Row]) -> None:
    """Write atomically (a temp file renamed into place), so a crash never leaves half a CSV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        for row in sorted(rows, key=lambda r: (r.assignment, r.student_id)):
            rec = asdict(row)
            for k in ("score", "max_score", "auto_score", "auto_max_score", "manual_pending"):
                rec[k] = f"{rec[k]:g}"
            writer.writerow(rec)
    tmp.replace(path)


def merge(existing: list[Row], new: list[Row]) -> list[Row]:
    """New rows replace old rows of the same (student, assignment); others are kept."""
    by_key = {r.key: r for r in existing}
    by_key.update({r.key: r for r in new})
    return list(by_key.values())


def format_table(rows: list[Row]) -> str:
    header = ["student_id", "assignment", "score", "autograded", "written (pending)", "status", "reason"]
    body = []
    for r in sorted(rows, key=lambda r: (r.assignment, r.student_id)):
        body.append([
            r.student_id,
            r.assignment,
            f"{r.score:g}/{r.max_score:g}",
            f"{r.auto_score:g}/{r.auto_max_score:g}",
            f"{r.manual_pending:g} pts" if r.manual_pending else "-",
            r.status,
            r.reason,
        ])
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body)]
    widths[-1] = min(widths[-1], 70)
    line = lambda cells: "  ".join(str(c)[: w] .ljust(w) for c, w in zip(cells, widths)).rstrip()
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(b) for b in body])
