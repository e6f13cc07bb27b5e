"""The per-notebook budget of conftest.py counts the CPU time of the notebook's kernel, not its wall time.

Each case runs pytest + nbval, with the repository's conftest.py as a plugin, on a one-cell notebook in
a temporary folder, with a budget of 1.5 s.
"""

import json
import os
import subprocess
import sys

import nbformat
from helpers import ROOT

BUDGET = "1.5"


def _run(tmp_path, code: str):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(code)]
    nbformat.write(nb, tmp_path / "budget.ipynb")
    env = {**os.environ, "COURSE_NOTEBOOK_BUDGET_S": BUDGET, "PYTHONPATH": str(ROOT),
           "DLCOURSE_EXECUTED_DIR": str(tmp_path / "executed")}
    env.pop("COURSE_RESULTS_DIR", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "conftest", "--nbval-lax", "-p", "no:cacheprovider",
         "--rootdir", str(tmp_path), "-c", os.devnull, "budget.ipynb"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    times = json.loads((tmp_path / "build" / "notebook-times.json").read_text())
    return proc, times["budget.ipynb"]


def test_a_notebook_that_computes_past_the_budget_fails_the_run(tmp_path):
    proc, t = _run(tmp_path, "import time\nend = time.process_time() + 2.5\nwhile time.process_time() < end:\n    pass")
    assert proc.returncode != 0, proc.stdout
    assert t["cpu_s"] >= 2.5, t
    assert "FAILED budget: budget.ipynb" in proc.stdout and "of kernel CPU" in proc.stdout, proc.stdout


def test_waiting_is_not_computing(tmp_path):
    # 2.5 s of wall time, most of it asleep: the kernel's CPU stays under the budget, so the run passes
    proc, t = _run(tmp_path, "import time\ntime.sleep(2.5)")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert t["wall_s"] >= 2.5 and t["cpu_s"] < float(BUDGET), t
    assert "budget 1.5 s of kernel CPU each" in proc.stdout
