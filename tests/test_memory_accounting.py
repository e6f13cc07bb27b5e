"""Where the host lets the grader create cgroups, a run's memory limit counts what it really holds:
files in its tmpfs, POSIX and System V shared memory, not only the address space of each process."""

import copy
import csv
import json

import pytest
from helpers import ROOT, dlcourse
from redteam.trust_cases import IF_IT_WORKED

from autograder.engine import sandbox
from autograder.engine.cgroups import RunCgroup

HOARD = '''
import ctypes, numpy as np
for k in range(4):  # tmpfs pages: no rlimit counts them (files of 50 MiB: each under RLIMIT_FSIZE)
    with open(f"/tmp/hoard{k}", "wb") as f:
        for _ in range(50):
            f.write(b"x" * (1 << 20))
with open("/dev/shm/hoard", "wb") as f:
    for _ in range(60):
        f.write(b"y" * (1 << 20))
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
seg = libc.shmget(0x5eed, 60 << 20, 0o1600)
addr = libc.shmat(seg, None, 0)
ctypes.memset(addr, 1, 60 << 20)
block = np.ones(100 << 17)  # 100 MiB
WORKED = True
''' + IF_IT_WORKED


def _cgroups_here() -> bool:
    group = RunCgroup.create("dlcourse-probe", 1 << 30, 64)
    if group is None:
        return False
    group.remove()
    return True


@pytest.mark.skipif(not sandbox.available()[0], reason="no sandbox here")
@pytest.mark.skipif(not _cgroups_here(), reason="this host gives the grader no cgroups: rlimits only")
def test_memory_limit_counts_tmpfs_and_shared_memory(tmp_path):
    nb = copy.deepcopy(json.loads((ROOT / "release" / "hw0" / "hw0.ipynb").read_text()))
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "softmax":
            cell["source"] = HOARD
    (tmp_path / "subs" / "hoarder" / "hw0").mkdir(parents=True)
    (tmp_path / "subs" / "hoarder" / "hw0" / "hw0.ipynb").write_text(json.dumps(nb))
    result = dlcourse("grade", "hw0", tmp_path / "subs", "--out", tmp_path / "out", "--memory", "300M",
                      "--quiet", "--db-url", "none")
    with open(tmp_path / "out" / "grades.csv", newline="") as f:
        row = next(csv.DictReader(f))
    assert float(row["auto_score"]) == 0, (row, result.stderr[-1000:])
    assert row["status"] == "crashed" and "SIGKILL" in row["reason"], row
