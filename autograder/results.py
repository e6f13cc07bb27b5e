"""Grade rows: what ``grades.csv`` holds, and how rows of several runs are merged."""

from __future__ import annotations

import csv
import re
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
    # Lateness, from the submission time the LMS recorded and the term's due dates (autograder/term.py);
    # ``penalty`` is in points and is never subtracted from ``score``: course grades do that.
    submitted_at: str = ""
    late_days: float = 0.0
    penalty: float = 0.0
    acknowledgements_missing: str = ""  # problems whose "Collaborators and AI use" field was left empty

    @property
    def key(self):
        return (self.student_id, self.assignment)


COLUMNS = [f.name for f in fields(Row)]
NUMBERS = ("score", "max_score", "auto_score", "auto_max_score", "manual_pending", "late_days", "penalty")

# Spreadsheets run a cell that starts with one of these as a formula; student ids are folder names
# a student chose, so grades.csv must never start a cell with them. A leading quote marks the cell
# as text. Cells that already start with quotes before such a character get one more, so that
# unquote_cell(quote_cell(s)) == s for every s and a real id that starts with a quote survives.
FORMULA_START = "=+-@\t\r"
_NEEDS_QUOTE = re.compile(f"'*[{re.escape(FORMULA_START)}]")
_QUOTED = re.compile(f"'+[{re.escape(FORMULA_START)}]")


def quote_cell(text: str) -> str:
    """A text cell as written to a CSV: never read as a formula."""
    return "'" + text if _NEEDS_QUOTE.match(text) else text


def unquote_cell(text: str) -> str:
    """The inverse of :func:`quote_cell`, for every cell read back from our CSVs."""
    return text[1:] if _QUOTED.match(text) else text


def read_rows(path: Path) -> list[Row]:
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        rows = []
        for rec in csv.DictReader(f):
            kw = {k: unquote_cell(rec.get(k) or "") for k in COLUMNS}
            for k in NUMBERS:
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
            rec = {k: quote_cell(str(v)) for k, v in asdict(row).items()}
            for k in NUMBERS:
                rec[k] = f"{getattr(row, k):g}"  # a negative number stays a number
            writer.writerow(rec)
    tmp.replace(path)


def merge(existing: list[Row], new: list[Row]) -> list[Row]:
    """New rows replace old rows of the same (student, assignment); others are kept."""
    by_key = {r.key: r for r in existing}
    by_key.update({r.key: r for r in new})
    return list(by_key.values())


def format_table(rows: list[Row]) -> str:
    header = ["student_id", "assignment", "score", "autograded", "written (pending)", "late", "status", "reason"]
    body = []
    for r in sorted(rows, key=lambda r: (r.assignment, r.student_id)):
        body.append([
            r.student_id,
            r.assignment,
            f"{r.score:g}/{r.max_score:g}",
            f"{r.auto_score:g}/{r.auto_max_score:g}",
            f"{r.manual_pending:g} pts" if r.manual_pending else "-",
            f"{r.late_days:g}d, -{r.penalty:g}" if r.late_days else "-",
            r.status,
            r.reason,
        ])
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body)]
    widths[-1] = min(widths[-1], 70)
    line = lambda cells: "  ".join(str(c)[: w] .ljust(w) for c, w in zip(cells, widths)).rstrip()
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(b) for b in body])
