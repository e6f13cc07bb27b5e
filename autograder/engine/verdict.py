"""Trusted verdicts: decided in the grader's process from the records of two runs.

For every test cell, the reference run (the instructor's solution) and the student's run recorded
values under the same keys. A cell earns its points only if, in the student's run, it finished
without an exception, every reference key was recorded with a matching value (and nothing else
under those keys), its static checks hold, and no tripwire fired before it. Matching is done
here, on plain JSON data, with the tolerances the reference run asked for.
"""

from __future__ import annotations

import ast
import json
import math
from dataclasses import dataclass, field

LOOP_NODES = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


@dataclass
class RunLog:
    """What one run reported, parsed defensively (the student's run may write anything)."""

    cells_ended: dict[str, dict] = field(default_factory=dict)  # label -> last cell_end event
    cells_started: set[str] = field(default_factory=set)
    records: dict[str, dict[str, list[dict]]] = field(default_factory=dict)  # cell -> key -> [events]
    tripwires: dict[str, list[str]] = field(default_factory=dict)
    finished: bool = False
    status: str = "crashed"
    reason: str = "the run ended without a verdict line"


def parse_events(lines: list[str]) -> RunLog:
    log = RunLog()
    for raw in lines:
        try:
            event = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(event, dict):
            continue
        kind, cell = event.get("t"), event.get("cell")
        if kind == "cell_start" and isinstance(cell, str):
            log.cells_started.add(cell)
        elif kind == "cell_end" and isinstance(cell, str):
            log.cells_ended[cell] = event
        elif kind == "record" and isinstance(cell, str) and isinstance(event.get("key"), str):
            log.records.setdefault(cell, {}).setdefault(event["key"], []).append(event)
        elif kind == "tripwire" and isinstance(cell, str):
            names = event.get("tampered")
            log.tripwires[cell] = [str(n) for n in names] if isinstance(names, list) else ["tripwire report"]
        elif kind == "finished":
            log.finished = True
    # The monitor's verdict is always the last line; anything earlier claiming to be it is ignored.
    if lines:
        try:
            last = json.loads(lines[-1])
            if isinstance(last, dict) and last.get("t") == "end":
                log.status, log.reason = str(last.get("status")), str(last.get("reason") or "")
        except ValueError:
            pass
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
        return float(x)
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
    if student.tripwires.get(gid):
        return CellVerdict(0.0, False, "tampered", "student code replaced " + ", ".join(student.tripwires[gid][:5]))
    if gid in student.cells_started and gid not in student.tripwires:
        return CellVerdict(0.0, False, "tampered", "the grader's integrity check did not report before this cell")
    end = student.cells_ended.get(gid)
    if end is None:
        return CellVerdict(0.0, False, "not_run", "this test did not run (the notebook stopped earlier)")
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
    total_weight = sum(_weight(evs[-1]) for evs in ref_records.values())
    earned_weight, failed = 0.0, []
    for key, ref_events in ref_records.items():
        ref = ref_events[-1]
        got = got_records.get(key, [])
        ok = bool(got) and all(values_match(ref.get("value"), g.get("value"), float(ref.get("rtol", 0)),
                                            float(ref.get("atol", 0))) for g in got)
        if ok:
            earned_weight += _weight(ref)
        else:
            failed.append(key if got else f"{key} (not recorded)")
    if not failed:
        return CellVerdict(item.points, True, "passed")
    earned = item.points * earned_weight / total_weight if _partial(ref_records) else 0.0
    return CellVerdict(round(earned, 6), False, "mismatch", f"{len(failed)} of {len(ref_records)} checks failed")


def _weight(event) -> float:
    w = event.get("weight")
    return float(w) if isinstance(w, (int, float)) and w > 0 else 1.0


def _partial(ref_records) -> bool:
    return any(isinstance(evs[-1].get("weight"), (int, float)) for evs in ref_records.values())
