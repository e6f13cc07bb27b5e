"""What runs inside a sandboxed child: the cells, in order, in one namespace.

The child reports through one pipe, as JSON lines: ``cell_start``/``cell_end`` for every cell,
``record`` for every value a test hands to :func:`course_utils.grading.record`, and ``tripwire``
before every test cell, listing the parts of the runtime that student code replaced. None of this
is trusted by the grader on its own: verdicts come from comparing records with the reference run
(see ``verdict``); a tripped wire flags the submission for review.
"""

from __future__ import annotations

import builtins
import json
import linecache
import math
import os
import re
import sys

MAX_EVENT_BYTES = 8 << 20
_IPYTHON_SYNTAX = re.compile(r"^\s*[%!]|\?\s*$|=\s*!", re.M)  # one record larger than this is replaced by a marker

# Things student code must not replace, captured in the zygote before any student code exists.
_WATCHED: dict[str, object] = {}


def _watch_list():
    import numpy as np

    items = {f"builtins.{k}": v for k, v in vars(builtins).items() if not k.startswith("__")}
    items.update({
        "builtins.__import__": builtins.__import__,
        "sys.excepthook": sys.excepthook,
        "sys.displayhook": sys.displayhook,
        "math.isclose": math.isclose,
        "json.dumps": json.dumps,
        "os.write": os.write,
        "np.allclose": np.allclose,
        "np.isclose": np.isclose,
        "np.array_equal": np.array_equal,
        "np.asarray": np.asarray,
        "np.all": np.all,
        "np.testing.assert_allclose": np.testing.assert_allclose,
        "np.testing.assert_array_equal": np.testing.assert_array_equal,
    })
    try:
        import torch

        items.update({"torch.allclose": torch.allclose, "torch.equal": torch.equal,
                      "torch.testing.assert_close": torch.testing.assert_close})
    except ImportError:
        pass
    return items


def snapshot() -> None:
    """Called once in the zygote: remember the genuine objects."""
    _WATCHED.clear()
    _WATCHED.update(_watch_list())


def _resolve(name: str):
    import numpy as np

    roots = {"builtins": builtins, "sys": sys, "math": math, "json": json, "os": os, "np": np,
             "torch": sys.modules.get("torch"), "grading": sys.modules.get("course_utils.grading")}
    head, *rest = name.split(".")
    obj = roots.get(head)
    for part in rest:
        obj = getattr(obj, part, None)
    return obj


def tampered(namespace: dict | None = None, trusted_names: dict | None = None) -> list[str]:
    out = [name for name, original in _WATCHED.items() if _resolve(name) is not original]
    for name, obj in (trusted_names or {}).items():  # e.g. `np` rebound to a fake module
        if namespace.get(name) is not obj:
            out.append(f"notebook name {name!r}")
    if sys.gettrace() is not None:
        out.append("sys.settrace")
    if sys.getprofile() is not None:
        out.append("sys.setprofile")
    return out


def encode(value, depth: int = 0):
    """A JSON-safe, type-tagged copy of a recorded value (arrays keep shape and dtype kind)."""
    import numpy as np

    if depth > 20:
        return {"opaque": "nested too deeply"}
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # torch tensors
        value = value.detach().cpu().numpy()
    if isinstance(value, (bool, int, float, complex, np.generic, np.ndarray)) and not isinstance(value, str):
        arr = np.asarray(value)
        kind = "i" if arr.dtype.kind == "u" else arr.dtype.kind
        if kind not in "bifc":
            return {"opaque": f"array of dtype {arr.dtype}"}
        if arr.size > 2_000_000:
            return {"opaque": "array too large to record"}
        flat = arr.astype(complex if kind == "c" else float).ravel()
        data = [[_num(z.real), _num(z.imag)] for z in flat] if kind == "c" else [_num(x) for x in flat.tolist()]
        return {"array": {"shape": list(arr.shape), "kind": kind, "data": data}}
    if value is None or isinstance(value, str):
        return {"scalar": value}
    if isinstance(value, (list, tuple)):
        return {"seq": [encode(v, depth + 1) for v in value]}
    if isinstance(value, dict):
        return {"map": [[str(k), encode(v, depth + 1)] for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))]}
    return {"opaque": type(value).__name__}


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


def run(cells: list[dict], out_fd: int) -> None:
    """Run ``cells`` ([{label, source, kind}]) and report events to ``out_fd``."""
    write = os.write
    dumps = json.dumps

    def emit(event: dict) -> None:
        line = dumps(event) + "\n"
        if len(line) > MAX_EVENT_BYTES:
            line = dumps({"t": event.get("t"), "cell": event.get("cell"), "key": event.get("key"),
                          "value": {"opaque": "record too large"}}) + "\n"
        data = line.encode()
        while data:
            data = data[write(out_fd, data):]

    current = {"cell": None}

    def sink(key, value, rtol, atol, weight):
        emit({"t": "record", "cell": current["cell"], "key": str(key), "value": encode(value),
              "rtol": float(rtol), "atol": float(atol), "weight": None if weight is None else float(weight)})

    try:
        from course_utils import grading

        grading._sink = sink
        _WATCHED["grading._sink"] = sink
        _WATCHED["grading.record"] = grading.record
    except ImportError:
        pass
    namespace = {"__name__": "__main__", "__builtins__": builtins, "get_ipython": lambda: _Shell()}
    trusted_names: dict[str, object] = {}  # names the instructor's cells bound, and to what
    for cell in cells:
        label, kind = cell["label"], cell["kind"]
        current["cell"] = label
        if kind == "test":
            emit({"t": "tripwire", "cell": label, "tampered": tampered(namespace, trusted_names)})
        before = dict(namespace) if kind in ("setup", "test") else None
        emit({"t": "cell_start", "cell": label})
        ok, ename, evalue = True, None, None
        try:
            source = _transform(cell["source"])
            filename = f"<cell {label}>"
            # Like IPython, keep the source where inspect.getsource and tracebacks can find it.
            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
            code = compile(source, filename, "exec")
            exec(code, namespace)
        except BaseException as exc:  # SystemExit and KeyboardInterrupt from student code included
            ok, ename, evalue = False, type(exc).__name__, str(exc)[:2000]
        emit({"t": "cell_end", "cell": label, "ok": ok, "ename": ename, "evalue": evalue})
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
    emit({"t": "finished"})
