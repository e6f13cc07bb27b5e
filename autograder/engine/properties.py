"""Property checks of recorded experiment values, decided outside the sandbox.

An experiment has no single right number, so a test can ask the grader for a property of what the
student's run recorded (``course_utils.grading``: ``within``, ``below``, ``above``, ``monotone``,
``slope``, ``close_to``, ``measured``). The property is the one the *reference* run recorded under
the key: the student's process could write any spec, so its own is never read. Values are the
type-tagged JSON of ``runner.encode``; anything that is not plain finite numbers fails.
"""

from __future__ import annotations

import math

KINDS = ("measured", "within", "below", "above", "monotone", "slope", "close_to")


def numbers(value) -> tuple[list[float], list[int]] | None:
    """(flat finite floats, shape) of a recorded real number or array, or None."""
    if not isinstance(value, dict):
        return None
    if "array" in value:
        body = value["array"]
        if not isinstance(body, dict) or body.get("kind") not in ("b", "i", "f"):
            return None
        data, shape = body.get("data"), body.get("shape")
        if not isinstance(data, list) or not isinstance(shape, list):
            return None
        out = []
        for x in data:
            if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
                return None  # "nan"/"inf" markers and anything else: not a measurement
            out.append(float(x))
        return out, shape
    if "seq" in value and isinstance(value["seq"], list):  # a list of scalars, e.g. a loss curve
        out = []
        for item in value["seq"]:
            got = numbers(item)
            if got is None or got[1] != []:
                return None
            out.extend(got[0])
        return out, [len(out)]
    return None


def holds(spec: dict, value, others: dict[str, dict]) -> tuple[bool, str]:
    """Whether ``value`` has the property ``spec``; ``others`` maps the same run's keys to records
    (for the keys ``below``/``above``/``close_to`` refer to). Returns (ok, why not)."""
    kind = spec.get("kind")
    got = numbers(value)
    if got is None:
        return False, "not finite numbers"
    xs, shape = got
    if not xs and kind != "measured":
        return False, "empty"
    if kind == "measured":
        return True, ""
    if kind == "within":
        lo, hi = _float(spec.get("lo")), _float(spec.get("hi"))
        bad = [x for x in xs if (lo is not None and x < lo) or (hi is not None and x > hi)]
        return (not bad), (f"{bad[0]:.4g} outside [{_show(lo)}, {_show(hi)}]" if bad else "")
    if kind in ("below", "above", "close_to"):
        other = others.get(str(spec.get("key")))
        ref = numbers(other.get("value")) if isinstance(other, dict) else None
        if ref is None:
            return False, f"{spec.get('key')!r} was not recorded as finite numbers"
        ys, other_shape = ref
        if kind == "close_to":
            if shape != other_shape:
                return False, f"shape {shape} differs from {spec.get('key')!r}'s {other_shape}"
            rtol, atol = _float(spec.get("rtol")) or 0.0, _float(spec.get("atol")) or 0.0
            off = [(x, y) for x, y in zip(xs, ys) if abs(x - y) > atol + rtol * abs(y)]
            return (not off), (f"{off[0][0]:.6g} is not what was measured ({off[0][1]:.6g})" if off else "")
        if len(ys) == 1:
            ys = ys * len(xs)
        elif shape != other_shape:
            return False, f"shape {shape} differs from {spec.get('key')!r}'s {other_shape}"
        factor, margin = _float(spec.get("factor")), _float(spec.get("margin"))
        if factor is None or margin is None:
            return False, "bad check"
        if kind == "below":
            bad = [(x, y) for x, y in zip(xs, ys) if not x <= factor * y - margin]
        else:
            bad = [(x, y) for x, y in zip(xs, ys) if not x >= factor * y + margin]
        word = "above" if kind == "below" else "below"
        return (not bad), (f"{bad[0][0]:.4g} is {word} the bound from {spec.get('key')!r} ({bad[0][1]:.4g})"
                           if bad else "")
    if kind == "monotone":
        if len(shape) != 1 or len(xs) < 2:
            return False, "not a 1-D sequence of two or more values"
        tol = _float(spec.get("tol")) or 0.0
        sign = -1.0 if spec.get("direction") == "decreasing" else 1.0
        steps = [sign * (b - a) for a, b in zip(xs, xs[1:])]
        strict = bool(spec.get("strict"))
        bad = [i for i, d in enumerate(steps) if d < -tol or (strict and d <= 0)]
        return (not bad), (f"step {bad[0]} goes the wrong way" if bad else "")
    if kind == "slope":
        if len(shape) != 2 or shape[0] != 2 or shape[1] < 2:
            return False, "not a (2, n) array of x and y"
        n = shape[1]
        x, y = xs[:n], xs[n:]
        if spec.get("log", True):
            if min(x) <= 0 or min(y) <= 0:
                return False, "a log-log slope needs positive x and y"
            x, y = [math.log(v) for v in x], [math.log(v) for v in y]
        mx, my = sum(x) / n, sum(y) / n
        sxx = sum((a - mx) ** 2 for a in x)
        if sxx == 0:
            return False, "all x are equal"
        fitted = sum((a - mx) * (b - my) for a, b in zip(x, y)) / sxx
        lo, hi = _float(spec.get("lo")), _float(spec.get("hi"))
        ok = lo is not None and hi is not None and lo <= fitted <= hi
        return ok, ("" if ok else f"slope {fitted:.3g} outside [{_show(lo)}, {_show(hi)}]")
    return False, f"unknown check {kind!r}"


def _float(x):
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) else None


def _show(x):
    return "-inf" if x is None else f"{x:.4g}"
