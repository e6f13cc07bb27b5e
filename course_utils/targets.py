"""Stating and checking a notebook's target result.

``report_target`` is the last word of every lecture: it prints the measured figure next to the
target, raises ``AssertionError`` when the target is missed (so CI fails), and, when
``COURSE_RESULTS_DIR`` is set, appends the figure to ``<dir>/<notebook>.jsonl`` so that RESULTS.md is
built from measurements, never typed in.

In smoke mode (``COURSE_FAST=0 COURSE_SMOKE=1``, see ``runtime.py``) a notebook runs its full-mode code
for a few steps only, so no statistical target can hold: ``report_target`` still computes, prints and
records the figure, marked ``smoke: not checked`` (mode ``"smoke"``, ``passed: null`` in the record, so
neither RESULTS.md nor ``full-mode.json`` can ever take it for a measurement), and does not assert.
Fast and full mode always assert. In smoke mode a notebook's own asserts run too, except the few
that state a training outcome, which it guards with ``if not cu.smoke_mode():``.
"""

from __future__ import annotations

import json
import operator
import os
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

_OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq}


def report_target(name: str, value: float, op: str, threshold: float, notebook: str | None = None,
                  unit: str = "") -> float:
    """Assert ``value <op> threshold`` (e.g. ``report_target("test accuracy", acc, ">=", 0.95)``).

    In smoke mode the figure is printed and recorded but not asserted (see the module docstring).
    """
    if op not in _OPS:
        raise ValueError(f"op must be one of {sorted(_OPS)}, not {op!r}")
    value = float(value)
    ok = bool(_OPS[op](value, threshold))
    from .runtime import fast_mode, smoke_mode

    smoke = smoke_mode()
    mode = "fast" if fast_mode() else ("smoke" if smoke else "full")
    verdict = "smoke: not checked" if smoke else ("PASS" if ok else "FAIL")
    print(f"TARGET [{mode}] {name}: {value:.6g}{unit} (target {op} {threshold:g}{unit}) -> {verdict}")
    out_dir = os.environ.get("COURSE_RESULTS_DIR")
    if out_dir:
        nb = notebook or os.environ.get("COURSE_NOTEBOOK", "unknown")
        record = {"notebook": nb, "name": name, "value": value, "op": op, "threshold": threshold,
                  "mode": mode, "passed": None if smoke else ok, "unit": unit, "time": time.time()}
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        with open(Path(out_dir) / f"{nb}.jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
    if not smoke:
        assert ok, f"Target missed: {name} = {value:.6g}, needed {op} {threshold:g}"
    return value


@contextmanager
def timer(label: str = "elapsed", verbose: bool = True):
    """``with cu.timer("training") as t: ...``; afterwards ``t["seconds"]`` holds the wall time."""
    box = {"seconds": float("nan")}
    start = time.perf_counter()
    try:
        yield box
    finally:
        box["seconds"] = time.perf_counter() - start
        if verbose:
            print(f"{label}: {box['seconds']:.2f} s")


def best_time(fn: Callable, *args, repeats: int = 3, clock: Callable[[], float] = time.perf_counter) -> float:
    """The shortest of ``repeats`` timed calls ``fn(*args)``, in seconds.

    The minimum is the figure least disturbed by other work on the machine. ``clock`` is wall time
    (``time.perf_counter``) by default; pass ``time.process_time`` to count only this process's CPU time.
    """
    times = []
    for _ in range(repeats):
        start = clock()
        fn(*args)
        times.append(clock() - start)
    return min(times)
