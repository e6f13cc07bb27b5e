"""The monitor: one run's trusted supervisor, OUTSIDE the sandbox (a fork of the warm parent).

It reads the job, starts the sandboxed worker (``sandbox.enter`` in a first child, the runner as
PID 1 of the run's PID namespace below it), then drives the cells itself: it sends the index of a
cell, starts that cell's clock, and reads the runner's messages until that cell's ``cell_end``.
Every message is checked against ``protocol``; only the first ``tripwire``, ``cell_end`` and
record per key of the current cell count. A malformed, unknown, duplicate or misplaced message is
tampering: the cell it arrived in and every later test cell earn nothing, and the batch goes on.
The monitor writes the run's whole result (one JSON object) for the grader, and ends the run by
killing its PID 1, which takes every process of the run with it.
"""

from __future__ import annotations

import ast
import base64
import json
import os
import select
import signal
import sys
import time

from . import protocol, sandbox
from .cgroups import RunCgroup
from .inside import runner, tripwires

CHILD_ENV = {"MPLBACKEND": "Agg", "TQDM_DISABLE": "1", "COURSE_FAST": "1", "OMP_NUM_THREADS": "1",
             "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "HOME": "/tmp", "LANG": "C.UTF-8",
             "PYTHONDONTWRITEBYTECODE": "1"}
PR_SET_CHILD_SUBREAPER = 36
RUNNER_FAILED = 70  # the runner itself raised (e.g. student code closed its pipes)


class Result:
    """What the grader gets: per cell, what happened; per test cell, its records; tampering."""

    def __init__(self, cells: list[dict]):
        self.order = [c["label"] for c in cells]
        self.cells: dict[str, dict] = {}
        self.records: dict[str, dict[str, dict]] = {}
        self.tamper: list[tuple[int, str]] = []  # (cell index, reason): earns nothing from there on
        self.status, self.reason, self.finished = "ok", "", False

    def flag(self, index: int, reason: str) -> None:
        if len(self.tamper) < 20:
            self.tamper.append((index, reason))

    def as_json(self) -> dict:
        return {"order": self.order, "cells": self.cells, "records": self.records,
                "tamper": self.tamper, "status": self.status, "reason": self.reason, "finished": self.finished}


class Lines:
    """The report pipe as bounded lines: an over-long line becomes a :class:`protocol.Malformed`."""

    def __init__(self, fd: int, max_total: int):
        self.fd, self.buffer, self.total, self.max_total = fd, b"", 0, max_total
        self.skipping = False

    def next(self, deadline: float):
        """A line (bytes), ``Malformed`` for an over-long one, None at EOF, or "timeout"."""
        while True:
            cut = self.buffer.find(b"\n")
            if cut >= 0:
                line, self.buffer = self.buffer[:cut], self.buffer[cut + 1:]
                if self.skipping:
                    self.skipping = False
                    return protocol.Malformed("line too long")
                return line
            if len(self.buffer) > protocol.MAX_LINE:
                self.buffer, self.skipping = b"", True
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout"
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                return None
            self.total += len(chunk)
            if self.total > self.max_total:
                return "flood"
            if not self.skipping:
                self.buffer += chunk
            elif b"\n" in chunk:
                self.buffer = chunk[chunk.index(b"\n"):]


def trusted_bindings(cells: list[dict]) -> set[str]:
    """Names the instructor's cells bind: the only ones a ``notebook name`` tripwire may report."""
    names = set()
    for cell in cells:
        if cell["kind"] not in ("setup", "test"):
            continue
        try:
            tree = ast.parse(cell["source"])
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.alias):
                names.add((node.asname or node.name).split(".")[0])
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
                names.add(node.name)
    return names


def supervise(job_id: str, jobs_fd: int, sandboxed: bool, keep: list[str]) -> None:
    """Run one job and write ``JOB_ID/result.json``. Never returns."""
    sandbox.die_with_parent()
    out = None
    try:
        out = os.open(f"{job_id}/result.json", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600, dir_fd=jobs_fd)
        with os.fdopen(os.open(f"{job_id}/job.json", os.O_RDONLY, dir_fd=jobs_fd)) as f:
            job = json.load(f)
        os.close(jobs_fd)
        result = _run(job, sandboxed, keep)
        data = json.dumps(result.as_json()).encode()
    except BaseException as exc:  # the grader's own failure: a row, not a stopped batch
        data = json.dumps({"status": "crashed", "reason": f"grader error: {type(exc).__name__}: {exc}"[:500],
                           "finished": False}).encode()
    try:
        while data:
            data = data[os.write(out, data):]
        os.close(out)
    except Exception:
        pass
    os._exit(0)


def _run(job: dict, sandboxed: bool, keep: list[str]) -> Result:
    cells, limits = job["cells"], job["limits"]
    result = Result(cells)
    lease = sandbox.UidLease(os.getpid()) if sandboxed and os.geteuid() == 0 else None
    files = {n: base64.b64decode(d) for n, d in job.get("files", {}).items()}
    jail = sandbox.Jail(keep=keep, tmp_bytes=limits["disk"])
    cmd_r, cmd_w = os.pipe()
    rep_r, rep_w = os.pipe()
    sync_r, sync_w = os.pipe()
    import ctypes

    ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)  # an orphaned run process stays ours to kill
    me = os.getpid()
    # Real accounting where the host lets us (an honest run charges under 64 MiB of the warm parent).
    cgroup = RunCgroup.create(f"dlcourse-run-{me}", limits["memory"] + (64 << 20), limits["max_procs"] + 16)
    first = os.fork()
    if first == 0:
        for fd in (cmd_w, rep_r, sync_r):
            os.close(fd)
        if cgroup is not None:
            cgroup.enter()
        _first(job, jail, files, lease.uid if lease else None, sandboxed, me, cmd_r, rep_w, sync_w)
    for fd in (cmd_r, rep_w, sync_w):
        os.close(fd)
    os.set_inheritable(cmd_w, False)
    pid1 = None
    try:
        pid1, setup_error = _await_setup(sync_r, time.monotonic() + 60)
        if setup_error is not None:
            result.status, result.reason = "crashed", f"grader: the sandbox could not be built: {setup_error}"
            return result
        _drive(result, cells, limits, cmd_w, Lines(rep_r, limits["output_bytes"]), first)
    finally:
        try:
            os.killpg(first, signal.SIGKILL)  # without a sandbox, the run's process group
        except OSError:
            pass
        for pid in (pid1, first):
            if pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        _reap(first)
        if pid1:  # if its parent died first it is ours now (subreaper): gone before we report
            try:
                os.waitpid(pid1, 0)
            except ChildProcessError:
                pass
        if cgroup is not None:
            cgroup.remove()
        if lease:
            lease.release()
    return result


def _await_setup(sync_r: int, deadline: float):
    """The first child says ``pid N``, the worker ``ready`` (or ``error ...``), in either order,
    before any student code runs; both close the pipe then, so read it to its end."""
    data = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([sync_r], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(sync_r, 4096) if ready else b""
        if not chunk:
            break
        data += chunk
    os.close(sync_r)
    text = data.decode(errors="replace")
    pid1 = next((int(w.split()[1]) for w in text.splitlines() if w.startswith("pid ")), None)
    if "ready" in text.splitlines():
        return pid1, None
    err = next((w[6:] for w in text.splitlines() if w.startswith("error ")), "it stopped during setup")
    return pid1, err[:300]


def _drive(result: Result, cells, limits, cmd_w: int, lines: Lines, first: int) -> None:
    known = tripwires.known_names()
    bound = trusted_bindings(cells)
    total_deadline = time.monotonic() + limits["total_timeout"]
    for index, cell in enumerate(cells):
        label, kind = cell["label"], cell["kind"]
        try:
            os.write(cmd_w, f"{index}\n".encode())
        except OSError:
            _died(result, first)
            return
        cell_deadline = min(time.monotonic() + limits["cell_timeout"], total_deadline)
        wire, records = None, {}
        while True:
            line = lines.next(cell_deadline)
            if line == "timeout":
                result.status = "timeout"
                result.reason = (f"cell {label} ran longer than {limits['cell_timeout']:g} s"
                                 if cell_deadline < total_deadline else
                                 f"the submission ran longer than {limits['total_timeout']:g} s")
                return
            if line == "flood":
                result.status = "crashed"
                result.reason = f"the submission produced more than {limits['output_bytes'] >> 20} MiB of reports"
                return
            if line is None:
                _died(result, first)
                return
            try:
                if isinstance(line, protocol.Malformed):
                    raise line
                msg = protocol.parse(line)
                if msg.get("cell") != index:
                    raise protocol.Malformed("a message for another cell")
            except protocol.Malformed as exc:
                result.flag(index, f"malformed report ({exc})")
                continue
            kind_of = msg["t"]
            if kind_of == "tripwire":
                if kind != "test" or wire is not None:
                    result.flag(index, "unexpected integrity report")
                    continue
                wire = [n if n in known or _bound_name(n, bound) else "an unknown name" for n in msg["tampered"]]
            elif kind_of == "record":
                if kind != "test":
                    continue  # only test cells' records count; a student may call record() too
                if msg["key"] in records:
                    result.flag(index, f"record {msg['key']!r} reported twice")
                    continue
                records[msg["key"]] = msg
            else:  # cell_end: this cell is over
                if kind == "test" and wire is None:
                    result.flag(index, "no integrity report before the test")
                result.cells[label] = {"ok": msg["ok"], "ename": msg["ename"], "evalue": msg["evalue"],
                                       "tripwire": wire}
                if kind == "test":
                    result.records[label] = records
                break
    result.finished = True
    os.close(cmd_w)  # the genuine runner returns now, and its PID 1 exit closes the report pipe
    end = min(total_deadline, time.monotonic() + 2.0)
    while True:
        line = lines.next(end)
        if line is None or line in ("timeout", "flood"):
            return
        result.flag(len(cells) - 1, "a message after the last cell")


def _bound_name(name: str, bound: set[str]) -> bool:
    prefix, suffix = "notebook name '", "'"
    return name.startswith(prefix) and name.endswith(suffix) and name[len(prefix):-1] in bound


def _died(result: Result, first: int) -> None:
    """The worker closed its pipe before the cells were done: say how it ended."""
    status = _reap(first, timeout=5.0)
    result.status = "crashed"
    result.reason = "the notebook's process ended before its last cell"
    if status is not None and os.WIFEXITED(status) and 0 < os.WEXITSTATUS(status) < 128:
        result.reason += f" (exit status {os.WEXITSTATUS(status)})"
    if status is not None and os.WIFEXITED(status) and os.WEXITSTATUS(status) >= 128:
        sig = os.WEXITSTATUS(status) - 128
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        hint = {"SIGXFSZ": " (a file grew past the size limit)", "SIGXCPU": " (CPU time limit)",
                "SIGSEGV": " (segmentation fault)", "SIGKILL": " (killed, possibly out of memory)"}.get(name, "")
        result.reason = f"the notebook's process died from {name}{hint}"


_reaped: dict[int, int] = {}


def _reap(pid: int, timeout: float = 0.0):
    if pid in _reaped:
        return _reaped[pid]
    deadline = time.monotonic() + timeout
    while True:
        try:
            done, status = os.waitpid(pid, os.WNOHANG if timeout else 0)
        except ChildProcessError:
            return None
        if done:
            _reaped[pid] = status
            return status
        if time.monotonic() > deadline:
            return None
        time.sleep(0.01)


# --- inside the run's processes (still trusted: no student code has run yet) ---------------------

def _first(job, jail, files, outer_uid, sandboxed, monitor_pid, cmd_r, rep_w, sync_w) -> None:
    """The run's first process: builds the jail, starts PID 1, waits, exits with its status."""
    try:
        sandbox.die_with_parent(monitor_pid)
        os.setsid()
        new = sandbox.enter(jail, files, outer_uid) if sandboxed else _unsafe_workdir(job, files)
        me = os.getpid()
        pid = os.fork()
        if pid == 0:
            _pid1(job, new, jail.workdir if sandboxed else new, sandboxed, me, cmd_r, rep_w, sync_w)
        os.write(sync_w, f"pid {pid}\n".encode())
        for fd in (cmd_r, rep_w, sync_w):
            os.close(fd)
        _, status = os.waitpid(pid, 0)
        os._exit(128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else min(os.WEXITSTATUS(status), 127))
    except BaseException as exc:
        _setup_failed(sync_w, exc)


def _unsafe_workdir(job, files) -> str:
    work = job["unsafe_workdir"]
    os.makedirs(work, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(work, name), "wb") as f:
            f.write(data)
    return work


def _pid1(job, new, workdir, sandboxed, parent, cmd_r, rep_w, sync_w) -> None:
    """PID 1 of the run's namespace: the last trusted steps, then the student's cells."""
    try:
        sandbox.die_with_parent()
        if sandboxed:
            sandbox.become_pid1(new, workdir)
        else:
            os.chdir(workdir)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        keep = sorted({cmd_r, rep_w, sync_w})
        low = 3
        for fd in keep:
            os.closerange(low, fd)
            low = fd + 1
        os.closerange(low, 65536)
        limits = job["limits"]
        sandbox.set_limits(sandbox.vm_size_bytes() + limits["memory"], limits["max_procs"], limits["max_file"],
                           int(limits["total_timeout"]) + 5)
        os.environ.clear()
        os.environ.update(CHILD_ENV)
        os.environ["PATH"] = f"{os.path.dirname(sys.executable)}:/usr/local/bin:/usr/bin:/bin"
        sandbox.die_with_parent()  # again: changing credentials may clear it
        os.write(sync_w, b"ready\n")
        os.close(sync_w)
    except BaseException as exc:
        _setup_failed(sync_w, exc)
    try:
        runner.serve(job["cells"], cmd_r, rep_w)
    except BaseException:
        os._exit(RUNNER_FAILED)
    os._exit(0)


def _setup_failed(sync_w: int, exc: BaseException) -> None:
    try:
        os.write(sync_w, f"error {type(exc).__name__}: {exc}\n".encode()[:400])
    except Exception:
        pass
    os._exit(1)
