"""Linux isolation primitives used by the zygote and its children.

Namespaces (mount, network, PID, IPC, UTS) are created with unshare(2); paths are hidden by
mounting an empty tmpfs over them; an unprivileged uid and resource limits do the rest. All of it
needs root (or CAP_SYS_ADMIN), which a grading machine, a container or CI has.
"""

from __future__ import annotations

import ctypes
import os
import resource
from pathlib import Path

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18

_libc = ctypes.CDLL(None, use_errno=True)


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = lambda s: None if s is None else s.encode()
    _check(_libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")


def available() -> tuple[bool, str]:
    """Whether this process may build the sandbox (tried in a throwaway child)."""
    if os.geteuid() != 0:
        return False, "grading in a sandbox needs root (run dlcourse grade with sudo, or in a container/CI)"
    pid = os.fork()
    if pid == 0:
        try:
            unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID)
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        return False, "this kernel or container does not allow namespaces (unshare failed)"
    return True, ""


def _under(path: Path, parent: Path) -> bool:
    try:
        path.relative_to(parent)
        return True
    except ValueError:
        return False


def hide(paths: list[Path], keep: list[Path]) -> None:
    """Mount an empty read-only tmpfs over each of ``paths``, then bind back (read-only) the
    ``keep`` paths that lie beneath them (the Python installation, the course helpers)."""
    paths = sorted({p.resolve() for p in paths if p.exists() and p.is_dir()}, key=lambda p: len(p.parts))
    keep = [k.resolve() for k in keep if k.exists()]
    done: list[Path] = []
    for hidden in paths:
        if any(_under(hidden, d) for d in done):
            continue  # already inside a hidden tree
        inside = [k for k in keep if _under(k, hidden) and k != hidden]
        inside = [k for k in inside if not any(_under(k, o) and k != o for o in inside)]  # outermost only
        fds = {k: os.open(k, os.O_PATH | os.O_DIRECTORY) for k in inside}
        mount("tmpfs", str(hidden), "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
        for k, fd in fds.items():
            k.mkdir(parents=True, exist_ok=True)
            mount(f"/proc/self/fd/{fd}", str(k), None, MS_BIND | MS_REC)
            mount(None, str(k), None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID)
            os.close(fd)
        mount(None, str(hidden), "tmpfs", MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
        done.append(hidden)


def _outermost(paths: list[Path]) -> list[Path]:
    return [k for k in paths if not any(_under(k, o) and k != o for o in paths)]


def private_tmp(size: str, keep: list[Path]) -> None:
    """A fresh, size-limited tmpfs at /tmp for one run. A ``keep`` path under /tmp (the Python
    environment of a checkout in /tmp, as CI may have) is bound back read-only, or lazy imports such
    as ``torch._dynamo`` would find nothing."""
    tmp = Path("/tmp")
    inside = _outermost([k for k in keep if _under(k, tmp) and k != tmp and k.exists()])
    fds = {k: os.open(k, os.O_PATH | os.O_DIRECTORY) for k in inside}
    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=0755")
    for k, fd in fds.items():
        k.mkdir(parents=True, exist_ok=True)
        mount(f"/proc/self/fd/{fd}", str(k), None, MS_BIND | MS_REC)
        mount(None, str(k), None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID)
        os.close(fd)


def isolate_parent(hidden: list[Path], keep: list[Path]) -> None:
    """Once, in the zygote: own mount/network/IPC/UTS namespaces, paths hidden, / read-only."""
    unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS)
    mount("none", "/", None, MS_REC | MS_PRIVATE)
    hide(hidden, keep)
    try:  # read-only root file system: nothing written outside the sandbox's own tmpfs survives
        mount("/", "/", None, MS_BIND | MS_REC)
        mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY)
    except OSError:
        pass  # still protected by the unprivileged uid and the hidden, root-owned tmpfs mounts
    os.chdir("/")


def set_limits(memory_bytes: int, max_procs: int, max_file_bytes: int, cpu_seconds: int) -> None:
    limits = {
        resource.RLIMIT_AS: memory_bytes,
        resource.RLIMIT_NPROC: max_procs,
        resource.RLIMIT_FSIZE: max_file_bytes,
        resource.RLIMIT_NOFILE: 256,
        resource.RLIMIT_CORE: 0,
        resource.RLIMIT_CPU: cpu_seconds,
    }
    for res, value in limits.items():
        resource.setrlimit(res, (value, value))


def vm_size_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


def die_with_parent() -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (PR_SET_PDEATHSIG)."""
    _libc.prctl(1, 9, 0, 0, 0)


def _status(pid: str) -> dict[str, str]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        out[key] = value.strip()
    return out


def kill_stale(uid_range: range) -> int:
    """Kill sandbox runs whose supervisor is gone (e.g. after the grader was killed with -9).

    A live run's worker is the child of a monitor forked from a zygote; its own children share its
    uid. So a sandbox-uid process whose parent is neither a zygote process nor another sandbox-uid
    process is orphaned; killing it (the PID 1 of its namespace) ends everything it started. Runs of
    other graders working at the same time are left alone.
    """
    killed = 0
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            status = _status(proc.name)
            if int(status["Uid"].split()[0]) not in uid_range:
                continue
            parent = status["PPid"]
            parent_uid = int(_status(parent)["Uid"].split()[0])
            cmdline = Path(f"/proc/{parent}/cmdline").read_bytes()
        except (OSError, KeyError, ValueError):
            continue
        if parent_uid in uid_range or b"autograder.engine.zygote" in cmdline:
            continue
        try:
            os.kill(int(proc.name), 9)
            killed += 1
        except OSError:
            pass
    return killed


def drop_privileges(uid: int) -> None:
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
