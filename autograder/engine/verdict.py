"""Trusted verdicts (outside): decided in the grader's process from the results of two runs.

For every test cell, the reference run (the instructor's solution) and the student's run recorded
values under the same keys. A cell earns its points only if, in the student's run, it finished
without an exception, every reference key was recorded with a matching value (and nothing else
under those keys), its static checks hold, and no tripwire fired before it. Matching is done
here, on plain JSON data, with the tolerances the reference run asked for; a record whose reference
carries a property (``check=``) must have that property instead (``properties``).
"""

from __future__ import annotations

import ast
import json
import math
from dataclasses import dataclass, field

from .properties import holds

LOOP_NODES = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


@dataclass
class RunLog:
    """One run's result as its monitor wrote it: every message in it was checked outside the
    sandbox (``protocol``), and at most one of each kind per cell was kept."""

    order: list[str] = field(default_factory=list)  # cell labels in the order they ran
    cells: dict[str, dict] = field(default_factory=dict)  # label -> {ok, ename, evalue, tripwire}
    records: dict[str, dict[str, dict]] = field(default_factory=dict)  # test cell -> key -> record
    tamper: list[tuple[int, str]] = field(default_factory=list)  # (cell index, reason)
    finished: bool = False
    status: str = "crashed"
    reason: str = "the run ended without a result"

    def tampered_at(self, label: str) -> str | None:
        """Why the messages of this cell cannot be believed (tampering at or before it), or None."""
        if label not in self.order:
            return None
        index = self.order.index(label)
        reasons = [why for at, why in self.tamper if at <= index]
        return reasons[0] if reasons else None


def parse_result(text: str) -> RunLog:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return RunLog()
    if not isinstance(data, dict):
        return RunLog()
    log = RunLog(status=str(data.get("status", "crashed")), reason=str(data.get("reason") or ""),
                 finished=bool(data.get("finished")))
    log.order = [str(x) for x in data.get("order") or []]
    log.cells = data.get("cells") or {}
    log.records = data.get("records") or {}
    log.tamper = [(int(i), str(w)) for i, w in data.get("tamper") or []]
    return log


def values_match(ref, got, rtol: float, atol: float) -> bool:
    if not isinstance(ref, dict) or not isinstance(got, dict) or set(ref) != set(got):
        return False
    if "array" in ref:
        a, b = ref["array"], got["array"]
        if not isinstance(b, dict) or a["shape"] != b.get("shape") or a["kind"] != b.get("kind"):
            return False
        if not isinstance(b.get("data"), list) or len(b["data"]) != len(a["data"]):
            return False
        if a["kind"] == "c":
            return all(_close(x[0], y[0], rtol, atol) and _close(x[1], y[1], rtol, atol)
                       for x, y in zip(a["data"], b["data"]))
        return all(_close(x, y, rtol, atol) for x, y in zip(a["data"], b["data"]))
    if "scalar" in ref:
        return type(ref["scalar"]) is type(got["scalar"]) and ref["scalar"] == got["scalar"]
    if "seq" in ref:
        return (isinstance(got["seq"], list) and len(ref["seq"]) == len(got["seq"])
                and all(values_match(x, y, rtol, atol) for x, y in zip(ref["seq"], got["seq"])))
    if "map" in ref:
        if not isinstance(got["map"], list) or len(ref["map"]) != len(got["map"]):
            return False
        return all(isinstance(g, list) and len(g) == 2 and r[0] == g[0] and values_match(r[1], g[1], rtol, atol)
                   for r, g in zip(ref["map"], got["map"]))
    return False  # opaque values never match: record plain data


def _close(x, y, rtol: float, atol: float) -> bool:
    fx, fy = _as_float(x), _as_float(y)
    if fx is None or fy is None:
        return False
    if math.isnan(fx) or math.isnan(fy):
        return math.isnan(fx) and math.isnan(fy)
    if math.isinf(fx) or math.isinf(fy):
        return fx == fy
    return abs(fx - fy) <= atol + rtol * abs(fx)


def _as_float(x):
    if isinstance(x, bool):
        return None
    if isinstance(x, (int, float)):
        try:
            return float(x)
        except OverflowError:
            return None
    if x in ("nan", "inf", "-inf"):
        return float(x)
    return None


def static_check(name: str, function: str, answer_sources: dict[str, str]) -> tuple[bool, str]:
    """Checks on the student's code itself, done on its text (nothing of it runs here)."""
    code = "\n\n".join(answer_sources.values())
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return False, "the answer cells do not parse"
    defs = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == function]
    if not defs:
        return False, f"no function named {function}"
    if name == "no_loops":
        if any(isinstance(n, LOOP_NODES) for d in defs for n in ast.walk(d)):
            return False, f"{function} uses a Python loop or comprehension; vectorize it"
        return True, ""
    return False, f"unknown static check {name}"


@dataclass
class CellVerdict:
    earned: float
    passed: bool
    message_kind: str  # "passed" | "error" | "mismatch" | "missing" | "static" | "tampered" | "not_run"
    detail: str = ""
    ename: str | None = None
    evalue: str | None = None
    verified: bool = True


def judge_test(item, reference: RunLog, student: RunLog, answer_sources: dict[str, str]) -> CellVerdict:
    gid = item.grade_id
    forged = student.tampered_at(gid)
    if forged:
        return CellVerdict(0.0, False, "tampered", forged)
    end = student.cells.get(gid)
    if end is None:
        return CellVerdict(0.0, False, "not_run", "this test did not run (the notebook stopped earlier)")
    if end.get("tripwire"):
        return CellVerdict(0.0, False, "tampered", "student code replaced " + ", ".join(end["tripwire"][:5]))
    if not end.get("ok"):
        return CellVerdict(0.0, False, "error", ename=str(end.get("ename")), evalue=str(end.get("evalue") or ""))
    for check, fn in item.static_checks:
        ok, why = static_check(check, fn, answer_sources)
        if not ok:
            return CellVerdict(0.0, False, "static", why)
    ref_records = reference.records.get(gid, {})
    if not ref_records:
        return CellVerdict(item.points, True, "passed", verified=False)
    got_records = student.records.get(gid, {})
    failed, earned_weight, total_weight, gate_failed = [], 0.0, 0.0, False
    for key, ref in ref_records.items():
        got = got_records.get(key)
        if got is None:
            ok = False
        elif isinstance(ref.get("check"), dict):  # the reference's property, never the student's
            ok = holds(ref["check"], got.get("value"), got_records)[0]
        else:
            ok = values_match(ref.get("value"), got.get("value"), float(ref.get("rtol", 0)),
                              float(ref.get("atol", 0)))
        weight = _weight(ref)
        total_weight += weight or 0.0
        if ok:
            earned_weight += weight or 0.0
        else:
            failed.append(key if got is not None else f"{key} (not recorded)")
            gate_failed |= weight is None
    if not failed:
        return CellVerdict(item.points, True, "passed")
    # Partial credit comes only from weighted records (each depends on the answer: `dlcourse release`
    # checks). Unweighted ones, such as "inputs unchanged", are requirements: an empty answer passes
    # them, so they must never earn a share, and failing one earns the cell nothing.
    partial = total_weight > 0 and not gate_failed
    earned = item.points * earned_weight / total_weight if partial else 0.0
    return CellVerdict(round(earned, 6), False, "mismatch", f"{len(failed)} of {len(ref_records)} checks failed")


def _weight(event) -> float | None:
    w = event.get("weight")
    return float(w) if isinstance(w, (int, float)) and not isinstance(w, bool) and w > 0 else None
