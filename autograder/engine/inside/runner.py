"""The cell runner: PID 1 of a run's sandbox, in the student's process (untrusted).

The monitor (outside) drives it: it writes the index of the next cell on the command pipe, and
the runner answers on the report pipe with one JSON line per event of that cell: ``tripwire``
(before a test cell: which watched objects were replaced), ``record`` (every value a test hands to
:func:`course_utils.grading.record`) and ``cell_end``. Student code shares this process, so it can
write, drop or forge any of these lines; the monitor accepts only well-formed, bounded messages for
the cell it asked for, first message wins, and the verdict compares records with the reference run.
"""

from __future__ import annotations

import builtins
import json
import linecache
import math
import os
import re
import sys

from . import tripwires

MAX_EVENT_BYTES = 8 << 20  # one record larger than this is replaced by a marker
_IPYTHON_SYNTAX = re.compile(r"^\s*[%!]|\?\s*$|=\s*!", re.M)


def encode(value, depth: int = 0):
    """A JSON-safe, type-tagged copy of a recorded value (arrays keep shape and dtype kind)."""
    import numpy as np

    if depth > 20:
        return {"opaque": "nested too deeply"}
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # torch tensors
        value = value.detach().cpu().numpy()
    if isinstance(value, (bool, int, float, complex, np.generic, np.ndarray)) and not isinstance(value, str):
        try:
            arr = np.asarray(value)
        except OverflowError:  # an int too large for any dtype
            return {"opaque": "integer out of range"}
        kind = "i" if arr.dtype.kind == "u" else arr.dtype.kind
        if kind not in "bifc":
            return {"opaque": f"array of dtype {arr.dtype}"}
        if arr.size > 2_000_000 or arr.ndim > 16:
            return {"opaque": "array too large to record"}
        flat = arr.astype(complex if kind == "c" else float).ravel()
        data = [[_num(z.real), _num(z.imag)] for z in flat] if kind == "c" else [_num(x) for x in flat.tolist()]
        return {"array": {"shape": list(arr.shape), "kind": kind, "data": data}}
    if value is None or isinstance(value, str):
        return {"scalar": value if value is None or len(value) <= 10_000 else value[:10_000]}
    if isinstance(value, (list, tuple)):
        return {"seq": [encode(v, depth + 1) for v in value]}
    if isinstance(value, dict):
        return {"map": [[str(k)[:200], encode(v, depth + 1)]
                        for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))]}
    return {"opaque": type(value).__name__[:100]}


def _check_spec(check):
    """The property a record asks for, as plain JSON (the grader believes only the reference's)."""
    if not isinstance(check, dict):
        return None
    out = {}
    for k, v in list(check.items())[:8]:
        if isinstance(v, bool) or v is None or isinstance(v, str):
            out[str(k)[:40]] = v if not isinstance(v, str) else v[:200]
        elif isinstance(v, (int, float)) and math.isfinite(v):
            out[str(k)[:40]] = float(v)
    return out


def _num(x: float):
    return x if math.isfinite(x) else repr(x)  # "nan", "inf", "-inf": JSON has no such numbers


class _Shell:
    """Stands in for IPython's shell: magics and shell escapes (``%pip``, ``!ls``) do nothing."""

    def run_line_magic(self, *args, **kwargs):
        return None

    def run_cell_magic(self, *args, **kwargs):
        return None

    def system(self, *args, **kwargs):
        return None

    def getoutput(self, *args, **kwargs):
        return []

    def __getattr__(self, name):
        return lambda *a, **k: None


def _transform(source: str) -> str:
    if not _IPYTHON_SYNTAX.search(source):
        return source  # plain Python: skip IPython's (slow) transformer
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:
        return source


def _commands(cmd_fd: int):
    """Cell indices sent by the monitor, one per line; ends when the monitor closes the pipe."""
    buffer = b""
    while True:
        chunk = os.read(cmd_fd, 64)
        if not chunk:
            return
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            yield int(line)


def serve(cells: list[dict], cmd_fd: int, out_fd: int) -> None:
    """Run the cells ([{label, source, kind}]) the monitor asks for, reporting on ``out_fd``."""
    write, dumps = os.write, json.dumps

    def emit(event: dict) -> None:
        line = dumps(event) + "\n"
        if len(line) > MAX_EVENT_BYTES:
            line = dumps({**event, "value": {"opaque": "record too large"}}) + "\n"
        data = line.encode()
        while data:
            data = data[write(out_fd, data):]

    current = {"cell": -1}

    def sink(key, value, rtol, atol, weight, check=None):
        emit({"t": "record", "cell": current["cell"], "key": str(key)[:200], "value": encode(value),
              "rtol": float(rtol), "atol": float(atol), "weight": None if weight is None else float(weight),
              "check": _check_spec(check)})

    try:
        from course_utils import grading

        grading._sink = sink
        tripwires.watch("course_utils.grading._sink", sink)
    except ImportError:
        pass
    namespace = {"__name__": "__main__", "__builtins__": builtins, "get_ipython": lambda: _Shell()}
    trusted_names: dict[str, object] = {}  # names the instructor's cells bound, and to what
    for index in _commands(cmd_fd):
        cell = cells[index]
        current["cell"] = index
        label, kind = cell["label"], cell["kind"]
        if kind == "test":
            emit({"t": "tripwire", "cell": index, "tampered": tripwires.tampered(namespace, trusted_names)})
        before = dict(namespace) if kind in ("setup", "test") else None
        ok, ename, evalue = True, None, None
        try:
            source = _transform(cell["source"])
            filename = f"<cell {label}>"
            if kind in ("answer", "extra"):  # like IPython, so inspect.getsource finds the student's code;
                # test cells are not registered: their hidden part has no business in linecache
                linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
            exec(compile(source, filename, "exec"), namespace)
        except BaseException as exc:  # SystemExit and KeyboardInterrupt from student code included
            ok, ename = False, type(exc).__name__[:200]
            try:
                evalue = str(exc)[:2000]
            except BaseException:
                evalue = ""
        emit({"t": "cell_end", "cell": index, "ok": ok, "ename": ename, "evalue": evalue})
        if before is not None:  # remember what trusted cells bound (modules, helpers, test data)
            for name, obj in namespace.items():
                if (before.get(name) is not obj and not name.startswith("_")
                        and (type(obj).__name__ == "module" or callable(obj))):
                    trusted_names[name] = obj
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is not None:
            try:
                plt.close("all")
            except Exception:
                pass
