"""Colab, simulated end to end: Colab's package versions, the course only through the setup cell.

A fresh venv (build/colab-venv) holds exactly constraints/colab.txt (Colab's torch, NumPy, SciPy, ...)
plus a kernel, and a stand-in ``google.colab`` that the kernel imports at start, as Colab does. The
course repository is served by a local git remote standing in for GitHub (standin_remote.py). Nothing
of the project is importable in that venv until a notebook's own first cell pip-installs it, and each
notebook starts from a fresh runtime (the helpers uninstalled), as each Colab tab does.

Figures (install and run times, versions) go to build/colab-simulation.txt; `make test` prints it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import ROOT, dlcourse, reference_filled
from standin_remote import github_env, snapshot

from autograder.badges import INSTALL_TARGET, install_target, settings
from autograder.course import Course
from autograder.results import read_rows

pytestmark = pytest.mark.slow

CONSTRAINTS = ROOT / "constraints" / "colab.txt"
STUB = ROOT / "tests" / "colab_stub"
VENV = ROOT / "build" / "colab-venv"
FIGURES = ROOT / "build" / "colab-simulation.txt"
LECTURES = ["00_python_numpy_pytorch", "06_cnn", "15_deep_rl"]  # the basics, the torch-heavy one, gymnasium
HOMEWORK = "hw4"
CONFIG = settings(Course(ROOT))
VENV_PY = VENV / "bin" / "python"


def _pins() -> dict[str, str]:
    lines = [ln.split("#")[0].strip() for ln in CONSTRAINTS.read_text().splitlines()]
    return dict(ln.split("==") for ln in lines if ln)


def _log(text: str) -> None:
    with FIGURES.open("a") as f:
        f.write(text + "\n")


def _build_venv() -> float:
    """Create build/colab-venv unless one for these pins exists; returns the seconds it took."""
    digest = hashlib.sha256(CONSTRAINTS.read_bytes() + (STUB / "google/colab/__init__.py").read_bytes()).hexdigest()
    stamp = VENV / ".colab-pins"
    if stamp.exists() and stamp.read_text() == digest:
        return 0.0
    start = time.perf_counter()
    shutil.rmtree(VENV, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", VENV], check=True)
    # Colab's preinstalled set, put there as fast as possible (uv, from pip's package sources); the
    # course itself is installed only by each notebook's setup cell, with the venv's own pip, as on Colab.
    install = [sys.executable, ROOT / "tools" / "uv_install.py", "--no-compile", VENV_PY, "--quiet"]
    subprocess.run([*install, "-r", CONSTRAINTS, "ipykernel", "nbclient"], check=True)
    site = Path(subprocess.run([VENV_PY, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               check=True, capture_output=True, text=True).stdout.strip())
    shutil.copytree(STUB / "google", site / "google", dirs_exist_ok=True)
    stamp.write_text(digest)
    return time.perf_counter() - start


@pytest.fixture(scope="module")
def colab(tmp_path_factory):
    FIGURES.parent.mkdir(exist_ok=True)
    # One simulated Colab at a time: pytest-xdist may split this module over workers sharing the venv.
    lock = open(FIGURES.with_suffix(".lock"), "w")  # noqa: SIM115 (held until the fixture ends)
    fcntl.flock(lock, fcntl.LOCK_EX)
    FIGURES.write_text("")
    start = time.perf_counter()
    built = _build_venv()
    _log(f"Colab simulation venv: {f'built in {built:.0f} s' if built else 'reused'} "
         f"(Python {sys.version.split()[0]}, pins from constraints/colab.txt)")
    tmp = tmp_path_factory.mktemp("colab")
    work, bare, commit = snapshot(tmp / "github")
    startup = tmp / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-google-colab.py").write_text("import google.colab  # as Colab's kernel does at start\n")
    runtime = tmp / "content"  # Colab's working folder; nothing of the course is in it
    runtime.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in {"PYTHONPATH", "VIRTUAL_ENV", "COURSE_RESULTS_DIR", "DLCOURSE_ROOT", "JUPYTER_PATH"}}
    env.update(github_env(bare.parent.parent), IPYTHONDIR=str(tmp / "ipython"), COURSE_FAST="1",
               MPLBACKEND="Agg", TQDM_DISABLE="1", JUPYTER_DATA_DIR=str(tmp / "jupyter-data"),
               PIP_DISABLE_PIP_VERSION_CHECK="1", PATH=f"{VENV / 'bin'}:{os.environ['PATH']}")
    yield {"env": env, "runtime": runtime, "commit": commit, "tmp": tmp}
    _log(f"the whole Colab job: {time.perf_counter() - start:.0f} s ({len(LECTURES)} lectures, {HOMEWORK} run and "
         "graded, the missing-branch case, venv build included)")
    lock.close()


def _fresh_runtime(colab) -> None:
    subprocess.run([VENV_PY, "-m", "pip", "uninstall", "--quiet", "--yes", "dl-first-principles"],
                   env=colab["env"], capture_output=True)


def _run(colab, nb: dict, name: str) -> tuple[dict, dict]:
    """Execute ``nb`` in a fresh simulated runtime; (the runner's report, the executed notebook)."""
    _fresh_runtime(colab)
    path = colab["runtime"] / f"{name}.ipynb"
    out = colab["tmp"] / f"{name}.executed.ipynb"
    path.write_text(json.dumps(nb))
    proc = subprocess.run([VENV_PY, ROOT / "tests" / "colab_run.py", path, out, "600"], cwd=colab["runtime"],
                          env=colab["env"], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1]), json.loads(out.read_text())


def _text(nb: dict, index: int | None = None) -> str:
    cells = nb["cells"] if index is None else [nb["cells"][index]]
    return "".join(o.get("text", "") if isinstance(o.get("text", ""), str) else "".join(o["text"])
                   for c in cells for o in c.get("outputs", []) if o.get("output_type") == "stream")


def _lecture(name: str) -> dict:
    return json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())


def test_nothing_of_the_course_is_importable_before_the_setup_cell(colab):
    _fresh_runtime(colab)
    proc = subprocess.run([VENV_PY, "-c", "import course_utils"], cwd=colab["runtime"], env=colab["env"],
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "No module named 'course_utils'" in proc.stderr


def test_a_missing_branch_stops_the_first_cell_with_one_line(colab):
    nb = _lecture(LECTURES[0])
    first_code = next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code")
    nb["cells"] = nb["cells"][: first_code + 1]
    setup = "".join(nb["cells"][first_code]["source"])
    target = INSTALL_TARGET.search(setup)["target"]
    missing = target.rpartition("@")[0] + "@spring-2027"
    nb["cells"][first_code]["source"] = setup.replace(target, missing)
    report, _ = _run(colab, nb, "missing-branch")
    error = report["error"]
    assert error and error["ename"] == "SystemExit", report
    assert "\n" not in error["evalue"] and "\x1b" not in error["evalue"], "one plain line"
    assert error["evalue"].startswith(f"Could not install the course helpers from {missing} ("), error
    assert "spring-2027" in error["evalue"].split("(", 1)[1], "it says why: the branch is not there"
    _log(f"missing branch: the first cell stops with: {error['evalue']}")


@pytest.mark.parametrize("name", LECTURES)
def test_lectures_run_on_colabs_packages(colab, name):
    report, nb = _run(colab, _lecture(name), name)
    assert report["error"] is None, report
    out = _text(nb)
    assert (f"Course helpers 0.1.0 from {CONFIG['repository']} at {CONFIG['branch']} "
            f"(commit {colab['commit'][:10]})") in out, out[:2000]
    assert "Using device: cpu" in out
    _log(f"{name}: ran in {report['seconds']:.0f} s, setup cell's install included")


def test_the_installed_helpers_are_the_default_branch_with_their_data(colab):
    probe = ("import json, course_utils as cu; from importlib import metadata; "
             "from course_utils.submit import MANIFEST; "
             "d = json.loads(metadata.distribution('dl-first-principles').read_text('direct_url.json')); "
             "print(json.dumps({'text': len(cu.load_text()), 'manifest': MANIFEST.is_file(), "
             "'commit': d['vcs_info']['commit_id'], 'url': d['url'], 'file': cu.__file__}))")
    proc = subprocess.run([VENV_PY, "-c", probe], cwd=colab["runtime"], env=colab["env"], capture_output=True,
                          text=True, check=True)
    got = json.loads(proc.stdout)
    assert got["commit"] == colab["commit"] and got["url"] == CONFIG["repository"]
    assert got["text"] > 100_000 and got["manifest"]
    assert str(VENV) in got["file"], "imported from the install, not from a checkout"


def test_colabs_own_packages_are_kept(colab):
    proc = subprocess.run([VENV_PY, "-m", "pip", "list", "--format=json"], env=colab["env"], capture_output=True,
                          text=True, check=True)
    have = {p["name"].lower(): p["version"] for p in json.loads(proc.stdout)}
    pins = _pins()
    assert {k: have.get(k.lower()) for k in pins} == pins
    _log(f"versions: Python {sys.version.split()[0]}, " + ", ".join(f"{k} {v}" for k, v in pins.items()))


def colab_saved(nb: dict) -> dict:
    """What File > Download .ipynb gives: nbformat 4.0 without cell ids, Colab's own metadata, and
    Colab's habit of dropping `deletable`/`editable` while keeping other cell metadata."""
    nb = json.loads(json.dumps(nb))
    nb["nbformat_minor"] = 0
    nb["metadata"] = {"colab": {"provenance": [], "toc_visible": True}, "accelerator": "GPU",
                      "kernelspec": {"name": "python3", "display_name": "Python 3"},
                      "language_info": {"name": "python"}, "gpuClass": "standard"}
    for i, cell in enumerate(nb["cells"]):
        cell.pop("id", None)
        meta = cell.setdefault("metadata", {})
        meta.pop("deletable", None)
        meta.pop("editable", None)
        meta["id"] = hashlib.sha1(f"cell{i}".encode()).hexdigest()[:12]
        if cell["cell_type"] == "code":
            meta["colab"] = {"base_uri": "https://localhost:8080/"}
            meta["outputId"] = hashlib.sha1(f"out{i}".encode()).hexdigest()[:36]
    return nb


def test_a_homework_done_in_colab_grades_full_marks(colab, tmp_path):
    report, executed = _run(colab, reference_filled(HOMEWORK), HOMEWORK)
    assert report["error"] is None, report
    checklist = _text(executed, len(executed["cells"]) - 1)
    assert f"{HOMEWORK}: ready to submit." in checklist, checklist
    assert "[ ]" not in checklist
    _log(f"{HOMEWORK} with the reference answers: ran in Colab in {report['seconds']:.0f} s; "
         f"its ready_to_submit checklist:\n    " + checklist.strip().replace("\n", "\n    "))

    subs = tmp_path / "submissions" / "colab-student" / HOMEWORK
    subs.mkdir(parents=True)
    (subs / f"{HOMEWORK}.ipynb").write_text(json.dumps(colab_saved(executed), indent=1))
    start = time.perf_counter()
    proc = dlcourse("grade", HOMEWORK, tmp_path / "submissions", "--out", tmp_path / "grades", "--jobs", "1")
    seconds = time.perf_counter() - start
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not re.search(r"Warning|DuplicateCellId|MissingIDField", proc.stderr), proc.stderr
    (row,) = read_rows(tmp_path / "grades" / "grades.csv")
    assert row.status == "graded" and row.auto_max_score > 0
    assert row.auto_score == row.auto_max_score, row
    _log(f"{HOMEWORK} saved Colab-style, graded by `dlcourse grade`: {row.auto_score:g}/{row.auto_max_score:g} "
         f"autograded points ({row.manual_pending:g} written points wait for a human), {seconds:.1f} s")


def test_the_install_target_is_the_configured_branch():
    assert install_target(CONFIG) == f"git+{CONFIG['repository']}@{CONFIG['branch']}"
