"""Per-student HTML feedback that never shows hidden tests.

nbgrader's own ``generate_feedback`` renders the autograded notebook, hidden test code and all. We
write our own page instead: one line per graded part with its points, whether it passed, and a
message chosen so that nothing hidden leaks (see :func:`error_message`), plus the cell's
``# hint:`` line.
"""

from __future__ import annotations

import ast
import builtins
import html
import re
from dataclasses import dataclass
from pathlib import Path

# Exception names a student may read: Python's own and the checks' (a class name is any text).
SAFE_ENAMES = frozenset(n for n, o in vars(builtins).items()
                        if isinstance(o, type) and issubclass(o, BaseException)) | {"CheckFailed"}
_SUITE_HEADER = re.compile(r"(.+): (\d{1,2}) of (\d{1,2}) checks failed:")
_CHECKS_PHRASES: frozenset[str] | None = None


def _plain_literals(source: str) -> set[str]:
    """String constants written out in ``source`` (not the pieces of f-strings, which are templates)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    in_fstring = {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values}
    return {node.value.strip() for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in in_fstring
            and node.value.strip()}


def _checks_phrases() -> frozenset[str]:
    global _CHECKS_PHRASES
    if _CHECKS_PHRASES is None:
        import course_utils.checks as checks_module

        _CHECKS_PHRASES = frozenset(_plain_literals(Path(checks_module.__file__).read_text()))
    return _CHECKS_PHRASES


@dataclass
class Part:
    grade_id: str
    kind: str  # "tests" or "written"
    points: float
    earned: float | None  # None: waits for a human grader
    passed: bool | None
    message: str


def hints(visible_source: str) -> list[str]:
    return [m.strip().rstrip(".") for m in re.findall(r"^#\s*hint:\s*(.+)$", visible_source, flags=re.M | re.I)]


def hint_text(visible_source: str) -> str:
    """`` Hint: ...`` from the cell's ``# hint:`` lines, or an empty string."""
    joined = "; ".join(hints(visible_source))
    if not joined:
        return ""
    return f" Hint: {joined}" + ("" if joined[-1] in "?!" else ".")


def error_message(visible_text: str, ename: str | None, evalue: str | None, show_details: bool = False,
                  has_hidden: bool = True) -> str:
    """What a student may read about an exception raised in a test cell.

    The exception comes from the student's process, where every hidden test's source is in memory,
    so both its class name and its text may have been written by the student's code to smuggle a
    hidden test out. The name is shown only if it is one of Python's exceptions or the checks', and
    the text only if every line of it is a whole line or string literal of the visible cell, or the
    fixed wording of ``course_utils.checks`` (whose suite header and ``- what: hint`` lines are
    rebuilt from those pieces only). ``show_details`` is the instructor's opt-out.
    """
    ename, evalue = ename or "Error", evalue or ""
    if ename == "NotImplementedError":
        return "Not implemented yet (the function still raises NotImplementedError)."
    if show_details:
        return f"{ename}: {evalue}"[:600] if evalue else ename
    failed = "A hidden test failed" if has_hidden else "A test failed"
    if ename not in SAFE_ENAMES:
        return f"{failed} (an exception of the student's own class)."
    if evalue and made_of_visible_text(evalue, visible_text):
        return f"{ename}: {evalue}"[:600]
    return f"{failed} ({ename})."


def made_of_visible_text(message: str, visible_text: str) -> bool:
    phrases = _plain_literals(visible_text) | _checks_phrases()
    lines = {ln.strip() for ln in visible_text.splitlines() if ln.strip()}
    for line in message.splitlines():
        line = line.strip()
        if not line or line in lines or line in phrases:
            continue
        header = _SUITE_HEADER.fullmatch(line)
        if header and header.group(1) in phrases and int(header.group(2)) <= int(header.group(3)):
            continue
        if line.startswith("- "):
            what, _, hint = line[2:].partition(": ")
            if what in phrases and (not hint or hint in phrases):
                continue
        return False
    return True


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}}
table{{border-collapse:collapse;width:100%}}
td,th{{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}}
.pass{{color:#1a7f37}}.fail{{color:#b42318}}.pending{{color:#9a6700}}
pre{{white-space:pre-wrap;margin:0;font-family:inherit}}
</style></head><body>
<h1>{title}</h1>
<p><strong>Score: {score:g} / {max_score:g}</strong> (autograded {auto_score:g} / {auto_max:g}{pending})</p>
<p>Status: {status}{reason}</p>{late}{acknowledgements}
<table><thead><tr><th>part</th><th>points</th><th>result</th></tr></thead><tbody>
{rows}
</tbody></table>
<p><small>Generated by dlcourse. Hidden tests are not shown; run the visible tests in your notebook to
investigate a failure.</small></p>
</body></html>
"""


def render(row, parts: list[Part]) -> str:
    lines = []
    for p in parts:
        if p.earned is None:
            cls, result = "pending", "Waits for manual grading."
            pts = f"? / {p.points:g}"
        else:
            cls = "pass" if p.passed else "fail"
            result = p.message
            pts = f"{p.earned:g} / {p.points:g}"
            if p.kind == "written" and p.message != "No answer given.":
                cls = "pass" if p.earned >= p.points else "fail"
        lines.append(f'<tr><td>{html.escape(p.grade_id)}</td><td>{pts}</td>'
                     f'<td class="{cls}"><pre>{html.escape(result)}</pre></td></tr>')
    pending = ""
    if row.manual_pending:
        pending = f"; {row.manual_pending:g} points of written answers wait for manual grading"
    late = ""
    if row.late_days:
        final = max(0.0, row.score - row.penalty)
        late = (f"\n<p>Submitted {html.escape(row.submitted_at)}: {row.late_days:g} day(s) late, penalty "
                f"{row.penalty:g} points; <strong>score after the penalty: {final:g} / {row.max_score:g}</strong></p>")
    acknowledgements = ""
    if row.acknowledgements_missing:
        acknowledgements = ("\n<p>The \"Collaborators and AI use\" field is empty for: "
                            f"{html.escape(row.acknowledgements_missing)}. Fill it in for every problem.</p>")
    return PAGE.format(
        late=late,
        acknowledgements=acknowledgements,
        title=html.escape(f"{row.assignment}: feedback for {row.student_id}"),
        score=row.score,
        max_score=row.max_score,
        auto_score=row.auto_score,
        auto_max=row.auto_max_score,
        pending=pending,
        status=html.escape(row.status),
        reason=html.escape(f" ({row.reason})") if row.reason else "",
        rows="\n".join(lines),
    )
