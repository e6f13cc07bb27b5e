"""The term configuration: late-day arithmetic at its edges, and bad files refused with a reason."""

import tomllib
from datetime import date

import pytest
from helpers import ROOT

from autograder import course_grades, term
from autograder.errors import CourseError
from autograder.results import Row

BASE = """
[term]
timezone = "America/Chicago"
[late]
grace_minutes = 10
{late}
[assignments]
hw1 = "2027-02-12T23:59"
[extensions]
{extensions}
[grades]
homework = ["hw1"]
homework_best = 1
homework_weight = 60
[grades.project]
report = [40, 25]
[grades.letters]
A = 90
B = 80
F = 0
"""


def load(tmp_path, late="penalty_per_day = 10\nmax_penalty = 30", extensions="", base=BASE):
    path = tmp_path / "course.toml"
    path.write_text(base.format(late=late, extensions=extensions))
    return term.load(path)


@pytest.mark.parametrize("submitted, days", [
    ("2027-02-12T23:59:00-06:00", 0),
    ("2027-02-13T06:09:00Z", 0),        # 23:59 CST + 10 minutes of grace, written in UTC
    ("2027-02-13T06:09:01Z", 1),
    ("2027-02-14T00:09:00", 1),         # no offset: the term's local time
    ("2027-02-14T00:09:01", 2),
    ("", 0),                            # no time recorded: nothing can be called late
])
def test_late_days_count_started_days_after_due_and_grace(tmp_path, submitted, days):
    assert load(tmp_path).late_days("s", "hw1", submitted) == days


def test_penalty_is_capped_and_in_points_of_the_assignment(tmp_path):
    t = load(tmp_path)
    assert t.penalty("s", "hw1", "2027-02-14T12:00", 20) == (2, 4.0)  # 2 days x 10% of 20 points
    assert t.penalty("s", "hw1", "2027-02-20T12:00", 20) == (8, 6.0)  # capped at 30%


def test_penalty_table_and_maximum_late_days(tmp_path):
    t = load(tmp_path, late="penalty_table = [5, 20, 50]\nmax_late_days = 3")
    assert [t.late.percent(d) for d in range(6)] == [0, 5, 20, 50, 100, 100]


def test_extensions_move_the_due_date_of_one_student(tmp_path):
    t = load(tmp_path, extensions="stu7 = { hw1 = 2 }")
    assert t.late_days("stu7", "hw1", "2027-02-14T20:00") == 0
    assert t.late_days("stu8", "hw1", "2027-02-14T20:00") == 2


@pytest.mark.parametrize("late, extensions, message", [
    ('penalty_per_day = "ten"', "", "could not convert"),
    ("penalty_per_day = 10", 'stu7 = { hw9 = 2 }', "no due date for hw9"),
    ("penalty_per_day = 10", "stu7 = 2", "assignment = days"),
])
def test_bad_values_name_what_is_wrong(tmp_path, late, extensions, message):
    with pytest.raises((CourseError, ValueError), match=message):
        load(tmp_path, late=late, extensions=extensions)


def test_bad_files_name_the_fix(tmp_path):
    with pytest.raises(CourseError, match="No term configuration"):
        term.load(tmp_path / "nope.toml")
    (tmp_path / "bad.toml").write_text("[term\n")
    with pytest.raises(CourseError, match="not valid TOML"):
        term.load(tmp_path / "bad.toml")
    with pytest.raises(CourseError, match="add up to 70"):
        load(tmp_path, base=BASE.replace("report = [40, 25]", "report = [10, 25]"))
    with pytest.raises(CourseError, match="not a date"):
        load(tmp_path, base=BASE.replace("2027-02-12T23:59", "Feb 12"))
    with pytest.raises(CourseError, match="unknown time zone"):
        load(tmp_path, base=BASE.replace("America/Chicago", "Mars/Olympus"))


def test_the_repository_term_file_loads():
    t = term.load(term.find(term.Path(__file__).resolve().parent.parent, None))
    assert t.grades.homework_best == 4 and sum(w for w, _ in t.grades.project.values()) == 40


def test_course_grade_counts_missing_work_as_zero_and_lists_it(tmp_path):
    t = load(tmp_path)
    rows = [Row("a", "hw1", score=8, max_score=10, late_days=1, penalty=1, status="graded"),
            Row("b", "hw1", max_score=10, status="invalid", reason="nothing submitted for hw1")]
    grades = course_grades.compute(t, rows, [("a", "A"), ("b", "B"), ("c", "C")], {"a": {"report": 25}})
    a, b, c = grades
    assert a.homework == {"hw1": pytest.approx(0.7)} and a.total == pytest.approx(60 * 0.7 + 40)
    assert a.letter == "B" and a.missing == []  # 82
    assert b.missing == ["hw1", "report"] and c.missing == ["hw1", "report"] and c.total == 0


def test_project_files_follow_the_rules_of_project_readme(tmp_path):
    t = load(tmp_path)
    teams, scores, adj = tmp_path / "teams.csv", tmp_path / "scores.csv", tmp_path / "adj.csv"
    teams.write_text("team,student_id\nt1,a\nt1,b\nt1,c\nt2,d\nt2,e\nt2,f\n")

    def refused(scores_text, message, adj_text=None):
        scores.write_text(scores_text)
        if adj_text is not None:
            adj.write_text(adj_text)
        with pytest.raises(CourseError, match=message):
            course_grades.project_points(t, teams, scores, adj if adj_text is not None else None)

    refused("team,component,score\nt1,report,30\n", "outside 0..25")
    refused("team,component,score\nt1,poster,3\n", "unknown component 'poster'")
    refused("team,component,score\nt1,report,20.125\n", "at most 2 digits")
    refused("team,component,score\nt1,report,20\nt1,report,21\n", "line 3: a second score")
    refused("team,component,score\nt9,report,20\n", "team 't9' is not in")
    refused("team,component,score\nt1,report,\n", "score is empty")
    ok = "team,component,score\nt1,report,21.5\n"
    refused(ok, "outside 0.80..1.20", "student_id,component,factor\na,report,1.5\n")
    refused(ok, "z is on no team", "student_id,component,factor\nz,report,1.1\n")
    scores.write_text(ok)
    adj.write_text("student_id,component,factor\na,report,0.85\nb,report,1.20\n")
    points, team_of = course_grades.project_points(t, teams, scores, adj)
    # decimals, half up: 21.5 * 0.85 = 18.275 -> 18.28 (a binary float gives 18.27); 21.5 * 1.2 = 25.8 -> 25
    assert points["a"] == {"report": 18.28} and points["b"] == {"report": 25.0} and points["c"] == {"report": 21.5}
    assert points["d"] == {} and team_of["d"] == "t2"
    grades = course_grades.compute(t, [], [("d", ""), ("x", "")], points, team_of)
    assert grades[0].pending == ["report"] and grades[0].missing == ["hw1"]  # t2's report: not graded yet
    assert grades[1].pending == ["no project team"]
    teams.write_text("team,student_id\nt1,a\nt1,b\n")
    with pytest.raises(CourseError, match="3 or 4 members; t1 has 2"):
        course_grades.project_points(t, teams, scores, None)
    teams.write_text("team,student_id\nt1,a\nt2,a\n")
    with pytest.raises(CourseError, match="on two teams"):
        course_grades.project_points(t, teams, scores, None)
    teams.write_text("group,member\n")
    with pytest.raises(CourseError, match="lacks the column"):
        course_grades.project_points(t, teams, scores, None)


def test_the_example_project_files_give_the_readme_figures():
    root = term.Path(__file__).resolve().parent.parent
    t = term.load(root / "course.toml")
    project = root / "project"
    points, _ = course_grades.project_points(t, project / "teams.example.csv", project / "scores.example.csv",
                                             project / "adjustments.example.csv")
    assert points["stu003"]["report"] == 18.28 and points["stu006"]["report"] == 25


def test_every_assignment_is_due_after_the_lectures_it_needs(tmp_path):
    """The repository's term: hw4 needs lecture 10 (attention), so it is due after it; a term file
    that asks for hw4 before lecture 10 is refused with what to change."""
    text = (ROOT / "course.toml").read_text()
    t = term.load(ROOT / "course.toml")
    data = tomllib.loads(text)
    for hw, lectures in data["covers"].items():
        for lecture in lectures:
            assert t.due[hw].date() > date.fromisoformat(data["lectures"][lecture]), (hw, lecture)
    assert "10" in data["covers"]["hw4"] and set(data["covers"]) == set(t.due)
    early = tmp_path / "early.toml"
    early.write_text(text.replace('hw4 = "2027-04-02T23:59"', 'hw4 = "2027-03-19T23:59"'))
    with pytest.raises(CourseError, match="hw4 is due 2027-03-19, but it needs lecture 10 taught 2027-03-25"):
        term.load(early)
