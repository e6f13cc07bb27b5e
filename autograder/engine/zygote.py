"""The warm parent (outside): imports the heavy libraries once, then forks one monitor per run.

Started by the grader as ``python -m autograder.engine.zygote`` with a minimal environment (so no
secret of the grader's is in the memory runs inherit) and its configuration as the first line of
stdin. It reads commands on stdin (``run JOB_ID``) and answers on stdout (``done JOB_ID``). Each
run's monitor (``monitor.py``) builds that run's sandbox; the zygote itself never reads a job, so
no submission is in the memory a later run inherits.
"""

from __future__ import annotations

import gc
import json
import os
import select
import signal
import sys

from . import monitor, sandbox
from .inside import tripwires

DEFAULT_PREIMPORT = ["numpy", "scipy", "scipy.special", "torch", "matplotlib", "matplotlib.pyplot",
                     "course_utils", "course_utils.checks", "course_utils.grading", "course_utils.runtime",
                     "course_utils.data", "course_utils.train", "course_utils.text", "course_utils.targets",
                     "course_utils.plotting", "IPython.core.inputtransformer2",
                     "sklearn", "sklearn.datasets", "sklearn.model_selection"]
# Left out when the assignment's notebook never imports them (batch.preimports).
OPTIONAL_ROOTS = {"torch", "scipy", "sklearn"}


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
        # The first optimizer a process builds imports torch._dynamo (about 1 s); every homework that
        # trains would pay it again in each run. Paid here once, before the tripwires' snapshot.
        torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        # Likewise the first figure drawn with a $formula$ label builds matplotlib's mathtext grammar
        # (pyparsing: about 0.5 s) and loads the fonts; a homework that plots would pay it in each run.
        fig, ax = plt.subplots()
        ax.plot([0, 1], label="$x^2$")
        ax.set_xlabel(r"$\sqrt{x}$ and text")
        ax.legend()
        fig.tight_layout()
        fig.canvas.draw()
        plt.close(fig)


def main() -> None:
    sandbox.die_with_parent()
    config = json.loads(sys.stdin.buffer.readline())
    sandboxed, keep = config["sandbox"], config["keep"]
    jobs_fd = os.open(config["jobs_dir"], os.O_RDONLY | os.O_DIRECTORY)
    _preimport(config.get("preimport", DEFAULT_PREIMPORT))
    tripwires.snapshot()
    # Everything above lives as long as the warm parent. Frozen, the garbage collector of a run never
    # walks it: a full collection in a run would otherwise traverse millions of inherited objects (torch,
    # SciPy, ...) and write to every page that holds one, copying it (Python's gc.freeze documentation).
    gc.freeze()
    print("ready", flush=True)
    running: dict[int, str] = {}
    stdin = sys.stdin.fileno()
    # A finished monitor wakes the loop at once (SIGCHLD through a wakeup pipe), not at the next poll.
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    buffer = b""
    while True:
        ready, _, _ = select.select([stdin, wake_r], [], [], 1.0)
        if wake_r in ready:
            os.read(wake_r, 4096)
        if stdin in ready:
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
                        signal.set_wakeup_fd(-1)
                        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                        os.close(wake_r)
                        os.close(wake_w)
                        monitor.supervise(parts[1], jobs_fd, sandboxed, keep)
                    running[pid] = parts[1]
        while running:
            pid, _ = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            job_id = running.pop(pid, None)
            if job_id is not None:
                print(f"done {job_id}", flush=True)
    for pid in running:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    # Tearing down an interpreter that holds torch, SciPy and scikit-learn takes about a second, and the
    # grader waits for it on every batch; there is nothing to flush or clean up here, so skip it.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
