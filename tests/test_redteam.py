"""Hostile submissions (tests/redteam/cases.py, trust_cases.py, experiment_cases.py, and hostile files) graded in one
batch, two at a time, with the real sandbox.

Each must earn no unearned point, leak no line of a hidden test or of the grader's environment,
leave no process, file or shared memory behind, reach nobody over the network, and the batch must
complete with a row for every submission.
"""

import copy
import csv
import hashlib
import html
import json
import os
import shutil
import socket
import tempfile
import uuid
from pathlib import Path

import pytest
from helpers import ROOT, dlcourse, tree_digest
from redteam.cases import CASES as ENGINE_CASES
from redteam.cases import LATE_TAMPER
from redteam.experiment_cases import CELL, EXPERIMENT_CASES
from redteam.trust_cases import TRUST_CASES

from autograder.engine import sandbox

pytestmark = pytest.mark.skipif(not sandbox.available()[0], reason=sandbox.available()[1])
RELEASE = ROOT / "release" / "hw0" / "hw0.ipynb"
SOURCE = ROOT / "source" / "hw0" / "hw0.ipynb"
CASES = {**ENGINE_CASES, **TRUST_CASES, **EXPERIMENT_CASES}
SECRET = "DLCOURSE_TEST_SECRET_" + uuid.uuid4().hex


def _hostile_files(subs: Path) -> set[str]:
    """Submissions that are not notebook files at all: each must be an `invalid` row, quickly."""
    made = set()

    def folder(name):
        made.add(name)
        (subs / name / "hw0").mkdir(parents=True)
        return subs / name / "hw0" / "hw0.ipynb"

    folder("file_symlink_to_source").symlink_to(SOURCE)
    folder("file_dangling_symlink").symlink_to(subs / "nowhere.ipynb")
    folder("file_is_directory").mkdir()
    os.mkfifo(folder("file_fifo"))
    folder("file_deep_json").write_text('{"cells": ' + "[" * 100000 + "]" * 100000 + "}")
    folder("file_huge").write_bytes(b'{"cells": [], "x": "' + b"a" * (40 << 20) + b'"}')
    (subs / "dir_symlink").mkdir()
    (subs / "dir_symlink" / "hw0").symlink_to(ROOT / "autograder" / "submissions" / "perfect" / "hw0")
    made.add("dir_symlink")
    return made


def _hidden_lines() -> set[str]:
    """Every line of the hidden tests and solutions of hw0 that a student never sees."""
    visible = {ln.strip() for c in json.loads(RELEASE.read_text())["cells"] for ln in "".join(c["source"]).splitlines()}
    out = set()
    for cell in json.loads(SOURCE.read_text())["cells"]:
        text = "".join(cell["source"])
        for marker in ("### BEGIN HIDDEN TESTS", "### BEGIN SOLUTION"):
            if marker in text:
                out |= {ln.strip() for ln in text.split(marker, 1)[1].splitlines()
                        if len(ln.strip()) >= 12 and ln.strip() not in visible and "END" not in ln}
    return out


def _sysv_shm() -> set[str]:
    return {ln.split()[1] for ln in Path("/proc/sysvipc/shm").read_text().splitlines()[1:]}


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
    elsewhere = Path(tempfile.mkdtemp(prefix="course-copy-", dir="/srv"))
    shutil.copytree(ROOT / "source", elsewhere / "source")
    os.chmod(elsewhere, 0o755)
    fill = {"root": ROOT, "subs": subs, "out": out, "port": listener.getsockname()[1], "token": token,
            "secret_sha": hashlib.sha256(SECRET.encode()).hexdigest(), "elsewhere": elsewhere}
    for name, (code, _, _) in CASES.items():
        cells = {CELL.get(name, "softmax"): code.format(**fill)}
        if name in LATE_TAMPER:
            cells["logsumexp"] = LATE_TAMPER[name]
        (subs / name / "hw0").mkdir(parents=True)
        (subs / name / "hw0" / "hw0.ipynb").write_text(json.dumps(_notebook_with(cells)))
    files = _hostile_files(subs)
    before = tree_digest(subs)
    shm_before = _sysv_shm()
    result = dlcourse("grade", "hw0", subs, "--out", out, "--jobs", "2", "--cell-timeout", "8",
                      "--timeout", "40", "--memory", "1G", "--quiet", env={"DLCOURSE_REDTEAM_SECRET": SECRET})
    shutil.rmtree(elsewhere)
    with open(out / "grades.csv", newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    try:
        listener.accept()
        connected = True
    except BlockingIOError:
        connected = False
    listener.close()
    return {"rows": rows, "result": result, "subs": subs, "out": out, "token": token, "before": before,
            "connected": connected, "files": files, "shm_before": shm_before}


def test_every_hostile_submission_has_a_row(batch):
    assert set(batch["rows"]) == set(CASES) | batch["files"], batch["result"].stderr[-2000:]
    assert "Traceback" not in batch["result"].stderr


@pytest.mark.parametrize("name", ["file_symlink_to_source", "file_dangling_symlink", "file_is_directory",
                                  "file_fifo", "file_deep_json", "file_huge", "dir_symlink"])
def test_files_that_are_not_notebooks_are_invalid_rows(batch, name):
    row = batch["rows"][name]
    assert row["status"] == "invalid" and float(row["auto_score"]) == 0 and row["reason"], row


def test_nothing_hidden_and_no_secret_reaches_students_or_the_csv(batch):
    hidden = _hidden_lines()
    assert len(hidden) > 20  # the check has something to look for
    texts = {p: html.unescape(p.read_text(errors="replace")) for p in (batch["out"] / "feedback").rglob("*.html")}
    texts[batch["out"] / "grades.csv"] = (batch["out"] / "grades.csv").read_text()
    for path, text in texts.items():
        leaked = [ln for ln in hidden if ln in text]
        assert not leaked, (path, leaked[:3])
        assert SECRET not in text, path
    csv_text = texts[batch["out"] / "grades.csv"]
    assert "HYPERLINK" not in csv_text and "5527" not in csv_text


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
    assert _sysv_shm() <= batch["shm_before"], "a run's System V shared memory outlived it"
    assert not list(Path("/dev/shm").glob(f"*{batch['token']}*"))
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
