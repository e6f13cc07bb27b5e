"""A plain, non-editable install of the package grades hw0 (the wheel carries every subpackage)."""

import csv
import shutil
import subprocess

import pytest
from wheel_env import DEBIAN_PYTHON, course_copy, traversable_tmpdir, wheel_venv

pytestmark = pytest.mark.skipif(not DEBIAN_PYTHON.exists(), reason="needs Debian's python3 (apt install python3-venv)")


@pytest.fixture(scope="module")
def venv():
    return wheel_venv()


def test_installed_package_is_complete_and_not_the_checkout(venv):
    proc = subprocess.run([venv / "bin" / "python", "-c",
                           "import autograder, autograder.engine.inside.tripwires, autograder.engine.monitor, "
                           "course_utils.checks; print(autograder.__file__); print(course_utils.checks.__file__)"],
                          cwd="/", capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    for line in proc.stdout.split():
        assert line.startswith(str(venv)), line  # imported from the install, not from /work/...


def test_installed_dlcourse_grades_hw0(venv):
    work = traversable_tmpdir("dlcourse-pkg-")
    try:
        course = course_copy(work / "course")
        subs = course / "autograder" / "submissions"
        proc = subprocess.run([venv / "bin" / "dlcourse", "grade", "hw0", subs, "--out", work / "out", "--jobs", "2",
                               "--quiet", "--db-url", "none"], cwd=course, capture_output=True, text=True)
        assert (work / "out" / "grades.csv").exists(), proc.stdout + proc.stderr
        with open(work / "out" / "grades.csv", newline="") as f:
            rows = {r["student_id"]: r for r in csv.DictReader(f)}
        assert float(rows["perfect"]["auto_score"]) == 13 and rows["perfect"]["status"] == "graded", rows
        assert float(rows["untouched"]["auto_score"]) == 0 and rows["untouched"]["status"] == "graded", rows
    finally:
        shutil.rmtree(work, ignore_errors=True)
