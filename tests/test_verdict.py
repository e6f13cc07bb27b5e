"""The trusted comparison of recorded values, on hand-made records (no sandbox needed)."""

import json

import numpy as np
import pytest

from autograder.engine import verdict
from autograder.engine.plan import GradeItem
from autograder.engine.runner import encode


def enc(x):
    return json.loads(json.dumps(encode(x)))


@pytest.mark.parametrize(
    ("ref", "got", "ok"),
    [
        (np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-12]), True),
        (np.array([1.0, 2.0]), np.array([1.0, 2.1]), False),
        (np.array([1.0, 2.0]), np.array([[1.0, 2.0]]), False),  # shape
        (np.array([1.0, 2.0]), np.array([1, 2]), False),  # dtype kind: float expected, int given
        (np.array([np.nan, np.inf]), np.array([np.nan, np.inf]), True),
        (np.array([np.nan]), np.array([0.0]), False),
        ((np.zeros(2), np.eye(2)), (np.zeros(2), np.eye(2)), True),
        ((np.zeros(2), np.eye(2)), (np.zeros(2),), False),
        (0.5, np.float32(0.5), True),
        (True, 1, False),
        ("text", "text", True),
        (np.zeros(2), "[0. 0.]", False),
    ],
)
def test_values_match(ref, got, ok):
    assert verdict.values_match(enc(ref), enc(got), rtol=1e-9, atol=1e-12) is ok


def _log(cell, records, ok=True, tripwire=()):
    lines = [json.dumps({"t": "tripwire", "cell": cell, "tampered": list(tripwire)}),
             json.dumps({"t": "cell_start", "cell": cell})]
    for key, value, weight in records:
        lines.append(json.dumps({"t": "record", "cell": cell, "key": key, "value": enc(value), "rtol": 1e-9,
                                 "atol": 0.0, "weight": weight}))
    lines.append(json.dumps({"t": "cell_end", "cell": cell, "ok": ok}))
    lines.append(json.dumps({"t": "finished"}))
    lines.append(json.dumps({"t": "end", "status": "ok", "reason": ""}))
    return verdict.parse_events(lines)


ITEM = GradeItem("test_f", "test", 4.0)


def test_points_need_every_record_to_match():
    ref = _log("test_f", [("a", 1.0, None), ("b", 2.0, None)])
    assert verdict.judge_test(ITEM, ref, _log("test_f", [("a", 1.0, None), ("b", 2.0, None)]), {}).earned == 4
    assert verdict.judge_test(ITEM, ref, _log("test_f", [("a", 1.0, None), ("b", 3.0, None)]), {}).earned == 0
    assert verdict.judge_test(ITEM, ref, _log("test_f", [("a", 1.0, None)]), {}).earned == 0  # b missing


def test_injected_duplicates_do_not_help():
    ref = _log("test_f", [("a", 1.0, None)])
    assert verdict.judge_test(ITEM, ref, _log("test_f", [("a", 1.0, None), ("a", 5.0, None)]), {}).earned == 0


def test_partial_credit_by_weight():
    ref = _log("test_f", [("a", 1.0, 1), ("b", 2.0, 3)])
    got = _log("test_f", [("a", 0.0, 1), ("b", 2.0, 3)])
    assert verdict.judge_test(ITEM, ref, got, {}).earned == 3.0


def test_asserts_failing_in_process_or_tampering_give_nothing():
    ref = _log("test_f", [("a", 1.0, None)])
    assert verdict.judge_test(ITEM, ref, _log("test_f", [("a", 1.0, None)], ok=False), {}).earned == 0
    v = verdict.judge_test(ITEM, ref, _log("test_f", [("a", 1.0, None)], tripwire=["np.allclose"]), {})
    assert v.earned == 0 and v.message_kind == "tampered"


def test_only_the_monitors_last_line_is_believed():
    lines = [json.dumps({"t": "end", "status": "graded"}), json.dumps({"t": "finished"})]
    log = verdict.parse_events(lines)
    assert log.status == "crashed"


def test_static_no_loops():
    ok, _ = verdict.static_check("no_loops", "f", {"f": "def f(x):\n    return x @ x.T\n"})
    bad, why = verdict.static_check("no_loops", "f", {"f": "def f(x):\n    return [a for a in x]\n"})
    assert ok and not bad and "loop" in why
