"""Hidden tests that tell right from wrong: for every assignment with tests/variants/hwN.py, the
reference scores full marks, the untouched release 0, every plausible wrong implementation loses
points in a test cell its baseline (the same notebook with the reference in that cell) passes, and
every correct one written differently from the reference gets them all (tests/variants/__init__.py
says which notebook each goes into). One sandboxed batch per assignment grades them all through
`dlcourse grade` (a class per assignment: see _GradedBatch)."""

import csv
import json

import pytest
from helpers import dlcourse
from variants import (
    answer_cells,
    answer_test_cells,
    assignments_with_variants,
    build_submissions,
    load,
    written_cells,
)

from autograder.engine import sandbox

ASSIGNMENTS = assignments_with_variants()
MIN_WRONG, MIN_RIGHT = 3, 2


def _earned(feedback_json) -> dict[str, float]:
    """grade_id -> points earned, for every autograded test cell on a submission's feedback page (a
    cell missing from it, as on a grader error, earned nothing)."""
    items = json.loads(feedback_json.read_text(encoding="utf-8")) if feedback_json.exists() else []
    return {it["grade_id"]: it["earned"] or 0.0 for it in items if it["kind"] == "tests"}


def _passed_cells(earned_by_cell, reference) -> set[str]:
    """The test cells that earned all their points (the reference's feedback gives each cell's points)."""
    return {gid for gid, pts in reference.items() if earned_by_cell.get(gid, 0.0) >= pts}


def _describe(manifest, rows, sids):
    return "\n".join(f"  {manifest[s]['cell']}: {manifest[s]['label']!r} scored {rows[s]['auto_score']}/"
                     f"{rows[s]['auto_max_score']} ({rows[s]['status']}; {rows[s]['reason']})" for s in sids)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_graded_cell_has_enough_variants(assignment):
    variants = load(assignment)
    cells = answer_cells(assignment)
    assert set(variants) <= set(cells), f"variants for unknown cells: {set(variants) - set(cells)}"
    thin = {gid: (len(variants.get(gid, {}).get("wrong", {})), len(variants.get(gid, {}).get("right", {})))
            for gid in cells}
    thin = {gid: n for gid, n in thin.items() if n[0] < MIN_WRONG or n[1] < MIN_RIGHT}
    assert not thin, f"(wrong, right) counts below ({MIN_WRONG}, {MIN_RIGHT}): {thin}"
    assert written_cells(assignment), f"{assignment} needs at least one manually graded written answer"


class _GradedBatch:
    """The tests of one assignment's batch. One class per assignment, so that pytest-xdist (which hands out
    whole classes under `--dist loadscope`) can grade the batches on different workers."""

    assignment = ""

    @pytest.fixture(scope="class")
    @classmethod
    def graded(cls, tmp_path_factory):
        assignment = cls.assignment
        if not sandbox.available()[0]:
            pytest.skip(sandbox.available()[1])
        subs = tmp_path_factory.mktemp(f"{assignment}-variants")
        out = tmp_path_factory.mktemp(f"{assignment}-out")
        manifest = build_submissions(assignment, subs)
        result = dlcourse("grade", assignment, subs, "--out", out, "--jobs", "2", "--quiet", "--db-url", "none")
        assert result.returncode in (0, 1), result.stderr  # 1: some rows are not "graded" (a crashing variant)
        with open(out / "grades.csv", newline="") as f:
            rows = {r["student_id"]: r for r in csv.DictReader(f)}
        assert set(rows) == set(manifest), "every submission gets a row"
        earned = {sid: _earned(out / "feedback" / sid / f"{assignment}.json") for sid in manifest}
        return assignment, manifest, rows, earned

    def test_reference_gets_full_marks_and_blank_gets_zero(self, graded):
        assignment, manifest, rows, earned = graded
        ref, blank = rows["reference"], rows["blank"]
        assert ref["status"] == "graded", ref["reason"]
        assert float(ref["auto_score"]) == float(ref["auto_max_score"]) > 0, ref
        assert float(ref["manual_pending"]) > 0 and "manual grading" in ref["reason"]
        assert sum(earned["reference"].values()) == float(ref["auto_max_score"]), "feedback and grades.csv agree"
        assert blank["status"] == "graded", blank["reason"]  # the untouched release runs without crashing
        assert float(blank["score"]) == 0 and float(blank["manual_pending"]) == 0

    def test_each_baseline_passes_the_tests_of_its_cell(self, graded):
        """A wrong variant is judged on the cells its baseline passes: that set must hold the tests of
        the variant's own cell (every test cell before the next answer cell), or the check says nothing."""
        assignment, manifest, rows, earned = graded
        order = list(answer_cells(assignment))
        first_test_cells = answer_test_cells(assignment)
        short = {}
        for sid, m in manifest.items():
            if m["kind"] == "baseline":
                assert rows[sid]["status"] == "graded", rows[sid]["reason"]
                missing = first_test_cells[m["cell"]] - _passed_cells(earned[sid], earned["reference"])
                if missing or not first_test_cells[m["cell"]]:
                    short[m["cell"]] = sorted(missing) or "no test cell before the next answer cell"
        assert not short, f"{assignment}: baselines that fail their own cell's tests: {short}"
        cells_with_wrong = {gid for gid, kinds in load(assignment).items() if kinds.get("wrong")}
        baselines = {m["cell"] for m in manifest.values() if m["kind"] == "baseline"}
        assert baselines == cells_with_wrong - {order[-1]}, "one baseline per cell with wrong variants but the last"

    def test_every_wrong_implementation_is_rejected(self, graded):
        assignment, manifest, rows, earned = graded
        accepted = []
        for sid, m in manifest.items():
            if m["kind"] == "wrong":
                judged = _passed_cells(earned[m["baseline"]], earned["reference"])
                if judged <= _passed_cells(earned[sid], earned["reference"]):
                    accepted.append(sid)
        assert not accepted, f"{assignment}: hidden tests accept wrong implementations (they lose no point in a " \
            "test cell their baseline passes):\n" + _describe(manifest, rows, accepted)

    def test_every_correct_alternative_is_accepted(self, graded):
        assignment, manifest, rows, earned = graded
        right = [s for s, m in manifest.items() if m["kind"] == "right"]
        rejected = [s for s in right if float(rows[s]["auto_score"]) < float(rows[s]["auto_max_score"])
                    or rows[s]["status"] != "graded"]
        assert not rejected, f"{assignment}: hidden tests reject correct implementations:\n" + _describe(
            manifest, rows, rejected)


# One class per assignment with variants (TestHw0, TestHw1, ...), made from the variants files so none is left out.
for _assignment in ASSIGNMENTS:
    _name = f"TestHw{_assignment.removeprefix('hw')}"
    globals()[_name] = type(_name, (_GradedBatch,), {"assignment": _assignment})
