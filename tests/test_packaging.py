"""A plain, non-editable install of the package grades hw0: the wheel carries every subpackage and
its data, and the installed `dlcourse` works from a clean Debian-python venv, away from the checkout.

Slow: the first test builds the wheel and the venv (about a minute, once per pytest process, see
wheel_env.py); grading hw0 with the installed command takes about another minute.
"""

import csv
import shutil
import subprocess
import zipfile

import pytest
from wheel_env import DEBIAN_PYTHON, ROOT, clean_env, course_copy, traversable_tmpdir, wheel_venv

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not DEBIAN_PYTHON.exists(),
                                                   reason="needs Debian's python3 (apt install python3-venv)")]
GRADE_TIMEOUT_S = 240


@pytest.fixture(scope="module")
def venv():
    return wheel_venv()  # slow: builds the wheel, the venv, and installs (cached for the session)


def test_wheel_has_every_subpackage_and_its_data(venv):
    (wheel,) = (venv.parent / "wheels").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for top in ("autograder", "course_utils"):
        for init in (ROOT / top).rglob("__init__.py"):
            rel = init.relative_to(ROOT)
            if "submissions" not in rel.parts:
                assert rel.as_posix() in names, f"{rel.parent} is not in the wheel"
    assert "autograder/engine/inside/tripwires.py" in names
    assert "autograder/THREAT_MODEL.md" in names
    for data in (ROOT / "course_utils" / "resources").iterdir():
        assert f"course_utils/resources/{data.name}" in names
    assert not any("/submissions/" in n for n in names), "sample submissions belong to the course, not the package"


def test_installed_package_is_complete_and_not_the_checkout(venv):
    code = ("import sys, autograder, autograder.engine.inside.tripwires as t, autograder.engine.monitor, "
            "course_utils.checks; from importlib.resources import files; "
            "assert files('course_utils').joinpath('resources/shakespeare.txt').is_file(); "
            "assert files('course_utils').joinpath('resources/assignments.json').is_file(); "
            "print(autograder.__file__); print(t.__file__); print(course_utils.checks.__file__); "
            f"assert not any(p.startswith({str(ROOT)!r}) for p in sys.path if p), sys.path")
    proc = subprocess.run([venv / "bin" / "python", "-c", code], cwd="/", capture_output=True, text=True,
                          env=clean_env())
    assert proc.returncode == 0, proc.stderr
    files = proc.stdout.split()
    assert len(files) == 3, proc.stdout
    for path in files:
        assert path.startswith(str(venv) + "/"), path  # imported from the install, not from the checkout


def test_installed_dlcourse_grades_hw0(venv):
    """Slow (about a minute): the installed command grades the perfect and untouched samples."""
    work = traversable_tmpdir("dlcourse-pkg-")
    try:
        course = course_copy(work / "course")
        subs = course / "autograder" / "submissions"
        cmd = [venv / "bin" / "dlcourse", "grade", "hw0", subs, "--out", work / "out", "--jobs", "2", "--quiet",
               "--db-url", "none"]
        try:
            proc = subprocess.run(cmd, cwd=course, capture_output=True, text=True, timeout=GRADE_TIMEOUT_S,
                                  env=clean_env())
        except subprocess.TimeoutExpired as exc:
            pytest.fail(f"dlcourse grade ran over {GRADE_TIMEOUT_S} s\nstdout: {exc.stdout}\nstderr: {exc.stderr}")
        said = f"exit {proc.returncode}\nstdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-6000:]}"
        assert (work / "out" / "grades.csv").exists(), said
        with open(work / "out" / "grades.csv", newline="") as f:
            rows = {r["student_id"]: r for r in csv.DictReader(f)}
        assert set(rows) == {"perfect", "untouched"}, f"{rows}\n{said}"
        for sid, points in (("perfect", 16), ("untouched", 0)):
            row = rows[sid]
            assert row["status"] == "graded" and float(row["auto_score"]) == points, f"{row}\n{said}"
        assert proc.returncode == 0, said
    finally:
        shutil.rmtree(work, ignore_errors=True)
