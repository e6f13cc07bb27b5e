"""Pairs of submissions whose answers look copied: ``dlcourse similarity ASSIGNMENT SUBMISSIONS_DIR --out DIR``.

What is compared: each student's *answer cells* only, found as the grader finds them
(:func:`autograder.engine.plan.build_plan`: by nbgrader ``grade_id``, else by the answer's first line),
plus the code cells the student added. Code answers are tokenized with :mod:`tokenize` and normalized
so that the usual disguises change nothing:

* comments, blank lines, indentation, line breaks, ``;``, trailing commas and grouping parentheses
  (``(a + b) * c``, ``return (x, y)``: formatters add and remove them) are dropped;
* docstrings (any statement that is only a string) are dropped;
* every identifier becomes ``V``, except keywords, *attribute names* (``.reshape``, ``.sum``, ``.T``:
  the library API, which a copier cannot rename without breaking the code), *keyword-argument names*
  in calls (``axis=``, ``keepdim=``: the same reason) and *called builtins* (``len(``, ``zip(``).
  An attribute the cell itself assigns (``self.conv1 = ...``) is the student's own name and becomes ``V``;
  so do parameter names in a ``def`` (they are the student's too);
* numbers become ``N`` and strings ``S`` (so ``1.0``/``1.``/``1e0`` and ``'a'``/``"a"`` are alike);
* IPython magics (``%time``, ``!pip``) are dropped;
* code that :mod:`tokenize` cannot read (an unclosed bracket, a bad dedent) falls back to a regular
  expression tokenizer that applies the same rules (no docstring detection).

Written (markdown) answers become their lowercased words.

Fingerprints: each answer cell on its own is cut into k-grams of normalized tokens (``K_CODE`` tokens,
``K_TEXT`` words), each hashed with :mod:`hashlib` (stable across runs, unlike ``hash()``), and
*winnowed* (Schleimer, Wilkerson and Aiken, "Winnowing: local algorithms for document fingerprinting",
SIGMOD 2003, the algorithm behind MOSS): the smallest hash of every window of ``WINDOW`` consecutive
k-grams is kept. Any shared run of at least ``WINDOW + K - 1`` tokens is then guaranteed to share a
fingerprint, wherever it sits: a student's fingerprints are a *set* over all their answer cells, so
reordering functions inside a cell or moving them to another answer cell loses only the few k-grams
that straddle the cut.

Starter code never counts: every k-gram of the release notebook (the stubs of the answer cells, the
instructions, the setup and visible test cells) is masked before winnowing, so a submission that
leaves the release as it was has no fingerprint at all and never forms a pair, and code pasted from
the visible tests proves nothing either.

Score of a pair = |A ∩ B| / min(|A|, |B|): the share of the smaller submission's fingerprints that the
other one has too; a pair is listed when the score reaches the threshold and they share at least
``MIN_SHARED`` fingerprints (so a nearly empty submission cannot reach 1.0 by sharing a line or two).
Measured with ``benchmarks/similarity_recall.py`` (hw1 and hw3, 3 seeds, 150 honest students, 30
disguised copies and 10 partial copies per class): at 100% recall of the disguised copies, Jaccard
(|A∩B|/|A∪B| >= 0.7) flags 0.01% of the honest pairs and containment (>= 0.8) 0.19%, but Jaccard finds
none of the partial copies whose uncopied cells were left blank (the copier took only what they could
not do), where containment finds all of them; both miss most partial copies whose other cells are the
copier's own work. Containment it is: the page shows both set sizes, so a pair that is similar only
because one side is small is plain to see. ``DEFAULT_THRESHOLD`` (0.8), ``K_CODE`` and ``WINDOW`` come
from the same benchmark: smaller k-grams flag more honest pairs, larger ones lose copies whose copier
also rewrote a few statements (``--copy-edit-rate``); the README's "Similarity report" section has
the numbers and the commands that reproduce them.

Why the standard library and not a package: ``copydetect`` (MIT, on PyPI) is the closest fit, a
winnowing detector, but it reads whole files from disk by path (student files are never opened that
way here: :mod:`.submissions_io` reads each notebook once, without following links), tokenizes with
Pygments, which keeps docstrings (as a string token) and renames attribute names (the library API we
keep as signal), hashes with the per-process salted ``hash()`` (a report that changes from run to
run), knows nothing of answer cells or of per-cell starter code (only whole "boilerplate" files), and
pulls in numpy, matplotlib and jinja2 for its own report. ``datasketch`` gives MinHash/LSH estimates
of Jaccard, which only pay off far beyond a class of a few hundred (exact set intersections for 200
students take a fraction of a second) and cannot point at the matching lines. What remains is about
150 lines of tokenizing, hashing and winnowing on top of :mod:`tokenize` and :mod:`hashlib`.

Student text is hostile: the HTML report shows it as escaped plain text (no markdown rendering, so no
link or image is live), with control and bidirectional-override characters shown as escapes, under a
Content-Security-Policy that allows no script, image or request at all.
"""

from __future__ import annotations

import argparse
import builtins
import csv
import hashlib
import html
import io
import json
import keyword
import re
import tokenize
import unicodedata
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from .errors import CourseError

K_CODE = 8  # normalized code tokens per k-gram (a short statement: `V = V . zeros ( V )` is 7)
K_TEXT = 6  # words per k-gram in written answers
WINDOW = 4  # winnowing window: any shared run of WINDOW + K - 1 tokens shares a fingerprint
MIN_SHARED = 10  # a pair needs at least this many shared fingerprints, whatever the score
DEFAULT_THRESHOLD = 0.8  # from benchmarks/similarity_recall.py (see the README)
SCORE_NAME = "containment |A∩B|/min(|A|,|B|)"  # as the benchmark names it
HTML_MAX_PAIRS = 200  # the CSV lists every pair; the page shows the most similar ones
HTML_MAX_CHARS = 20_000  # of one cell, in the page

_BUILTIN_NAMES = frozenset(dir(builtins))
_SKIP_TYPES = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
               tokenize.ENCODING, tokenize.ENDMARKER}
_FSTRING_START = getattr(tokenize, "FSTRING_START", None)  # Python >= 3.12 splits f-strings up
_FSTRING_END = getattr(tokenize, "FSTRING_END", None)
_MAGIC = re.compile(r"^[ \t]*[%!].*$", re.M)
_CLOSERS = {")", "]", "}"}
_OPENERS = {"(", "[", "{"}
_ASSIGN_OPS = {"=", "+=", "-=", "*=", "/=", "//=", "%=", "**=", "@=", "&=", "|=", "^=", ">>=", "<<="}
_FALLBACK = re.compile(
    r"(?P<comment>#[^\n]*)"
    r"|(?P<string>[rRbBuUfF]{0,2}(?:\"\"\"[\s\S]*?(?:\"\"\"|\Z)|'''[\s\S]*?(?:'''|\Z)"
    r"|\"(?:\\.|[^\"\\\n])*\"?|'(?:\\.|[^'\\\n])*'?))"
    r"|(?P<name>[^\W\d]\w*)"
    r"|(?P<number>\.?\d[\w.]*)"
    r"|(?P<op>\*\*=?|//=?|>>=?|<<=?|->|:=|\.\.\.|[-+*/%@&|^<>!=]=|\S)"
)
_WORD = re.compile(r"\w+")


@dataclass
class Token:
    norm: str  # what is compared
    start: int  # character offsets into the cell's text, for highlighting
    end: int


@dataclass
class Answer:
    label: str  # grade_id, or extra-N for a code cell the student added
    kind: str  # "code" | "markdown"
    text: str


@dataclass
class Student:
    student_id: str
    answers: list[Answer]
    # fingerprint -> where it occurs: (answer index, start, end) in that answer's text
    where: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)

    @property
    def fingerprints(self) -> frozenset[int]:
        return frozenset(self.where)


@dataclass
class Pair:
    a: str
    b: str
    score: float
    shared: int


@dataclass
class Report:
    assignment: str
    threshold: float
    students: dict[str, Student]
    skipped: list[tuple[str, str]]  # (student_id, why)
    pairs: list[Pair]  # above the threshold, most similar first


# --------------------------------------------------------------------------------------------- tokens


def _line_starts(text: str) -> list[int]:
    starts, pos = [0], 0
    for line in io.StringIO(text).readlines():  # the same lines tokenize reads
        pos += len(line)
        starts.append(pos)
    return starts


def _raw_tokens(text: str) -> list[tuple[str, str, int, int]] | None:
    """(type, string, start, end) of the significant tokens, docstrings dropped; None if tokenize fails."""
    starts = _line_starts(text)
    out: list[tuple[str, str, int, int]] = []
    line: list[tuple[str, str, int, int]] = []
    fstring_depth = 0
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in (tokenize.NEWLINE, tokenize.ENDMARKER) or tok.string == ";" and not fstring_depth:
                if not all(kind == "string" for kind, *_ in line):  # a statement that is only a string: docstring
                    out += line
                line = []
                continue
            if tok.type in _SKIP_TYPES:
                continue
            start = starts[tok.start[0] - 1] + tok.start[1]
            end = starts[tok.end[0] - 1] + tok.end[1]
            if _FSTRING_START is not None and tok.type == _FSTRING_START:
                if fstring_depth == 0:
                    line.append(("string", tok.string, start, end))
                fstring_depth += 1
                continue
            if fstring_depth:  # an f-string's inside is one string, as before Python 3.12
                if tok.type == _FSTRING_END:
                    fstring_depth -= 1
                    line[-1] = (*line[-1][:3], end) if fstring_depth == 0 else line[-1]
                continue
            if tok.type == tokenize.STRING:
                line.append(("string", tok.string, start, end))
            elif tok.type == tokenize.NUMBER:
                line.append(("number", tok.string, start, end))
            elif tok.type == tokenize.NAME:
                line.append(("name", tok.string, start, end))
            elif tok.string.strip():  # OP, or ERRORTOKEN (a stray `$`, `?`)
                line.append(("op", tok.string, start, end))
    except (tokenize.TokenError, SyntaxError, ValueError):  # IndentationError is a SyntaxError
        return None
    return out + line


def _fallback_tokens(text: str) -> list[tuple[str, str, int, int]]:
    out = []
    for m in _FALLBACK.finditer(text):
        kind = m.lastgroup
        if kind != "comment":
            out.append((kind, m.group(), m.start(), m.end()))
    return out


def _own_names(raw: list[tuple[str, str, int, int]]) -> set[str]:
    """Attribute names this cell assigns (``self.fc = ...``): the student's own, so renamable."""
    own = set()
    for i in range(1, len(raw) - 1):
        if raw[i][0] == "name" and raw[i - 1][1] == "." and raw[i + 1][1] in _ASSIGN_OPS:
            own.add(raw[i][1])
    return own


def code_tokens(text: str) -> list[Token]:
    """The normalized token stream of one code cell (see the module docstring for the rules)."""
    text = _MAGIC.sub(lambda m: " " * len(m.group()), text)  # same length: offsets stay right
    raw = _raw_tokens(text)
    if raw is None:
        raw = _fallback_tokens(text)
    own = _own_names(raw)
    out: list[Token] = []
    depth = 0
    def_params_depth = None  # bracket depth of a `def`'s parameter list while inside it
    grouping: list[bool] = []  # per open bracket: is it a grouping `(` (dropped) rather than a call's?
    for i, (kind, s, start, end) in enumerate(raw):
        prev_kind, prev = raw[i - 1][:2] if i else ("", "")
        nxt = raw[i + 1][1] if i + 1 < len(raw) else ""
        if kind == "op":
            if s in _OPENERS:
                depth += 1
                if def_params_depth is None and i >= 2 and raw[i - 2][1] == "def":
                    def_params_depth = depth
                # `(a + b)`, `return (x, y)`: parentheses that formatters add and remove as they like
                group = s == "(" and not (prev_kind in ("name", "string") and not keyword.iskeyword(prev)
                                          or prev in (")", "]"))
                grouping.append(group)
                if group:
                    continue
            elif s in _CLOSERS:
                if def_params_depth == depth:
                    def_params_depth = None
                depth = max(depth - 1, 0)
                if grouping and grouping.pop() and s == ")":
                    continue
            if s == ";" or (s == "," and nxt in _CLOSERS):
                continue  # statement separators and trailing commas are formatting
            norm = s
        elif kind == "number":
            norm = "N"
        elif kind == "string":
            norm = "S"
        elif keyword.iskeyword(s):
            norm = s
        elif prev == "." and s not in own:
            norm = s  # library API: `.reshape`, `.sum`, `.T`
        elif nxt == "=" and depth and prev in ("(", ",") and def_params_depth is None:
            norm = s  # a keyword argument's name: `axis=`
        elif nxt == "(" and s in _BUILTIN_NAMES and prev not in ("def", "."):
            norm = s  # a called builtin: `len(`, `range(`
        else:
            norm = "V"
        out.append(Token(norm, start, end))
    return out


def text_tokens(text: str) -> list[Token]:
    return [Token(m.group().lower(), m.start(), m.end()) for m in _WORD.finditer(text)]


def tokens_of(kind: str, text: str) -> list[Token]:
    return code_tokens(text) if kind == "code" else text_tokens(text)


# ------------------------------------------------------------------------------------- fingerprints


def kgram_hashes(kind: str, tokens: list[Token]) -> list[int]:
    k = K_CODE if kind == "code" else K_TEXT
    salt = b"c" if kind == "code" else b"t"  # code and prose never match each other
    norms = [t.norm for t in tokens]
    return [int.from_bytes(hashlib.blake2b("\x1f".join(norms[i:i + k]).encode("utf-8", "surrogatepass"),
                                           digest_size=8, person=salt).digest(), "big")
            for i in range(len(norms) - k + 1)]


def winnow(hashes: list[int], masked: frozenset[int] | set[int] = frozenset(), window: int | None = None) -> list[int]:
    """Positions chosen by robust winnowing: the minimum of each window of ``window`` hashes (the
    rightmost one on ties), each position once. Masked hashes (starter code) are never chosen, so
    the windows pick among the student's own k-grams instead."""
    window = window or WINDOW
    big = 1 << 64
    vals = [big if h in masked else h for h in hashes]
    if not vals:
        return []
    chosen: list[int] = []
    for lo in range(max(len(vals) - window + 1, 1)):
        win = vals[lo:lo + window]
        m = min(win)
        if m == big:
            continue
        pos = lo + max(j for j, v in enumerate(win) if v == m)
        if not chosen or chosen[-1] != pos:
            chosen.append(pos)
    return chosen


def starter_hashes(release_nb: dict) -> frozenset[int]:
    """Every k-gram of the release notebook, answer stubs and all: what no student wrote."""
    out: set[int] = set()
    for cell in release_nb.get("cells", []):
        kind = "code" if cell.get("cell_type") == "code" else "markdown"
        out.update(kgram_hashes(kind, tokens_of(kind, _src(cell))))
    return frozenset(out)


def fingerprint(student_id: str, answers: list[Answer], starter: frozenset[int]) -> Student:
    st = Student(student_id, answers)
    k_of = {"code": K_CODE, "markdown": K_TEXT}
    for n, ans in enumerate(answers):
        toks = tokens_of(ans.kind, ans.text)
        hashes = kgram_hashes(ans.kind, toks)
        k = k_of[ans.kind]
        for pos in winnow(hashes, starter):
            st.where.setdefault(hashes[pos], []).append((n, toks[pos].start, toks[pos + k - 1].end))
    return st


def score(a: frozenset[int], b: frozenset[int]) -> tuple[float, int]:
    """(|A∩B| / min(|A|, |B|), |A∩B|); 0 when either is empty."""
    if not a or not b:
        return 0.0, 0
    shared = len(a & b)
    return shared / min(len(a), len(b)), shared


def similar_pairs(students: dict[str, Student], threshold: float) -> list[Pair]:
    sets = {sid: st.fingerprints for sid, st in students.items()}
    pairs = []
    for x, y in combinations(sorted(sets), 2):
        s, shared = score(sets[x], sets[y])
        if s >= threshold and shared >= MIN_SHARED:
            pairs.append(Pair(x, y, s, shared))
    pairs.sort(key=lambda p: (-p.score, -p.shared, p.a, p.b))
    return pairs


# ------------------------------------------------------------------------------------------ answers


def _src(cell) -> str:
    s = cell.get("source", "") if isinstance(cell, dict) else ""
    return "".join(map(str, s)) if isinstance(s, list) else str(s)


def student_answers(source_nb: dict, release_nb: dict, student_nb: dict) -> list[Answer]:
    """The answer cells of a submission, matched as the grader matches them, plus added code cells."""
    from .engine.plan import build_plan

    plan = build_plan(source_nb, student_nb, release_nb)
    out = [Answer(gid, "code", text) for gid, text in plan.answer_sources.items()]
    out += [Answer(i.grade_id, "markdown", i.student_text) for i in plan.items
            if i.kind == "written" and i.student_text]
    out += [Answer(c.label, "code", c.source) for c in plan.cells if c.kind == "extra"]
    return out


def compare_notebooks(source_nb: dict, release_nb: dict, notebooks: dict[str, dict],
                      threshold: float = DEFAULT_THRESHOLD, assignment: str = "") -> Report:
    """The report for already-parsed submissions (student_id -> notebook)."""
    starter = starter_hashes(release_nb)
    students, skipped = {}, []
    for sid, nb in notebooks.items():
        try:
            students[sid] = fingerprint(sid, student_answers(source_nb, release_nb, nb), starter)
        except Exception as exc:  # hostile input: one odd notebook is listed, never stops the report
            skipped.append((sid, f"could not be compared ({type(exc).__name__}: {str(exc)[:150]})"))
    return Report(assignment, threshold, students, skipped, similar_pairs(students, threshold))


def compare_folder(course, assignment: str, submissions_dir: Path, threshold: float = DEFAULT_THRESHOLD) -> Report:
    from .submissions_io import discover

    course.check_assignment(assignment)
    notebooks = course.notebooks(assignment)
    if len(notebooks) != 1:
        raise CourseError(f"{assignment} has {len(notebooks)} notebooks in source/{assignment}; the similarity "
                          "report handles one per assignment")
    nb_name = notebooks[0].name
    release_path = course.release / assignment / nb_name
    if not release_path.is_file():
        raise CourseError(f"release/{assignment}/{nb_name} is missing: run `dlcourse release {assignment}` first "
                          "(the release's starter code is what the report leaves out).")
    source_nb = json.loads(notebooks[0].read_text(encoding="utf-8"))
    release_nb = json.loads(release_path.read_text(encoding="utf-8"))
    if not Path(submissions_dir).is_dir():
        raise CourseError(f"Submissions folder {submissions_dir} does not exist or is not a folder: give the folder "
                          f"that holds <student_id>/{assignment}/{nb_name} (as for `dlcourse grade`).")
    subs = discover(Path(submissions_dir), assignment, [nb_name])
    ok = {s.student_id: s.notebook for s in subs if not s.problems and s.notebook is not None}
    report = compare_notebooks(source_nb, release_nb, ok, threshold, assignment)
    report.skipped = sorted([(s.student_id, "; ".join(s.problems) or f"no {nb_name}") for s in subs
                             if s.student_id not in ok] + report.skipped)
    return report


# ------------------------------------------------------------------------------------------ outputs


def write_csv(report: Report, path: Path) -> None:
    from .results import quote_cell

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student_a", "student_b", "score"])
        for p in report.pairs:
            w.writerow([quote_cell(p.a), quote_cell(p.b), f"{p.score:.3f}"])
    tmp.replace(path)


_BIDI = set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c")


def _visible(text: str) -> str:
    """Control and bidirectional-override characters as visible escapes (they could make code read
    differently from what it is), then HTML-escaped."""
    def one(ch: str) -> str:
        if ch in "\n\t\r":
            return ch
        if ch in _BIDI or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") or ch in "\u2028\u2029":
            return f"\\u{ord(ch):04x}"
        return ch
    return html.escape("".join(map(one, text)), quote=True)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def _highlighted(text: str, spans: list[tuple[int, int]]) -> str:
    cut = len(text) > HTML_MAX_CHARS
    text = text[:HTML_MAX_CHARS] if cut else text
    parts, pos = [], 0
    for s, e in _merge(spans):
        s, e = min(s, len(text)), min(e, len(text))
        if e <= pos:
            continue
        s = max(s, pos)
        parts += [_visible(text[pos:s]), "<mark>", _visible(text[s:e]), "</mark>"]
        pos = e
    parts.append(_visible(text[pos:]))
    if cut:
        parts.append(f"\n… ({len(text):,}+ characters; cut here)")
    return "".join(parts)


def _pair_html(report: Report, p: Pair) -> str:
    sa, sb = report.students[p.a], report.students[p.b]
    shared = sa.fingerprints & sb.fingerprints
    spans: dict[tuple[str, str], list[tuple[int, int]]] = {}  # (student, label) -> spans
    for st in (sa, sb):
        for h in shared:
            for n, s, e in st.where[h]:
                spans.setdefault((st.student_id, st.answers[n].label), []).append((s, e))
    labels: list[str] = []
    for st in (sa, sb):
        for ans in st.answers:
            if ans.label not in labels and ((sa.student_id, ans.label) in spans or (sb.student_id, ans.label) in spans):
                labels.append(ans.label)
    rows = []
    for label in labels:
        cells = []
        for st in (sa, sb):
            ans = next((x for x in st.answers if x.label == label), None)
            body = _highlighted(ans.text, spans.get((st.student_id, label), [])) if ans else "<i>(no such cell)</i>"
            cells.append(f"<td><pre>{body}</pre></td>")
        rows.append(f"<tr><th colspan=2>{_visible(label)}</th></tr><tr>{''.join(cells)}</tr>")
    return (f"<section><h2>{_visible(p.a)} &harr; {_visible(p.b)}: {p.score:.2f} "
            f"<small>({p.shared} shared fingerprints of {len(sa.where)} and {len(sb.where)})</small></h2>"
            f"<table><tr><th>{_visible(p.a)}</th><th>{_visible(p.b)}</th></tr>{''.join(rows)}</table></section>")


_CSS = """body{font-family:sans-serif;margin:1em 2em}table{border-collapse:collapse;width:100%;table-layout:fixed}
td,th{border:1px solid #ccc;vertical-align:top;padding:4px;text-align:left}
pre{white-space:pre-wrap;word-break:break-word;margin:0;font-size:12px}mark{background:#ffd54f}
section{margin-bottom:2em}small{font-weight:normal;color:#555}"""


def write_html(report: Report, path: Path) -> None:
    shown = report.pairs[:HTML_MAX_PAIRS]
    head = (f"<!DOCTYPE html><html><head><meta charset='utf-8'>"
            f"<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            f"<meta name='referrer' content='no-referrer'>"
            f"<title>Similarity: {_visible(report.assignment)}</title><style>{_CSS}</style></head><body>")
    intro = [f"<h1>Similarity report: {_visible(report.assignment)}</h1>",
             f"<p>{len(report.pairs)} pair(s) with score &ge; {report.threshold:g} among {len(report.students)} "
             f"submissions. Score: shared fingerprints / fingerprints of the smaller submission, over the answer "
             f"cells, after removing the release's starter code; highlighted: the matching regions (a region may "
             f"match the other side in another cell: functions move between cells). Similar is not proof: read "
             f"both sides.</p>"]
    if len(report.pairs) > len(shown):
        intro.append(f"<p>Showing the {len(shown)} most similar pairs; similarity.csv lists all.</p>")
    if shown:
        intro.append("<ol>" + "".join(f"<li>{_visible(p.a)} &harr; {_visible(p.b)}: {p.score:.2f}</li>"
                                      for p in shown) + "</ol>")
    if report.skipped:
        intro.append("<h2>Not compared</h2><ul>" + "".join(f"<li>{_visible(s)}: {_visible(why)}</li>"
                                                           for s, why in report.skipped) + "</ul>")
    body = "".join(_pair_html(report, p) for p in shown)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(head + "".join(intro) + body + "</body></html>\n", encoding="utf-8")
    tmp.replace(path)


# ----------------------------------------------------------------------------------------------- CLI


def _threshold(text: str) -> float:
    try:
        t = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--threshold {text!r} is not a number; use e.g. 0.7") from None
    if not 0 < t <= 1:
        raise argparse.ArgumentTypeError(f"--threshold {text!r}: give a score between 0 (exclusive) and 1")
    return t


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignment", help="e.g. hw1")
    parser.add_argument("submissions_dir", type=Path, help="folder of <student_id>/<assignment>/<notebook>.ipynb")
    parser.add_argument("--out", type=Path, required=True, help="where similarity.csv and similarity.html go")
    parser.add_argument("--threshold", type=_threshold, default=DEFAULT_THRESHOLD,
                        help=f"report pairs with at least this score, 0-1 (default {DEFAULT_THRESHOLD:g})")


def run(args) -> int:
    from .course import find_course

    report = compare_folder(find_course(), args.assignment, Path(args.submissions_dir), args.threshold)
    out = Path(args.out)
    csv_path, html_path = out / "similarity.csv", out / "similarity.html"
    write_csv(report, csv_path)
    write_html(report, html_path)
    for sid, why in report.skipped:
        print(f"not compared: {sid}: {why}")
    print(f"{len(report.pairs)} pairs above {report.threshold:g} among {len(report.students)} submissions "
          f"-> {csv_path}, {html_path}")
    return 0
