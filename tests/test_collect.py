"""``dlcourse collect``: a Canvas "Download Submissions" zip or a plain folder becomes
<student_id>/<assignment>/<notebook>.ipynb that the grader reads, with a manifest, and every entry
that could not be used is listed, never dropped."""

import argparse
import csv
import json
import os
import warnings
import zipfile

import pytest
from helpers import ROOT

from autograder import collect
from autograder.course import find_course
from autograder.errors import CourseError
from autograder.roster import Student, read_roster
from autograder.submissions_io import discover

RELEASE = ROOT / "release" / "hw1" / "hw1.ipynb"
BOM = "\ufeff"
CANVAS_ROSTER = BOM + (
    "Student,ID,SIS User ID,SIS Login ID,Section,Homework 1 (5531),Current Score\n"
    "    Points Possible,,,,,10,(read only)\n"
    ',,,,,"Manual Posting",\n'
    '"Smith, Jane",101,900101,jsmith,DL 101,9,90\n'
    '"Lee, Kim",102,900102,klee,DL 101,,0\n'
    '"O\'Neil, Pat",103,900103,poneil,DL 102,7,70\n'
    '"Doe, John",104,900104,jdoe,DL 102,,\n'
    '"Student, Test",199,,,DL 101,,\n'
)
GRADESCOPE_ROSTER = (
    "First Name,Last Name,SID,Email\n"
    "Jane,Smith,900101,Jane.Smith@uni.example\n"
    "Kim,Lee,900102,klee@uni.example\n"
    "John,Doe,900104,jdoe@uni.example\n"
)


def notebook(label: str) -> bytes:
    """The released hw1 notebook, marked so that a test can tell which upload was kept."""
    nb = json.loads(RELEASE.read_text())
    nb["metadata"]["collect_test"] = label
    return json.dumps(nb).encode()


def label_of(path) -> str:
    return json.loads(path.read_bytes())["metadata"]["collect_test"]


def write_zip(path, entries):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name": the duplicate is on purpose
        with zipfile.ZipFile(path, "w") as zf:
            for name, data in entries:
                zf.writestr(zipfile.ZipInfo(name, date_time=(2025, 3, 1, 12, 0, 0)), data)
    return path


def files_under(folder) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def read_csv(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def roster(tmp_path):
    path = tmp_path / "gradebook.csv"
    path.write_text(CANVAS_ROSTER, encoding="utf-8")
    return read_roster(path)


CANVAS_ENTRIES = [
    ("smithjane_101_5001_hw1.ipynb", notebook("jane-0")),
    ("smithjane_101_5010_hw1-1.ipynb", notebook("jane-1")),
    ("smithjane_101_5020_hw1-2.ipynb", notebook("jane-2")),
    ("smithjane_101_5021_notes.pdf", b"%PDF-1.4"),
    ("leekim_LATE_102_5002_=1+1.ipynb", notebook("kim")),
    ("oneilpat_103_5003_hw1.ipynb", notebook("pat")),
    ("oneilpat_103_5003_hw1.ipynb", notebook("pat-duplicate")),
    ("studenttest_199_5004_hw1.ipynb", notebook("test-student")),
    ("strangerbob_777_5005_hw1.ipynb", notebook("stranger")),
    ("../evil_101_5006_hw1.ipynb", notebook("evil")),
    ("/abs_101_5007_hw1.ipynb", notebook("absolute")),
    ("subdir/", b""),
    ("anon_x7Kq2_5008_hw1.ipynb", notebook("anonymous")),
]
UNMAPPED = {
    "smithjane_101_5021_notes.pdf": "not a notebook",
    "oneilpat_103_5003_hw1.ipynb": "duplicate entry name",
    "studenttest_199_5004_hw1.ipynb": "Canvas user id 199 is not on the roster",
    "strangerbob_777_5005_hw1.ipynb": "Canvas user id 777 is not on the roster",
    "../evil_101_5006_hw1.ipynb": "unsafe path",
    "/abs_101_5007_hw1.ipynb": "unsafe path",
    "subdir/": "a folder entry",
    "anon_x7Kq2_5008_hw1.ipynb": "anonymous grading",
}


# ---- the roster ---------------------------------------------------------------------------------

def test_canvas_roster_skips_points_possible_posting_and_test_student(roster):
    assert roster == [
        Student("jsmith", "Smith, Jane", "101", "900101", "jsmith", "DL 101"),
        Student("klee", "Lee, Kim", "102", "900102", "klee", "DL 101"),
        Student("poneil", "O'Neil, Pat", "103", "900103", "poneil", "DL 102"),
        Student("jdoe", "Doe, John", "104", "900104", "jdoe", "DL 102"),
    ]


@pytest.mark.parametrize("column, first", [("sis_user_id", "900101"), ("canvas_id", "101")])
def test_canvas_roster_id_column(tmp_path, column, first):
    path = tmp_path / "r.csv"
    path.write_text(CANVAS_ROSTER, encoding="utf-8")
    assert read_roster(path, column)[0].student_id == first


def test_gradescope_roster_uses_sid_or_email(tmp_path):
    path = tmp_path / "gs.csv"
    path.write_text(GRADESCOPE_ROSTER)
    by_sid = read_roster(path)
    assert by_sid[0] == Student("900101", "Smith, Jane", email="Jane.Smith@uni.example")
    assert [s.student_id for s in read_roster(path, "email")][1:] == ["klee@uni.example", "jdoe@uni.example"]


@pytest.mark.parametrize("text, message", [
    ("Student,ID,SIS User ID,SIS Login ID,Section\n\"Smith, Jane\",101,900101,,DL\n",
     r"row 2 \(Smith, Jane\): the id column is empty"),
    ("student_id,name\najones,A\nbsmith,B\nAJones,C\n", "rows 2 and 4 have the same id 'AJones'"),
    ("Name,Score\nA,1\n", "no recognizable header"),
    ("student_id\n../up\n", "cannot name a folder"),
    ("Student,ID,SIS User ID,SIS Login ID,Section\n", "lists no students"),
])
def test_bad_rosters_say_what_is_wrong(tmp_path, text, message):
    path = tmp_path / "r.csv"
    path.write_text(text)
    with pytest.raises(CourseError, match=message):
        read_roster(path)


def test_missing_roster(tmp_path):
    with pytest.raises(CourseError, match="does not exist"):
        read_roster(tmp_path / "nope.csv")


def test_canvas_roster_without_email_column_refuses_email_ids(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(CANVAS_ROSTER, encoding="utf-8")
    with pytest.raises(CourseError, match="without a 'email' column"):
        read_roster(path, "email")


# ---- Canvas -------------------------------------------------------------------------------------

def test_canvas_zip_is_collected_exactly(tmp_path, roster):
    out = tmp_path / "subs"
    summary = collect.collect_canvas(write_zip(tmp_path / "s.zip", CANVAS_ENTRIES), "hw1", roster, out, find_course())

    assert files_under(out) == {"jsmith/hw1/hw1.ipynb", "klee/hw1/hw1.ipynb", "poneil/hw1/hw1.ipynb",
                                "submissions.csv", "unmapped-hw1.csv"}
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []  # the staging folder is gone
    assert label_of(out / "jsmith/hw1/hw1.ipynb") == "jane-2"  # the latest resubmission
    assert label_of(out / "poneil/hw1/hw1.ipynb") == "pat"  # the first of a duplicated name

    rows = read_csv(out / "submissions.csv")
    assert list(rows[0]) == collect.COLUMNS
    assert rows == [
        {"student_id": "jsmith", "assignment": "hw1", "file": "jsmith/hw1/hw1.ipynb", "submitted_at": "",
         "canvas_late": "0", "canvas_user_id": "101", "canvas_submission_id": "5020", "canvas_name": "smithjane",
         "original_name": "hw1-2.ipynb", "attempt": "2"},
        {"student_id": "klee", "assignment": "hw1", "file": "klee/hw1/hw1.ipynb", "submitted_at": "",
         "canvas_late": "1", "canvas_user_id": "102", "canvas_submission_id": "5002", "canvas_name": "leekim",
         "original_name": "'=1+1.ipynb", "attempt": "0"},  # a file name a spreadsheet would run: quoted
        {"student_id": "poneil", "assignment": "hw1", "file": "poneil/hw1/hw1.ipynb", "submitted_at": "",
         "canvas_late": "0", "canvas_user_id": "103", "canvas_submission_id": "5003", "canvas_name": "oneilpat",
         "original_name": "hw1.ipynb", "attempt": "0"},
    ]

    unmapped = {r["entry"]: r["reason"] for r in read_csv(out / "unmapped-hw1.csv")}
    assert unmapped.keys() == UNMAPPED.keys()
    for entry, reason in UNMAPPED.items():
        assert reason in unmapped[entry], entry
    assert summary.unmapped_file == out / "unmapped-hw1.csv" and len(summary.unmapped) == len(UNMAPPED)
    assert [s.student_id for s in summary.missing] == ["jdoe"]
    assert (summary.late, summary.resubmitted) == (1, 1)
    assert sorted(e for e, _ in summary.superseded) == ["smithjane_101_5001_hw1.ipynb",
                                                        "smithjane_101_5010_hw1-1.ipynb"]
    assert not (tmp_path / "evil_101_5006_hw1.ipynb").exists() and not (out.parent / "abs_101_5007_hw1.ipynb").exists()

    subs = discover(out, "hw1", [RELEASE.name])
    assert sorted(s.student_id for s in subs) == ["jsmith", "klee", "poneil"]
    assert all(s.problems == [] and s.notes == [] and s.notebook for s in subs)


def parser():
    p = argparse.ArgumentParser(prog="dlcourse")
    sub = p.add_subparsers(dest="command", required=True)
    collect.add_arguments(sub.add_parser("collect"))
    return p


def test_run_prints_a_summary_and_fails_when_something_was_unmapped(tmp_path, capsys):
    (tmp_path / "gradebook.csv").write_text(CANVAS_ROSTER, encoding="utf-8")
    zip_path = write_zip(tmp_path / "s.zip", CANVAS_ENTRIES)
    out = tmp_path / "subs"
    args = parser().parse_args(["collect", "canvas", str(zip_path), "hw1", "--roster", str(tmp_path / "gradebook.csv"),
                                "--out", str(out)])
    assert collect.run(args) == 1
    printed = capsys.readouterr().out
    assert (f"hw1: collected 3, late 1, resubmitted 1, missing 1 (Doe, John), unmapped {len(UNMAPPED)} -> "
            f"{out / 'unmapped-hw1.csv'}") in printed
    assert "unmapped: ../evil_101_5006_hw1.ipynb: unsafe path" in printed
    assert "missing: Doe, John (jdoe)" in printed

    clean = write_zip(tmp_path / "clean.zip", CANVAS_ENTRIES[2:3])
    args = parser().parse_args(["collect", "canvas", str(clean), "hw1", "--roster", str(tmp_path / "gradebook.csv"),
                                "--out", str(out)])
    assert collect.run(args) == 0
    assert not (out / "unmapped-hw1.csv").exists()  # no stale list from the run before


def test_rerun_replaces_this_assignment_only(tmp_path, roster):
    out, course = tmp_path / "subs", find_course()
    hw2 = tmp_path / "emailed"
    hw2.mkdir()
    (hw2 / "jsmith_hw2.ipynb").write_bytes(notebook("jane-hw2"))
    collect.collect_folder(hw2, "hw2", roster, out, course)
    collect.collect_canvas(write_zip(tmp_path / "a.zip", CANVAS_ENTRIES), "hw1", roster, out, course)
    assert (out / "klee/hw1/hw1.ipynb").exists()

    again = [("smithjane_LATE_101_5030_hw1-3.ipynb", notebook("jane-3")), CANVAS_ENTRIES[5]]
    summary = collect.collect_canvas(write_zip(tmp_path / "b.zip", again), "hw1", roster, out, course)

    assert files_under(out) == {"jsmith/hw1/hw1.ipynb", "jsmith/hw2/hw2.ipynb", "poneil/hw1/hw1.ipynb",
                                "submissions.csv"}  # Kim's old hw1 went; nothing was unmapped this time
    assert label_of(out / "jsmith/hw1/hw1.ipynb") == "jane-3"
    assert label_of(out / "jsmith/hw2/hw2.ipynb") == "jane-hw2"
    rows = read_csv(out / "submissions.csv")
    assert [(r["assignment"], r["student_id"], r["attempt"], r["canvas_late"]) for r in rows] == [
        ("hw1", "jsmith", "3", "1"), ("hw1", "poneil", "0", "0"), ("hw2", "jsmith", "0", "0")]
    assert [s.student_id for s in summary.missing] == ["klee", "jdoe"]


def test_corrupt_or_missing_zip_is_a_clear_error(tmp_path, roster):
    bad = tmp_path / "submissions.zip"
    bad.write_bytes(b"<html>Session expired</html>")
    with pytest.raises(CourseError, match="is not a zip file or is damaged"):
        collect.collect_canvas(bad, "hw1", roster, tmp_path / "out", find_course())
    with pytest.raises(CourseError, match="does not exist"):
        collect.collect_canvas(tmp_path / "nope.zip", "hw1", roster, tmp_path / "out", find_course())


def test_canvas_needs_a_roster_with_canvas_ids(tmp_path):
    (tmp_path / "gs.csv").write_text(GRADESCOPE_ROSTER)
    zip_path = write_zip(tmp_path / "s.zip", CANVAS_ENTRIES[:1])
    with pytest.raises(CourseError, match="roster has no Canvas IDs"):
        collect.collect_canvas(zip_path, "hw1", read_roster(tmp_path / "gs.csv"), tmp_path / "out", find_course())


def test_unknown_assignment_is_refused(tmp_path, roster):
    zip_path = write_zip(tmp_path / "s.zip", CANVAS_ENTRIES[:1])
    with pytest.raises(CourseError, match="Unknown assignment 'hw99'"):
        collect.collect_canvas(zip_path, "hw99", roster, tmp_path / "out", find_course())


def test_oversized_and_ambiguous_entries_are_reported(tmp_path, roster, monkeypatch):
    monkeypatch.setattr(collect, "MAX_BYTES", 1000)
    entries = [("smithjane_101_5001_hw1.ipynb", notebook("big")),
               ("leekim_102_5002_a.ipynb", b"{}"), ("leekim_102_5003_b.ipynb", b"{}"),
               ("oneilpat_103_5004_hw1.ipynb", b"{}"), ("oneilpat_103_5005_scratch.ipynb", b"{}")]
    out = tmp_path / "out"
    summary = collect.collect_canvas(write_zip(tmp_path / "s.zip", entries), "hw1", roster, out, find_course())
    reasons = dict(summary.unmapped)
    assert "larger than" in reasons["smithjane_101_5001_hw1.ipynb"]
    assert "none is named hw1.ipynb" in reasons["leekim_102_5002_a.ipynb"]
    assert "none is named hw1.ipynb" in reasons["leekim_102_5003_b.ipynb"]
    assert "another notebook in the same submission" in reasons["oneilpat_103_5005_scratch.ipynb"]
    assert files_under(out) == {"poneil/hw1/hw1.ipynb", "submissions.csv", "unmapped-hw1.csv"}
    assert [s.student_id for s in summary.missing] == ["jsmith", "klee", "jdoe"]


# ---- a plain folder -----------------------------------------------------------------------------

def test_folder_mode_matches_ids_and_email_names(tmp_path):
    (tmp_path / "gs.csv").write_text(GRADESCOPE_ROSTER)
    roster = read_roster(tmp_path / "gs.csv")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    files = {"900101_hw1.ipynb": "jane-0", "Jane.Smith_hw1-1.ipynb": "jane-1", "klee.ipynb": "kim",
             "unknown_hw1.ipynb": "who", "notes.txt": "text"}
    for i, (name, label) in enumerate(files.items()):
        (inbox / name).write_bytes(notebook(label))
        os.utime(inbox / name, (1_740_000_000 + i, 1_740_000_000 + i))
    (inbox / "900104_hw1.ipynb").symlink_to(RELEASE)
    (inbox / "folder").mkdir()

    out = tmp_path / "subs"
    summary = collect.collect_folder(inbox, "hw1", roster, out, find_course())

    assert files_under(out) == {"900101/hw1/hw1.ipynb", "900102/hw1/hw1.ipynb", "submissions.csv",
                                "unmapped-hw1.csv"}
    assert label_of(out / "900101/hw1/hw1.ipynb") == "jane-1"
    rows = read_csv(out / "submissions.csv")
    assert [(r["student_id"], r["original_name"], r["attempt"], r["submitted_at"]) for r in rows] == [
        ("900101", "Jane.Smith_hw1-1.ipynb", "1", "2025-02-19T21:20:01Z"),
        ("900102", "klee.ipynb", "0", "2025-02-19T21:20:02Z")]
    assert {e: w.split(" (")[0] for e, w in summary.unmapped} == {
        "900104_hw1.ipynb": "a symbolic link", "folder": "a folder", "notes.txt": "not a notebook",
        "unknown_hw1.ipynb": "no roster student matches the name"}
    assert [s.student_id for s in summary.missing] == ["900104"]
    assert all(s.problems == [] for s in discover(out, "hw1", [RELEASE.name]))
