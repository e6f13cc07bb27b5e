"""End-to-end grading of hw0 through `dlcourse grade`, sample submissions and bad input."""

import csv
import shutil

import pytest
from helpers import ROOT, dlcourse, tree_digest

SAMPLES = ROOT / "autograder" / "submissions"
# hw0's points: softmax 2, logsumexp 2, numerical_gradient 3, gaussian_mle 2, pairwise 3, bayes 1 = 13
# autograded, plus 2 for the written answer.
AUTO_MAX, WRITTEN = 16, 2
# The partial sample has correct softmax, numerical_gradient and bayes_posterior; an unstable logsumexp;
# the unbiased covariance; pairwise_sq_dists left as the stub.
PARTIAL_POINTS = 2 + 3 + 1


def read_csv(path):
    with open(path, newline="") as f:
        return {r["student_id"]: r for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """One batch with the three samples plus broken submissions, graded once for all tests here."""
    subs = tmp_path_factory.mktemp("submissions")
    for name in ("perfect", "untouched", "partial", "alternative"):
        shutil.copytree(SAMPLES / name, subs / name)
    (subs / "corrupt" / "hw0").mkdir(parents=True)
    good = (SAMPLES / "perfect" / "hw0" / "hw0.ipynb").read_text()
    (subs / "corrupt" / "hw0" / "hw0.ipynb").write_text(good[: len(good) // 2])  # a truncated upload
    (subs / "renamed" / "hw0").mkdir(parents=True)
    shutil.copy(SAMPLES / "perfect" / "hw0" / "hw0.ipynb", subs / "renamed" / "hw0" / "hw0 (1).ipynb")
    (subs / "wrong_assignment" / "hw9").mkdir(parents=True)
    before = tree_digest(subs)
    out = tmp_path_factory.mktemp("out")
    result = dlcourse("grade", "hw0", subs, "--out", out, "--jobs", "2")
    return {"subs": subs, "out": out, "result": result, "before": before, "rows": read_csv(out / "grades.csv")}


def test_sample_scores_are_exact(batch):
    rows = batch["rows"]
    perfect, untouched, partial = rows["perfect"], rows["untouched"], rows["partial"]
    assert (float(perfect["auto_score"]), float(perfect["auto_max_score"])) == (AUTO_MAX, AUTO_MAX)
    assert float(perfect["manual_pending"]) == WRITTEN  # the written answer waits for a human
    assert float(perfect["max_score"]) == AUTO_MAX + WRITTEN
    assert "manual grading" in perfect["reason"]
    assert float(untouched["score"]) == 0 and float(untouched["manual_pending"]) == 0
    assert float(partial["auto_score"]) == PARTIAL_POINTS
    assert float(rows["alternative"]["auto_score"]) == AUTO_MAX  # correct, written differently from the reference
    assert all(rows[s]["status"] == "graded" for s in ("perfect", "untouched", "partial", "alternative"))


def test_broken_submissions_get_a_row_and_a_reason(batch):
    rows = batch["rows"]
    assert rows["corrupt"]["status"] == "invalid" and "not valid JSON" in rows["corrupt"]["reason"]
    assert rows["renamed"]["status"] == "invalid" and "hw0 (1).ipynb" in rows["renamed"]["reason"]
    assert rows["wrong_assignment"]["status"] == "invalid"
    assert "nothing submitted for hw0" in rows["wrong_assignment"]["reason"]
    assert batch["result"].returncode == 1  # finished, but not everything could be graded
    assert "Traceback" not in batch["result"].stderr + batch["result"].stdout


def test_grading_does_not_modify_submissions(batch):
    assert tree_digest(batch["subs"]) == batch["before"]


def test_feedback_never_shows_hidden_tests(batch):
    source = (ROOT / "source" / "hw0" / "hw0.ipynb").read_text()
    hidden_lines = []
    for chunk in source.split("### BEGIN HIDDEN TESTS")[1:]:
        hidden = chunk.split("### END HIDDEN TESTS")[0]
        hidden_lines += [ln.strip(' ",\\n') for ln in hidden.split("\\n") if len(ln.strip(' ",\\n')) > 12]
    assert hidden_lines, "hw0 should have hidden tests"
    for student in ("perfect", "untouched", "partial"):
        page = (batch["out"] / "feedback" / student / "hw0.html").read_text()
        assert "Score:" in page
        leaked = [ln for ln in hidden_lines if ln in page]
        assert not leaked, f"hidden test lines in {student}'s feedback: {leaked[:3]}"
    partial = (batch["out"] / "feedback" / "partial" / "hw0.html").read_text()
    assert "A hidden test failed" in partial and "Not implemented yet" in partial


def test_regrading_changes_nothing(batch, tmp_path):
    out = tmp_path / "again"
    shutil.copytree(batch["out"], out)
    dlcourse("grade", "hw0", batch["subs"], "--out", out, "--jobs", "1", "--quiet")
    assert read_csv(out / "grades.csv") == batch["rows"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["grade", "hw42", "{subs}"], "Unknown assignment 'hw42'. Known assignments: hw0"),
        (["grade", "hw0", "{empty}"], "is empty"),
        (["grade", "hw0", "{missing}"], "does not exist"),
        (["release", "nope"], "Unknown assignment 'nope'"),
    ],
)
def test_bad_input_is_a_clear_error(tmp_path, args, message):
    (tmp_path / "empty").mkdir()
    values = {"subs": SAMPLES, "empty": tmp_path / "empty", "missing": tmp_path / "missing"}
    result = dlcourse(*[a.format(**values) for a in args])
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
