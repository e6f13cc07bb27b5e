"""The monitor's schema checks and the trusted verdict, on hand-made report lines (no sandbox).

Lines go through the real monitor loop (``monitor._drive``) over real pipes, exactly as a worker's
would, so forged, malformed and duplicated messages are judged by the code that grades students.
"""

import json
import os
import threading
import time

import numpy as np
import pytest

from autograder.engine import monitor, protocol, verdict
from autograder.engine.inside import tripwires
from autograder.engine.inside.runner import encode
from autograder.engine.plan import GradeItem

LIMITS = {"cell_timeout": 5, "total_timeout": 10, "output_bytes": 64 << 20}
CELLS = [{"label": "answer", "kind": "answer", "source": ""}, {"label": "test_f", "kind": "test", "source": "np = 1"}]


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


def rec(key, value, weight=None, cell=1):
    return json.dumps({"t": "record", "cell": cell, "key": key, "value": enc(value), "rtol": 1e-9, "atol": 0.0,
                       "weight": weight, "check": None})


def honest(records=(), ok=True, tripwire=()):
    """The lines a genuine runner writes for CELLS."""
    return ([json.dumps({"t": "cell_end", "cell": 0, "ok": True, "ename": None, "evalue": None}),
             json.dumps({"t": "tripwire", "cell": 1, "tampered": list(tripwire)})]
            + [rec(*r) for r in records]
            + [json.dumps({"t": "cell_end", "cell": 1, "ok": ok, "ename": None if ok else "AssertionError",
                           "evalue": None})])


def drive(lines: list, cells=CELLS) -> verdict.RunLog:
    """Feed raw lines (str or bytes) to the real monitor loop; returns what the grader reads."""
    tripwires.snapshot()
    rep_r, rep_w = os.pipe()
    cmd_r, cmd_w = os.pipe()
    data = b"".join((x if isinstance(x, bytes) else x.encode()) + b"\n" for x in lines)

    def feed():
        with os.fdopen(rep_w, "wb") as f:
            f.write(data)

    threading.Thread(target=feed, daemon=True).start()
    result = monitor.Result(cells)
    monitor._drive(result, cells, LIMITS, cmd_w, monitor.Lines(rep_r, LIMITS["output_bytes"]), first=0)
    for fd in (rep_r, cmd_r):
        os.close(fd)
    return verdict.parse_result(json.dumps(result.as_json()))


ITEM = GradeItem("test_f", "test", 4.0)
REF = None


def judge(lines, ref_records=(("a", 1.0), ("b", 2.0))):
    return verdict.judge_test(ITEM, drive(honest(ref_records)), drive(lines), {})


def test_points_need_every_record_to_match():
    assert judge(honest([("a", 1.0), ("b", 2.0)])).earned == 4
    assert judge(honest([("a", 1.0), ("b", 3.0)])).earned == 0
    assert judge(honest([("a", 1.0)])).earned == 0  # b missing


def test_partial_credit_by_weight():
    v = judge(honest([("a", 0.0, 1), ("b", 2.0, 3)]), ref_records=[("a", 1.0, 1), ("b", 2.0, 3)])
    assert v.earned == 3.0


def test_unweighted_records_never_earn_partial_credit():
    ref = [("out", 1.0, 2), ("weights", 2.0, 1), ("inputs unchanged", 3.0)]
    empty = [("out", 0.0, 2), ("weights", 0.0, 1), ("inputs unchanged", 3.0)]  # does nothing, mutates nothing
    assert judge(honest(empty), ref_records=ref).earned == 0
    half = [("out", 1.0, 2), ("weights", 0.0, 1), ("inputs unchanged", 3.0)]
    assert judge(honest(half), ref_records=ref).earned == pytest.approx(4 * 2 / 3)
    mutates = [("out", 1.0, 2), ("weights", 2.0, 1), ("inputs unchanged", 9.0)]
    assert judge(honest(mutates), ref_records=ref).earned == 0  # a requirement failed: no share


def test_failing_asserts_or_a_tripwire_give_nothing():
    assert judge(honest([("a", 1.0), ("b", 2.0)], ok=False)).earned == 0
    v = judge(honest([("a", 1.0), ("b", 2.0)], tripwire=["np.allclose"]))
    assert v.earned == 0 and v.message_kind == "tampered" and "np.allclose" in v.detail


HOSTILE_LINES = {
    "deep nesting": "[" * 200_000 + "]" * 200_000,
    "400-digit integer": '{"t": "record", "cell": 1, "key": "a", "value": {"array": {"shape": [], "kind": "i", '
                         '"data": [' + "9" * 400 + ']}}, "rtol": 0, "atol": 0, "weight": null, "check": null}',
    "huge float": '{"t": "record", "cell": 1, "key": "a", "value": {"scalar": null}, "rtol": 1e999, "atol": 0, '
                  '"weight": null, "check": null}',
    "NaN token": '{"t": "record", "cell": 1, "key": "a", "value": {"scalar": null}, "rtol": NaN, "atol": 0, '
                 '"weight": null, "check": null}',
    "unknown type": '{"t": "end", "status": "graded"}',
    "extra key": '{"t": "cell_end", "cell": 1, "ok": true, "ename": null, "evalue": null, "points": 4}',
    "not JSON": "\x00\xff garbage",
    "wrong shape size": '{"t": "record", "cell": 1, "key": "a", "value": {"array": {"shape": [3], "kind": "f", '
                        '"data": [1.0]}}, "rtol": 0, "atol": 0, "weight": null, "check": null}',
    "over-long line": "x" * (protocol.MAX_LINE + 10),
    "quote storm": '"\\"' * 1_000_000,  # an unterminated string full of escaped quotes: linear to scan
}


@pytest.mark.parametrize("name", sorted(HOSTILE_LINES))
def test_a_malformed_line_is_tampering_never_a_crash(name):
    lines = honest([("a", 1.0), ("b", 2.0)])
    lines.insert(1, HOSTILE_LINES[name])  # written by student code during the answer cell
    v = judge(lines)
    assert v.earned == 0 and v.message_kind == "tampered" and "malformed report" in v.detail


def test_first_message_wins_forged_cell_end():
    forged = json.dumps({"t": "cell_end", "cell": 1, "ok": True, "ename": None, "evalue": None})
    lines = honest([("a", 1.0), ("b", 2.0)])
    lines.insert(2, forged)  # right after the genuine tripwire: ends the cell before its records
    log = drive(lines)
    assert log.tamper, "the genuine cell_end after the forged one is a message too many"
    assert verdict.judge_test(ITEM, drive(honest([("a", 1.0), ("b", 2.0)])), log, {}).earned == 0


def test_forged_tripwire_cannot_erase_a_real_one():
    lines = honest([("a", 1.0), ("b", 2.0)], tripwire=["np.allclose"])
    lines.insert(2, json.dumps({"t": "tripwire", "cell": 1, "tampered": []}))
    v = judge(lines)
    assert v.earned == 0 and v.message_kind == "tampered"
    first_forged = honest([("a", 1.0), ("b", 2.0)], tripwire=["np.allclose"])
    first_forged.insert(1, json.dumps({"t": "tripwire", "cell": 1, "tampered": []}))  # before the real one
    assert judge(first_forged).earned == 0


def test_duplicate_record_is_tampering():
    lines = honest([("a", 1.0), ("b", 2.0)])
    lines.insert(3, rec("a", 1.0))
    v = judge(lines)
    assert v.earned == 0 and "reported twice" in v.detail


def test_tripwire_names_only_from_the_known_list():
    log = drive(honest([("a", 1.0), ("b", 2.0)], tripwire=["np.allclose", "<script>secret hidden input 5527",
                                                            "notebook name 'np'", "notebook name 'zzz'"]))
    assert log.cells["test_f"]["tripwire"] == ["np.allclose", "an unknown name", "notebook name 'np'",
                                               "an unknown name"]


def test_a_message_for_another_cell_is_tampering():
    lines = honest([("a", 1.0), ("b", 2.0)])
    lines.insert(1, rec("a", 1.0, cell=1))  # sent during the answer cell, claiming to be the test's
    assert judge(lines).earned == 0


def test_tampering_keeps_honest_points_before_it():
    cells = [{"label": "t1", "kind": "test", "source": ""}, {"label": "t2", "kind": "test", "source": ""}]
    lines = [json.dumps({"t": "tripwire", "cell": 0, "tampered": []}), rec("a", 1.0, cell=0),
             json.dumps({"t": "cell_end", "cell": 0, "ok": True, "ename": None, "evalue": None}),
             "garbage",
             json.dumps({"t": "tripwire", "cell": 1, "tampered": []}), rec("a", 1.0, cell=1),
             json.dumps({"t": "cell_end", "cell": 1, "ok": True, "ename": None, "evalue": None})]
    log = drive(lines, cells)
    ref = drive([ln for ln in lines if ln != "garbage"], cells)
    assert verdict.judge_test(GradeItem("t1", "test", 1.0), ref, log, {}).earned == 1
    assert verdict.judge_test(GradeItem("t2", "test", 1.0), ref, log, {}).earned == 0


def test_the_monitor_owns_the_clock():
    """A cell that never reports its end is a timeout whatever was forged for other cells."""
    lines = [json.dumps({"t": "cell_end", "cell": 0, "ok": True, "ename": None, "evalue": None})]
    rep_r, rep_w = os.pipe()
    cmd_r, cmd_w = os.pipe()
    os.write(rep_w, ("\n".join(lines) + "\n").encode())
    result = monitor.Result(CELLS)
    limits = {**LIMITS, "cell_timeout": 0.3}
    monitor._drive(result, CELLS, limits, cmd_w, monitor.Lines(rep_r, 1 << 20), first=0)
    for fd in (rep_r, rep_w, cmd_r):
        os.close(fd)
    assert result.status == "timeout" and "test_f" in result.reason


def test_static_no_loops():
    ok, _ = verdict.static_check("no_loops", "f", {"f": "def f(x):\n    return x @ x.T\n"})
    bad, why = verdict.static_check("no_loops", "f", {"f": "def f(x):\n    return [a for a in x]\n"})
    assert ok and not bad and "loop" in why


@pytest.mark.parametrize("order", [["ready\n", "pid 42\n"], ["pid 42\n", "ready\n"]])
def test_setup_handshake_in_either_order(order):
    """The worker may say `ready` before its parent says `pid N` (a loaded machine): both arrive."""
    r, w = os.pipe()
    for line in order:
        os.write(w, line.encode())
    os.close(w)
    assert monitor._await_setup(r, time.monotonic() + 5) == (42, None)
