"""Hostile submissions (tests/redteam/cases.py) graded in one batch with the real sandbox.

Each must earn no unearned point, leave no process or file behind, reach nobody over the network,
and the batch must complete with a row for every submission.
"""

import copy
import csv
import json
import socket
import uuid
from pathlib import Path

import pytest
from helpers import ROOT, dlcourse, tree_digest
from redteam.cases import CASES, LATE_TAMPER

from autograder.engine import sandbox

pytestmark = pytest.mark.skipif(not sandbox.available()[0], reason=sandbox.available()[1])
RELEASE = ROOT / "release" / "hw0" / "hw0.ipynb"


def _notebook_with(code_by_cell: dict) -> dict:
    nb = json.loads(RELEASE.read_text())
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if gid in code_by_cell:
            cell["source"] = "".join(cell["source"]) + "\n" + code_by_cell[gid]
    return nb


def _uid_and_parent(pid: str) -> tuple[int, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    uid = int(next(ln for ln in lines if ln.startswith("Uid:")).split()[1])
    return uid, next(ln for ln in lines if ln.startswith("PPid:")).split()[1]


def _sandbox_uids_alive() -> list[str]:
    """Sandbox-uid processes that no live grader owns: walking up from one, the first ancestor outside
    the sandbox uids must be a zygote of a grader still running (another test's batch, say)."""
    alive = []
    for status in Path("/proc").glob("[0-9]*/status"):
        pid = status.parent.name
        try:
            uid, parent = _uid_and_parent(pid)
            if uid < 70000:
                continue
            while True:
                puid, grandparent = _uid_and_parent(parent)
                if puid < 70000:
                    break
                parent = grandparent
            owned = b"autograder.engine.zygote" in Path(f"/proc/{parent}/cmdline").read_bytes()
        except (OSError, StopIteration, ValueError):
            continue
        if not owned:
            alive.append(pid)
    return alive


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    subs = tmp_path_factory.mktemp("hostile")
    out = tmp_path_factory.mktemp("out")
    token = uuid.uuid4().hex[:8]
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.setblocking(False)
    fill = {"root": ROOT, "subs": subs, "out": out, "port": listener.getsockname()[1], "token": token}
    for name, (code, _, _) in CASES.items():
        cells = {"softmax": code.format(**fill)}
        if name in LATE_TAMPER:
            cells["logsumexp"] = LATE_TAMPER[name]
        (subs / name / "hw0").mkdir(parents=True)
        (subs / name / "hw0" / "hw0.ipynb").write_text(json.dumps(_notebook_with(cells)))
    before = tree_digest(subs)
    result = dlcourse("grade", "hw0", subs, "--out", out, "--jobs", "2", "--cell-timeout", "8",
                      "--timeout", "40", "--memory", "1G", "--quiet")
    with open(out / "grades.csv", newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    try:
        listener.accept()
        connected = True
    except BlockingIOError:
        connected = False
    listener.close()
    return {"rows": rows, "result": result, "subs": subs, "out": out, "token": token, "before": before,
            "connected": connected}


def test_every_hostile_submission_has_a_row(batch):
    assert set(batch["rows"]) == set(CASES), batch["result"].stderr[-2000:]
    assert "Traceback" not in batch["result"].stderr


@pytest.mark.parametrize("name", sorted(CASES))
def test_no_unearned_points(batch, name):
    row = batch["rows"][name]
    _, statuses, allowed = CASES[name]
    assert float(row["auto_score"]) <= allowed, row
    assert row["status"] in statuses, row
    if row["status"] != "graded":
        assert row["reason"], "a non-graded row says why"


def test_tampering_after_honest_work_keeps_only_the_honest_points(batch):
    row = batch["rows"]["tamper_after_honest_softmax"]
    assert float(row["auto_score"]) == 2 and row["status"] == "flagged"
    assert "np.allclose" in row["reason"]


def test_nothing_is_left_behind(batch):
    assert _sandbox_uids_alive() == []
    token = batch["token"]
    for folder in (ROOT, batch["out"], Path("/var/tmp"), Path("/dev/shm"), Path("/tmp"), Path("/etc"), batch["subs"]):
        assert not (folder / f"redteam-{token}").exists(), folder
    assert tree_digest(batch["subs"]) == batch["before"]
    assert "mallory" not in (batch["out"] / "grades.csv").read_text()


def test_no_network(batch):
    assert not batch["connected"]


def test_feedback_does_not_leak_hidden_inputs(batch):
    page = (batch["out"] / "feedback" / "leak_hidden_inputs" / "hw0.html").read_text()
    assert "hidden input" not in page and "5527" not in page
