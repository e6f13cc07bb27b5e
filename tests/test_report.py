"""report.html: score histograms and the questions most often failed, from grades.csv + feedback JSON."""

import base64
import json
import re

from autograder.report import question_stats, write_report
from autograder.results import Row, write_rows


def _student(out, sid, parts, score, status="graded"):
    row = Row(sid, "hw9", score=score, max_score=10, auto_score=score, auto_max_score=8, status=status)
    (out / "feedback" / sid).mkdir(parents=True)
    (out / "feedback" / sid / "hw9.json").write_text(json.dumps(
        [{"grade_id": g, "kind": k, "points": p, "earned": e, "passed": None if e is None else e == p}
         for g, k, p, e in parts]))
    return row


def test_report_ranks_questions_by_failure_rate(tmp_path):
    essay_pending, essay_blank = ("essay", "written", 2, None), ("essay", "written", 2, 0)
    rows = [
        _student(tmp_path, "a", [("test_easy", "tests", 4, 4), ("test_hard", "tests", 4, 0), essay_pending], 4),
        _student(tmp_path, "b", [("test_easy", "tests", 4, 4), ("test_hard", "tests", 4, 1), essay_blank], 5),
        _student(tmp_path, "c", [("test_easy", "tests", 4, 0), ("test_hard", "tests", 4, 4), essay_pending], 4),
        Row("d", "hw9", max_score=10, auto_max_score=8, status="invalid", reason="not valid JSON"),
    ]
    write_rows(tmp_path / "grades.csv", rows)
    stats = question_stats(tmp_path, "hw9", ["a", "b", "c"])
    assert stats["test_hard"]["failed"] == 2 and stats["test_easy"]["failed"] == 1
    assert stats["(written answers)"]["pending"] == 2
    page = write_report(tmp_path).read_text()
    assert page.index("<td>test_hard</td>") < page.index("<td>test_easy</td>")  # most often failed first
    assert "<td>67%</td>" in page and "<td>33%</td>" in page
    assert "4 submissions (3 graded, 1 invalid)" in page and "2 written answers wait" in page
    pngs = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", page)
    assert len(pngs) == 2 and all(base64.b64decode(p)[:4] == b"\x89PNG" for p in pngs)


def test_figures_are_drawn_again_only_when_what_they_show_changes(tmp_path):
    from autograder.report import FIGURES

    def grade(out, assignment, scores):
        for sid, score in scores.items():
            (out / "feedback" / sid).mkdir(parents=True, exist_ok=True)
            (out / "feedback" / sid / f"{assignment}.json").write_text(json.dumps(
                [{"grade_id": "test_q", "kind": "tests", "points": 8, "earned": score, "passed": score == 8}]))
        return [Row(sid, assignment, score=s, max_score=8, auto_score=s, auto_max_score=8, status="graded")
                for sid, s in scores.items()]

    rows = grade(tmp_path, "hw1", {"a": 8, "b": 3}) + grade(tmp_path, "hw2", {"a": 5, "b": 0})
    write_rows(tmp_path / "grades.csv", rows)
    first = write_report(tmp_path).read_text()
    cached = {p.name: p.stat().st_mtime_ns for p in (tmp_path / FIGURES).iterdir()}
    assert len(cached) == 4  # two histograms per assignment
    assert write_report(tmp_path).read_text() == first  # from the cache: the same page
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / FIGURES).iterdir()} == cached  # nothing redrawn

    rows = rows[:2] + grade(tmp_path, "hw2", {"a": 6, "b": 0})  # hw2 regraded
    write_rows(tmp_path / "grades.csv", rows)
    second = write_report(tmp_path).read_text()
    now = {p.name: p.stat().st_mtime_ns for p in (tmp_path / FIGURES).iterdir()}
    assert len(now) == 4 and len(set(now) & set(cached)) == 2  # hw1's kept, hw2's old ones pruned
    pngs = lambda page: re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", page)  # noqa: E731
    assert pngs(second)[:2] == pngs(first)[:2] and pngs(second)[2:] != pngs(first)[2:]

    for p in (tmp_path / FIGURES).iterdir():  # a cold cache draws the very same page
        p.unlink()
    assert write_report(tmp_path).read_text() == second


def test_report_without_grades(tmp_path):
    assert "No grades yet" in write_report(tmp_path).read_text()


def test_formgrader_notebook_neutralizes_student_html(tmp_path):
    """What a human grader opens holds no live HTML, script or saved output from the student."""
    import json as _json

    from autograder.engine.plan import GradeItem, Plan
    from autograder.gradebook import write_autograded

    source = {"cells": [
        {"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "f", "solution": True}}, "source": "ref",
         "outputs": [], "execution_count": None},
        {"cell_type": "markdown", "metadata": {"nbgrader": {"grade_id": "essay", "solution": True, "grade": True}},
         "source": "model answer"},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    plan = Plan([], [GradeItem("essay", "written", 2, student_text='<script>fetch("/api")</script> x < y')],
                answer_sources={"f": "def f():\n    return 1\n"})
    write_autograded(tmp_path, "hw9", "hw9.ipynb", "mallory", source, plan)
    nb = _json.loads((tmp_path / "nbgrader" / "autograded" / "mallory" / "hw9" / "hw9.ipynb").read_text())
    assert nb["cells"][0]["source"] == "def f():\n    return 1\n" and nb["cells"][0]["outputs"] == []
    assert "<script>" not in nb["cells"][1]["source"] and "&lt;script&gt;" in nb["cells"][1]["source"]
