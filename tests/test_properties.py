"""Property checks of experiment records (``course_utils.grading``: within, below, above, monotone,
slope, close_to, measured), judged by the real monitor loop and verdict on hand-made report lines.

The property that counts is the reference run's: a student's run that writes its own, looser
property, or records a number it did not measure, must not earn the points."""

import json

import numpy as np
import pytest
from test_verdict import drive, enc

from autograder.engine import properties, protocol, verdict
from autograder.engine.plan import GradeItem
from course_utils import grading

ITEM = GradeItem("test_f", "test", 4.0)


def line(key, value, check=None, weight=None, cell=1):
    return json.dumps({"t": "record", "cell": cell, "key": key, "value": enc(value), "rtol": 1e-7, "atol": 1e-9,
                       "weight": weight, "check": check})


def run(records, ok=True):
    """What a runner writes: records are (key, value, check[, weight]) tuples."""
    return ([json.dumps({"t": "cell_end", "cell": 0, "ok": True, "ename": None, "evalue": None}),
             json.dumps({"t": "tripwire", "cell": 1, "tampered": []})]
            + [line(*r) for r in records]
            + [json.dumps({"t": "cell_end", "cell": 1, "ok": ok, "ename": None, "evalue": None})])


# The instructor's experiment test: the recomputed errors must fall at rate N^-2, the student's
# claimed errors must be what was recomputed, and the method must beat the recorded baseline.
N = np.array([4.0, 8.0, 16.0, 32.0])
REFERENCE = [
    ("recomputed", np.stack([N, 3 * N ** -2.0]), grading.measured()),
    ("rate", np.stack([N, 3 * N ** -2.0]), grading.slope(-2.2, -1.8)),
    ("claimed", 3 * N ** -2.0, grading.close_to("recomputed_err", rtol=1e-6)),
    ("recomputed_err", 3 * N ** -2.0, grading.measured()),
    ("baseline", 1.0, grading.measured()),
    ("method", 0.2, grading.below("baseline", factor=0.5)),
    ("curve", [3.0, 2.0, 2.0, 1.0], grading.monotone("decreasing")),
    ("accuracy", 0.93, grading.within(0.9, 1.0)),
]


def judge(student, reference=REFERENCE):
    return verdict.judge_test(ITEM, drive(run(reference)), drive(run(student)), {})


def student(**changes):
    out = []
    for key, value, check in REFERENCE:
        value = changes.get(key, value)
        out.append((key, value, check))
    return out


def test_reference_and_other_measurements_with_the_properties_earn_the_points():
    assert judge(REFERENCE).earned == 4
    other = student(rate=np.stack([N, 7 * N ** -1.95]), claimed=5 * N ** -2.0, recomputed_err=5 * N ** -2.0,
                    baseline=3.0, method=1.4, curve=[9.0, 4.0, 1.0, 0.5], accuracy=0.99)
    assert judge(other).earned == 4


@pytest.mark.parametrize(("key", "value"), [
    ("rate", np.stack([N, N ** -1.0])),  # the wrong rate
    ("claimed", N ** -2.0),  # numbers the run did not measure
    ("method", 0.6),  # not half the baseline
    ("curve", [3.0, 2.0, 2.5, 1.0]),  # goes up once
    ("accuracy", 0.5),
    ("accuracy", float("nan")),
    ("accuracy", "0.95"),  # a string is not a measurement
    ("rate", np.stack([N, -N ** -2.0])),  # log-log slope of negative numbers
])
def test_a_value_without_the_property_loses_the_cell(key, value):
    v = judge(student(**{key: value}))
    assert v.earned == 0 and v.message_kind == "mismatch"


def test_a_missing_referenced_key_fails_the_check():
    without = [r for r in REFERENCE if r[0] != "baseline"]
    assert judge(without).earned == 0


def test_the_students_own_property_is_ignored():
    """A run that writes a looser property under the key is judged by the reference's."""
    forged = [(k, v, c) for k, v, c in student(accuracy=0.5)]
    forged = [(k, v, grading.within(0, 1) if k == "accuracy" else c) for k, v, c in forged]
    assert judge(forged).earned == 0
    no_check = [(k, 0.2 if k == "method" else v, None) for k, v, c in REFERENCE]
    assert judge(no_check).earned == 4  # the same values with no spec at all: the reference's still apply
    # and a value the reference compares exactly cannot be turned into a property by the student
    exact = [("a", 1.0, None)]
    assert judge([("a", 5.0, grading.within(0, 10))], reference=exact).earned == 0


def test_weighted_property_records_earn_partial_credit():
    reference = [("x", 1.0, grading.within(0, 2), 1), ("y", 1.0, grading.within(0, 2), 3)]
    v = judge([("x", 9.0, None, 1), ("y", 1.5, None, 3)], reference=reference)
    assert v.earned == 3.0


@pytest.mark.parametrize(("spec", "value", "ok"), [
    (grading.within(None, 1.0), [-1e9, 1.0], True),
    (grading.within(0.0, None), [-1e-12], False),
    (grading.monotone("increasing", tol=0.1), [1.0, 0.95, 2.0], True),
    (grading.monotone("increasing", strict=True), [1.0, 1.0, 2.0], False),
    (grading.monotone("decreasing"), [1.0], False),  # one value is not a trend
    (grading.monotone("decreasing"), [[2.0, 1.0]], False),  # not 1-D
    (grading.slope(0.9, 1.1, log=False), [[0.0, 1.0, 2.0], [1.0, 2.0, 3.0]], True),
    (grading.slope(0.9, 1.1, log=False), [[1.0, 1.0], [1.0, 2.0]], False),  # all x equal
    (grading.slope(-2.1, -1.9), [1.0, 2.0], False),  # not (2, n)
    ({"kind": "guess"}, 1.0, False),
])
def test_property_edge_cases(spec, value, ok):
    assert properties.holds(spec, enc(np.asarray(value, dtype=float)), {})[0] is ok


def test_close_to_needs_the_same_shape():
    others = {"r": {"value": enc(np.ones(3))}}
    assert properties.holds(grading.close_to("r"), enc(np.ones(3)), others)[0]
    assert not properties.holds(grading.close_to("r"), enc(np.ones((3, 1))), others)[0]
    assert not properties.holds(grading.close_to("r"), enc(np.ones(3) + 1e-3), others)[0]


@pytest.mark.parametrize("check", [[1, 2], {"kind": 3}, {"kind": "within", "lo": [1]}, {"kind": "x" * 300},
                                   {f"k{i}": 1 for i in range(9)}])
def test_malformed_property_specs_are_tampering(check):
    raw = json.dumps({"t": "record", "cell": 1, "key": "a", "value": enc(1.0), "rtol": 0, "atol": 0,
                      "weight": None, "check": check}).encode()
    with pytest.raises(protocol.Malformed):
        protocol.parse(raw)
