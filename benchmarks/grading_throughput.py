"""Grading throughput: stock ``nbgrader autograde`` vs ``dlcourse grade``, side by side, one run.

    .venv/bin/python benchmarks/grading_throughput.py [--assignment hw4] [--n 80] [--jobs 2]
    .venv/bin/python benchmarks/grading_throughput.py --assignment torch1 --n 100   # the older benchmark

hw4 (the default): N submissions of the course's hw4 (LSTM and attention, torch), half the
reference answers (autograder/submissions/perfect/hw4) and half blank (untouched/hw4). torch1: the
one-question torch assignment in benchmarks/torch1/, 40% correct, 20% untouched, 20% wrong (no
ReLU), 20% correct but written differently.

Both graders grade the same submissions in the same run: stock nbgrader (one kernel per
submission, one after another, as nbgrader does) in its own course directory, and dlcourse
(sandboxed runs forked from a warm parent, --jobs in parallel). The script checks that every
submission got the same autograded score from both, and prints the throughput ratio and the
per-submission overhead of dlcourse: the marginal cost of one more submission at --jobs 1
(start-up excluded), and for hw4 how much of it is the notebook's own code, timed in a warm
interpreter. The summary goes to build/grading-benchmark.txt (RESULTS.md's figure) only for
N >= 80, so a smoke run never replaces it.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
SAMPLES = ROOT / "autograder" / "submissions"
SUMMARY = ROOT / "build" / "grading-benchmark.txt"
PUBLISHED_MIN_N = 80
TORCH1_ANSWERS = {
    "correct": "def mlp_forward(X, W1, b1, W2, b2):\n    return torch.relu(X @ W1 + b1) @ W2 + b2\n",
    "untouched": None,
    "wrong": "def mlp_forward(X, W1, b1, W2, b2):\n    return (X @ W1 + b1) @ W2 + b2\n",
    "alternative": "def mlp_forward(X, W1, b1, W2, b2):\n    h = torch.clamp(torch.addmm(b1, X, W1), min=0)\n"
                   "    return torch.nn.functional.linear(h, W2.t(), b2)\n",
}
TORCH1_MIX = ["correct"] * 4 + ["untouched"] * 2 + ["wrong"] * 2 + ["alternative"] * 2
HW4_MIX = ["perfect", "untouched"]  # alternating, so every even-sized prefix is half and half

# The notebook's own code, timed in an interpreter that has already imported what dlcourse's warm
# parent imports: what is left of dlcourse's marginal cost is the grader's overhead.
BASELINE = r"""
import json, sys, time
import numpy, torch
torch.set_num_threads(1)  # as in dlcourse's runs
from IPython.core.inputtransformer2 import TransformerManager
cells, tm, ns = json.load(sys.stdin), TransformerManager(), {"__name__": "__main__"}
start = time.perf_counter()
for src in cells:
    try:
        exec(compile(tm.transform_cell(src), "<cell>", "exec"), ns)
    except Exception:
        pass  # a failing test cell, as nbgrader's allow_errors
print(time.perf_counter() - start)
"""


def run(cmd, **kw):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return proc


def env() -> dict:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}  # nbgrader runs alembic by name


def stock_workspace(tmp: Path, assignment: str, source: Path) -> Path:
    """nbgrader's own course directory, with the course's nbgrader settings; generated there."""
    stock = tmp / "stock"
    shutil.copytree(source, stock / "source" / assignment)
    config = (ROOT / "autograder" / "nbgrader_config.py").read_text()
    (stock / "nbgrader_config.py").write_text(
        config + f"\nc.CourseDirectory.root = {str(stock)!r}\nc.Exchange.root = {str(stock / 'exchange')!r}\n")
    run([BIN / "nbgrader", "generate_assignment", assignment, "--force"], cwd=stock, env=env())
    return stock


def dlcourse_course(tmp: Path, assignment: str, source: Path, release: Path) -> Path:
    """A course root for dlcourse (source/, release/, autograder/), apart from nbgrader's."""
    course = tmp / "course"
    shutil.copytree(source, course / "source" / assignment)
    shutil.copytree(release, course / "release" / assignment)
    (course / "autograder").mkdir()
    return course


def hw4_submissions(subs: Path, n: int) -> dict[str, str]:
    kinds = {}
    for i in range(n):
        kind, student = HW4_MIX[i % 2], f"student{i:03d}"
        (subs / student / "hw4").mkdir(parents=True)
        shutil.copy(SAMPLES / kind / "hw4" / "hw4.ipynb", subs / student / "hw4" / "hw4.ipynb")
        kinds[student] = kind
    return kinds


def torch1_submissions(subs: Path, n: int, release: Path) -> dict[str, str]:
    nb0 = json.loads((release / "torch1.ipynb").read_text())
    kinds = {}
    for i in range(n):
        kind, student = TORCH1_MIX[i % len(TORCH1_MIX)], f"student{i:03d}"
        nb = json.loads(json.dumps(nb0))
        for cell in nb["cells"]:
            if cell["metadata"].get("nbgrader", {}).get("grade_id") == "mlp_forward" and TORCH1_ANSWERS[kind]:
                cell["source"] = TORCH1_ANSWERS[kind]
        (subs / student / "torch1").mkdir(parents=True)
        (subs / student / "torch1" / "torch1.ipynb").write_text(json.dumps(nb))
        kinds[student] = kind
    return kinds


def stock_nbgrader(stock: Path, assignment: str, subs: Path) -> tuple[float, dict]:
    shutil.copytree(subs, stock / "submitted")
    start = time.perf_counter()
    run([BIN / "nbgrader", "autograde", assignment, "--force"], cwd=stock, env=env())
    elapsed = time.perf_counter() - start
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{stock / 'gradebook.db'}") as gb:  # autograded points: written ones wait
        scores = {s.student.id: float(s.code_score) for s in gb.assignment_submissions(assignment)}
    return elapsed, scores


def dlcourse(course: Path, assignment: str, subs: Path, out: Path, jobs: int) -> tuple[float, dict]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", assignment, str(subs), "--out", str(out),
                           "--jobs", str(jobs), "--quiet"], env={**env(), "DLCOURSE_ROOT": str(course)}, cwd=ROOT,
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1) or not (out / "grades.csv").exists():  # 1: graded, some rows not "graded"
        sys.exit(f"dlcourse grade failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    with open(out / "grades.csv", newline="") as f:
        return elapsed, {r["student_id"]: float(r["auto_score"]) for r in csv.DictReader(f)}


def prefix(subs: Path, k: int, dest: Path) -> Path:
    dest.mkdir()
    for s in sorted(subs.iterdir())[:k]:
        shutil.copytree(s, dest / s.name)
    return dest


def own_code_seconds(source_nb: Path, submission_nb: Path, cwd: Path) -> float:
    """The cells dlcourse runs for a submission (its answer cells in the source notebook, tests hidden
    ones included), executed once in a warm interpreter."""
    answers = {c["metadata"].get("nbgrader", {}).get("grade_id"): c["source"]
               for c in json.loads(submission_nb.read_text())["cells"]}
    cells = []
    for c in json.loads(source_nb.read_text())["cells"]:
        meta = c["metadata"].get("nbgrader", {})
        if c["cell_type"] == "code":
            src = answers.get(meta.get("grade_id"), c["source"]) if meta.get("solution") else c["source"]
            cells.append("".join(src) if isinstance(src, list) else src)
    out = run([sys.executable, "-c", BASELINE], input=json.dumps(cells), cwd=cwd, env=env())
    return float(out.stdout.strip().splitlines()[-1])


def overhead_sizes(n: int) -> tuple[int, int]:
    """Two even prefix sizes (half reference, half blank) for the marginal cost at --jobs 1."""
    large = max(2, min(n, max(4, n // 4)) // 2 * 2)
    small = max(2, large // 5 // 2 * 2)
    return (small, large) if small < large else (max(1, large // 2), large)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--assignment", choices=["hw4", "torch1"], default="hw4",
                    help="hw4: the course's hw4, half reference and half blank (default); torch1: the older "
                         "one-question benchmark in benchmarks/torch1/")
    ap.add_argument("--n", type=int, default=80, help="number of submissions (default 80)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--summary", type=Path, default=None,
                    help=f"where to write the summary (default {SUMMARY.relative_to(ROOT)} when --n >= "
                         f"{PUBLISHED_MIN_N}, else nowhere)")
    args = ap.parse_args()
    a, n = args.assignment, args.n
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp_name:
        tmp = Path(tmp_name)
        source = ROOT / "source" / "hw4" if a == "hw4" else HERE / "torch1"
        stock = stock_workspace(tmp, a, source)
        release = ROOT / "release" / "hw4" if a == "hw4" else stock / "release" / "torch1"
        course = dlcourse_course(tmp, a, source, release)
        subs = tmp / "submissions"
        kinds = hw4_submissions(subs, n) if a == "hw4" else torch1_submissions(subs, n, release)
        what = (f"{n} submissions of hw4 ({sum(k == 'perfect' for k in kinds.values())} reference, "
                f"{sum(k == 'untouched' for k in kinds.values())} blank)" if a == "hw4"
                else f"{n} submissions of a one-question torch assignment")
        print(f"{what}, {os.cpu_count()} cores", flush=True)

        ours_t, ours = dlcourse(course, a, subs, tmp / "out", args.jobs)
        print(f"dlcourse grade --jobs {args.jobs}: {ours_t:7.1f} s  ({n / ours_t:.2f} submissions/s)", flush=True)
        # Marginal cost of one more submission at --jobs 1: the grader's cost per submission,
        # start-up (reference run, warm parent) excluded.
        small, large = overhead_sizes(n)
        solo = {k: dlcourse(course, a, prefix(subs, k, tmp / f"solo{k}"), tmp / f"out_solo{k}", 1)[0]
                for k in (small, large)}
        marginal = (solo[large] - solo[small]) / (large - small)
        own = None
        if a == "hw4":
            own = sum(own_code_seconds(source / "hw4.ipynb", SAMPLES / kind / "hw4" / "hw4.ipynb", tmp)
                      for kind in HW4_MIX) / len(HW4_MIX)
        print(f"dlcourse grade --jobs 1: {solo[small]:.1f} s for {small}, {solo[large]:.1f} s for {large}", flush=True)

        stock_t, stock = stock_nbgrader(stock, a, subs)
        print(f"stock nbgrader autograde:  {stock_t:7.1f} s  ({n / stock_t:.2f} submissions/s, "
              f"{stock_t / n:.2f} s each)", flush=True)

    same = set(stock) == set(ours) and all(abs(stock[k] - v) < 1e-9 for k, v in ours.items())
    lines = [
        f"{what}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end",
        f"dlcourse grade --jobs {args.jobs}: {ours_t:.1f} s ({n / ours_t:.2f} submissions/s)",
        f"stock nbgrader autograde: {stock_t:.1f} s ({stock_t / n:.2f} s per submission)",
        f"same score for every submission: {same}",
    ]
    if a == "hw4":
        by_kind = {kind: sorted({ours[s] for s, k in kinds.items() if k == kind}) for kind in HW4_MIX}
        lines.append(f"autograded scores: reference {by_kind['perfect']}, blank {by_kind['untouched']} "
                     f"(dlcourse and nbgrader alike)")
    if not same:
        diff = {s: (stock.get(s), ours.get(s)) for s in sorted(set(stock) | set(ours)) if stock.get(s) != ours.get(s)}
        lines.append(f"DIFFERENT (nbgrader, dlcourse): {diff}")
    per = (f"dlcourse --jobs 1: {solo[small]:.1f} s for {small} submissions, {solo[large]:.1f} s for {large}: "
           f"{marginal:.3f} s per additional submission (start-up excluded)")
    if own is not None:
        per += (f", of which {own:.3f} s is the notebook's own code in a warm interpreter: "
                f"PER-SUBMISSION OVERHEAD {marginal - own:.3f} s")
    lines += [
        per,
        f"per submission on one core: stock nbgrader {stock_t / n:.2f} s, dlcourse {marginal:.2f} s "
        f"({stock_t / n / marginal:.1f}x)" if marginal > 0 else "per submission on one core: too few submissions",
        f"THROUGHPUT RATIO (dlcourse --jobs {args.jobs} / stock nbgrader): {stock_t / ours_t:.1f}x",
    ]
    print("\n".join(lines[3:]))
    summary = args.summary or (SUMMARY if n >= PUBLISHED_MIN_N else None)
    if summary:
        summary.parent.mkdir(parents=True, exist_ok=True)
        summary.write_text("\n".join(lines) + "\n")
        print(f"summary written to {summary}")
    else:
        print(f"(fewer than {PUBLISHED_MIN_N} submissions: summary not written; --summary PATH to keep it)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
