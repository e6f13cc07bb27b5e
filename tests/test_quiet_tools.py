"""`make env` and `dlcourse` say what happened, not pages of library warnings.

Building the package must not warn (package discovery, licence metadata), and grading a class whose
notebooks carry duplicated cell ids or none (Colab's nbformat 4.0) must not print one nbformat or
SQLAlchemy warning per cell and student.
"""

import json
import re
import subprocess
import sys

from helpers import ROOT, dlcourse

WARNING = re.compile(r"warn|deprecat", re.I)


def test_building_the_package_prints_no_warning(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--no-build-isolation",
                           "--wheel-dir", tmp_path, ROOT], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert not WARNING.search(proc.stdout + proc.stderr), proc.stdout + proc.stderr


def test_grading_odd_but_valid_notebooks_prints_no_warning(tmp_path):
    perfect = json.loads((ROOT / "autograder" / "submissions" / "perfect" / "hw0" / "hw0.ipynb").read_text())
    same_ids = json.loads(json.dumps(perfect))
    for cell in same_ids["cells"]:
        cell["id"] = "copied"  # what pasting cells between notebooks can leave behind
    colab = json.loads(json.dumps(perfect))
    colab["nbformat_minor"] = 0  # Colab saves nbformat 4.0, which has no cell ids
    for cell in colab["cells"]:
        cell.pop("id", None)
    for name, nb in (("same_ids", same_ids), ("colab", colab)):
        folder = tmp_path / "subs" / name / "hw0"
        folder.mkdir(parents=True)
        (folder / "hw0.ipynb").write_text(json.dumps(nb))
    proc = dlcourse("grade", "hw0", tmp_path / "subs", "--out", tmp_path / "out", "--jobs", "1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not WARNING.search(proc.stderr), proc.stderr
    assert proc.stdout.count("16/16") == 2, proc.stdout
