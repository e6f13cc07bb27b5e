"""`--slurm` for real: a one-node Slurm cluster on this machine runs the job arrays.

Sharded grading must give exactly the grades of a single-machine run, and `run-notebooks --slurm`
must bring back executed notebooks, figures and measured targets, also for a notebook that fails.
"""

import csv
import json
import os
import shutil

import nbformat
import pytest
from helpers import ROOT, dlcourse
from local_services import SlurmCluster, apt_install

from autograder.engine import sandbox

SAMPLES = ROOT / "autograder" / "submissions"
LOCAL = ["--partition", "debug", "--account", "", "--conda-env", "", "--mem", "", "--cpus-per-task", "1",
         "--gres", ""]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    why = apt_install(["slurm-wlm", "munge"], "slurmctld")
    if why:
        pytest.skip(why)
    c = SlurmCluster(tmp_path_factory.mktemp("slurm"))
    try:
        c.start()  # installed but not starting is a failure, not a skip
        yield c
    finally:
        c.stop()


def _rows(path):
    with open(path, newline="") as f:
        return {r["student_id"]: r for r in csv.DictReader(f)}


@pytest.mark.skipif(not sandbox.available()[0], reason=sandbox.available()[1])
def test_sharded_grades_equal_a_single_machine_run(cluster, tmp_path):
    subs = tmp_path / "subs"
    for name in ("perfect", "untouched", "partial", "alternative"):
        shutil.copytree(SAMPLES / name / "hw0", subs / name / "hw0")
    for k in range(3):  # more students than shards, so a shard grades several
        shutil.copytree(SAMPLES / "partial" / "hw0", subs / f"partial{k}" / "hw0")
    (subs / "corrupt" / "hw0").mkdir(parents=True)
    (subs / "corrupt" / "hw0" / "hw0.ipynb").write_text("{ not json")
    single = dlcourse("grade", "hw0", subs, "--out", tmp_path / "single", "--jobs", "2", "--quiet")
    sharded = dlcourse("grade", "hw0", subs, "--out", tmp_path / "sharded", "--slurm", "--shards", "3", "--quiet",
                       *LOCAL, env=cluster.env)
    assert sharded.returncode == single.returncode == 1, sharded.stderr  # 1: the corrupt one is "invalid"
    a, b = _rows(tmp_path / "single" / "grades.csv"), _rows(tmp_path / "sharded" / "grades.csv")
    assert len(a) == 8 and a == b
    assert {p.name for p in (tmp_path / "sharded" / "feedback").iterdir()} == set(a) - {"corrupt"}
    script = (tmp_path / "sharded" / ".slurm" / "grade-hw0" / "grade.sbatch").read_text()
    assert "#SBATCH --array=0-2" in script and "--account" not in script


def _tiny_notebook(path, body):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import course_utils as cu\nimport matplotlib.pyplot as plt\n"
        "plt.plot([0, 1], [1, 0]); plt.show()\n" + body)]
    nbformat.write(nb, path)


def test_run_notebooks_collects_results_and_failures(cluster, tmp_path):
    good, bad = tmp_path / "99_good.ipynb", tmp_path / "99_bad.ipynb"
    _tiny_notebook(good, 'cu.report_target("answer", 42.0, ">=", 40, notebook="99_good")\n'
                         'assert not cu.fast_mode()  # run-notebooks runs full mode by default\n')
    _tiny_notebook(bad, 'raise RuntimeError("out of GPU memory, say")\n')
    out = tmp_path / "runs"
    result = dlcourse("run-notebooks", good, bad, "--slurm", "--out", out, *LOCAL, env=cluster.env)
    assert result.returncode == 1, result.stdout + result.stderr  # one notebook failed
    status = {n: json.loads((out / f"{n}.json").read_text()) for n in ("99_good", "99_bad")}
    assert status["99_good"]["status"] == "ok" and status["99_good"]["mode"] == "full"
    assert status["99_bad"]["status"] == "error" and "out of GPU memory" in status["99_bad"]["error"]
    executed = nbformat.read(out / "99_good.ipynb", as_version=4)
    assert any(o.get("output_type") == "stream" and "TARGET [full] answer" in o.get("text", "")
               for o in executed.cells[0].outputs)
    assert (out / "figures" / "99_good-1.png").read_bytes()[:4] == b"\x89PNG"
    report = (out / "RESULTS.md").read_text()
    assert "PASS answer: 42" in report and "error: RuntimeError: out of GPU memory, say" in report
    assert "figures/99_good-1.png" in report


def test_slurm_without_sbatch_is_a_clear_error(tmp_path):
    env = {"PATH": os.path.dirname(shutil.which("python3") or "/usr/bin/python3")}
    result = dlcourse("grade", "hw0", SAMPLES, "--out", tmp_path, "--slurm", env={**os.environ, **env})
    if shutil.which("sbatch", path=env["PATH"]):
        pytest.skip("sbatch is on the minimal PATH")
    assert result.returncode == 2 and "sbatch was not found" in result.stderr
    assert "Traceback" not in result.stderr
