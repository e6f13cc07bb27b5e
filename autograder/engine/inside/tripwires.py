"""Tripwires: which of the objects tests rely on were replaced by student code.

The genuine objects are captured in the zygote, before any student code exists. Before each test
cell the runner reports the names whose current object is no longer the captured one. The list
of names is also what the monitor (outside) accepts: any other name in a report is tampering.
"""

from __future__ import annotations

import builtins
import inspect
import json
import math
import os
import sys

_WATCHED: dict[str, object] = {}

# Modules whose public callables tests may use: every one of them is watched.
COURSE_UTILS_WATCHED = ("course_utils.checks", "course_utils.grading")
TRACE_NAMES = ("sys.settrace", "sys.setprofile")
NOTEBOOK_NAME = "notebook name {!r}"  # a module or helper an instructor cell bound, rebound later


def _roots() -> dict[str, object]:
    roots = {"builtins": builtins, "sys": sys, "math": math, "json": json, "os": os}
    for alias, module in (("np", "numpy"), ("torch", "torch")):
        if module in sys.modules:
            roots[alias] = sys.modules[module]
    for name in COURSE_UTILS_WATCHED:
        if name in sys.modules:
            roots[name] = sys.modules[name]
    return roots


def _course_utils_items() -> dict[str, object]:
    """Every public function and class of the watched course_utils modules, and every method a
    class defines (``checks.Suite.expect``): replacing any of them silences a check."""
    items = {}
    for modname in COURSE_UTILS_WATCHED:
        module = sys.modules.get(modname)
        if module is None:
            continue
        for name, obj in vars(module).items():
            if name.startswith("__") or not callable(obj):
                continue
            if getattr(obj, "__module__", None) != modname:
                continue  # imported from elsewhere, watched there if at all
            items[f"{modname}.{name}"] = obj
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if callable(member) and not attr.startswith("__") or attr in ("__init__", "__eq__"):
                        items[f"{modname}.{name}.{attr}"] = member
    return items


def watch_list() -> dict[str, object]:
    import numpy as np

    items = {f"builtins.{k}": v for k, v in vars(builtins).items() if not k.startswith("__")}
    items.update({
        "builtins.__import__": builtins.__import__,
        "builtins.__build_class__": builtins.__build_class__,
        "sys.excepthook": sys.excepthook,
        "sys.displayhook": sys.displayhook,
        "math.isclose": math.isclose,
        "json.dumps": json.dumps,
        "os.write": os.write,
        "os.read": os.read,
        "np.allclose": np.allclose,
        "np.isclose": np.isclose,
        "np.array_equal": np.array_equal,
        "np.asarray": np.asarray,
        "np.array": np.array,
        "np.all": np.all,
        "np.any": np.any,
        "np.isfinite": np.isfinite,
        "np.testing.assert_allclose": np.testing.assert_allclose,
        "np.testing.assert_array_equal": np.testing.assert_array_equal,
        "np.ndarray.__eq__": np.ndarray.__eq__,
    })
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        items.update({"torch.allclose": torch.allclose, "torch.equal": torch.equal,
                      "torch.isclose": torch.isclose, "torch.testing.assert_close": torch.testing.assert_close,
                      "torch.Tensor.detach": torch.Tensor.detach, "torch.Tensor.cpu": torch.Tensor.cpu,
                      "torch.Tensor.numpy": torch.Tensor.numpy})
    items.update(_library_items())
    items.update(_course_utils_items())
    return items


# Hidden tests also *recompute* quantities from what the student's code returned (an experiment's
# errors, a model's accuracy) and the grader checks the student's numbers against them: every public
# function of the array libraries such a recomputation uses is watched, not only the comparisons.
LIBRARY_MODULES = (("np", "numpy"), ("np.linalg", "numpy.linalg"), ("torch", "torch"),
                   ("torch.linalg", "torch.linalg"), ("torch.nn.functional", "torch.nn.functional"))
# Rebound by the library itself on first use (torch._dynamo wraps torch.manual_seed when an optimizer
# is first built), so its identity says nothing about the student. It only picks seeds, never a value.
REBOUND_BY_LIBRARY = frozenset({"torch.manual_seed"})


def _library_items() -> dict[str, object]:
    items = {}
    for alias, modname in LIBRARY_MODULES:
        module = sys.modules.get(modname)
        if module is None:
            continue
        for name, obj in list(vars(module).items()):
            if (not name.startswith("_") and callable(obj) and not inspect.ismodule(obj)
                    and f"{alias}.{name}" not in REBOUND_BY_LIBRARY):
                items[f"{alias}.{name}"] = obj
    torch = sys.modules.get("torch")
    if torch is not None:  # a Python class: its methods and operators can be reassigned
        for name, member in vars(torch.Tensor).items():
            if callable(member) or isinstance(member, property):
                items[f"torch.Tensor.{name}"] = member
    return items


def snapshot() -> None:
    """Called once in the zygote: remember the genuine objects."""
    _WATCHED.clear()
    _WATCHED.update(watch_list())


def watch(name: str, obj: object) -> None:
    """Add an object created later (the runner's own record sink)."""
    _WATCHED[name] = obj


def known_names() -> set[str]:
    """Every name a genuine tripwire report can contain, except ``notebook name '...'``."""
    return set(_WATCHED) | set(TRACE_NAMES)


def resolve(name: str):
    roots = _roots()
    head = max((r for r in roots if name == r or name.startswith(r + ".")), key=len, default=None)
    if head is None:
        return None
    obj = roots[head]
    for part in name[len(head) + 1:].split(".") if name != head else []:
        obj = inspect.getattr_static(obj, part, None) if inspect.isclass(obj) else getattr(obj, part, None)
    return obj


def tampered(namespace: dict | None = None, trusted_names: dict | None = None) -> list[str]:
    out = [name for name, original in _WATCHED.items() if resolve(name) is not original]
    for name, obj in (trusted_names or {}).items():  # e.g. `np` rebound to a fake module
        if (namespace or {}).get(name) is not obj:
            out.append(NOTEBOOK_NAME.format(name))
    if sys.gettrace() is not None:
        out.append("sys.settrace")
    if sys.getprofile() is not None:
        out.append("sys.setprofile")
    return out
