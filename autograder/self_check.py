"""What ``course_utils.ready_to_submit`` compares a student's kernel against, written at release.

For each released assignment: the graded functions and classes with their released signatures, a
checksum of every test cell as the student received it, the written answers and the file name. It
lives in the course helpers (``course_utils/resources/assignments.json``) because that is what a
Colab runtime installs from the branch the notebook was opened from, so the two always agree.
Only public facts of the student version go in: nothing from source/ or the hidden tests.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

from course_utils.submit import checksum

from .course import Course
from .engine.plan import SELF_CHECK_TAG, _src, nbgrader_meta


def manifest_path(course: Course) -> Path:
    return course.root / "course_utils" / "resources" / "assignments.json"


def _params(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    a = fn.args
    names = [x.arg for x in a.posonlyargs + a.args]
    names += [a.vararg.arg] if a.vararg else []
    names += [x.arg for x in a.kwonlyargs]
    names += [a.kwarg.arg] if a.kwarg else []
    return names


def _graded_names(source: str) -> list[dict]:
    out = []
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.append({"name": node.name, "kind": "function", "params": _params(node)})
        elif isinstance(node, ast.ClassDef):
            methods = [n.name for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
            out.append({"name": node.name, "kind": "class", "methods": methods})
    return out


def entry(release_nb: dict, filename: str) -> dict:
    graded, tests, written = [], {}, []
    for cell in release_nb["cells"]:
        meta = nbgrader_meta(cell)
        gid = meta.get("grade_id")
        if not gid:
            continue
        code = cell.get("cell_type") == "code"
        if meta.get("solution") and code:
            graded += _graded_names(_src(cell))
        elif meta.get("solution") and meta.get("grade"):
            written.append(gid)
        elif meta.get("grade") and code:
            tests[gid] = checksum(_src(cell))
    return {"file": filename, "graded": graded, "tests": tests, "written": written}


def build(course: Course) -> dict:
    out = {}
    for folder in sorted(p for p in course.release.iterdir() if p.is_dir()) if course.release.is_dir() else []:
        for nb_path in sorted(folder.glob("*.ipynb")):
            out[folder.name] = entry(json.loads(nb_path.read_text()), nb_path.name)
    return out


def render(course: Course) -> str:
    return json.dumps(build(course), indent=1, sort_keys=True) + "\n"


def write(course: Course) -> Path:
    path = manifest_path(course)
    text = render(course)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


def out_of_date(course: Course) -> bool:
    path = manifest_path(course)
    return not path.exists() or path.read_text() != render(course)


def problems(nb: dict, assignment: str) -> list[str]:
    """The release rule: the last code cell is the tagged ``ready_to_submit("<assignment>")`` call."""
    code = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    last = code[-1] if code else {}
    call = f'ready_to_submit("{assignment}")'
    if SELF_CHECK_TAG not in (last.get("metadata", {}).get("tags") or []) or call not in _src(last):
        return [f"the last code cell must be the self-check, tagged {SELF_CHECK_TAG!r}: "
                f"from course_utils import ready_to_submit; {call}"]
    return []
