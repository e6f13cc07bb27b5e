"""`dlcourse grade` run by an ordinary user (uid 65534, as on a laptop or a Slurm task) grades in
the sandbox: no root, no --unsafe-no-sandbox. The reference gets full marks, the blank release 0,
and student code can neither read a host file that user can read nor reach a loopback listener."""

import copy
import csv
import json
import os
import shutil
import socket
import subprocess
import uuid
from pathlib import Path

import pytest
from redteam.trust_cases import IF_IT_WORKED
from wheel_env import DEBIAN_PYTHON, course_copy, traversable_tmpdir, wheel_venv

NOBODY = 65534
pytestmark = [pytest.mark.skipif(os.geteuid() != 0, reason="switching to uid 65534 needs root"),
              pytest.mark.skipif(not shutil.which("setpriv") or not DEBIAN_PYTHON.exists(),
                                 reason="needs setpriv and Debian's python3")]

ATTACK = '''
import socket
WORKED = False
try:
    WORKED = "{token}" in open("{host_file}").read()
except OSError:
    pass
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
    WORKED = True
except OSError:
    pass
def softmax(Z):
    return np.zeros(np.shape(Z))
''' + IF_IT_WORKED


def test_grading_as_nobody_is_sandboxed():
    venv = wheel_venv()
    work = traversable_tmpdir("dlcourse-nobody-")
    host_dir = Path("/srv") / f"dlcourse-host-{uuid.uuid4().hex[:8]}"
    listener = socket.socket()
    try:
        token = uuid.uuid4().hex
        host_dir.mkdir(mode=0o755)
        host_file = host_dir / "readable-by-nobody.txt"
        host_file.write_text(token)
        host_file.chmod(0o644)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        course = course_copy(work / "course")
        subs = course / "autograder" / "submissions"
        nb = copy.deepcopy(json.loads((course / "release" / "hw0" / "hw0.ipynb").read_text()))
        for cell in nb["cells"]:
            if cell["metadata"].get("nbgrader", {}).get("grade_id") == "softmax":
                cell["source"] = ATTACK.format(token=token, host_file=host_file, port=listener.getsockname()[1])
        (subs / "attacker" / "hw0").mkdir(parents=True)
        (subs / "attacker" / "hw0" / "hw0.ipynb").write_text(json.dumps(nb))
        for p in [subs, *subs.rglob("*")]:
            os.chmod(p, 0o755 if p.is_dir() else 0o644)
        assert subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "cat",
                               str(host_file)], capture_output=True, text=True).stdout == token  # nobody can read it
        out = work / "out"
        out.mkdir()
        os.chown(out, NOBODY, NOBODY)
        proc = subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                               str(venv / "bin" / "dlcourse"), "grade", "hw0", str(subs), "--out", str(out),
                               "--jobs", "2", "--quiet", "--db-url", "none"],
                              cwd=course, capture_output=True, text=True, timeout=300,
                              env={"PATH": "/usr/bin:/bin", "HOME": str(work), "LANG": "C.UTF-8"})
        assert (out / "grades.csv").exists(), proc.stdout + proc.stderr
        with open(out / "grades.csv", newline="") as f:
            rows = {r["student_id"]: r for r in csv.DictReader(f)}
        assert float(rows["perfect"]["auto_score"]) == 16 and rows["perfect"]["status"] == "graded", rows
        assert float(rows["untouched"]["auto_score"]) == 0 and rows["untouched"]["status"] == "graded", rows
        assert float(rows["attacker"]["auto_score"]) == 0, rows["attacker"]
        try:
            listener.accept()
            reached = True
        except BlockingIOError:
            reached = False
        assert not reached, "student code reached a listener on the host's loopback"
    finally:
        listener.close()
        shutil.rmtree(host_dir, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
