"""Per-run memory and process accounting with cgroups, where this grader may create them (outside).

Resource limits (``RLIMIT_AS``) count virtual memory per process; a cgroup counts what a run really
holds, its tmpfs pages and shared memory included, and the kernel's OOM killer enforces it. Used
when available, never required:

- cgroup v1 (memory and pids hierarchies), for a grader running as root on a v1 or hybrid host;
- cgroup v2, when the grader's own cgroup is writable and can hand ``memory`` and ``pids`` to
  children (a delegated subtree, or root on a v2 host) without moving any process.

Otherwise the run keeps the limits that hold anyway (see ``sandbox``), and the threat model says so.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")


def _own_paths() -> dict[str, str]:
    """controller (or '' for v2) -> this process's cgroup path."""
    out = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for c in controllers.split(",") if controllers else [""]:
            out[c] = path
    return out


class RunCgroup:
    """One run's cgroup(s): created before the run's first process starts, removed after."""

    def __init__(self, dirs: list[Path], kind: str):
        self.dirs, self.kind = dirs, kind

    @classmethod
    def create(cls, name: str, memory_bytes: int, max_procs: int) -> RunCgroup | None:
        try:
            return cls._v2(name, memory_bytes, max_procs) or cls._v1(name, memory_bytes, max_procs)
        except OSError:
            return None

    @classmethod
    def _v1(cls, name, memory_bytes, max_procs):
        own = _own_paths()
        mem_parent, pid_parent = ROOT / "memory" / own.get("memory", "/").lstrip("/"), \
            ROOT / "pids" / own.get("pids", "/").lstrip("/")
        if not (mem_parent / "memory.limit_in_bytes").exists() or not (pid_parent / "cgroup.procs").exists():
            return None
        if not (os.access(mem_parent, os.W_OK) and os.access(pid_parent, os.W_OK)):
            return None
        mem, pids = mem_parent / name, pid_parent / name
        mem.mkdir()
        pids.mkdir()
        group = cls([mem, pids], "cgroup v1")
        try:
            (mem / "memory.limit_in_bytes").write_text(str(memory_bytes))
            if (mem / "memory.memsw.limit_in_bytes").exists():  # no escape into swap
                (mem / "memory.memsw.limit_in_bytes").write_text(str(memory_bytes))
            (pids / "pids.max").write_text(str(max_procs))
        except OSError:
            group.remove()
            raise
        return group

    @classmethod
    def _v2(cls, name, memory_bytes, max_procs):
        if not (ROOT / "cgroup.controllers").exists():
            return None  # no unified hierarchy mounted at the top (v1 or hybrid host)
        parent = ROOT / _own_paths().get("", "/").lstrip("/")
        if not os.access(parent, os.W_OK):
            return None
        enabled = (parent / "cgroup.subtree_control").read_text().split()
        if not {"memory", "pids"} <= set(enabled):
            available = (parent / "cgroup.controllers").read_text().split()
            if not {"memory", "pids"} <= set(available):
                return None
            # Fails (EBUSY) if processes live in the parent: then we do without.
            (parent / "cgroup.subtree_control").write_text("+memory +pids")
        run = parent / name
        run.mkdir()
        group = cls([run], "cgroup v2")
        try:
            (run / "memory.max").write_text(str(memory_bytes))
            if (run / "memory.swap.max").exists():
                (run / "memory.swap.max").write_text("0")
            (run / "pids.max").write_text(str(max_procs))
        except OSError:
            group.remove()
            raise
        return group

    def enter(self, pid: int = 0) -> None:
        """Move ``pid`` (default: this process) into the run's cgroup(s); its children follow."""
        for d in self.dirs:
            (d / "cgroup.procs").write_text(str(pid or os.getpid()))

    def remove(self) -> None:
        for d in self.dirs:
            for _ in range(100):  # the run's processes are being reaped
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)
