"""Grading throughput: stock ``nbgrader autograde`` vs ``dlcourse grade``, side by side, one run.

    .venv/bin/python benchmarks/grading_throughput.py [--n 100] [--jobs 2]

Builds a scratch course holding the one-question torch assignment in benchmarks/torch1/, makes N
submissions (40% correct, 20% untouched, 20% wrong: no ReLU, 20% correct but written differently),
grades them with stock nbgrader (one kernel per submission, one after another, as nbgrader does)
and with dlcourse (sandboxed runs forked from a warm parent, --jobs in parallel), checks that every
submission got the same score from both, and prints the throughput ratio and the per-submission
overhead of dlcourse measured with --jobs 1.
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
ANSWERS = {
    "correct": "def mlp_forward(X, W1, b1, W2, b2):\n    return torch.relu(X @ W1 + b1) @ W2 + b2\n",
    "untouched": None,
    "wrong": "def mlp_forward(X, W1, b1, W2, b2):\n    return (X @ W1 + b1) @ W2 + b2\n",
    "alternative": "def mlp_forward(X, W1, b1, W2, b2):\n    h = torch.clamp(torch.addmm(b1, X, W1), min=0)\n"
                   "    return torch.nn.functional.linear(h, W2.t(), b2)\n",
}
MIX = ["correct"] * 4 + ["untouched"] * 2 + ["wrong"] * 2 + ["alternative"] * 2


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def build_course(tmp: Path, n: int) -> tuple[Path, Path, dict]:
    course = tmp / "course"
    (course / "source" / "torch1").mkdir(parents=True)
    (course / "autograder").mkdir()
    shutil.copy(HERE / "torch1" / "torch1.ipynb", course / "source" / "torch1")
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    run([str(bin_dir / "nbgrader"), "generate_assignment", "torch1", "--force", f"--CourseDirectory.root={course}"],
        cwd=course, env=env)
    release = json.loads((course / "release" / "torch1" / "torch1.ipynb").read_text())
    subs = tmp / "submissions"
    kinds = {}
    for i in range(n):
        kind = MIX[i % len(MIX)]
        student = f"student{i:03d}"
        nb = json.loads(json.dumps(release))
        for cell in nb["cells"]:
            if cell["metadata"].get("nbgrader", {}).get("grade_id") == "mlp_forward" and ANSWERS[kind]:
                cell["source"] = ANSWERS[kind]
        (subs / student / "torch1").mkdir(parents=True)
        (subs / student / "torch1" / "torch1.ipynb").write_text(json.dumps(nb))
        kinds[student] = kind
    return course, subs, env


def stock_nbgrader(course: Path, subs: Path, env: dict) -> tuple[float, dict]:
    shutil.copytree(subs, course / "submitted")
    start = time.perf_counter()
    run([str(Path(sys.executable).parent / "nbgrader"), "autograde", "torch1", "--force",
         f"--CourseDirectory.root={course}"], cwd=course, env=env)
    elapsed = time.perf_counter() - start
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        scores = {s.student.id: float(s.score) for s in gb.assignment_submissions("torch1")}
    return elapsed, scores


def dlcourse(course: Path, subs: Path, out: Path, jobs: int, env: dict) -> tuple[float, dict]:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "autograder.cli", "grade", "torch1", str(subs), "--out", str(out),
                    "--jobs", str(jobs), "--quiet"], env={**env, "DLCOURSE_ROOT": str(course)}, cwd=ROOT,
                   capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    with open(out / "grades.csv", newline="") as f:
        return elapsed, {r["student_id"]: float(r["auto_score"]) for r in csv.DictReader(f)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        course, subs, env = build_course(Path(tmp), args.n)
        shutil.copytree(course / "release", course / "release_copy")
        print(f"{args.n} submissions of a one-question torch assignment, {os.cpu_count()} cores")
        ours_t, ours = dlcourse(course, subs, Path(tmp) / "out", args.jobs, env)
        print(f"dlcourse grade --jobs {args.jobs}: {ours_t:7.1f} s  ({args.n / ours_t:.2f} submissions/s)")
        # Marginal cost of one more submission at --jobs 1: the grading overhead per submission
        # (start-up excluded; the student's own compute here is a millisecond forward pass).
        solo = {}
        for k in (5, 25):
            folder = Path(tmp) / f"solo{k}"
            folder.mkdir()
            for s in sorted(subs.iterdir())[:k]:
                shutil.copytree(s, folder / s.name)
            solo[k], _ = dlcourse(course, folder, Path(tmp) / f"out_solo{k}", 1, env)
        marginal = (solo[25] - solo[5]) / 20
        stock_t, stock = stock_nbgrader(course, subs, env)
        print(f"stock nbgrader autograde:  {stock_t:7.1f} s  ({args.n / stock_t:.2f} submissions/s, "
              f"{stock_t / args.n:.2f} s each)")
    same = all(abs(stock.get(k, -1) - v) < 1e-9 for k, v in ours.items()) and set(stock) == set(ours)
    load = os.getloadavg()[0]
    lines = [
        f"{args.n} submissions of a one-question torch assignment, {os.cpu_count()} cores, "
        f"load average {load:.1f} at the end",
        f"dlcourse grade --jobs {args.jobs}: {ours_t:.1f} s ({args.n / ours_t:.2f} submissions/s)",
        f"stock nbgrader autograde: {stock_t:.1f} s ({stock_t / args.n:.2f} s per submission)",
        f"same score for every submission: {same}",
        f"dlcourse --jobs 1: {solo[5]:.1f} s for 5 submissions, {solo[25]:.1f} s for 25: "
        f"{marginal:.3f} s per additional submission (grading overhead, start-up excluded)",
        f"THROUGHPUT RATIO (dlcourse / stock nbgrader): {stock_t / ours_t:.1f}x",
    ]
    print("\n".join(lines[3:]))
    out = ROOT / "build" / "grading-benchmark.txt"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
