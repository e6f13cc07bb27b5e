"""A whole term, end to end, as an instructor runs it: 40 students, Canvas zips of hw1-hw6 with late,
resubmitted and missing work and an extension -> collect -> grade -> manual scores entered in the
gradebook (as formgrader stores them) -> feedback handed back -> course grades -> Canvas import CSV.

Every number is checked against values computed here from the plan of the term (who handed in what,
when, and what the graders gave), not from the code under test.
"""

import csv
import json
import re
import zipfile
from datetime import datetime, timedelta

import pytest
from helpers import ROOT, dlcourse, reference_filled

N = 40
HOMEWORK = [f"hw{k}" for k in range(1, 7)]
DUE = {hw: datetime(2027, 2, 1, 23, 59) + timedelta(weeks=2 * k) for k, hw in enumerate(HOMEWORK)}  # Chicago
CHICAGO_OFFSET = timedelta(hours=6)  # February-April 2027 in America/Chicago: CST (-6) until March 14, then CDT
TERM = """
[term]
name = "Synthetic term"
timezone = "America/Chicago"
student_id = "sis_login_id"
[late]
grace_minutes = 15
penalty_per_day = 10
max_penalty = 50
max_late_days = 5
[assignments]
{due}
[extensions]
stu012 = {{ hw3 = 3 }}
[grades]
homework = ["hw1", "hw2", "hw3", "hw4", "hw5", "hw6"]
homework_best = 4
homework_weight = 60
hw0 = "ignore"
[grades.project]
proposal = [5, 5]
lightning_talk = [10, 10]
report = [25, 25]
[grades.letters]
A = 93
A- = 90
B = 80
C = 70
D = 60
F = 0
"""


def sid(i):
    return f"stu{i + 1:03d}"


def utc_offset(when: datetime) -> timedelta:
    return timedelta(hours=5) if when >= datetime(2027, 3, 14, 2) else CHICAGO_OFFSET


# --- the plan of the term: who hands in what, and when (hours after the due date; None: on time) ---
def handed_in(i, hw):
    k = int(hw[2:])
    return not ((i % 10 == 9 and k == 6) or (i == 5 and k in (2, 3)))


SPECIAL = {(3, "hw2"), (7, "hw1"), (8, "hw2"), (11, "hw3"), (14, "hw1"), (12, "hw4"), (13, "hw5")}


def kind(i, hw):
    """The reference answers or the untouched release. Grading a reference answer takes a second or
    two (the experiments train models), a blank one almost nothing: so a fifth of the class finishes
    everything and the others finish about one homework in four, which still gives the best-4-of-6
    rule students with anywhere from one to six finished homework."""
    if (i, hw) in SPECIAL:
        return "reference"
    return "reference" if i % 5 == 0 or (i + int(hw[2:])) % 4 == 0 else "blank"


def hours_late(i, hw):
    k = int(hw[2:])
    if i % 8 == 3 and k == 2:
        return 30.0  # 2 started days late
    if i == 11 and k == 3:
        return 50.0  # 3 days late, but stu012 has a 3-day extension on hw3: on time
    if i == 12 and k == 4:
        return 10 / 60  # 10 minutes: inside the 15-minute grace
    if i == 13 and k == 5:
        return 8 * 24 + 1  # past max_late_days: penalty 100 percent
    if i == 14 and k == 1:
        return 0.5  # 1 day late
    return None


def late_days(i, hw):
    h = hours_late(i, hw)
    if h is None:
        return 0
    h -= 72 if (i, hw) == (11, "hw3") else 0
    h -= 0.25  # grace
    return max(0, -(-h // 24))


def penalty_percent(days):
    return 0 if days == 0 else 100 if days > 5 else min(50, 10 * days)


def manual_fraction(i):
    return 1.0 if i % 2 == 0 else 0.5


TEAMS = {f"team{t + 1:02d}": [sid(4 * t + m) for m in range(4)] for t in range(10)}
TEAM_SCORES = {team: {"proposal": 5 - (t % 2), "lightning_talk": 10 - t % 3, "report": 25 - t}
               for t, team in enumerate(TEAMS)}
ADJUST = {(sid(0), "report"): 0.8, (sid(1), "report"): 1.2, (sid(2), "proposal"): 1.1}


def plan_of(hw):
    """(auto points, {written grade_id: points}) of the assignment, from its source notebook."""
    (nb_path,) = (ROOT / "source" / hw).glob("*.ipynb")
    cells = json.loads(nb_path.read_text())["cells"]
    meta = [c["metadata"].get("nbgrader", {}) for c in cells]
    auto = sum(m.get("points", 0) for c, m in zip(cells, meta) if c["cell_type"] == "code" and m.get("grade"))
    written = {m["grade_id"]: m["points"] for c, m in zip(cells, meta)
               if c["cell_type"] == "markdown" and m.get("grade") and m.get("solution")}
    return auto, written


def write_inputs(root):
    roster = root / "roster.csv"
    lines = ["Student,ID,SIS User ID,SIS Login ID,Section,hw1 (1234)",
             "    Points Possible,,,,,13"]
    lines += [f'"Last{i}, First{i}",{1001 + i},{5000 + i},{sid(i)},DL 8000,' for i in range(N)]
    lines.append('"Student, Test",9999,,,DL 8000,')
    roster.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    zips, times = {}, {}
    built = (2027, 5, 3, 9, 30, 0)  # Canvas stamps every entry with the time it built the zip, nothing else
    for hw in HOMEWORK:
        api = []  # what Canvas's List Submissions API answers: the real submission times
        release = json.dumps(json.loads(next((ROOT / "release" / hw).glob("*.ipynb")).read_text()))
        reference = json.dumps(reference_filled(hw))
        acknowledged = reference_filled(hw)  # and every "Collaborators and AI use" field filled in
        for cell in acknowledged["cells"]:
            if cell["metadata"].get("dlcourse", {}).get("acknowledgement"):
                cell["source"] = f"**Collaborators and AI use:** none; {hw} done alone"
        acknowledged = json.dumps(acknowledged)
        path = root / f"{hw}_submissions.zip"
        with zipfile.ZipFile(path, "w") as z:
            for i in range(N):
                if not handed_in(i, hw):
                    continue
                due_utc = DUE[hw] + utc_offset(DUE[hw])
                h = hours_late(i, hw)
                when = due_utc + (timedelta(hours=h) if h is not None else -timedelta(hours=20 + i % 5))
                late = "_LATE" if h is not None and h > 0 else ""
                api.append({"id": 880000 + i, "user_id": 1001 + i, "attempt": 1, "late": bool(late),
                            "submitted_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "workflow_state": "submitted"})
                prefix = f"last{i}first{i}{late}_{1001 + i}_{70000 + 100 * i + int(hw[2:])}_"
                content = release if kind(i, hw) == "blank" else acknowledged if i % 2 == 0 else reference
                if i == 7 and hw == "hw1":  # resubmitted: a blank first attempt, then the finished one
                    z.writestr(zipfile.ZipInfo(prefix + "hw1.ipynb", built), release)
                    name = "hw1-1.ipynb"
                elif i == 8 and hw == "hw2":
                    z.writestr(zipfile.ZipInfo(prefix + "hw2.ipynb", built), release)
                    z.writestr(zipfile.ZipInfo(prefix + "hw2-1.ipynb", built), release)
                    name = "hw2-2.ipynb"
                else:
                    name = f"{hw}.ipynb"
                z.writestr(zipfile.ZipInfo(prefix + name, built), content)
        zips[hw] = path
        times[hw] = root / f"{hw}_submissions.json"
        times[hw].write_text(json.dumps(api))
    project = root / "project"
    project.mkdir()
    (project / "teams.csv").write_text("team,student_id\n" + "".join(
        f"{team},{s}\n" for team, members in TEAMS.items() for s in members))
    (project / "scores.csv").write_text("team,component,score\n" + "".join(
        f"{team},{comp},{pts}\n" for team, comps in TEAM_SCORES.items() for comp, pts in comps.items()))
    (project / "adjustments.csv").write_text("student_id,component,factor\n" + "".join(
        f"{s},{comp},{f}\n" for (s, comp), f in ADJUST.items()))
    due = "\n".join(f'{hw} = "{DUE[hw]:%Y-%m-%dT%H:%M}"' for hw in HOMEWORK)
    (root / "term.toml").write_text(TERM.format(due=due))
    return roster, zips, times


def enter_manual_grades(out, hw, written):
    """What a TA does in formgrader: a score and a comment on every answered written question."""
    from nbgrader.api import Gradebook

    (nb_path,) = (ROOT / "source" / hw).glob("*.ipynb")
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}", course_id="dl-first-principles") as gb:
        for i in range(N):
            if not handed_in(i, hw) or kind(i, hw) == "blank":
                continue
            for gid, points in written.items():
                grade = gb.find_grade(gid, nb_path.stem, hw, sid(i))
                grade.manual_score = points * manual_fraction(i)
                comment = gb.find_comment(gid, nb_path.stem, hw, sid(i))
                comment.manual_comment = f"TA note for {sid(i)} on {gid} <b>keep going</b>"
            gb.db.commit()


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    root = tmp_path_factory.mktemp("term")
    roster, zips, times = write_inputs(root)
    subs, out = root / "submissions", root / "grades"
    logs = {}
    for hw in HOMEWORK:
        r = dlcourse("collect", "canvas", zips[hw], hw, "--roster", roster, "--out", subs, "--times", times[hw])
        assert r.returncode == 0, r.stdout + r.stderr
        logs[f"collect {hw}"] = r.stdout
        r = dlcourse("grade", hw, subs, "--out", out, "--jobs", "2", "--quiet", "--term", root / "term.toml")
        # exit 1: some rows are not "graded", here only the students who handed nothing in
        assert r.returncode == (0 if all(handed_in(i, hw) for i in range(N)) else 1), r.stdout + r.stderr
        logs[f"grade {hw}"] = r.stdout
        auto, written = plan_of(hw)
        enter_manual_grades(out, hw, written)
        r = dlcourse("feedback", hw, "--out", out, "--submissions", subs)
        assert r.returncode == 0, r.stdout + r.stderr
    r = dlcourse("course-grades", "--out", out, "--term", root / "term.toml", "--roster", roster,
                 "--teams", root / "project" / "teams.csv", "--project-scores", root / "project" / "scores.csv",
                 "--adjustments", root / "project" / "adjustments.csv")
    assert r.returncode == 0, r.stdout + r.stderr
    logs["course-grades"] = r.stdout
    return {"root": root, "subs": subs, "out": out, "logs": logs}


def expected_homework(i, hw):
    """(raw score, late days, penalty points, final fraction) computed from the plan."""
    auto, written = plan_of(hw)
    max_score = auto + sum(written.values())
    if not handed_in(i, hw):
        return None
    raw = 0.0 if kind(i, hw) == "blank" else auto + manual_fraction(i) * sum(written.values())
    days = late_days(i, hw)
    penalty = max_score * penalty_percent(days) / 100
    return raw, days, penalty, max(0.0, raw - penalty) / max_score


def expected_course_grade(i):
    fractions = {hw: (e[3] if (e := expected_homework(i, hw)) else 0.0) for hw in HOMEWORK}
    best = sorted(HOMEWORK, key=lambda hw: (-fractions[hw], HOMEWORK.index(hw)))[:4]
    homework = sum(fractions[hw] for hw in best) / 4
    team = next(t for t, members in TEAMS.items() if sid(i) in members)
    out_of = {"proposal": 5, "lightning_talk": 10, "report": 25}
    project = {c: min(out_of[c], TEAM_SCORES[team][c] * ADJUST.get((sid(i), c), 1.0)) for c in out_of}
    total = 60 * homework + sum(project[c] / out_of[c] * w for c, w in (("proposal", 5), ("lightning_talk", 10),
                                                                        ("report", 25)))
    dropped = [hw for hw in HOMEWORK if hw not in best]
    return fractions, dropped, homework, project, round(total, 2)


def letter(total):
    return next(name for name, low in (("A", 93), ("A-", 90), ("B", 80), ("C", 70), ("D", 60), ("F", 0))
                if total >= low)


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_collect_keeps_the_latest_attempt_and_lists_the_missing(term):
    manifest = {(r["student_id"], r["assignment"]): r for r in read(term["subs"] / "submissions.csv")}
    assert len(manifest) == sum(handed_in(i, hw) for i in range(N) for hw in HOMEWORK)
    assert manifest[(sid(7), "hw1")]["attempt"] == "1" and manifest[(sid(8), "hw2")]["attempt"] == "2"
    for i in range(N):
        for hw in HOMEWORK:
            if handed_in(i, hw):
                assert (term["subs"] / sid(i) / hw / f"{hw}.ipynb").is_file()
            else:
                assert not (term["subs"] / sid(i) / hw).exists()
    assert sid(5) in term["logs"]["collect hw2"] and sid(9) in term["logs"]["collect hw6"]  # named as missing


def test_grades_csv_has_raw_scores_late_days_and_penalties(term):
    from autograder.acknowledgements import field_ids

    rows = {(r["student_id"], r["assignment"]): r for r in read(term["out"] / "grades.csv")}
    problems = {hw: field_ids(json.loads(next((ROOT / "source" / hw).glob("*.ipynb")).read_text()))
                for hw in HOMEWORK}
    checked = 0
    for i in range(N):
        for hw in HOMEWORK:
            exp = expected_homework(i, hw)
            if exp is None:
                assert (sid(i), hw) not in rows or rows[(sid(i), hw)]["status"] == "invalid"
                continue
            raw, days, penalty, _ = exp
            row = rows[(sid(i), hw)]
            assert row["status"] == "graded", row
            assert float(row["score"]) == pytest.approx(raw), (sid(i), hw)
            assert float(row["manual_pending"]) == 0
            assert float(row["late_days"]) == days, (sid(i), hw, row["submitted_at"])
            assert float(row["penalty"]) == pytest.approx(penalty), (sid(i), hw)
            filled = kind(i, hw) == "reference" and i % 2 == 0
            assert row["acknowledgements_missing"] == ("" if filled else "; ".join(problems[hw])), (sid(i), hw)
            checked += 1
    assert checked == 234
    # The cases the plan singles out, by hand:
    assert float(rows[(sid(3), "hw2")]["late_days"]) == 2
    assert float(rows[(sid(11), "hw3")]["late_days"]) == 0  # extension
    assert float(rows[(sid(12), "hw4")]["late_days"]) == 0  # grace
    assert float(rows[(sid(13), "hw5")]["penalty"]) == float(rows[(sid(13), "hw5")]["max_score"])  # too late


def test_feedback_pages_carry_the_human_scores_comments_and_penalty(term):
    out = term["out"]
    page = (out / "handback" / "hw2" / f"{sid(3)}.html").read_text()
    assert "TA note for stu004 on" in page and "<b>keep going</b>" not in page  # escaped, shown
    assert "2 day(s) late" in page and "Waits for manual grading" not in page
    with zipfile.ZipFile(out / "handback" / "hw2_canvas_upload.zip") as z:
        names = z.namelist()
    assert len(names) == sum(handed_in(i, "hw2") for i in range(N))
    assert "last3first3_LATE_1004_70302_hw2-feedback.html" in names
    assert "last0first0_1001_70002_hw2-feedback.html" in names


def test_course_grades_match_the_hand_computation(term):
    recs = {r["student_id"]: r for r in read(term["out"] / "course_grades.csv")}
    assert sorted(recs) == [sid(i) for i in range(N)]
    for i in range(N):
        fractions, dropped, homework, project, total = expected_course_grade(i)
        r = recs[sid(i)]
        for hw in HOMEWORK:
            assert float(r[hw]) == pytest.approx(100 * fractions[hw], abs=0.006), (sid(i), hw)
        assert r["dropped"].split(";") == dropped, sid(i)
        assert float(r["homework_percent"]) == pytest.approx(100 * homework, abs=0.006)
        for comp, pts in project.items():
            assert float(r[comp]) == pytest.approx(pts)
        assert float(r["total"]) == pytest.approx(total, abs=0.006), sid(i)
        assert r["letter"] == letter(total), sid(i)
        missing = [hw for hw in HOMEWORK if not handed_in(i, hw)]
        assert r["missing"] == ";".join(missing)
    # One student by hand: stu001 hands in the reference answers of hw1-hw6 on time, all written answers full
    assert recs[sid(0)]["homework_percent"] == "100.00"
    # proposal 5/5, talk 10/10, report 25 * 0.8 = 20 of 25: 60 + 5 + 10 + 20 = 95
    assert recs[sid(0)]["total"] == "95.00" and recs[sid(0)]["letter"] == "A"


def test_canvas_import_has_the_roster_ids_and_points_possible(term):
    with open(term["out"] / "course_grades_canvas_import.csv", newline="", encoding="utf-8") as f:
        lines = list(csv.reader(f))
    assert lines[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert lines[1][0].strip() == "Points Possible"
    by_login = {line[3]: dict(zip(lines[0], line)) for line in lines[2:]}
    assert len(by_login) == N and "Student, Test" not in {line[0] for line in lines}
    s = by_login[sid(0)]
    assert (s["Student"], s["ID"], s["SIS User ID"]) == ("Last0, First0", "1001", "5000")
    assert s["Course total (dlcourse)"] == "95.00"
    for i in range(N):
        assert float(by_login[sid(i)]["Course total (dlcourse)"]) == pytest.approx(expected_course_grade(i)[4])


def test_report_shows_the_course_grade_histogram(term):
    page = (term["out"] / "report.html").read_text()
    assert "Course grades" in page and re.search(r"40 students; letters", page)
