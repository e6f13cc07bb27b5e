"""Two graders on one host at the same time share nothing: one grader's student holding every
process it may have cannot starve the other grader's student (each run counts its processes in
its own user namespace, and a root grader leases each run a uid no live run has)."""

import copy
import csv
import json
import subprocess
import time

import pytest
from helpers import DLCOURSE, ROOT
from redteam.cases import CORRECT_SOFTMAX

from autograder.engine import sandbox

pytestmark = pytest.mark.skipif(not sandbox.available()[0], reason=sandbox.available()[1])
RELEASE = ROOT / "release" / "hw0" / "hw0.ipynb"

HOLD_EVERY_PROCESS = '''
import os, time
for _ in range(200):
    try:
        if os.fork() == 0:
            time.sleep(40)
            os._exit(0)
    except OSError:
        break
time.sleep(25)
'''
# A correct answer that needs a few threads (each one counts as a process against the limit).
THREADED_CORRECT = CORRECT_SOFTMAX + '''
import threading
_threads = [threading.Thread(target=time_sleep, args=(0.2,)) for time_sleep in [__import__("time").sleep] * 8]
for t in _threads:
    t.start()
for t in _threads:
    t.join()
'''


def _submission(folder, student, code):
    nb = copy.deepcopy(json.loads(RELEASE.read_text()))
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "softmax":
            cell["source"] = code
    (folder / student / "hw0").mkdir(parents=True)
    (folder / student / "hw0" / "hw0.ipynb").write_text(json.dumps(nb))


def _rows(out):
    with open(out / "grades.csv", newline="") as f:
        return {r["student_id"]: r for r in csv.DictReader(f)}


def test_two_graders_at_once(tmp_path):
    subs_a, subs_b = tmp_path / "a", tmp_path / "b"
    _submission(subs_a, "holder", HOLD_EVERY_PROCESS)
    _submission(subs_a, "honest_a", THREADED_CORRECT)
    _submission(subs_b, "honest_b", THREADED_CORRECT)
    args = ["--jobs", "2", "--quiet", "--db-url", "none", "--cell-timeout", "60"]
    a = subprocess.Popen([*DLCOURSE, "grade", "hw0", subs_a, "--out", tmp_path / "out_a", *args], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(8)  # the holder is running by now
    b = subprocess.run([*DLCOURSE, "grade", "hw0", subs_b, "--out", tmp_path / "out_b", *args], cwd=ROOT,
                       capture_output=True, text=True)
    a_out, a_err = a.communicate(timeout=300)
    assert "Traceback" not in a_err + b.stderr, a_err + b.stderr
    rows_a, rows_b = _rows(tmp_path / "out_a"), _rows(tmp_path / "out_b")
    assert float(rows_b["honest_b"]["auto_score"]) == 2, rows_b
    assert float(rows_a["honest_a"]["auto_score"]) == 2, rows_a
    assert float(rows_a["holder"]["auto_score"]) == 0
