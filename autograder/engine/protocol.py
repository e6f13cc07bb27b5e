"""The report channel's schema, checked OUTSIDE the sandbox by the monitor.

Every line the student's process writes is parsed here before anything believes it: a bounded
line length, a bounded nesting depth (checked on the raw bytes, before any JSON parser recurses),
only known message types with exactly their known keys, numbers that are finite and in range.
Anything else is a :class:`Malformed` message, which the monitor treats as tampering.
"""

from __future__ import annotations

import json
import math
import re

MAX_LINE = (8 << 20) + 4096  # the runner replaces a larger record by a marker
MAX_DEPTH = 64
MAX_NUMBER = 1e300
MAX_KEY = 200
MAX_TEXT = 10_000
MAX_SHAPE_DIMS = 16
# A JSON string, or an unterminated one running to the end of the line: with the optional closing
# quote a match never fails, so the scan stays linear (no retry from every later quote).
_STRING = re.compile(rb'"[^"\\]*(?:\\.?[^"\\]*)*"?', re.S)
_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))


class Malformed(ValueError):
    """A line that is not a message the genuine runner could have written."""


def depth_of(raw: bytes) -> int:
    brackets = _STRING.sub(b'""', raw).translate(None, _BRACKETS)
    depth = deepest = 0
    for b in brackets:
        depth += 1 if b in b"[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _reject_constant(name: str):
    raise Malformed(f"non-JSON number {name}")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or abs(value) > MAX_NUMBER:
        raise Malformed("number out of range")
    return value


def _int(text: str) -> int:
    if len(text.lstrip("-")) > 18:
        raise Malformed("integer out of range")
    return int(text)


def parse(raw: bytes) -> dict:
    """One message from one line (without its newline), or :class:`Malformed`."""
    if len(raw) > MAX_LINE:
        raise Malformed("line too long")
    if depth_of(raw) > MAX_DEPTH:
        raise Malformed("nested too deeply")
    try:
        msg = json.loads(raw, parse_constant=_reject_constant, parse_float=_float, parse_int=_int)
    except Malformed:
        raise
    except (ValueError, RecursionError, UnicodeDecodeError) as exc:
        raise Malformed(f"not JSON: {type(exc).__name__}") from None
    if not isinstance(msg, dict):
        raise Malformed("not an object")
    kind = msg.get("t")
    if kind == "tripwire":
        _keys(msg, {"t", "cell", "tampered"})
        names = msg["tampered"]
        if not isinstance(names, list) or len(names) > 1000 or not all(_text(n, MAX_KEY) for n in names):
            raise Malformed("bad tripwire list")
    elif kind == "cell_end":
        _keys(msg, {"t", "cell", "ok", "ename", "evalue"})
        if not isinstance(msg["ok"], bool):
            raise Malformed("bad cell_end")
        if not (msg["ename"] is None or _text(msg["ename"], MAX_KEY)):
            raise Malformed("bad exception name")
        if not (msg["evalue"] is None or _text(msg["evalue"], 2000)):
            raise Malformed("bad exception text")
    elif kind == "record":
        _keys(msg, {"t", "cell", "key", "value", "rtol", "atol", "weight", "check"})
        if not _text(msg["key"], MAX_KEY):
            raise Malformed("bad record key")
        for tol in ("rtol", "atol"):
            if not _number(msg[tol]) or msg[tol] < 0:
                raise Malformed(f"bad {tol}")
        if msg["weight"] is not None and not (_number(msg["weight"]) and msg["weight"] > 0):
            raise Malformed("bad weight")
        check_value(msg["value"])
        check_spec(msg["check"])
    else:
        raise Malformed("unknown message type")
    return msg


def _keys(msg: dict, expected: set[str]) -> None:
    if set(msg) != expected:
        raise Malformed("unexpected keys")
    if not isinstance(msg["cell"], int) or isinstance(msg["cell"], bool):
        raise Malformed("bad cell index")


def _text(x, limit: int) -> bool:
    return isinstance(x, str) and len(x) <= limit


def _number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def check_value(v, depth: int = 0) -> None:
    """The shapes ``runner.encode`` produces, and nothing else."""
    if depth > MAX_DEPTH or not isinstance(v, dict) or len(v) != 1:
        raise Malformed("bad value")
    (tag, body), = v.items()
    if tag == "array":
        if not isinstance(body, dict) or set(body) != {"shape", "kind", "data"}:
            raise Malformed("bad array")
        shape, kind, data = body["shape"], body["kind"], body["data"]
        if (not isinstance(shape, list) or len(shape) > MAX_SHAPE_DIMS
                or not all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n for n in shape)):
            raise Malformed("bad array shape")
        if kind not in ("b", "i", "f", "c") or not isinstance(data, list):
            raise Malformed("bad array kind")
        size = 1
        for n in shape:
            size *= n
        if size != len(data):
            raise Malformed("array size does not match its shape")
        if kind == "c":
            if not all(isinstance(z, list) and len(z) == 2 and _element(z[0]) and _element(z[1]) for z in data):
                raise Malformed("bad complex array")
        elif not all(_element(x) for x in data):
            raise Malformed("bad array element")
    elif tag == "scalar":
        if not (body is None or _text(body, MAX_TEXT)):
            raise Malformed("bad scalar")
    elif tag == "seq":
        if not isinstance(body, list):
            raise Malformed("bad sequence")
        for item in body:
            check_value(item, depth + 1)
    elif tag == "map":
        if not isinstance(body, list):
            raise Malformed("bad map")
        for pair in body:
            if not isinstance(pair, list) or len(pair) != 2 or not _text(pair[0], MAX_KEY):
                raise Malformed("bad map entry")
            check_value(pair[1], depth + 1)
    elif tag == "opaque":
        if not _text(body, MAX_KEY):
            raise Malformed("bad opaque marker")
    else:
        raise Malformed("unknown value tag")


def check_spec(spec) -> None:
    """A property spec as ``runner._check_spec`` writes it: a small flat object of plain values."""
    if spec is None:
        return
    if not isinstance(spec, dict) or len(spec) > 8 or not isinstance(spec.get("kind"), str):
        raise Malformed("bad check")
    for k, v in spec.items():
        if not _text(k, 40) or not (v is None or isinstance(v, bool) or _number(v) or _text(v, MAX_KEY)):
            raise Malformed("bad check entry")


def _element(x) -> bool:
    return _number(x) or x in ("nan", "inf", "-inf")
