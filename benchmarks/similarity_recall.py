"""How well ``dlcourse similarity`` tells planted copies from honest work, on synthetic classes.

    .venv/bin/python benchmarks/similarity_recall.py                      # hw1 and hw3, 3 seeds, 150 + 30
    .venv/bin/python benchmarks/similarity_recall.py --assignments hw0 hw1 hw2 hw3 hw4 hw5 hw6
    .venv/bin/python benchmarks/similarity_recall.py --edit-rate 0        # honest edits off: the worst case
    .venv/bin/python benchmarks/similarity_recall.py --sweep              # k-gram and window sizes

A class is built from the assignment's own material, in memory (the notebooks go through the same
code as ``dlcourse similarity``: answer-cell matching, starter-code removal, fingerprints):

* **Honest students.** Each code answer cell is, independently, left as released (``--blank``, 10%)
  or drawn uniformly from the correct implementations there are: the instructor's reference and the
  ``right`` alternatives of ``tests/variants/<hw>.py`` (2 to 4 per cell). Each drawn cell then gets
  the student's own edits: their own variable names and comments, the layout of ``ast.unparse``, and,
  at each place where one applies and with probability ``--edit-rate`` (default 0.3), one of the small
  rewrites people make when they write the same idea themselves: a temporary for a returned
  expression, ``a += b`` versus ``a = a + b``, ``x ** 2`` versus ``x * x``, ``np.sum(a)`` versus
  ``a.sum()``, swapped operands of ``+``/``*`` and of comparisons, a named intermediate, an
  ``assert`` on an argument. Written answers are the student's own words (a random draw from the
  vocabulary of the assignment's text and the reference answer) or blank (20%).
* **Planted copies.** A copy of one honest student's notebook, disguised: every own name renamed,
  functions reordered inside a cell (top-level defs and class methods) and, where a later answer cell
  can move up, moved into the cell above; re-laid out (``ast.unparse``, 2-space indents, blank lines,
  arguments one per line), comments removed and others added, number and quote styles changed
  (``1.0`` -> ``1.``, ``1e-6`` -> ``0.000001``, ``'`` <-> ``"``); written answers with their sentences
  shuffled.

What is measured: recall = planted (copy, original) pairs whose score reaches the threshold (and
``MIN_SHARED``); false-positive rate = every other pair that does (honest-honest pairs, and a copy
with anyone but its original), both pooled over assignments and seeds. Honest students who happen
to draw the same implementation for most cells *are* similar, and the smaller the pool of variants,
the more often: two honest students here share one implementation per cell with probability 1/2 to
1/4, far more often than two people writing a function from scratch would. ``--edit-rate 0`` shows
the worst case, where only the draw of variants separates honest students (renames, comments and
layout are exactly what the normalization removes), and ``--no-written`` leaves the written answers
out (independent prose makes honest pairs look more different than code alone).
"""

from __future__ import annotations

import argparse
import ast
import builtins
import copy
import io
import json
import math
import random
import re
import statistics
import sys
import time
import tokenize
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from autograder import similarity  # noqa: E402
from autograder.engine.plan import nbgrader_meta  # noqa: E402

MODULES = {"np", "torch", "nn", "F", "math", "optim", "scipy", "plt", "nx", "gym", "random"}
NAMES = ["alpha", "beta", "tmp", "val", "acc", "buf", "res", "out", "arr", "mat", "vec", "idx", "cnt", "cur",
         "prev", "nxt", "data", "item", "elem", "part", "grad", "delta", "step", "total", "score", "mask",
         "first", "second", "left", "right", "top", "low", "high", "size", "width", "span", "piece", "node"]
COMMENTS = ["compute it", "the main step", "vectorized", "see lecture 3", "shape check", "loop over items",
            "TODO tidy", "works now", "from the formula", "careful with indices", "edge case", "update"]
ARRAY_METHODS = {"sum", "mean", "max", "min", "argmax", "reshape", "transpose", "std", "any", "all", "copy"}


# ------------------------------------------------------------------------------------------ material


def _nb(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def load_assignment(assignment: str) -> dict:
    import variants

    (src_path,) = sorted((ROOT / "source" / assignment).glob("*.ipynb"))
    source_nb = _nb(src_path)
    release_nb = _nb(ROOT / "release" / assignment / src_path.name)
    refs = variants.answer_cells(assignment)
    pools = {gid: [ref, *variants.load(assignment).get(gid, {}).get("right", {}).values()]
             for gid, ref in refs.items()}
    written = variants.written_cells(assignment)
    words = []
    for cell in release_nb["cells"]:
        if cell["cell_type"] == "markdown":
            words += re.findall(r"[A-Za-z]{3,}", similarity._src(cell))
    for text in written.values():
        words += re.findall(r"[A-Za-z]{3,}", text)
    required = {gid: {n.name for n in ast.parse(ref).body if isinstance(n, ast.FunctionDef | ast.ClassDef)}
                for gid, ref in refs.items()}
    return {"assignment": assignment, "source": source_nb, "release": release_nb, "pools": pools,
            "order": list(refs), "written": list(written), "words": words, "required": required}


def notebook(material: dict, cells: dict[str, str]) -> dict:
    """The release notebook with ``cells`` (grade_id -> text) put into the answer cells."""
    nb = copy.deepcopy(material["release"])
    for cell in nb["cells"]:
        gid = nbgrader_meta(cell).get("grade_id")
        if gid in cells:
            cell["source"] = cells[gid]
    return nb


# ------------------------------------------------------------------------------------- honest edits


def _simple(node) -> bool:
    return isinstance(node, ast.Name | ast.Constant | ast.Attribute | ast.Subscript)


class HonestEdits(ast.NodeTransformer):
    """Rewrites that keep the meaning, each applied with probability ``rate`` where it fits."""

    def __init__(self, rng: random.Random, rate: float):
        self.rng, self.rate, self.n = rng, rate, 0

    def hit(self, scale: float = 1.0) -> bool:
        return self.rng.random() < self.rate * scale

    def fresh(self) -> str:
        self.n += 1
        return f"{self.rng.choice(NAMES)}_{self.n}"

    def visit_FunctionDef(self, node):
        self.generic_visit(node)
        args = [a.arg for a in node.args.args if a.arg != "self"]
        if args and self.hit(0.5):
            check = ast.parse(f"assert {self.rng.choice(args)} is not None").body[0]
            start = 1 if ast.get_docstring(node) else 0
            node.body.insert(start, check)
        node.body = self._stmts(node.body)
        return node

    def _stmts(self, body):
        out = []
        for st in body:
            if isinstance(st, ast.Return) and st.value is not None and not _simple(st.value) \
                    and not isinstance(st.value, ast.Tuple) and self.hit():
                name = self.fresh()
                out += [ast.Assign([ast.Name(name, ast.Store())], st.value, lineno=0), ast.Return(ast.Name(name))]
            elif isinstance(st, ast.Assign) and isinstance(st.value, ast.BinOp) and not _simple(st.value.right) \
                    and self.hit(0.5):
                name = self.fresh()
                out += [ast.Assign([ast.Name(name, ast.Store())], st.value.right, lineno=0), st]
                st.value.right = ast.Name(name)
            else:
                out.append(st)
        return out

    def visit_For(self, node):
        self.generic_visit(node)
        node.body = self._stmts(node.body)
        return node

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        if isinstance(node.target, ast.Name) and self.hit():
            return ast.Assign([node.target], ast.BinOp(ast.Name(node.target.id), node.op, node.value), lineno=0)
        return node

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Pow) and isinstance(node.left, ast.Name) and \
                isinstance(node.right, ast.Constant) and node.right.value == 2 and self.hit():
            return ast.BinOp(node.left, ast.Mult(), ast.Name(node.left.id))
        no_lists = not any(isinstance(x, ast.List | ast.ListComp | ast.Tuple) or
                           isinstance(x, ast.Constant) and isinstance(x.value, str) for x in (node.left, node.right))
        if isinstance(node.op, ast.Add | ast.Mult) and no_lists and self.hit(0.5):
            node.left, node.right = node.right, node.left
        return node

    def visit_Compare(self, node):
        self.generic_visit(node)
        flip = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE}
        if len(node.ops) == 1 and type(node.ops[0]) in flip and self.hit(0.5):
            return ast.Compare(node.comparators[0], [flip[type(node.ops[0])]()], [node.left])
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        f = node.func
        if isinstance(f, ast.Attribute) and f.attr in ARRAY_METHODS and self.hit():
            if isinstance(f.value, ast.Name) and f.value.id == "np" and node.args:  # np.sum(a) -> a.sum()
                return ast.Call(ast.Attribute(node.args[0], f.attr), node.args[1:], node.keywords)
            if isinstance(f.value, ast.Name) and f.value.id not in MODULES and f.attr != "copy":  # a.sum() -> np.sum(a)
                return ast.Call(ast.Attribute(ast.Name("np"), f.attr), [f.value, *node.args], node.keywords)
        return node


def own_names(tree: ast.AST, keep: set[str]) -> set[str]:
    """Names the code binds (variables, parameters, helper functions), less ``keep`` and imports."""
    names, imported = set(), set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and isinstance(getattr(n, "ctx", None), ast.Store):
            names.add(n.id)
        elif isinstance(n, ast.arg) and n.arg != "self":
            names.add(n.arg)
        elif isinstance(n, ast.FunctionDef) and not n.name.startswith("__") and n.name != "forward":
            names.add(n.name)
        elif isinstance(n, ast.Import | ast.ImportFrom):
            imported |= {(a.asname or a.name).split(".")[0] for a in n.names}
    return names - keep - imported - MODULES - set(dir(builtins))


class Rename(ast.NodeTransformer):
    def __init__(self, mapping: dict[str, str]):
        self.m = mapping

    def visit_Name(self, node):
        node.id = self.m.get(node.id, node.id)
        return node

    def visit_arg(self, node):
        node.arg = self.m.get(node.arg, node.arg)
        return node

    def visit_FunctionDef(self, node):
        self.generic_visit(node)
        node.name = self.m.get(node.name, node.name)
        return node


def add_comments(code: str, rng: random.Random, rate: float) -> str:
    out = []
    for line in code.splitlines():
        if line.strip() and rng.random() < rate:
            indent = line[: len(line) - len(line.lstrip())]
            if rng.random() < 0.5:
                out.append(f"{indent}# {rng.choice(COMMENTS)}")
                out.append(line)
            elif not line.rstrip().endswith((":", ",", "(", "[", "{", "\\")):
                out.append(f"{line}  # {rng.choice(COMMENTS)}")
            else:
                out.append(line)
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def honest_cell(code: str, required: set[str], rng: random.Random, rate: float) -> str:
    tree = ast.parse(code)
    tree = HonestEdits(rng, rate).visit(tree)
    names = sorted(own_names(tree, required))
    mapping = {n: f"{rng.choice(NAMES)}{rng.randint(0, 9)}" if rng.random() < 0.6 else n for n in names}
    tree = ast.fix_missing_locations(Rename(mapping).visit(tree))
    return add_comments(ast.unparse(tree), rng, 0.15)


def honest_text(material: dict, rng: random.Random) -> str:
    words = [rng.choice(material["words"]).lower() for _ in range(rng.randint(30, 90))]
    sentences, i = [], 0
    while i < len(words):
        n = rng.randint(6, 14)
        sentences.append(" ".join(words[i:i + n]).capitalize() + ".")
        i += n
    return " ".join(sentences)


def honest_student(material: dict, rng: random.Random, rate: float, blank: float, written: bool) -> dict[str, str]:
    cells = {}
    for gid in material["order"]:
        if rng.random() < blank:
            continue  # left as released
        cells[gid] = honest_cell(rng.choice(material["pools"][gid]), material["required"][gid], rng, rate)
    for gid in material["written"]:
        if written and rng.random() >= 0.2:
            cells[gid] = honest_text(material, rng)
    return cells


# ---------------------------------------------------------------------------------------- disguises


def _token_edit(code: str, fn) -> str:
    """Apply ``fn(i, toks) -> str | None`` (None: keep) to each token of ``code``, keeping everything else."""
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, SyntaxError):
        return code
    starts = [0]
    for line in io.StringIO(code).readlines():
        starts.append(starts[-1] + len(line))
    out, pos = [], 0
    for i, tok in enumerate(toks):
        new = fn(i, toks)
        if new is None:
            continue
        a = starts[tok.start[0] - 1] + tok.start[1]
        b = starts[tok.end[0] - 1] + tok.end[1]
        out += [code[pos:a], new]
        pos = b
    out.append(code[pos:])
    return "".join(out)


_LAYOUT = (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT)


def rename_tokens(code: str, mapping: dict[str, str]) -> str:
    """Rename the names in ``mapping``, but not attributes (``.x``) nor keyword names in calls (``f(x=)``)."""
    try:
        toks = [t for t in tokenize.generate_tokens(io.StringIO(code).readline) if t.type not in _LAYOUT]
    except (tokenize.TokenError, SyntaxError):
        return code
    skip, stack = set(), []
    for i, t in enumerate(toks):
        if t.string in ("(", "[", "{"):
            stack.append("def" if i >= 2 and toks[i - 2].string == "def" else t.string)
        elif t.string in (")", "]", "}") and stack:
            stack.pop()
        elif t.type == tokenize.NAME and i + 1 < len(toks) and toks[i + 1].string == "=" and stack \
                and stack[-1] == "(" and toks[i - 1].string in ("(", ","):
            skip.add(t.start)
        elif t.type == tokenize.NAME and i and toks[i - 1].string == ".":
            skip.add(t.start)

    def fn(i, all_toks):
        t = all_toks[i]
        if t.type == tokenize.NAME and t.string in mapping and t.start not in skip:
            return mapping[t.string]
        return None
    return _token_edit(code, fn)


def strip_comments(code: str) -> str:
    return _token_edit(code, lambda i, toks: "" if toks[i].type == tokenize.COMMENT else None)


def literal_styles(code: str, rng: random.Random) -> str:
    def fn(i, toks):
        tok = toks[i]
        s = tok.string
        if tok.type == tokenize.NUMBER and rng.random() < 0.7:
            if re.fullmatch(r"\d+\.0", s):
                return s[:-1]
            if re.fullmatch(r"0\.\d+", s):
                return s[1:]
            if re.fullmatch(r"1e-(\d)", s):
                return f"{10 ** -int(s[3:]):.{int(s[3:])}f}"
        if tok.type == tokenize.STRING and rng.random() < 0.7 and re.fullmatch(r"'[^'\"\\]*'|\"[^'\"\\]*\"", s):
            return ('"' if s[0] == "'" else "'") + s[1:-1] + ('"' if s[0] == "'" else "'")
        return None
    return _token_edit(code, fn)


def _chunks(code: str, body: list[ast.stmt]) -> tuple[list[str], list[str], str] | None:
    """Split ``code`` into the head before the first def, one chunk per def/class, and the tail."""
    lines = code.splitlines(keepends=True)
    defs = [n for n in body if isinstance(n, ast.FunctionDef | ast.ClassDef)]
    if len(defs) < 2 or any(not isinstance(n, ast.FunctionDef | ast.ClassDef) for n in body[body.index(defs[0]):
                                                                                              body.index(defs[-1])]):
        return None
    starts = [min([n.lineno, *[d.lineno for d in n.decorator_list]]) - 1 for n in defs]
    ends = [n.end_lineno for n in defs]
    head = lines[:starts[0]]
    chunks = ["".join(lines[s:e]).rstrip("\n") + "\n" for s, e in zip(starts, ends)]
    return head, chunks, "".join(lines[ends[-1]:])


def reorder_within(code: str, rng: random.Random) -> str:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code
    top = _chunks(code, tree.body)
    if top:
        head, chunks, tail = top
        rng.shuffle(chunks)
        code = "".join(head) + "\n\n".join(chunks) + tail
        tree = ast.parse(code)
    for cls in [n for n in tree.body if isinstance(n, ast.ClassDef)]:
        inner = _chunks(code, cls.body)
        if inner:
            head, chunks, tail = inner
            chunks.reverse()
            code = "".join(head) + "\n".join(chunks) + tail
            break
    return code


def reindent(code: str, width: int) -> str:
    out = []
    for line in code.splitlines():
        n = len(line) - len(line.lstrip(" "))
        out.append(" " * (n // 4 * width + n % 4) + line.lstrip(" "))
    return "\n".join(out) + "\n"


def one_arg_per_line(code: str) -> str:
    """Break calls after their commas (outside strings), as black does for long calls."""
    out, depth, quote, i = [], 0, None, 0
    line_indent = 0
    while i < len(code):
        c = code[i]
        if quote:
            out.append(c)
            if c == "\\":
                out.append(code[i + 1:i + 2])
                i += 1
            elif code.startswith(quote, i):
                out.append(code[i + 1:i + len(quote)])
                i += len(quote) - 1
                quote = None
        elif c in "'\"":
            quote = code[i:i + 3] if code[i:i + 3] in ("'''", '"""') else c
            out.append(quote)
            i += len(quote) - 1
        elif c == "#":
            j = code.find("\n", i)
            j = len(code) if j < 0 else j
            out.append(code[i:j])
            i = j - 1
        else:
            if c == "\n":
                k = i + 1
                while k < len(code) and code[k] == " ":
                    k += 1
                line_indent = k - i - 1 if depth == 0 else line_indent
            depth += c in "([{"
            depth -= c in ")]}"
            out.append(c)
            if c == "," and depth == 1 and code[i + 1:i + 2] == " ":
                out.append("\n" + " " * (line_indent + 8))
                i += 1
        i += 1
    return "".join(out)


def blank_lines(code: str, rng: random.Random) -> str:
    out = []
    for line in code.splitlines():
        if not line.strip() and rng.random() < 0.5:
            continue  # removed
        out.append(line)
        if line.strip() and rng.random() < 0.15 and not line.rstrip().endswith((",", "(", "[", "{", "\\")):
            out.append("")
    return "\n".join(out) + "\n"


def disguise(cells: dict[str, str], material: dict, rng: random.Random, edit_rate: float = 0.0) -> dict[str, str]:
    """The copier's version of ``cells``; ``edit_rate`` > 0: the copier also rewrites a few statements
    (the honest students' rewrites, at that rate), which no normalization can undo."""
    code_ids = [g for g in material["order"] if g in cells]
    keep = set().union(*material["required"].values())
    names = set()
    for gid in code_ids:
        try:
            names |= own_names(ast.parse(cells[gid]), keep)
        except SyntaxError:
            pass
    mapping = {n: f"{rng.choice(NAMES)}_{k}" for k, n in enumerate(sorted(names))}
    out = dict(cells)
    for gid in code_ids:
        code = out[gid]
        if edit_rate:
            try:
                code = ast.unparse(ast.fix_missing_locations(HonestEdits(rng, edit_rate).visit(ast.parse(code))))
            except SyntaxError:
                pass
        code = rename_tokens(code, mapping)
        code = reorder_within(code, rng)
        r = rng.random()
        if r < 0.3:
            code = ast.unparse(ast.parse(code))  # an autoformatter: comments gone, its own layout
        else:
            code = strip_comments(code) if rng.random() < 0.5 else code
            code = reindent(code, rng.choice([2, 3, 8])) if r < 0.6 else one_arg_per_line(code)
        code = literal_styles(blank_lines(code, rng), rng)
        out[gid] = add_comments(code, rng, 0.2)
    # move a later answer cell's functions into the cell above (the notebook still runs in order)
    moved = set()
    for a, b in zip(code_ids, code_ids[1:]):
        if a not in moved and material["order"].index(b) == material["order"].index(a) + 1 and rng.random() < 0.3:
            out[a] = out[b] + "\n\n" + out[a]
            out[b] = "# see the cell above\n"
            moved.add(b)
    for gid in material["written"]:
        if gid in cells:
            sentences = re.split(r"(?<=\.)\s+", cells[gid])
            rng.shuffle(sentences)
            out[gid] = "\n".join(s.lower() if rng.random() < 0.3 else s for s in sentences)
    return out


# -------------------------------------------------------------------------------------- measurement


def partial_copy(original: dict[str, str], material: dict, rng: random.Random, rate: float, blank: float,
                 fill: bool, copy_edit: float = 0.0) -> dict[str, str]:
    """Half of the original's code answers (and its written ones), disguised; the rest left blank or,
    with ``fill``, the copier's own work."""
    answered = [g for g in material["order"] if g in original]
    taken = set(rng.sample(answered, (len(answered) + 1) // 2))
    cells = {g: t for g, t in original.items() if g in taken or g in material["written"]}
    cells = disguise(cells, material, rng, copy_edit)
    if fill:
        own = honest_student(material, rng, rate, blank, written=False)
        cells.update({g: t for g, t in own.items() if g not in taken and g in material["order"]})
    return cells


def build_class(material: dict, seed: int, n_honest: int, n_copies: int, rate: float, blank: float,
                written: bool = True, n_partial: int = 0, copy_edit: float = 0.0) -> tuple[dict[str, dict], set, dict]:
    """student_id -> notebook, the planted pairs (each a sorted pair of ids) and the partial-copy pairs
    (pair -> "blank" | "own": what the copier did with the cells not copied)."""
    rng = random.Random(f"{material['assignment']}-{seed}")
    cells = {f"h{i:03d}": honest_student(material, rng, rate, blank, written) for i in range(n_honest)}
    honest = sorted(cells)
    groups: dict[str, list[str]] = {}
    for i in range(n_copies):
        original = rng.choice(honest)
        sid = f"c{i:03d}"
        cells[sid] = disguise(cells[original], material, rng, copy_edit)
        groups.setdefault(original, [original]).append(sid)
    # a copy and its original are a planted pair, and so are two copies of the same original
    planted = {tuple(sorted(p)) for g in groups.values() for p in combinations(g, 2)}
    partial = {}
    for i in range(n_partial):
        original = rng.choice(honest)
        sid = f"p{i:03d}"
        cells[sid] = partial_copy(cells[original], material, rng, rate, blank, i % 2 == 1, copy_edit)
        partial.update({tuple(sorted((sid, x))): "own" if i % 2 else "blank" for x in groups.get(original, [original])})
    return {sid: notebook(material, c) for sid, c in cells.items()}, planted, partial


SCORES = ("containment |A∩B|/min(|A|,|B|)", "Jaccard |A∩B|/|A∪B|", "cosine |A∩B|/sqrt(|A||B|)")
SHARED = len(SCORES)  # index of the shared count in a pair's scores


def pair_scores(material: dict, notebooks: dict[str, dict]) -> dict[tuple[str, str], tuple]:
    """(containment, Jaccard, cosine, shared) of every pair, from the report's own fingerprints."""
    starter = similarity.starter_hashes(material["release"])
    sets = {sid: similarity.fingerprint(sid, similarity.student_answers(material["source"], material["release"], nb),
                                        starter).fingerprints for sid, nb in notebooks.items()}
    out = {}
    ids = sorted(sets)
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            x, y = sets[a], sets[b]
            shared = len(x & y)
            if not x or not y:
                out[(a, b)] = (0.0, 0.0, 0.0, 0)
                continue
            out[(a, b)] = (shared / min(len(x), len(y)), shared / len(x | y), shared / math.sqrt(len(x) * len(y)),
                           shared)
    return out


def measure(assignments: list[str], seeds: list[int], n_honest: int, n_copies: int, rate: float, blank: float,
            written: bool = True, n_partial: int = 0, copy_edit: float = 0.0) -> dict[str, list[tuple]]:
    """Scores of the pairs, pooled, by kind: planted (a copy and its original, or two copies of one
    original), partial/blank and partial/own (a partial copy and its original: the cells not copied left
    blank, or the copier's own), honest (two honest students) and other (a copy and someone else)."""
    out: dict[str, list[tuple]] = {"planted": [], "partial/blank": [], "partial/own": [], "honest": [], "other": []}
    for assignment in assignments:
        material = load_assignment(assignment)
        for seed in seeds:
            notebooks, planted, partial = build_class(material, seed, n_honest, n_copies, rate, blank, written,
                                                      n_partial, copy_edit)
            for pair, s in pair_scores(material, notebooks).items():
                kind = "planted" if pair in planted else f"partial/{partial[pair]}" if pair in partial else \
                    "honest" if pair[0].startswith("h") and pair[1].startswith("h") else "other"
                out[kind].append(s)
    return out


def flagged(scores: list[tuple], threshold: float, which: int = 0) -> float:
    """The share of ``scores`` that the report lists at ``threshold``."""
    hits = sum(s[which] >= threshold and s[SHARED] >= similarity.MIN_SHARED for s in scores)
    return hits / max(len(scores), 1)


def _quantiles(values: list[float]) -> str:
    if len(values) < 2:
        return "n/a"
    q = statistics.quantiles(values, n=100, method="inclusive")
    return (f"min {min(values):.2f}  p5 {q[4]:.2f}  p25 {q[24]:.2f}  median {q[49]:.2f}  p75 {q[74]:.2f}  "
            f"p95 {q[94]:.2f}  p99 {q[98]:.2f}  max {max(values):.2f}")


def _bins(scores: list[tuple], which: int) -> list[float]:
    counts = [0] * 10
    for s in scores:
        counts[min(int(s[which] * 10), 9)] += 1
    return [c / max(len(scores), 1) for c in counts]


def report(measured: dict[str, list[tuple]], threshold: float) -> None:
    chosen = SCORES.index(similarity.SCORE_NAME)
    kinds = list(measured)
    for which, name in enumerate(SCORES):
        print(f"\n{name}{'  (the score of the report)' if which == chosen else ''}")
        for kind in kinds:
            scores = measured[kind]
            print(f"  {kind:13s} ({len(scores):6d} pairs): {_quantiles([s[which] for s in scores])}")
        print("  share of the pairs per score bin, and flagged per threshold:")
        print("  score     " + "".join(f"{k:>15s}" for k in kinds))
        bins = [_bins(measured[k], which) for k in kinds]
        for lo in range(10):
            print(f"  {lo / 10:.1f}-{(lo + 1) / 10:.1f}   " + "".join(f"{b[lo]:15.2%}" for b in bins))
        print("  threshold " + "".join(f"{k:>15s}" for k in kinds))
        for t in (0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9):
            mark = "   <- the threshold" if which == chosen and t == threshold else ""
            print(f"  {t:9.2f} " + "".join(f"{flagged(measured[k], t, which):15.2%}" for k in kinds) + mark)
    planted, honest = measured["planted"], measured["honest"]
    others = measured["honest"] + measured["other"]
    print(f"\nAt the threshold {threshold:g} ({similarity.SCORE_NAME}, at least {similarity.MIN_SHARED} shared "
          f"fingerprints): recall {flagged(planted, threshold, chosen):.1%} of {len(planted)} planted pairs; "
          f"false-positive rate {flagged(honest, threshold, chosen):.2%} of {len(honest)} honest pairs "
          f"({flagged(others, threshold, chosen):.2%} of all {len(others)} unrelated pairs); partial copies found: "
          + ", ".join(f"{k} {flagged(measured[k], threshold, chosen):.0%}" for k in ("partial/blank", "partial/own")))


def sweep(args) -> None:
    chosen = SCORES.index(similarity.SCORE_NAME)
    print(f"K_CODE WINDOW  recall/false-positive rate among honest pairs ({similarity.SCORE_NAME})")
    for k in (5, 6, 8, 10, 12, 15):
        for w in (3, 4, 6):
            similarity.K_CODE, similarity.WINDOW = k, w
            m = measure(args.assignments, args.seeds, args.honest, args.copies, args.edit_rate, args.blank,
                        not args.no_written, 0, args.copy_edit_rate)
            print(f"{k:6d} {w:6d}  " + "  ".join(
                f"T={t:.2f}: {flagged(m['planted'], t, chosen):.1%}/{flagged(m['honest'], t, chosen):.2%}"
                for t in (0.6, 0.7, 0.75, 0.8, 0.85)), flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--assignments", nargs="+", default=["hw1", "hw3"])
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--honest", type=int, default=150, help="honest students per class")
    p.add_argument("--copies", type=int, default=30, help="planted copies per class")
    p.add_argument("--partial", type=int, default=10, help="partial copies per class (half the cells copied)")
    p.add_argument("--edit-rate", type=float, default=0.3, help="probability of each honest rewrite where it fits")
    p.add_argument("--copy-edit-rate", type=float, default=0.0,
                   help="the copier also rewrites statements (the honest rewrites at this rate); default 0")
    p.add_argument("--blank", type=float, default=0.1, help="probability that an honest student skips a cell")
    p.add_argument("--no-written", action="store_true", help="leave the written answers blank for everyone")
    p.add_argument("--threshold", type=float, default=similarity.DEFAULT_THRESHOLD)
    p.add_argument("--sweep", action="store_true", help="try k-gram and window sizes instead")
    args = p.parse_args(argv)
    if args.sweep:
        sweep(args)
        return 0
    t0 = time.perf_counter()
    measured = measure(args.assignments, args.seeds, args.honest, args.copies, args.edit_rate, args.blank,
                       not args.no_written, args.partial, args.copy_edit_rate)
    print(f"{', '.join(args.assignments)}; seeds {args.seeds}; per class {args.honest} honest students, "
          f"{args.copies} planted copies, {args.partial} partial copies; edit rate {args.edit_rate:g}; copier's edit "
          f"rate {args.copy_edit_rate:g}; blank cells "
          f"{args.blank:g}; written answers {'off' if args.no_written else 'on'}; K_CODE={similarity.K_CODE} "
          f"K_TEXT={similarity.K_TEXT} WINDOW={similarity.WINDOW} ({time.perf_counter() - t0:.1f} s)")
    report(measured, args.threshold)
    return 0


if __name__ == "__main__":
    sys.exit(main())
