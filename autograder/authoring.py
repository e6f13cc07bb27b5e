"""Release-time rules for assignments: ``dlcourse release`` refuses a notebook that breaks them.

Test cells run in the student's process. Regression note, the caller-frame attack: a hidden test
that computed ``expected = E / E.sum(...)`` and then called ``softmax(Z)`` could be beaten by a
``softmax`` that walks up to its caller's frame (``sys._getframe(1).f_locals["expected"]``) and
returns that array; an ``assert np.allclose(P, expected)`` next to it is equally forgeable. So hidden
tests only *record* what the student's code returns, and the grader compares the records with the
reference run's, outside the student's process. The rules:

(a) a hidden part holds no ``assert`` (nor ``raise``, nor a bare comparison such as
    ``np.allclose(...)`` as a statement), and every name it binds flows, directly or through other
    bindings, into the student's code or into a record(...) call (``authoring_flow``);
(b) ``weight=`` (partial credit) only on records whose value depends on the student's answer: a
    weighted "inputs unchanged" record gave points to an empty submission;
(c) every course_utils callable a test cell uses is watched by the grader's tripwires, so that
    replacing it (to silence a check) is seen;
(d) a literal record key appears once per cell: the grader takes a repeated key for tampering.
"""

from __future__ import annotations

import ast
import functools
import importlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from .authoring_flow import CellFlow, Flow, function_free_names
from .engine.plan import HIDDEN_BEGIN
from .engine.plan import _src as _source
from .engine.plan import nbgrader_meta as _meta

HIDDEN_END = "### END HIDDEN TESTS"
RECORD = "course_utils.grading.record"
SUITE_FACTORY, SUITE = "course_utils.checks.suite", "course_utils.checks.Suite"
_MAGIC = re.compile(r"^(\s*)[%!].*$", re.M)


@dataclass(frozen=True)
class Problem:
    cell: str  # the test cell's nbgrader grade_id
    reason: str

    def __str__(self) -> str:
        return f"{self.cell}: {self.reason}"


def lint_notebook(notebook: Path | dict) -> list[Problem]:
    """Every rule violation of an assignment's source notebook (a path or the parsed JSON)."""
    nb = json.loads(Path(notebook).read_text(encoding="utf-8")) if not isinstance(notebook, dict) else notebook
    cells = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    answers = [c for c in cells if _meta(c).get("solution")]
    trusted = [c for c in cells if not _meta(c).get("solution")]
    student = set().union(*(_defined_names(_parse(_source(c)) or ast.Module([], [])) for c in answers))
    aliases = _course_utils_aliases(trusted)
    is_record = functools.partial(_is_record, aliases)
    helpers = _helper_defs(trusted)
    callers = _student_calling_helpers(helpers, student, is_record)
    helper_globals = {name: function_free_names(node) for name, node in helpers.items()}

    problems: list[Problem] = []
    for cell in trusted:
        meta = _meta(cell)
        gid = meta.get("grade_id")
        if not (meta.get("grade") and gid):
            continue
        text = _source(cell)
        tree = _parse(text)
        if tree is None:
            problems.append(Problem(gid, "the cell does not parse as Python"))
            continue
        hidden = _hidden_lines(text)
        flow = CellFlow(student, callers, is_record, hidden.__contains__, helper_globals).run(tree)
        problems += [Problem(gid, r) for r in _flow_problems(flow)]
        problems += [Problem(gid, r) for r in _unwatched(tree, aliases)]
        problems += [Problem(gid, r) for r in _repeated_keys(tree, is_record)]
    return problems


# -- rules (a) and (b): where values go ---------------------------------------------------------

def _flow_problems(flow: Flow) -> list[str]:
    out = []
    if flow.asserts:
        out.append(f"assert in the hidden part ({_lines(flow.asserts)}): it runs in the student's process, "
                   "where student code can forge it; record() the value instead")
    if flow.raises:
        out.append(f"raise in the hidden part ({_lines(flow.raises)}): an assert in disguise; record() the value")
    if flow.comparisons:
        out.append(f"bare comparison in the hidden part ({_lines(flow.comparisons)}): its result is thrown away "
                   "and it computes an expected value in the student's process")
    for b in flow.unused:
        out.append(f"`{b.name}` (line {b.line}) flows neither into student code nor into record(): it computes "
                   "an expected value in the student's process, where student code can read it")
    for line, key in flow.unweighted:
        out.append(f"record {key} (line {line}) has weight= but its value does not depend on the student's "
                   "answer: partial credit for a submission that did nothing")
    return out


def _lines(lines) -> str:
    return ("line " if len(lines) == 1 else "lines ") + ", ".join(map(str, lines))


def _hidden_lines(text: str) -> set[int]:
    hidden, inside = set(), False
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip().startswith(HIDDEN_BEGIN):
            inside = True
        elif line.strip().startswith(HIDDEN_END):
            inside = False
        elif inside:
            hidden.add(number)
    return hidden


def _helper_defs(cells) -> dict[str, ast.AST]:
    defs = {}
    for cell in cells:
        tree = _parse(_source(cell))
        for node in tree.body if tree else []:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defs[node.name] = node
    return defs


def _student_calling_helpers(defs, student: set[str], is_record) -> set[str]:
    """Helpers (defs in instructor cells) that run student code or record: calling one is a sink."""
    callers = {name for name, node in defs.items()
               if any(isinstance(n, ast.Call) and is_record(n) for n in ast.walk(node))}
    free = {name: function_free_names(node) for name, node in defs.items()}
    changed = True
    while changed:
        changed = False
        for name in defs.keys() - callers:
            if free[name] & (student | callers):
                callers.add(name)
                changed = True
    return callers


# -- rule (c): course_utils callables must be watched ------------------------------------------

@functools.cache
def watched_names() -> frozenset[str]:
    """The grader's watch list, as its zygote builds it (numpy and the course_utils modules loaded)."""
    import numpy  # noqa: F401

    import course_utils.checks  # noqa: F401
    import course_utils.grading  # noqa: F401

    from .engine.inside import tripwires

    tripwires.snapshot()
    return frozenset(tripwires.known_names())


def _course_utils_aliases(cells) -> dict[str, str]:
    """Names the instructor's cells bind to course_utils objects: alias -> dotted path."""
    aliases = {}
    for cell in cells:
        tree = _parse(_source(cell))
        for node in ast.walk(tree) if tree else []:
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.split(".")[0] == "course_utils":
                        aliases[a.asname or "course_utils"] = a.name if a.asname else "course_utils"
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "course_utils":
                for a in node.names:
                    aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    return aliases


def library_use(notebook: dict) -> tuple[set[str], set[str]]:
    """What the code cells of ``notebook`` reach, read from their syntax (comments and strings do not
    count): the top-level names and imported packages, and the dotted course_utils paths they import
    or use through any alias (``import course_utils as u; u.data.load_digits_tensors``). ``None``
    in place of the pair's first set when a cell does not parse."""
    cells = [c for c in notebook.get("cells", []) if c.get("cell_type") == "code"]
    aliases = _course_utils_aliases(cells)
    names, paths = set(), set(aliases.values())
    for cell in cells:
        tree = _parse(_source(cell))
        if tree is None:
            return None, paths
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                names.add(node.id)
            elif isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module.split(".")[0])
            elif isinstance(node, ast.Attribute) and (path := _dotted(node, aliases)):
                paths.add(path)
    return names, paths


def _dotted(node, aliases: dict[str, str]) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in aliases:
        return None
    return ".".join([aliases[node.id], *reversed(parts)])


@functools.cache
def _resolve(dotted: str):
    """The object a dotted course_utils path names, or None."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr, None)
            if obj is None:
                return None
        return obj
    return None


def _canonical(obj, dotted: str) -> str:
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    return f"{module}.{qualname}" if module and qualname else dotted


def _is_record(aliases, call: ast.Call) -> bool:
    dotted = _dotted(call.func, aliases)
    if dotted is None:
        return False
    obj = _resolve(dotted)
    return obj is not None and _canonical(obj, dotted) == RECORD


def _unwatched(tree, aliases: dict[str, str]) -> list[str]:
    local = dict(aliases)
    for node in ast.walk(tree):  # `with checks.suite(...) as c`: c.<method> is Suite.<method>
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if _makes_suite(item.context_expr, aliases) and isinstance(item.optional_vars, ast.Name):
                    local[item.optional_vars.id] = SUITE
        elif isinstance(node, ast.Assign) and _makes_suite(node.value, aliases, SUITE):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    local[t.id] = SUITE
    out, seen = [], set()
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Name, ast.Attribute)) or not isinstance(node.ctx, ast.Load):
            continue
        dotted = _dotted(node, local)
        if dotted is None or dotted in seen:
            continue
        seen.add(dotted)
        obj = _resolve(dotted)  # None: a data attribute (c.failures) or a typo that fails at run time anyway
        if obj is not None and callable(obj) and not isinstance(obj, type(importlib)):
            name = _canonical(obj, dotted)
            if name.startswith("course_utils.") and name not in watched_names():
                out.append(f"uses {name}, which the grader's tripwires do not watch: student code could "
                           "replace it unseen")
    return out


def _makes_suite(expr, aliases, wanted: str = SUITE_FACTORY) -> bool:
    if not isinstance(expr, ast.Call):
        return False
    dotted = _dotted(expr.func, aliases)
    obj = _resolve(dotted) if dotted else None
    return obj is not None and _canonical(obj, dotted) == wanted


# -- rule (d): record keys ----------------------------------------------------------------------

def _repeated_keys(tree, is_record) -> list[str]:
    seen: dict[str, int] = {}
    out = []

    def visit(node, in_loop: bool):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            return  # a helper's records repeat only if it is called twice: not decided here
        if isinstance(node, ast.Call) and is_record(node):
            key = _literal_key(node)
            if key is not None:
                if key in seen:
                    out.append(f"record key {key!r} is used twice (lines {seen[key]} and {node.lineno}): "
                               "the grader takes a repeated key for tampering")
                elif in_loop:
                    out.append(f"record key {key!r} (line {node.lineno}) is inside a loop, so it repeats on "
                               "every iteration: put the loop variable in the key")
                seen.setdefault(key, node.lineno)
        loops = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
        for child in ast.iter_child_nodes(node):
            looped = in_loop or (isinstance(node, loops) and child not in (getattr(node, "iter", None),))
            visit(child, looped)

    visit(tree, False)
    return out


def _literal_key(call: ast.Call) -> str | None:
    key = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "key"), None)
    if isinstance(key, ast.Constant) and isinstance(key.value, str):
        return key.value
    if isinstance(key, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in key.values):
        return "".join(v.value for v in key.values)
    return None


# -- notebook plumbing --------------------------------------------------------------------------

def _parse(text: str) -> ast.Module | None:
    # IPython magics and shell escapes keep their line (so line numbers stay right) as a no-op
    try:
        return ast.parse(_MAGIC.sub(r"\1pass", text))
    except SyntaxError:
        return None


def _defined_names(tree: ast.Module) -> set[str]:
    """What an answer cell defines at top level: functions, classes and assigned names."""
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for t in node.targets if isinstance(node, ast.Assign) else [node.target]:
                names |= {n.id for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names
