"""The warm parent: imports the heavy libraries once, then forks one sandboxed run per request.

Started by the grader as ``python -m autograder.engine.zygote CONFIG_JSON``. It reads commands on
stdin (``run JOB_ID``) and answers on stdout (``done JOB_ID EXIT``). A run is two processes:

- a *monitor* (forked from the zygote, root, trusted code only) reads ``JOB_ID/job.json`` through a
  directory descriptor the zygote opened before hiding the file system, enters fresh mount and PID
  namespaces, mounts a private size-limited tmpfs at /tmp, forks the worker, relays the worker's
  events to ``JOB_ID/events.jsonl``, enforces the per-cell and per-run time limits and the output
  limit, and writes the final verdict line on the run;
- the *worker*, PID 1 of the new PID namespace, drops to a fresh unprivileged uid under resource
  limits and runs the cells. When it ends, the kernel kills every process it started.

The zygote itself never reads a job, so no submission's content is in the memory that later runs
inherit.
"""

from __future__ import annotations

import base64
import json
import os
import select
import signal
import sys
import time
from pathlib import Path

from . import runner, sandbox

DEFAULT_PREIMPORT = ["numpy", "scipy", "scipy.special", "torch", "matplotlib", "matplotlib.pyplot",
                     "course_utils", "course_utils.checks", "course_utils.grading", "course_utils.runtime",
                     "course_utils.data", "course_utils.train", "course_utils.text", "course_utils.targets",
                     "course_utils.plotting", "IPython.core.inputtransformer2"]
CHILD_ENV = {"MPLBACKEND": "Agg", "TQDM_DISABLE": "1", "COURSE_FAST": "1", "OMP_NUM_THREADS": "1",
             "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "HOME": "/tmp", "LANG": "C.UTF-8"}


def _preimport(names):
    import importlib

    for name in names:
        try:
            importlib.import_module(name)
        except Exception:
            pass  # an optional library that is not installed
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


def _worker(job: dict, write_fd: int, sandboxed: bool) -> None:
    """PID 1 of a fresh PID namespace: become nobody-like, limit, run. Never returns."""
    try:
        if sandboxed:
            sandbox.mount("proc", "/proc", "proc", sandbox.MS_NOSUID | sandbox.MS_NODEV | sandbox.MS_NOEXEC)
        os.setsid()
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.closerange(3, write_fd)
        os.closerange(write_fd + 1, 65536)
        limits = job["limits"]
        sandbox.set_limits(sandbox.vm_size_bytes() + limits["memory"], limits["max_procs"], limits["max_file"],
                           int(limits["total_timeout"]) + 5)
        if sandboxed:
            sandbox.drop_privileges(job["uid"])
        sandbox.die_with_parent()  # after the uid change, which clears it
        os.chdir(job["workdir"])
        os.environ.clear()
        os.environ.update(CHILD_ENV)
        os.environ["PATH"] = f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin"
        runner.run(job["cells"], write_fd)
    except BaseException:
        pass
    os._exit(0)


def _monitor(job_id: str, jobs_fd: int, sandboxed: bool, keep: list[Path] = ()) -> None:
    """Trusted supervisor of one run. Never returns."""
    sandbox.die_with_parent()
    try:
        out = os.open(f"{job_id}/events.jsonl", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600, dir_fd=jobs_fd)
        with os.fdopen(os.open(f"{job_id}/job.json", os.O_RDONLY, dir_fd=jobs_fd)) as f:
            job = json.load(f)
        os.close(jobs_fd)
        limits = job["limits"]
        workdir = "/tmp/work"
        if sandboxed:
            sandbox.unshare(sandbox.CLONE_NEWNS | sandbox.CLONE_NEWPID)
            sandbox.private_tmp(str(limits["disk"]), list(keep))
        else:
            workdir = job["unsafe_workdir"]
        os.makedirs(workdir, exist_ok=True)
        for name, data in job.get("files", {}).items():
            Path(workdir, name).write_bytes(base64.b64decode(data))
        if sandboxed:
            for p in [workdir, *(Path(workdir, n) for n in job.get("files", {}))]:
                os.chown(p, job["uid"], job["uid"])
        job["workdir"] = workdir
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            os.close(out)
            _worker(job, w, sandboxed)
        os.close(w)
        status, reason = _relay(r, out, pid, limits)
        wstatus = _wait(pid, time.monotonic() + limits["total_timeout"])
        if wstatus is None:  # closed its pipe but kept running
            os.kill(pid, signal.SIGKILL)
            _, wstatus = os.waitpid(pid, 0)
            status, reason = "timeout", f"the submission ran longer than {limits['total_timeout']:g} s"
        if status == "ok":
            status, reason = _exit_verdict(wstatus)
        line = json.dumps({"t": "end", "status": status, "reason": reason}) + "\n"
        os.write(out, line.encode())
        os.close(out)
    except BaseException as exc:  # report instead of dying silently
        try:
            os.write(out, (json.dumps({"t": "end", "status": "crashed", "reason": f"grader: {exc!r}"}) + "\n").encode())
        except Exception:
            pass
    os._exit(0)


def _relay(r: int, out: int, pid: int, limits: dict) -> tuple[str, str]:
    start = time.monotonic()
    total_deadline = start + limits["total_timeout"]
    cell, cell_deadline = None, None
    written, pending, last_newline = 0, b"", True
    while True:
        deadline = min(d for d in (total_deadline, cell_deadline) if d is not None)
        timeout = deadline - time.monotonic()
        if timeout <= 0:
            os.kill(pid, signal.SIGKILL)
            _finish_line(out, last_newline)
            if cell_deadline is not None and deadline == cell_deadline:
                return "timeout", f"cell {cell} ran longer than {limits['cell_timeout']:g} s"
            return "timeout", f"the submission ran longer than {limits['total_timeout']:g} s"
        ready, _, _ = select.select([r], [], [], timeout)
        if not ready:
            continue
        chunk = os.read(r, 1 << 16)
        if not chunk:
            return "ok", ""
        written += len(chunk)
        if written > limits["output_bytes"]:
            os.kill(pid, signal.SIGKILL)
            _finish_line(out, last_newline)
            return "crashed", f"the submission produced more than {limits['output_bytes'] >> 20} MiB of records"
        os.write(out, chunk)
        last_newline = chunk.endswith(b"\n")
        pending = (pending + chunk)[-(1 << 20):]
        *lines, pending = pending.split(b"\n")
        for raw in lines:
            if b'"cell_start"' in raw or b'"cell_end"' in raw:
                try:
                    event = json.loads(raw)
                except ValueError:
                    continue
                if event.get("t") == "cell_start":
                    cell = event.get("cell")
                    cell_deadline = time.monotonic() + limits["cell_timeout"]
                elif event.get("t") == "cell_end":
                    cell_deadline = None


def _wait(pid: int, deadline: float):
    while True:
        done, wstatus = os.waitpid(pid, os.WNOHANG)
        if done:
            return wstatus
        if time.monotonic() > deadline:
            return None
        time.sleep(0.01)


def _finish_line(out: int, last_newline: bool) -> None:
    if not last_newline:
        os.write(out, b"\n")


def _exit_verdict(wstatus: int) -> tuple[str, str]:
    if os.WIFSIGNALED(wstatus):
        sig = os.WTERMSIG(wstatus)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        hint = {"SIGXFSZ": " (a file grew past the size limit)", "SIGXCPU": " (CPU time limit)",
                "SIGSEGV": " (segmentation fault)", "SIGKILL": " (killed, possibly out of memory)"}.get(name, "")
        return "crashed", f"the notebook's process died from {name}{hint}"
    return "ok", ""


def main() -> None:
    config = json.loads(sys.argv[1])
    sandbox.die_with_parent()
    os.environ.update(CHILD_ENV)
    sandboxed = config["sandbox"]
    jobs_fd = os.open(config["jobs_dir"], os.O_RDONLY | os.O_DIRECTORY)
    _preimport(config.get("preimport", DEFAULT_PREIMPORT))
    runner.snapshot()
    if sandboxed:
        sandbox.isolate_parent([Path(p) for p in config["hide"]], [Path(p) for p in config["keep"]])
    print("ready", flush=True)
    running: dict[int, str] = {}
    stdin = sys.stdin.fileno()
    buffer = b""
    while True:
        ready, _, _ = select.select([stdin], [], [], 0.05)
        if ready:
            data = os.read(stdin, 4096)
            if not data:
                break
            buffer += data
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                parts = line.decode().split()
                if len(parts) == 2 and parts[0] == "run":
                    pid = os.fork()
                    if pid == 0:
                        os.close(stdin)
                        _monitor(parts[1], jobs_fd, sandboxed, [Path(p) for p in config.get("keep", [])])
                    running[pid] = parts[1]
        while running:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            job_id = running.pop(pid, None)
            if job_id is not None:
                print(f"done {job_id} {os.waitstatus_to_exitcode(status)}", flush=True)
    for pid in running:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


if __name__ == "__main__":
    main()
