"""Where the values a test cell computes go: the data-flow half of ``authoring``'s rules.

Test cells run in the student's process, so whatever a hidden test holds in a variable can be read
by the student's code (a student function may look at its caller's frame and return the
``expected`` array found there). A hidden test may therefore only compute what the student's code
or ``record()`` consumes: inputs, and values derived from the student's answers. This module
follows every binding of a cell to find the ones that reach neither.

The analysis is a reaching-definitions pass over the cell's AST: each use of a name is linked to
the bindings that may have produced it, so reusing a name (``P = ...`` twice) does not hide an
unused binding. A binding is *live* when it is read inside a record(...) call or by a call into
student code, or feeds a live binding. It is *tainted* when it depends on the student's code
(calls or references a student-defined name, or reads a tainted binding): calling a tainted
object, or a method of one, runs student code, and only a tainted value may carry ``weight=``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

# Methods of student-returned tensors/arrays that compare rather than run student code:
# ``got.allclose(expected)`` must not make ``expected`` look like an input.
COMPARE_METHODS = {"allclose", "isclose", "equal", "eq", "ne", "__eq__", "__ne__", "array_equal"}
COMPARATOR = re.compile(r"^(allclose|isclose|array_equal|array_equiv|equal|assert\w*|isfinite|all|any)$")


@dataclass(eq=False)
class Binding:
    name: str
    line: int
    hidden: bool
    reported: bool  # a fresh value the rule checks (not mutations, `x += ...`, `_` or `except ... as e`)
    deps: set[Binding] = field(default_factory=set)
    direct: bool = False  # its value itself refers to student code
    free: frozenset = frozenset()  # a def's globals: read when the function is used, not when defined


@dataclass
class Flow:
    """What one cell's analysis found; lines are relative to the cell (1 = its first line)."""

    unused: list[Binding]
    unweighted: list[tuple[int, str]]  # (line, record key as written) with weight= on a non-answer value
    asserts: list[int]
    raises: list[int]
    comparisons: list[int]


def target_names(node) -> list[ast.Name]:
    if isinstance(node, ast.Name):
        return [node]
    if isinstance(node, (ast.Tuple, ast.List)):
        return [n for e in node.elts for n in target_names(e)]
    if isinstance(node, ast.Starred):
        return target_names(node.value)
    return []


def free_names(node) -> set[str]:
    """Names an expression reads from its scope (comprehension and lambda variables excluded)."""
    out: set[str] = set()

    def visit(n, bound: frozenset):
        if isinstance(n, ast.Name):
            if isinstance(n.ctx, ast.Load) and n.id not in bound:
                out.add(n.id)
            return
        if isinstance(n, ast.Lambda):
            for d in [*n.args.defaults, *(d for d in n.args.kw_defaults if d is not None)]:
                visit(d, bound)
            visit(n.body, bound | _arg_names(n.args))
            return
        if isinstance(n, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            local = bound
            for i, gen in enumerate(n.generators):
                visit(gen.iter, bound if i == 0 else local)  # the first iterable is evaluated outside
                local = local | {t.id for t in target_names(gen.target)}
                for cond in gen.ifs:
                    visit(cond, local)
            for part in ((n.key, n.value) if isinstance(n, ast.DictComp) else (n.elt,)):
                visit(part, local)
            return
        for child in ast.iter_child_nodes(n):
            visit(child, bound)

    visit(node, frozenset())
    return out


def _arg_names(args: ast.arguments) -> frozenset:
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    return frozenset(a.arg for a in every if a is not None)


def function_free_names(node) -> set[str]:
    """Globals a def (or class) reads: loads in its body minus what the body binds itself."""
    outer = set()
    for d in getattr(node, "decorator_list", []):
        outer |= free_names(d)
    if isinstance(node, ast.ClassDef):
        for b in [*node.bases, *(k.value for k in node.keywords)]:
            outer |= free_names(b)
    else:
        for d in [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]:
            outer |= free_names(d)
    loads, local = set(), set(_arg_names(node.args)) if not isinstance(node, ast.ClassDef) else set()
    for stmt in node.body:
        for n in ast.walk(stmt):
            if isinstance(n, ast.Name):
                (loads if isinstance(n.ctx, ast.Load) else local).add(n.id)
            elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                local.add(n.name)
            elif isinstance(n, ast.arg):
                local.add(n.arg)
            elif isinstance(n, ast.alias):
                local.add((n.asname or n.name).split(".")[0])
    return outer | (loads - local)


class CellFlow:
    """One test cell's flow. ``is_record(call)`` recognizes record(...) calls; ``student`` holds the
    names the answer cells define, ``callers`` the notebook's helpers whose body runs student code
    or records (a call to them is a call into student code)."""

    def __init__(self, student: set[str], callers: set[str], is_record: Callable[[ast.Call], bool],
                 hidden: Callable[[int], bool], helper_globals: dict[str, set[str]] | None = None):
        self.student, self.callers, self.is_record, self.hidden = student, callers, is_record, hidden
        self.helper_globals = helper_globals or {}  # defs of other cells -> the globals they read
        self.bindings: dict[tuple[int, str], Binding] = {}
        self.roots: set[Binding] = set()
        self.pending: list[tuple[set[Binding], set[Binding]]] = []  # (receiver, reads): live if receiver tainted
        # loop bodies are walked until they converge: everything below is keyed so a pass adds nothing twice
        self.weights: dict[int, tuple[int, str, set[Binding], bool]] = {}  # id(record call) -> ...
        self.late: list[tuple[Binding, set[str]]] = []  # defs whose globals were not bound yet
        self.control: list[set[Binding]] = []  # what decides whether the statements being walked run
        self.asserts: set[int] = set()
        self.raises: set[int] = set()
        self.comparisons: set[int] = set()

    # -- the walk --------------------------------------------------------------------------------

    def run(self, tree: ast.Module) -> Flow:
        self._block(tree.body, {})
        for b, names in self.late:  # a def may read a global bound after it: link every binding of it
            b.deps |= {x for x in self.bindings.values() if x.name in names}
        tainted = self._taint()
        for receiver, reads in self.pending:
            if receiver & tainted:
                self.roots |= reads
        live = _closure(self.roots)
        unused = sorted((b for b in self.bindings.values() if b.hidden and b.reported and b not in live),
                        key=lambda b: (b.line, b.name))
        unweighted = sorted((line, key) for line, key, deps, direct in self.weights.values()
                            if not direct and not deps & tainted)
        return Flow(unused, unweighted, sorted(self.asserts), sorted(self.raises), sorted(self.comparisons))

    def _block(self, stmts, env):
        for s in stmts:
            env = self._stmt(s, env)
        return env

    def _stmt(self, s, env):
        hidden = self.hidden(s.lineno)
        if isinstance(s, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            value = s.value
            if value is None:
                return env
            self._effects(value, env)
            env = self._walrus(value, env, hidden)
            targets = s.targets if isinstance(s, ast.Assign) else [s.target]
            for t in targets:
                env = self._assign(t, value, env, hidden, augmented=isinstance(s, ast.AugAssign))
            return env
        if isinstance(s, (ast.For, ast.AsyncFor)):
            self._effects(s.iter, env)
            with self._governed_by(s.iter, env):
                env = self._loop(s, env, lambda e: self._assign(s.target, s.iter, e, hidden))
            return self._block(s.orelse, env)
        if isinstance(s, ast.While):
            self._effects(s.test, env)
            with self._governed_by(s.test, env):
                env = self._loop(s, env, lambda e: e)
            return self._block(s.orelse, env)
        if isinstance(s, ast.If):
            self._effects(s.test, env)
            with self._governed_by(s.test, env):
                return _merge(self._block(s.body, dict(env)), self._block(s.orelse, dict(env)))
        if isinstance(s, (ast.With, ast.AsyncWith)):
            for item in s.items:
                self._effects(item.context_expr, env)
                if item.optional_vars is not None:
                    env = self._assign(item.optional_vars, item.context_expr, env, hidden)
            return self._block(s.body, env)
        if isinstance(s, ast.Try) or type(s).__name__ == "TryStar":
            after = self._block(s.body, dict(env))
            handlers_in = _merge(env, after)  # an exception may leave the body anywhere
            outs = [self._block(s.orelse, after)]
            for h in s.handlers:
                henv = dict(handlers_in)
                if h.name:
                    henv[h.name] = frozenset({self._bind(h, h.name, set(), False, hidden, reported=False)})
                outs.append(self._block(h.body, henv))
            env = outs[0]
            for o in outs[1:]:
                env = _merge(env, o)
            return self._block(s.finalbody, env)
        if isinstance(s, (ast.Import, ast.ImportFrom)):
            env = dict(env)
            for a in s.names:
                name = (a.asname or a.name).split(".")[0]
                if name != "*":
                    env[name] = frozenset({self._bind(s, name, set(), False, hidden)})
            return env
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if hidden:  # a helper's assert is an assert all the same
                self.asserts |= {n.lineno for n in ast.walk(s) if isinstance(n, ast.Assert)}
            names = function_free_names(s)
            deps = self._resolve(names, env)
            direct = bool(names & self.student)
            b = self._bind(s, s.name, deps, direct, hidden)
            b.free = frozenset(names)
            missing = {n for n in names if n not in env}
            if missing:
                self.late.append((b, missing))
            return {**env, s.name: frozenset({b})}
        if isinstance(s, ast.Expr):
            self._effects(s.value, env)
            if hidden and self._compares(s.value):
                self.comparisons.add(s.lineno)
            env = self._walrus(s.value, env, hidden)
            return self._bare_method_call(s.value, env, hidden)
        if isinstance(s, ast.Assert):
            if hidden:
                self.asserts.add(s.lineno)
            self._effects(s.test, env)
            return self._walrus(s.test, env, hidden)
        if isinstance(s, ast.Raise):
            if hidden:
                self.raises.add(s.lineno)
            return env
        if isinstance(s, ast.Delete):
            for t in s.targets:
                env = self._mutate(t, [], env, hidden)
            return env
        for child in ast.iter_child_nodes(s):  # match statements and the like: their effects only
            if isinstance(child, ast.expr):
                self._effects(child, env)
        return env

    @contextmanager
    def _governed_by(self, expr, env):
        """Bindings made under an ``if``/``for``/``while`` depend on what its test or iterable read
        (``for _ in range(steps): v = f(v)`` uses ``steps``). Records do not: ``if np.allclose(P,
        expected): record("ok", True)`` must not make ``expected`` an input."""
        self.control.append(self._resolve(free_names(expr), env))
        try:
            yield
        finally:
            self.control.pop()

    def _loop(self, s, env, bind_target):
        entry = dict(env)
        for _ in range(10):  # reaching definitions around the back edge converge in a few passes
            out = self._block(s.body, bind_target(dict(entry)))
            merged = _merge(entry, out)
            if merged == entry:
                break
            entry = merged
        return entry

    # -- bindings --------------------------------------------------------------------------------

    def _bind(self, node, name, deps, direct, hidden, reported=True) -> Binding:
        key = (id(node), name)
        b = self.bindings.get(key)
        if b is None:
            b = self.bindings[key] = Binding(name, node.lineno, hidden, reported and name != "_")
        b.deps |= deps
        for governing in self.control:
            b.deps |= governing
        b.direct = b.direct or direct
        return b

    def _assign(self, target, value, env, hidden, augmented=False):
        if isinstance(target, (ast.Subscript, ast.Attribute)):
            return self._mutate(target, [value], env, hidden)
        deps = self._resolve(free_names(value), env)
        direct = self._refers_to_student(value)
        env = dict(env)
        for n in target_names(target):
            own = env.get(n.id, frozenset()) if augmented else frozenset()
            env[n.id] = frozenset({self._bind(n, n.id, deps | own, direct, hidden, reported=not augmented)})
        return env

    def _mutate(self, target, values, env, hidden):
        """``x[i] = v``, ``x.a += v``, ``del x[i]``, ``xs.append(v)``: x now also depends on v."""
        base = target
        reads: set[str] = set()
        while isinstance(base, (ast.Subscript, ast.Attribute)):
            if isinstance(base, ast.Subscript):
                reads |= free_names(base.slice)
            base = base.value
        if not isinstance(base, ast.Name):
            return env
        direct = False
        for v in values:
            reads |= free_names(v)
            direct = direct or self._refers_to_student(v)
        deps = self._resolve(reads | {base.id}, env)
        b = self._bind(target, base.id, deps, direct, hidden, reported=False)
        return {**env, base.id: frozenset({b})}

    def _bare_method_call(self, value, env, hidden):
        if (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
                and not self.is_record(value)):
            return self._mutate(value.func.value, [*value.args, *(k.value for k in value.keywords)], env, hidden)
        return env

    def _walrus(self, expr, env, hidden):
        for n in ast.walk(expr):
            if isinstance(n, ast.NamedExpr):
                env = self._assign(n.target, n.value, env, hidden)
        return env

    def _resolve(self, names, env) -> set[Binding]:
        """The bindings these names may hold here. Using a function also uses the globals it reads,
        as they are bound at this point (``loss_g`` reads ``X_g`` when gradient_check calls it)."""
        out, seen, todo = set(), set(), list(names)
        while todo:
            n = todo.pop()
            if n in seen:
                continue
            seen.add(n)
            found = env.get(n)
            if found:
                out |= found
                todo += [g for b in found for g in b.free]
            else:
                todo += self.helper_globals.get(n, ())
        return out

    # -- sinks -----------------------------------------------------------------------------------

    def _effects(self, expr, env):
        """Mark what this expression hands to record() or to student code."""

        def visit(node, local: dict[str, set[str]]):
            if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
                inner = dict(local)
                for gen in node.generators:  # a comprehension variable stands for its iterable
                    visit(gen.iter, inner)
                    source = _expand(free_names(gen.iter), inner)
                    inner.update({t.id: source for t in target_names(gen.target)})
                    for cond in gen.ifs:
                        visit(cond, inner)
                for part in ((node.key, node.value) if isinstance(node, ast.DictComp) else (node.elt,)):
                    visit(part, inner)
                return
            if isinstance(node, ast.Lambda):
                visit(node.body, {**local, **{a: set() for a in _arg_names(node.args)}})
                return
            if isinstance(node, ast.Call):
                self._call(node, env, lambda e: _expand(free_names(e), local))
            for child in ast.iter_child_nodes(node):
                visit(child, local)

        visit(expr, {})

    def _call(self, call, env, names_of):
        reads = self._resolve(names_of(call), env)
        if self.is_record(call):
            self.roots |= reads
            self._check_weight(call, env, names_of)
            return
        reads |= set().union(*self.control)  # whether student code runs is an input to it too
        if self._student_callee(call):
            self.roots |= reads
        else:
            receiver = self._receiver(call)
            if receiver is not None:
                if names_of(receiver) & (self.student | self.callers):
                    self.roots |= reads
                else:
                    self.pending.append((self._resolve(names_of(receiver), env), reads))

    def _student_callee(self, call: ast.Call) -> bool:
        f = call.func
        if isinstance(f, ast.Name) and f.id in self.student | self.callers:
            return True
        # a student function handed to a helper (run_ours(adam_step, ...)) runs inside it
        return any(isinstance(a, ast.Name) and a.id in self.student
                   for a in [*call.args, *(k.value for k in call.keywords)])

    def _receiver(self, call: ast.Call):
        """The object whose code a call runs, when that may be student code: ``obj`` in
        ``obj.method(...)`` (comparisons excluded) and ``obj`` in ``obj(...)``."""
        f = call.func
        if isinstance(f, ast.Attribute):
            return None if f.attr in COMPARE_METHODS else f.value
        if isinstance(f, ast.Name):
            return f
        return None

    def _refers_to_student(self, expr) -> bool:
        return bool(free_names(expr) & (self.student | self.callers))

    def _check_weight(self, call, env, names_of):
        weight = next((k.value for k in call.keywords if k.arg == "weight"), None)
        if weight is None or (isinstance(weight, ast.Constant) and weight.value is None):
            return
        value = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "value"), None)
        key = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "key"), None)
        names = names_of(value) if value is not None else set()
        deps = self._resolve(names, env)
        direct = bool(names & (self.student | self.callers))
        line, key_text, old, was_direct = self.weights.get(
            id(call), (call.lineno, ast.unparse(key) if key is not None else "?", set(), False))
        self.weights[id(call)] = (line, key_text, old | deps, was_direct or direct)

    def _compares(self, value) -> bool:
        if isinstance(value, (ast.Compare, ast.BoolOp)) or (isinstance(value, ast.UnaryOp)
                                                           and isinstance(value.op, ast.Not)):
            return True
        if isinstance(value, ast.Call) and not self.is_record(value) and not self._student_callee(value):
            f = value.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
            return bool(COMPARATOR.match(name))
        return False

    def _taint(self) -> set[Binding]:
        tainted = {b for b in self.bindings.values() if b.direct}
        changed = True
        while changed:  # a value is tainted if anything it was computed from is
            changed = False
            for b in self.bindings.values():
                if b not in tainted and b.deps & tainted:
                    tainted.add(b)
                    changed = True
        return tainted


def _expand(names: set[str], local: dict[str, set[str]]) -> set[str]:
    out = set()
    for n in names:
        out |= local.get(n, {n})
    return out


def _merge(a: dict, b: dict) -> dict:
    return {k: a.get(k, frozenset()) | b.get(k, frozenset()) for k in a.keys() | b.keys()}


def _closure(roots: set[Binding]) -> set[Binding]:
    live, todo = set(), list(roots)
    while todo:
        b = todo.pop()
        if b not in live:
            live.add(b)
            todo.extend(b.deps)
    return live
