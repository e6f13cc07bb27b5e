"""``ready_to_submit("hw3")``: the last cell of every assignment, a checklist a student runs anywhere.

nbgrader's ``validate`` needs the notebook file and a Jupyter server; in Colab there is neither. This
looks at the live kernel instead: the graded functions and classes exist with the released
signatures and no longer raise ``NotImplementedError``, the test cells are the released ones, the
written answers are filled in, and the file has the name the grader expects. What it compares against
(``resources/assignments.json``) is written by ``dlcourse release`` from the student version.

It only advises. The grader never runs it and never trusts anything it says: a student who edits
this function or its data changes their own checklist, nothing else.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

MANIFEST = Path(__file__).with_name("resources") / "assignments.json"
ANSWER_STUB = "YOUR ANSWER HERE"


def checksum(source: str) -> str:
    """The fingerprint of a cell's code; trailing spaces and blank edges (editors add them) don't count."""
    text = "\n".join(line.rstrip() for line in source.strip().splitlines())
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class Check:
    ok: bool | None  # None: could not be checked here, see the text
    text: str

    def line(self) -> str:
        return {True: "[x]", False: "[ ]", None: "[?]"}[self.ok] + " " + self.text


def _expected(assignment: str) -> dict:
    manifest = json.loads(MANIFEST.read_text())
    if assignment not in manifest:
        raise ValueError(f"No assignment called {assignment!r}; this course has {', '.join(sorted(manifest))}")
    return manifest[assignment]


def _stub_functions(obj) -> list[str]:
    """Names of the functions in ``obj`` (a function or a class) whose code still raises NotImplementedError."""
    if inspect.isclass(obj):
        members = [(f"{obj.__name__}.{k}", v) for k, v in vars(obj).items() if inspect.isfunction(v)]
    else:
        members = [(getattr(obj, "__name__", "?"), obj)]
    return [name for name, fn in members
            if "NotImplementedError" in getattr(getattr(fn, "__code__", None), "co_names", ())]


def _check_name(item: dict, namespace: dict) -> Check:
    name, kind = item["name"], item["kind"]
    obj = namespace.get(name)
    if obj is None:
        return Check(False, f"`{name}` is not defined: run its cell (Run all), or restore it from the release")
    if kind == "class" and not inspect.isclass(obj) or kind == "function" and not callable(obj):
        return Check(False, f"`{name}` should be a {kind}, but it is a {type(obj).__name__}")
    if kind == "function":
        try:
            params = list(inspect.signature(obj).parameters)
        except (TypeError, ValueError):
            params = None
        if params is not None and params != item["params"]:
            return Check(False, f"`{name}` takes ({', '.join(params)}); the grader calls it with "
                                f"({', '.join(item['params'])}): keep the released signature")
    missing = [m for m in item.get("methods", []) if not hasattr(obj, m)]
    if missing:
        return Check(False, f"class `{name}` lost method(s) {', '.join(missing)}")
    stubs = _stub_functions(obj)
    if stubs:
        return Check(False, f"`{', '.join(stubs)}` still raises NotImplementedError")
    return Check(True, f"`{name}` is written")


def _notebook_cells(namespace: dict) -> tuple[list[dict] | None, str | None]:
    """(cells, file name) of the notebook this kernel runs, where the front end tells; else (None, None)."""
    colab = sys.modules.get("google.colab")
    if colab is not None:
        try:
            from google.colab import _message  # Colab's own front-end channel

            nb = _message.blocking_request("get_ipynb", request="", timeout_sec=30)["ipynb"]
            return nb["cells"], None
        except Exception:  # an older or a simulated Colab: fall back to the kernel's history
            pass
    path = namespace.get("__session__") or os.environ.get("JPY_SESSION_NAME")
    if path and str(path).endswith(".ipynb") and Path(path).is_file():
        try:
            return json.loads(Path(path).read_text())["cells"], Path(path).name
        except (OSError, ValueError, KeyError):
            pass
    return None, None


def _source(cell: dict) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else str(s)


def _check_tests(tests: dict[str, str], cells: list[dict] | None, history: list[str]) -> list[Check]:
    if cells is not None:
        sums_by_id = {}
        for c in cells:
            gid = (c.get("metadata", {}).get("nbgrader") or {}).get("grade_id")
            if gid:
                sums_by_id[gid] = checksum(_source(c))
        all_sums = {checksum(_source(c)) for c in cells if c.get("cell_type") == "code"}
        bad = [gid for gid, want in tests.items() if sums_by_id.get(gid) != want and want not in all_sums]
        what = "deleted or edited"
    else:
        ran = {checksum(src) for src in history}
        bad = [gid for gid, want in tests.items() if want not in ran]
        what = "not run unchanged in this session (Runtime > Run all)"
    if bad:
        return [Check(False, f"test cell(s) {', '.join(bad)} {what}: copy them back from the released notebook")]
    return [Check(True, f"all {len(tests)} test cells are the released ones")]


def _check_written(written: list[str], cells: list[dict] | None) -> list[Check]:
    if not written:
        return []
    if cells is None:
        return [Check(None, f"written answers ({', '.join(written)}): check by eye that each is filled in")]
    by_id = {(c.get("metadata", {}).get("nbgrader") or {}).get("grade_id"): _source(c) for c in cells}
    empty = [gid for gid in written if gid in by_id and ANSWER_STUB in by_id[gid]]
    if empty:
        return [Check(False, f"written answer(s) {', '.join(empty)} still say {ANSWER_STUB}")]
    return [Check(True, f"all {len(written)} written answers are filled in")]


def _check_name_of_file(expected: str, actual: str | None) -> Check:
    if actual is None:
        return Check(None, f"save it as {expected} (File > Download > Download .ipynb; "
                           f"rename a 'Copy of {expected}' before you upload it)")
    if actual != expected:
        return Check(False, f"the file is called {actual}; the grader expects {expected}: rename it")
    return Check(True, f"the file is called {expected}")


def check_submission(assignment: str, namespace: dict | None = None, cells: list[dict] | None = None,
                     filename: str | None = None, history: list[str] | None = None) -> list[Check]:
    """The checklist as data. By default everything is read from the running kernel."""
    expected = _expected(assignment)
    if namespace is None:
        namespace = vars(sys.modules["__main__"])
    if cells is None and filename is None:
        cells, filename = _notebook_cells(namespace)
    if history is None:
        history = [h for h in namespace.get("In", []) if isinstance(h, str)]
    checks = [_check_name(item, namespace) for item in expected["graded"]]
    checks += _check_tests(expected["tests"], cells, history)
    checks += _check_written(expected["written"], cells)
    checks.append(_check_name_of_file(expected["file"], filename))
    return checks


def ready_to_submit(assignment: str) -> None:
    """Print the checklist for ``assignment``: [x] done, [ ] to fix, [?] to check by eye."""
    checks = check_submission(assignment)
    for c in checks:
        print(c.line())
    ready = all(c.ok is not False for c in checks)
    print(f"\n{assignment}: " + ("ready to submit." if ready else "not ready yet: fix the [ ] items above, "
                                  "then run this cell again. The grader decides the score; this only checks."))
