"""The release-time authoring rules (autograder/authoring.py): for each rule, a small notebook that
breaks it (refused, naming the cell and the reason) and one that follows it (accepted).

Regression note, why rule (a) exists: test cells run in the student's process. A hidden test that
did ``expected = E / E.sum(axis=1, keepdims=True)`` and then called ``softmax(Z)`` was beaten by
a submission whose softmax read its caller's frame and returned that very array::

    def softmax(Z):
        return sys._getframe(1).f_locals["expected"]

(and ``assert np.allclose(P, expected)`` beside it is no harder to forge). So hidden tests only
record() what student code returns, the grader compares the records with the reference run's
outside the student's process, and the linter refuses any value a hidden part computes that feeds
neither the student's code nor record().
"""

import json

import pytest
from helpers import ROOT, dlcourse

from autograder import acknowledgements
from autograder.authoring import lint_notebook

SETUP = """import numpy as np
from course_utils import checks
from course_utils.grading import record
"""
ANSWER = """def softmax(Z):
    ### BEGIN SOLUTION
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)
    ### END SOLUTION
"""
VISIBLE = """Z = np.array([[1.0, 2.0, 3.0]])
with checks.suite("softmax") as c:
    c.expect(np.allclose(softmax(Z).sum(axis=1), 1.0), "rows sum to 1")
"""


def _cell(source, **meta):
    meta = {"grade": False, "solution": False, "locked": True, "schema_version": 3, **meta}
    return {"cell_type": "code", "execution_count": None, "metadata": {"nbgrader": meta}, "outputs": [],
            "source": source}


def notebook(hidden: str, visible: str = VISIBLE, answer: str = ANSWER, setup: str = SETUP) -> dict:
    test = visible + "### BEGIN HIDDEN TESTS\n" + hidden + "### END HIDDEN TESTS\n"
    return {"cells": [_cell(setup, grade_id="setup"),
                      _cell(answer, grade_id="softmax", solution=True, locked=False),
                      _cell(test, grade_id="test_softmax", grade=True, points=2)],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def problems(hidden: str, **kw) -> list[str]:
    return [str(p) for p in lint_notebook(notebook(hidden, **kw))]


def refused(hidden: str, *words: str, **kw) -> list[str]:
    found = problems(hidden, **kw)
    assert found, "the notebook should have been refused"
    assert all(p.startswith("test_softmax: ") for p in found), found
    text = "\n".join(found)
    for w in words:
        assert w in text, f"{w!r} not in:\n{text}"
    return found


GOOD = """rng = np.random.default_rng(0)
Z = rng.normal(size=(4, 3)) * 10
record("random rows", softmax(Z), rtol=1e-10)
record("input unchanged", Z, rtol=0, atol=0)
"""


# -- (a) no asserts, no expected values ---------------------------------------------------------

def test_a_follows_the_rules():
    assert problems(GOOD) == []


def test_a_assert_is_refused():
    refused(GOOD + "assert np.allclose(record('shifted', softmax(Z + 1.0)).sum(axis=1), 1.0)\n",
            "assert in the hidden part (line 9)")


def test_a_expected_value_is_refused():
    # the exact shape of the caller-frame attack's target: an expected array, computed in the student's process
    hidden = GOOD + "E = np.exp(Z - Z.max(axis=1, keepdims=True))\nexpected = E / E.sum(axis=1, keepdims=True)\n"
    found = refused(hidden, "`expected` (line 10)", "`E` (line 9)", "expected value in the student's process")
    assert len(found) == 2


def test_a_reference_import_is_refused():
    hidden = GOOD + "from scipy.special import softmax as _ref\nP = record('again', softmax(Z))\n"
    hidden += "ok = np.allclose(P, _ref(Z))\n"
    refused(hidden, "`_ref`", "`ok`")


def test_a_bare_comparison_is_refused():
    refused(GOOD + "np.allclose(record('shifted', softmax(Z + 1.0)), 0.5)\n", "bare comparison in the hidden part")


def test_a_raise_is_refused():
    refused(GOOD + "if softmax(Z).shape != Z.shape:\n    raise AssertionError('shape')\n", "raise in the hidden part")


def test_a_reused_name_does_not_hide_an_unused_value():
    # P's second binding feeds nothing, even though its first one was recorded
    refused(GOOD + "P = softmax(Z)\nrecord('P', P)\nP = softmax(2 * Z)\n", "`P` (line 11)")


def test_a_inputs_built_in_steps_helpers_and_loops_are_accepted():
    hidden = """def _batch(n, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 3))


scale = 10.0
for i, n in enumerate((2, 5)):
    X = _batch(n, seed=i) * scale
    X[0, 0] = 1000.0  # a mutation of an input is part of building it
    record(f"batch {i}", softmax(X), rtol=1e-10)
rows = []
for k in range(3):
    rows.append(softmax(np.full((1, 3), float(k))))
record("constant rows", np.concatenate(rows))
"""
    assert problems(hidden) == []


def test_a_what_decides_whether_inputs_are_built_is_an_input():
    hidden = """steps = 3
big = True
P = np.ones((2, 3))
for _ in range(steps):
    P = softmax(P)
if big:
    P = P * 100.0
record("iterated", softmax(P))
"""
    assert problems(hidden) == []


def test_a_a_check_that_only_decides_a_record_is_refused():
    hidden = GOOD + "expected = np.full(3, 1 / 3)\nif np.allclose(softmax(np.zeros((1, 3)))[0], expected):\n"
    hidden += "    record('uniform', True)\n"
    refused(hidden, "`expected` (line 9)")


def test_a_assert_in_a_hidden_helper_is_refused():
    hidden = "def check(X):\n    assert softmax(X).shape == X.shape\n    return record('rows', softmax(X))\n\n\n"
    hidden += "check(np.ones((2, 3)))\n"
    refused(hidden, "assert in the hidden part (line 6)")


def test_a_method_calls_on_student_objects_and_callbacks_are_sinks():
    answer = """class Model:
    def __init__(self, lr):
        self.lr = lr

    def fit(self, X):
        self.w = X.mean(axis=0) * self.lr
        return self


def apply(f, x):
    return f(x)
"""
    hidden = """lr = 0.5
m = Model(lr)
X = np.ones((3, 2))
m.fit(X)
record("weights", m.w)
offset = 2.0


def shifted(v):
    return v + offset


record("applied", apply(shifted, np.zeros(2)))
"""
    assert problems(hidden, answer=answer, visible="") == []


def test_a_globals_of_a_function_handed_to_student_code_flow_into_it():
    # the visible part defines loss(), which reads X at call time; the hidden part rebinds X
    answer = "def minimize(f, x0):\n    return f(x0)\n"
    visible = "X = np.ones(3)\n\n\ndef loss(w):\n    return float(np.sum((X * w) ** 2))\n"
    hidden = "X = np.arange(3.0)\nrecord('minimum', minimize(loss, np.ones(3)))\n"
    assert problems(hidden, answer=answer, visible=visible) == []


def test_a_visible_part_may_compute_expected_values():
    visible = VISIBLE + "expected = np.full(3, 1 / 3)\nassert np.allclose(softmax(np.zeros((1, 3)))[0], expected)\n"
    assert problems(GOOD, visible=visible) == []


# -- (b) weight= only on answer-dependent records --------------------------------------------

def test_b_weight_on_inputs_unchanged_is_refused():
    hidden = GOOD.replace('record("input unchanged", Z, rtol=0, atol=0)',
                          'record("input unchanged", Z, rtol=0, atol=0, weight=0.5)')
    refused(hidden, "record 'input unchanged' (line 8) has weight=", "does not depend on the student's answer")


def test_b_weight_on_answers_is_accepted():
    hidden = """rng = np.random.default_rng(0)
Z = rng.normal(size=(4, 3))
P = softmax(Z)
record("direct", softmax(Z), weight=1.0)
record("through a name", P[0], weight=1.0)
for name, part in (("first", P[0]), ("last", P[-1])):
    record(f"row {name}", part, weight=0.5)
record("input unchanged", Z, rtol=0, atol=0)
"""
    assert problems(hidden) == []


# -- (c) course_utils callables must be watched by the tripwires -------------------------------

def test_c_unwatched_course_utils_callable_is_refused():
    setup = SETUP + "import course_utils as cu\n"
    refused(GOOD + "record('fast', softmax(Z * cu.pick(fast=1.0, full=2.0)))\n", "course_utils.runtime.pick",
            "tripwires do not watch", setup=setup)


def test_c_watched_callables_are_accepted():
    visible = """with checks.suite("softmax") as c:
    c.expect_shape(softmax(np.ones((2, 3))), (2, 3))
    c.expect_finite(softmax(np.array([[1000.0, 0.0]])))
checks.expect(True, "always")
"""
    setup = SETUP + "import course_utils as cu\n"
    assert problems(GOOD + "cu.record('again', softmax(Z))\n", visible=visible, setup=setup) == []


# -- (d) literal record keys are unique per cell ------------------------------------------------

def test_d_duplicate_key_is_refused():
    refused(GOOD + 'record("random rows", softmax(2 * Z))\n', "record key 'random rows' is used twice (lines 7 and 9)")


def test_d_literal_key_in_a_loop_is_refused():
    hidden = GOOD + 'for s in (1.0, 2.0):\n    record("scaled", softmax(s * Z))\n'
    refused(hidden, "'scaled' (line 10) is inside a loop")


def test_d_formatted_keys_in_a_loop_are_accepted():
    assert problems(GOOD + 'for s in (1.0, 2.0):\n    record(f"scaled by {s}", softmax(s * Z))\n') == []


# -- the course itself, and dlcourse release ----------------------------------------------------

@pytest.mark.parametrize("path", sorted((ROOT / "source").glob("*/*.ipynb")), ids=lambda p: p.parent.name)
def test_every_assignment_follows_the_rules(path):
    assert [str(p) for p in lint_notebook(path)] == []


@pytest.fixture()
def bad_course(tmp_path):
    hidden = GOOD + "expected = np.ones(4)\nassert np.allclose(softmax(Z).sum(axis=1), expected)\n"
    (tmp_path / "source" / "hw0").mkdir(parents=True)
    (tmp_path / "autograder").mkdir()
    nb = notebook(hidden)
    # a valid problem section around the bad test cell: heading, answer, test, "Collaborators and AI use" field
    nb["cells"][1:1] = [{"cell_type": "markdown", "metadata": {}, "source": "## 1. softmax"}]
    nb["cells"] += [acknowledgements.field_cell("1"), SELF_CHECK]
    (tmp_path / "source" / "hw0" / "hw0.ipynb").write_text(json.dumps(nb))
    return tmp_path


SELF_CHECK = {"cell_type": "code", "execution_count": None, "outputs": [],
              "metadata": {"tags": ["self-check"], "nbgrader": {"grade": False, "grade_id": "ready_to_submit",
                                                                "locked": True, "solution": False}},
              "source": 'from course_utils import ready_to_submit\n\nready_to_submit("hw0")'}


def test_release_refuses_an_assignment_without_the_self_check_cell(bad_course):
    path = bad_course / "source" / "hw0" / "hw0.ipynb"
    nb = json.loads(path.read_text())
    nb["cells"] = nb["cells"][:-1]
    path.write_text(json.dumps(nb))
    result = dlcourse("release", "hw0", cwd=bad_course, env={"DLCOURSE_ROOT": str(bad_course)})
    assert result.returncode == 2
    assert "hw0 the last code cell must be the self-check, tagged 'self-check'" in result.stderr


@pytest.mark.parametrize("args", [("release", "hw0"), ("release", "all", "--check")])
def test_release_refuses_an_assignment_that_breaks_the_rules(bad_course, args):
    result = dlcourse(*args, cwd=bad_course, env={"DLCOURSE_ROOT": str(bad_course)})
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == [line for line in lines if line.startswith("hw0 test_softmax: ")], result.stderr
    assert any("assert in the hidden part" in line for line in lines)
    assert any("`expected`" in line for line in lines)
    assert not (bad_course / "release").exists(), "nothing is released"


def test_release_function_refuses_too(bad_course):
    from autograder.course import Course
    from autograder.release import AuthoringProblems, release

    with pytest.raises(AuthoringProblems) as info:
        release(Course(bad_course), ["hw0"])
    assert info.value.lines and all(line.startswith("hw0 test_softmax: ") for line in info.value.lines)
    assert not (bad_course / "release").exists()

