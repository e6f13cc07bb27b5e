"""The class report: ``report.html`` next to ``grades.csv``.

Per assignment: a histogram of total scores, one of each autograded question's points, and the
questions most often failed (by the share of graded submissions that did not earn the question's full points).
Built from ``grades.csv`` and the per-question ``feedback/<student>/<assignment>.json`` files, so it
also works for a batch merged from Slurm shards. Figures are embedded, so the page is one file.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import os
from collections import defaultdict
from pathlib import Path

from .results import read_rows

FIGURES = ".report-figures"  # beside report.html: each figure's PNG, named by a digest of what it shows


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode()


class _Figures:
    """The report's figures, each drawn again only when what it shows changed. Every ``grade`` and
    ``feedback`` rewrites the whole report, and drawing is most of its cost (13 histograms for a term of
    six homework: 5.5 s); grading hw6 now redraws hw6's two, not all of them. A figure's name is a digest
    of its drawing function's code and its data, so a changed figure is never served from the cache."""

    def __init__(self, out_dir: Path):
        self.dir = out_dir / FIGURES
        self.used: set[str] = set()
        self._plt = None

    def png(self, draw, *data) -> str:
        code = draw.__code__
        key = hashlib.sha256(repr((code.co_code, code.co_consts, code.co_names)).encode()
                             + json.dumps(data, sort_keys=True).encode()).hexdigest()[:32]
        path = self.dir / f"{key}.png.b64"
        self.used.add(path.name)
        try:
            return path.read_text()
        except OSError:
            pass
        if self._plt is None:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt

            self._plt = plt
        fig = draw(self._plt, *data)
        png = _png(fig)
        self._plt.close(fig)
        self.dir.mkdir(exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(png)
        os.replace(tmp, path)  # two graders writing one report never read half a file
        return png

    def prune(self) -> None:
        """Drop the figures this report no longer shows (a regraded assignment's old histograms)."""
        for path in self.dir.glob("*.png.b64"):
            if path.name not in self.used:
                path.unlink(missing_ok=True)


def _total_histogram(plt, assignment: str, scores: list[float], max_score: float):
    fig, ax = plt.subplots(figsize=(5, 2.6))
    ax.hist(scores, bins=min(20, max(int(max_score), 1)), range=(0, max_score or 1),
            color="#4472c4", edgecolor="white")
    ax.set(xlabel=f"score (of {max_score:g}; written answers count once graded)", ylabel="submissions",
           title=f"{assignment}: total scores")
    return fig


def _question_histograms(plt, questions: list[list]):
    """``questions``: [grade id, points, earned points of each graded submission]."""
    cols = min(4, len(questions))
    nrows = -(-len(questions) // cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(3 * cols, 2.2 * nrows), squeeze=False)
    for ax, (q, points, earned) in zip(axes.flat, questions):
        ax.hist(earned, bins=max(1, min(10, int(points * 2))), range=(0, points or 1),
                color="#70ad47", edgecolor="white")
        ax.set_title(q, fontsize=9)
        ax.set_xlabel(f"points of {points:g}", fontsize=8)
    for ax in list(axes.flat)[len(questions):]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def _course_histogram(plt, totals: list[float]):
    fig, ax = plt.subplots(figsize=(5, 2.6))
    ax.hist(totals, bins=20, range=(0, 100), color="#c55a11", edgecolor="white")
    ax.set(xlabel="course total (percent)", ylabel="students", title="Course grades")
    return fig


def question_stats(out_dir: Path, assignment: str, students: list[str]) -> dict[str, dict]:
    stats: dict[str, dict] = defaultdict(lambda: {"points": 0.0, "kind": "", "earned": [], "failed": 0, "pending": 0})
    for sid in students:
        path = out_dir / "feedback" / sid / f"{assignment}.json"
        try:
            items = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        for it in items:
            if it["kind"] != "tests":  # written answers: counted as pending below, graded by people
                stats["(written answers)"]["pending"] += it["earned"] is None
                continue
            s = stats[it["grade_id"]]
            s["points"], s["kind"] = float(it["points"]), it["kind"]
            if it["earned"] is None:
                s["pending"] += 1
                continue
            s["earned"].append(float(it["earned"]))
            s["failed"] += float(it["earned"]) < float(it["points"])
    return dict(stats)


def write_report(out_dir: Path) -> Path:
    figures = _Figures(out_dir)
    rows = read_rows(out_dir / "grades.csv")
    by_assignment = defaultdict(list)
    for r in rows:
        by_assignment[r.assignment].append(r)
    sections = []
    for assignment, arows in sorted(by_assignment.items()):
        graded = [r for r in arows if r.status == "graded"]
        statuses = defaultdict(int)
        for r in arows:
            statuses[r.status] += 1
        max_score = max((r.max_score for r in arows), default=0)
        total_png = figures.png(_total_histogram, assignment, [r.score for r in graded], max_score)
        stats = question_stats(out_dir, assignment, [r.student_id for r in graded])
        qs = [[q, s["points"], s["earned"]] for q, s in stats.items() if s["earned"]]
        q_png = figures.png(_question_histograms, qs) if qs else ""
        ranked = sorted(((s["failed"] / len(s["earned"]), q, s) for q, s in stats.items() if s["earned"]),
                        key=lambda t: (-t[0], t[1]))
        failed_rows = "\n".join(
            f"<tr><td>{html.escape(q)}</td><td>{s['points']:g}</td><td>{100 * rate:.0f}%</td>"
            f"<td>{sum(s['earned']) / len(s['earned']):.2f}</td></tr>" for rate, q, s in ranked)
        pending = sum(s["pending"] for s in stats.values())
        status_txt = ", ".join(f"{n} {k}" for k, n in sorted(statuses.items()))
        late = sorted((r for r in arows if r.late_days), key=lambda r: r.student_id)
        late_rows = "".join(f"<tr><td>{html.escape(r.student_id)}</td><td>{html.escape(r.submitted_at)}</td>"
                            f"<td>{r.late_days:g}</td><td>{r.penalty:g}</td><td>{r.score:g}</td></tr>" for r in late)
        late_html = (f"<h3>Late submissions ({len(late)})</h3><table><thead><tr><th>student</th><th>submitted</th>"
                     f"<th>late days</th><th>penalty (points)</th><th>raw score</th></tr></thead><tbody>{late_rows}"
                     "</tbody></table>") if late else "<p>No late submissions.</p>"
        no_ack = sum(1 for r in arows if r.acknowledgements_missing)
        sections.append(f"""<h2>{html.escape(assignment)}</h2>
<p>{len(arows)} submissions ({html.escape(status_txt)}); {pending} written answers wait for manual grading;
{no_ack} left a "Collaborators and AI use" field empty (grades.csv: acknowledgements_missing).</p>
<img alt="histogram of total scores" src="data:image/png;base64,{total_png}">
{f'<h3>Points per question</h3><img alt="histogram of points per question" src="data:image/png;base64,{q_png}">'
 if q_png else ''}
{late_html}
<h3>Questions most often failed</h3>
<table><thead><tr><th>question</th><th>points</th><th>not full marks</th><th>mean points</th></tr></thead>
<tbody>
{failed_rows}
</tbody></table>""")
    sections.append(_course_grades_section(out_dir, figures))
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Grade report</title>
<style>body{{font-family:system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem;color:#222}}
table{{border-collapse:collapse}}td,th{{border-bottom:1px solid #ddd;padding:.3rem .8rem;text-align:left}}</style>
</head><body><h1>Grade report</h1>
<p>From {html.escape(str(out_dir / 'grades.csv'))}: histograms count submissions with status "graded".</p>
{''.join(sections) or '<p>No grades yet.</p>'}
</body></html>
"""
    path = out_dir / "report.html"
    path.write_text(page, encoding="utf-8")
    figures.prune()
    return path


def _course_grades_section(out_dir: Path, figures: _Figures) -> str:
    """Course totals and letters from ``course_grades.csv`` (``dlcourse course-grades``), if written."""
    import csv

    path = out_dir / "course_grades.csv"
    if not path.is_file():
        return ""
    with open(path, newline="", encoding="utf-8") as f:
        recs = list(csv.DictReader(f))
    totals = [float(r["total"]) for r in recs]
    png = figures.png(_course_histogram, totals)
    letters = defaultdict(int)
    for r in recs:
        letters[r["letter"]] += 1
    missing = sum(1 for r in recs if r["missing"])
    counts = ", ".join(f"{html.escape(k)}: {n}" for k, n in sorted(letters.items()))
    return f"""<h2>Course grades</h2>
<p>{len(recs)} students; letters {counts}; {missing} with missing work (see course_grades.csv).</p>
<img alt="histogram of course totals" src="data:image/png;base64,{png}">"""
