"""Submissions as they really arrive: other formats and editors, edited cells and metadata, a
grader killed mid-batch. Graded where the answer cells can be matched, a clear reason where not."""

import copy
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import nbformat
import pytest
from helpers import ROOT, dlcourse, tree_digest

from autograder.engine import sandbox

pytestmark = pytest.mark.skipif(not sandbox.available()[0], reason=sandbox.available()[1])
PERFECT = ROOT / "autograder" / "submissions" / "perfect" / "hw0" / "hw0.ipynb"
FULL = 16.0


def perfect() -> dict:
    return json.loads(PERFECT.read_text())


def gid(cell):
    return cell["metadata"].get("nbgrader", {}).get("grade_id")


def variants() -> dict[str, dict | str]:
    out = {}
    nb = perfect()
    nb["metadata"]["colab"] = {"provenance": [], "toc_visible": True}
    nb["metadata"]["accelerator"] = "GPU"
    for i, cell in enumerate(nb["cells"]):
        cell["metadata"]["id"] = f"colab{i}"
        cell["metadata"]["colab"] = {"base_uri": "https://localhost:8080/"}
        if cell["cell_type"] == "code":
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["saved by Colab\n"]}]
            cell["execution_count"] = i
    out["colab"] = nb

    nb = perfect()
    nb["metadata"]["vscode"] = {"interpreter": {"hash": "abc"}}
    nb["metadata"]["language_info"] = {"name": "python", "version": "3.12.1", "mimetype": "text/x-python"}
    for cell in nb["cells"]:
        cell["metadata"]["jupyter"] = {"source_hidden": False, "outputs_hidden": True}
        cell["metadata"]["vscode"] = {"languageId": "python"}
    out["vscode_jupyterlab"] = nb

    nb = perfect()
    nb["cells"] = [c for c in nb["cells"] if not gid(c) or not gid(c).startswith("test_")]  # tests deleted
    out["deleted_tests"] = nb

    nb = perfect()
    for c in nb["cells"]:
        meta = c["metadata"].get("nbgrader")
        if meta:
            meta.update(points=100, locked=False, schema_version=1)
    out["edited_metadata"] = nb

    nb = perfect()
    idx = next(i for i, c in enumerate(nb["cells"]) if gid(c) == "softmax")
    dup = copy.deepcopy(nb["cells"][idx])
    nb["cells"][idx]["source"] = "def softmax(Z):\n    raise NotImplementedError()\n"  # the stale first copy
    nb["cells"].insert(idx + 1, dup)
    out["duplicated_cell"] = nb

    nb = perfect()
    for c in nb["cells"]:
        c["metadata"].pop("nbgrader", None)  # an editor that drops unknown metadata
    out["metadata_stripped"] = nb

    nb = perfect()
    helper = {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
              "source": "def _stable_max(Z):\n    return Z.max(axis=1, keepdims=True)\n"}
    nb["cells"].insert(3, helper)
    out["extra_helper_cell"] = nb

    v4 = nbformat.reads(PERFECT.read_text(), as_version=4)
    out["nbformat_v3"] = nbformat.writes(nbformat.convert(v4, 3))
    out["corrupt"] = PERFECT.read_text()[:-200]
    return out


EXPECTED = {  # name -> (status, autograded points, text the reason must contain)
    "colab": ("graded", FULL, ""),
    "vscode_jupyterlab": ("graded", FULL, ""),
    "deleted_tests": ("graded", FULL, ""),
    "edited_metadata": ("graded", FULL, ""),
    "duplicated_cell": ("graded", FULL, "appears 2 times"),
    "metadata_stripped": ("graded", FULL, "matched by its first line"),
    "extra_helper_cell": ("graded", FULL, "extra code cell"),
    "nbformat_v3": ("graded", FULL, ""),
    "corrupt": ("invalid", 0.0, "not valid JSON"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    subs = tmp_path_factory.mktemp("real_world")
    for name, nb in variants().items():
        (subs / name / "hw0").mkdir(parents=True)
        text = nb if isinstance(nb, str) else json.dumps(nb, indent=1)
        (subs / name / "hw0" / "hw0.ipynb").write_text(text)
    extra = subs / "colab" / "hw0" / "scratch.ipynb"
    extra.write_text(PERFECT.read_text())
    out = tmp_path_factory.mktemp("out")
    result = dlcourse("grade", "hw0", subs, "--out", out, "--jobs", "2", "--quiet")
    with open(out / "grades.csv", newline="") as f:
        return {"rows": {r["student_id"]: r for r in csv.DictReader(f)}, "result": result, "subs": subs, "out": out}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_world_submission(graded, name):
    row = graded["rows"][name]
    status, points, reason = EXPECTED[name]
    assert row["status"] == status, row
    assert float(row["auto_score"]) == points, row
    assert float(row["auto_max_score"]) == FULL  # points come from the source, never the submission
    assert reason in row["reason"]


def test_extra_notebooks_are_ignored_and_said(graded):
    assert "ignored extra notebooks: scratch.ipynb" in graded["rows"]["colab"]["reason"]


def test_rerunning_a_finished_batch_changes_nothing(graded):
    out = graded["out"]
    before = tree_digest(out)
    result = dlcourse("grade", "hw0", graded["subs"], "--out", out, "--jobs", "2", "--quiet")
    assert result.returncode == graded["result"].returncode
    assert tree_digest(out) == before


def test_kill_minus_9_mid_batch_then_rerun_finishes_without_loss_or_duplicates(tmp_path):
    subs = tmp_path / "subs"
    names = [f"s{i:02d}" for i in range(8)]
    for i, name in enumerate(names):
        (subs / name / "hw0").mkdir(parents=True)
        src = PERFECT if i % 2 == 0 else ROOT / "autograder" / "submissions" / "partial" / "hw0" / "hw0.ipynb"
        shutil.copy(src, subs / name / "hw0" / "hw0.ipynb")
    out = tmp_path / "out"
    journal = out / ".journal" / "hw0.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "autograder.cli", "grade", "hw0", str(subs), "--out", str(out),
                             "--jobs", "1", "--quiet"], cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline and (not journal.exists() or len(journal.read_text().splitlines()) < 2):
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = len(journal.read_text().splitlines())
    assert 2 <= done_before < len(names), "the kill should land mid-batch"
    result = dlcourse("grade", "hw0", subs, "--out", out, "--jobs", "2", "--quiet")
    assert result.returncode == 0, result.stderr
    with open(out / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert sorted(r["student_id"] for r in rows) == names  # each exactly once
    for r in rows:
        expected = FULL if int(r["student_id"][1:]) % 2 == 0 else 6.0
        assert float(r["auto_score"]) == expected, r
    students = [json.loads(line)["student"] for line in journal.read_text().splitlines()]
    assert sorted(students) == names  # nothing graded twice
