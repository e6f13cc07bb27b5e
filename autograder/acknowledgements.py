"""The per-problem "Collaborators and AI use" field of every assignment.

The syllabus asks students to acknowledge, for each problem, whom they worked with and any AI tool
they used. Each problem of an assignment (a ``## N. Title`` section holding at least one answer or
test cell) ends with one markdown cell::

    **Collaborators and AI use (problem N):** _Replace this line: ..._

whose metadata says which problem it belongs to: ``{"dlcourse": {"acknowledgement": "N"}}``. It has
no nbgrader metadata, so nbgrader's generate_assignment copies it to the release unchanged and
unlocked (LockCells and ClearSolutions only touch cells with nbgrader metadata): students edit it,
and it is worth no points. Several ``## N.`` headings in one markdown cell (hw2's problems 5 and 6
share one answer cell) make a section of several problems, each with its own field at its end.

- :func:`problems`: the authoring rule ``dlcourse release`` enforces (``release.authoring_problems``);
- :func:`missing`: the problems whose field a student left empty, as the placeholder, or deleted;
- :func:`column`: that list as grades.csv's ``acknowledgements_missing`` (never raises, never points);
- ``python -m autograder.acknowledgements source/hwN/hwN.ipynb``: adds the missing fields.

The student notebook is hostile input: it is only read (a parsed dict), never executed, and every
text taken from it is capped.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

META_KEY, META_FIELD = "dlcourse", "acknowledgement"
LABEL = "Collaborators and AI use"
PLACEHOLDER = ('_Replace this line: name everyone you worked with on this problem and any AI tool you used, '
               'and what for; write "none" if you had no help._')
SEPARATOR = "; "  # between problem ids in grades.csv

MAX_CELLS = 5000  # of a student notebook, looked at
MAX_TEXT = 20_000  # characters of one student cell, looked at
MAX_ID = 32

_HEADING = re.compile(r"^ {0,3}(#{1,2})(?:\s+(.*?))?\s*#*\s*$")  # levels 1 and 2 start a section
_PROBLEM = re.compile(r"^(\d+[A-Za-z]?)\.(?:\s|$)")  # "## 7. Written answers" -> "7"
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
# The field's label, bold or not, at the start of a cell: "**Collaborators and AI use (problem 7):**".
_LABEL = re.compile(r"^[\s*_#>]*collaborators\s+and\s+ai\s+use\s*\(\s*problem\s+([0-9A-Za-z]{1,8})\s*\)\s*:?[\s*_]*",
                    re.I)


def label(problem: str) -> str:
    return f"**{LABEL} (problem {problem}):**"


def field_text(problem: str) -> str:
    return f"{label(problem)} {PLACEHOLDER}"


def field_cell(problem: str, cell_id: str | None = None) -> dict:
    """The cell to put at the end of problem ``problem``'s section (``deletable: false`` keeps
    Jupyter from deleting it by accident; it stays editable)."""
    return {"cell_type": "markdown", "id": cell_id or f"ack-{problem}",
            "metadata": {"deletable": False, META_KEY: {META_FIELD: problem}}, "source": [field_text(problem)]}


# -- reading notebooks ----------------------------------------------------------------------------

def _text(cell, cap: int | None = None) -> str:
    """A cell's source as one string (at most ``cap`` characters); "" for anything malformed."""
    src = cell.get("source", "") if isinstance(cell, dict) else ""
    parts = [src] if isinstance(src, str) else src[:cap] if isinstance(src, list) else []
    out, size = [], 0
    for part in parts:
        if not isinstance(part, str):
            return ""
        out.append(part)
        size += len(part)
        if cap is not None and size >= cap:
            break
    text = "".join(out)
    return text[:cap] if cap is not None else text


def _meta(cell) -> dict:
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    return meta if isinstance(meta, dict) else {}


def field_id(cell) -> str | None:
    """The problem id a cell's metadata names it the field of, else None."""
    ours = _meta(cell).get(META_KEY)
    pid = ours.get(META_FIELD) if isinstance(ours, dict) else None
    return pid[:MAX_ID] if isinstance(pid, str) else None


def _nbgrader(cell) -> dict:
    meta = _meta(cell).get("nbgrader")
    return meta if isinstance(meta, dict) else {}


def _graded(cell) -> bool:
    meta = _nbgrader(cell)
    return bool(meta.get("grade") or meta.get("solution"))


def _headings(text: str) -> list[tuple[int, str]]:
    """(level, title) of the level-1 and level-2 headings of a markdown text, outside code fences."""
    out, fenced = [], False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and (m := _HEADING.match(line)):
            out.append((len(m.group(1)), (m.group(2) or "").strip()))
    return out


@dataclass
class Section:
    """Cells from one heading cell (a markdown cell with a ``#`` or ``##`` heading) to the next."""

    start: int  # index of the heading cell (0 for what comes before the first heading)
    end: int = 0  # index after the last cell
    headings: list[str] = field(default_factory=list)  # "## 1. Title" lines
    numbers: list[str] = field(default_factory=list)  # problem ids of its numbered ## headings
    graded: list[str] = field(default_factory=list)  # grade_ids of its answer and test cells
    fields: list[tuple[int, str]] = field(default_factory=list)  # (cell index, problem id)

    @property
    def name(self) -> str:
        return " / ".join(f'"{h}"' for h in self.headings) or "the cells before the first heading"


def sections(nb: dict) -> list[Section]:
    cells = nb.get("cells", [])
    out = [Section(0)]
    for i, cell in enumerate(cells):
        pid = field_id(cell)
        heads = _headings(_text(cell)) if cell.get("cell_type") == "markdown" and pid is None else []
        if heads:
            out[-1].end = i
            sec = Section(i)
            for level, title in heads:
                number = _PROBLEM.match(title) if level == 2 else None
                sec.headings.append("#" * level + " " + title)
                if number:
                    sec.numbers.append(number.group(1))
            out.append(sec)
        if pid is not None:
            out[-1].fields.append((i, pid))
        elif _graded(cell):
            out[-1].graded.append(str(_nbgrader(cell).get("grade_id") or f"cell {i}"))
    out[-1].end = len(cells)
    return out


def field_ids(source_nb: dict) -> list[str]:
    """The problem ids of the fields of an assignment notebook, in notebook order."""
    return [pid for cell in source_nb.get("cells", []) if (pid := field_id(cell)) is not None]


# -- the authoring rule ------------------------------------------------------------------------

def _how(problem: str) -> str:
    return (f'a markdown cell with metadata {{"{META_KEY}": {{"{META_FIELD}": "{problem}"}}}} and the text '
            f"{field_text(problem)!r} (python -m autograder.acknowledgements <notebook> adds it)")


def problems(source_nb: dict) -> list[str]:
    """One line per break of the rule: every problem section holds its own ungraded field (put at its end)."""
    out: list[str] = []
    cells = source_nb.get("cells", [])
    seen: dict[str, int] = {}
    for sec in sections(source_nb):
        if sec.graded and not sec.numbers:
            out.append(f"graded cells {', '.join(sec.graded)} are in {sec.name}, which is not a numbered problem: "
                       f"put them under a '## N. Title' heading, with their '{LABEL}' field at the end")
        for i, pid in sec.fields:
            seen[pid] = seen.get(pid, 0) + 1
            where = f"the '{LABEL}' field for problem {pid!r} (cell {i})"
            if not sec.graded or pid not in sec.numbers:
                what = f"problem {', '.join(sec.numbers)}" if sec.graded and sec.numbers else sec.name
                out.append(f"{where} is outside its problem: it sits in {what}; move it to the end of "
                           f"problem {pid}'s section, or delete it")
            out += [f"{where} {why}" for why in _field_problems(cells[i], pid)]
        have = {pid for _, pid in sec.fields}
        for number in sec.numbers if sec.graded else []:
            if number not in have:
                out.append(f"problem {number} ({sec.name}) has no '{LABEL}' field: add at the end of the section "
                           + _how(number))
    out += [f"problem {pid} has {n} '{LABEL}' fields: keep one" for pid, n in seen.items() if n > 1]
    for i, cell in enumerate(cells):
        m = _LABEL.match(_text(cell)) if cell.get("cell_type") == "markdown" else None
        if m and field_id(cell) is None:
            out.append(f"cell {i} reads like the '{LABEL}' field of problem {m.group(1)} but has no "
                       f'"{META_KEY}" metadata: the grader would not find it; use ' + _how(m.group(1)))
    return out


def _field_problems(cell: dict, pid: str) -> list[str]:
    out = []
    if cell.get("cell_type") != "markdown":
        out.append("must be a markdown cell")
    nbg = _nbgrader(cell)
    if any(nbg.get(k) for k in ("grade", "solution", "locked", "points")):
        out.append("must have no nbgrader grade/solution/locked/points: it is worth no points and students edit it")
    if _meta(cell).get("editable") is False:
        out.append('is not editable ("editable": false): students must be able to fill it in')
    m = _LABEL.match(_text(cell))
    if not m or m.group(1) != pid:
        out.append(f"must start with {label(pid)!r}: without metadata (some editors drop it) it is found by it")
    return out


# -- a student's notebook ----------------------------------------------------------------------

def _norm(text: str) -> str:
    return " ".join(text.split()).lower()


def _answer(text: str) -> tuple[str | None, str]:
    """(problem id named by the label or None, the text after the label)."""
    m = _LABEL.match(text)
    return (m.group(1), text[m.end():]) if m else (None, text)


def _expected(source_nb: dict) -> dict[str, str]:
    """problem id -> its placeholder (the source field's text after the label), normalized."""
    out = {}
    for cell in source_nb.get("cells", []):
        pid = field_id(cell)
        if pid is not None and pid not in out:
            out[pid] = _norm(_answer(_text(cell))[1]).strip("_* ")
    return out


def _filled(text: str, placeholder: str) -> bool:
    rest = _norm(_answer(text)[1])
    if placeholder:
        rest = rest.replace(placeholder, " ")
    return re.search(r"\w", rest.replace("_", " ")) is not None


def missing(source_nb: dict, student_nb) -> list[str]:
    """Problem ids (source order) whose field the student left empty, left as the placeholder, or
    deleted. A field is the cell whose metadata names the problem or, when an editor dropped the
    metadata, a cell starting with its label; any filled copy counts. Unreadable input: all missing."""
    expected = _expected(source_nb)
    try:
        cells = student_nb.get("cells") if isinstance(student_nb, dict) else None
        answered: set[str] = set()
        for cell in cells[:MAX_CELLS] if isinstance(cells, list) else []:
            if not isinstance(cell, dict):
                continue
            text = _text(cell, MAX_TEXT)
            pid = field_id(cell) or _answer(text)[0]
            if pid in expected and pid not in answered and _filled(text, expected[pid]):
                answered.add(pid)
    except Exception:  # hostile input we did not foresee: nothing acknowledged, never a failed batch
        answered = set()
    return [pid for pid in expected if pid not in answered]


def column(source_nb: dict, student_nb) -> str:
    """grades.csv's ``acknowledgements_missing``: "1; 3; 7", "" when every field is filled. Never
    raises and never costs points; a notebook that could not be read (None) misses them all."""
    try:
        return SEPARATOR.join(missing(source_nb, student_nb if student_nb is not None else {}))
    except Exception:
        try:
            return SEPARATOR.join(field_ids(source_nb))
        except Exception:
            return "?"


# -- authoring: add the missing fields ----------------------------------------------------------

def add_fields(nb: dict) -> list[str]:
    """Insert a field at the end of every problem section that lacks one; returns their ids."""
    added: list[tuple[int, str]] = []
    for sec in sections(nb):
        have = {pid for _, pid in sec.fields}
        added += [(sec.end, n) for n in sec.numbers if sec.graded and n not in have]
    cells = nb.setdefault("cells", [])
    ids = {c.get("id") for c in cells}
    for end, pid in reversed(added):
        cell_id, k = f"ack-{pid}", 1
        while cell_id in ids:
            k += 1
            cell_id = f"ack-{pid}-{k}"
        ids.add(cell_id)
        cells.insert(end, field_cell(pid, cell_id))  # from the back: earlier indices stay valid, order is kept
    return [pid for _, pid in added]


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m autograder.acknowledgements NOTEBOOK.ipynb ...", file=sys.stderr)
        return 2
    for name in argv:
        path = Path(name)
        text = path.read_text(encoding="utf-8")
        nb = json.loads(text)
        added = add_fields(nb)
        if added:
            out = json.dumps(nb, indent=1, ensure_ascii=False) + ("\n" if text.endswith("\n") else "")
            path.write_text(out, encoding="utf-8")
        print(f"{path}: added the field of problem {', '.join(added)}" if added else f"{path}: nothing to add")
        for line in problems(nb):
            print(f"{path}: {line}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
