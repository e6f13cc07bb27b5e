"""Linux isolation for one run, built without root (outside code; the student never runs it).

Every run gets its own user namespace (so an ordinary user can build the rest), its own mount,
PID, IPC, network and UTS namespaces, and an allow-listed root file system: a fresh tmpfs holding
read-only binds of the Python installation and the course helpers, a minimal /dev and /etc, a
private size-limited /tmp and /dev/shm. Nothing else of the host exists inside. The worker ends in
a nested user namespace that owns none of these namespaces, with every capability dropped.

Two steps, because a PID namespace applies to the children of the process that creates it:
:func:`enter` (in the run's first process) and :func:`become_pid1` (in its child, PID 1). Both
run in a fork of the grader's warm parent, before any student code exists in the process.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import resource
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP = 1, 4, 24
PR_SET_SECUREBITS, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 28, 38, 47
SECURE_ALL_LOCKED = 0xEF  # NOROOT, NO_SETUID_FIXUP, KEEP_CAPS off, NO_CAP_AMBIENT_RAISE: each locked
INNER_UID = 1000  # the student's uid inside the run
ROOT_UIDS = range(70000, 90000)  # outer uids a grader running as root leases, one per run
DEVICES = ("null", "zero", "full", "random", "urandom")
FALLBACKS = ("grade inside a container that allows them (docker/podman with --security-opt seccomp=unconfined "
             "or --privileged), run `dlcourse grade` under Apptainer on a cluster, or pass --unsafe-no-sandbox "
             "for code you trust")

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


@dataclass
class Jail:
    """What one run's root file system holds (absolute host paths, bound read-only at the same path)."""

    keep: list[str]
    tmp_bytes: int = 256 << 20
    shm_bytes: int = 64 << 20
    ipc_bytes: int = 64 << 20  # System V shared memory, all segments together
    workdir: str = "/tmp/work"


# --- step 1: the run's first process ---------------------------------------------------------------

def write_id_maps(pid: int | str, inside: int, outside_uid: int, outside_gid: int) -> None:
    """Map one uid and gid. Root may map any outer id; anyone may map their own (setgroups denied)."""
    base = f"/proc/{pid}"
    try:
        Path(base, "setgroups").write_text("deny")
    except OSError:
        pass  # kernels before 3.19 have no such file
    Path(base, "uid_map").write_text(f"{inside} {outside_uid} 1")
    Path(base, "gid_map").write_text(f"{inside} {outside_gid} 1")


def enter(jail: Jail, files: dict[str, bytes], outer_uid: int | None = None) -> str:
    """Leave the host: new user, mount, PID (for the children), IPC, network and UTS namespaces,
    and the allow-listed root built under a private mount point, whose path is returned.

    An ordinary user first enters a user namespace, which lets it mount. A grader running as root
    passes ``outer_uid`` (a leased :class:`UidLease` uid): it builds the tree as root, then becomes
    that ordinary user and enters the user namespace, so the run never holds a host privilege and
    every mount it inherits is locked."""
    if outer_uid is None:
        uid, gid = os.geteuid(), os.getegid()
        unshare(CLONE_NEWUSER | CLONE_NEWNS)
        write_id_maps("self", 0, uid, gid)
    else:
        unshare(CLONE_NEWNS)
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    new = _build_tree(jail, files)
    if outer_uid is None:
        unshare(CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID)
    else:
        for path in (new + "/tmp", new + jail.workdir, *(new + jail.workdir + "/" + n for n in files)):
            os.chown(path, outer_uid, outer_uid)
        os.setgroups([])
        os.setresgid(outer_uid, outer_uid, outer_uid)
        os.setresuid(outer_uid, outer_uid, outer_uid)
        _libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # or /proc/self/uid_map stays root's, unwritable
        unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID)
        write_id_maps("self", 0, outer_uid, outer_uid)
    _limit_ipc(jail.ipc_bytes)
    try:
        with open("/proc/sys/kernel/hostname", "w") as f:
            f.write("sandbox")
    except OSError:
        pass
    return new


def _build_tree(jail: Jail, files: dict[str, bytes]) -> str:
    sources = {}
    for path in sorted(set(jail.keep), key=len):
        try:  # opened before /tmp is covered: an installation may live there (a CI checkout)
            sources[path] = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            continue
    ld_cache = _open_optional("/etc/ld.so.cache")
    devices = {d: _open_optional(f"/dev/{d}") for d in DEVICES}
    new = "/tmp"  # any directory will do: it is covered in this mount namespace only
    mount("tmpfs", new, "tmpfs", MS_NOSUID | MS_NODEV, "size=8m,mode=0755")
    os.mkdir(f"{new}/tmp", 0o755)
    mount("tmpfs", f"{new}/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={jail.tmp_bytes},mode=0755")
    for path, fd in sources.items():
        _bind(fd, new + path, readonly=True)
    for link in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(link) and not os.path.lexists(new + link):
            os.symlink(os.readlink(link), new + link)
    _make_etc(new, ld_cache)
    _make_dev(new, devices, jail.shm_bytes)
    for mountpoint in ("/proc", "/.old", jail.workdir):
        os.makedirs(new + mountpoint, exist_ok=True)
    for name, data in files.items():
        Path(new + jail.workdir, name).write_bytes(data)
    return new


def _open_optional(path: str) -> int | None:
    try:
        return os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return None


def _locked_flags(fd: int) -> int:
    """The flags a bind of this source must keep: an unprivileged remount may not clear them."""
    f = os.fstatvfs(fd).f_flag
    out = MS_NOSUID
    for st, ms in ((os.ST_NODEV, MS_NODEV), (os.ST_NOEXEC, MS_NOEXEC), (os.ST_NOATIME, MS_NOATIME),
                   (os.ST_NODIRATIME, MS_NODIRATIME), (os.ST_RELATIME, MS_RELATIME)):
        if f & st:
            out |= ms
    return out


def _bind(fd: int, target: str, readonly: bool) -> None:
    if stat.S_ISDIR(os.fstat(fd).st_mode):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.exists(target):
            open(target, "w").close()
    mount(f"/proc/self/fd/{fd}", target, None, MS_BIND | MS_REC)
    flags = MS_REMOUNT | MS_BIND | _locked_flags(fd) | (MS_RDONLY if readonly else 0)
    mount(None, target, None, flags)
    os.close(fd)


def _make_etc(new: str, ld_cache: int | None) -> None:
    os.makedirs(new + "/etc", exist_ok=True)
    Path(new, "etc/passwd").write_text(f"root:x:0:0:root:/tmp:/bin/false\n"
                                       f"student:x:{INNER_UID}:{INNER_UID}:student:/tmp:/bin/false\n")
    Path(new, "etc/group").write_text(f"root:x:0:\nstudent:x:{INNER_UID}:\n")
    Path(new, "etc/hosts").write_text("127.0.0.1 localhost\n")
    if ld_cache is not None:
        _bind(ld_cache, new + "/etc/ld.so.cache", readonly=True)


def _make_dev(new: str, devices: dict, shm_bytes: int) -> None:
    os.makedirs(new + "/dev/shm", exist_ok=True)
    for name, fd in devices.items():
        if fd is not None:
            _bind(fd, f"{new}/dev/{name}", readonly=False)
    mount("tmpfs", new + "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, f"size={shm_bytes},mode=1777")
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{new}/dev/{name}")


def _limit_ipc(total_bytes: int) -> None:
    """System V IPC of this run's own namespace (gone with the run): bounded in total."""
    page = os.sysconf("SC_PAGE_SIZE")
    for name, value in (("shmmax", total_bytes), ("shmall", total_bytes // page), ("shmmni", 64),
                        ("msgmni", 16), ("msgmnb", 65536), ("sem", "32 1024 32 16")):
        try:
            Path("/proc/sys/kernel", name).write_text(str(value))
        except OSError:
            pass  # an old kernel without per-namespace limits: the segments still die with the run


# --- step 2: PID 1 of the run ----------------------------------------------------------------------

def become_pid1(new: str, workdir: str) -> None:
    """Mount this PID namespace's /proc, switch to the new root, drop every privilege."""
    mount("proc", new + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    # One more user namespace below this one (the worker's own, next), then none: a student's own
    # user namespace could mount a tmpfs, which no limit of ours would count.
    Path(new, "proc/sys/user/max_user_namespaces").write_text("1")
    # The run's own IPC, UTS and network sysctls belong to the run's uid: read-only, or a student
    # could raise its shared-memory limits (the worker keeps that uid, only in a nested namespace).
    for path in ("/proc/sys", "/proc/sysrq-trigger"):
        if os.path.exists(new + path):
            mount(new + path, new + path, None, MS_BIND | MS_REC)
            mount(None, new + path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
    mount(new, new, None, MS_BIND | MS_REC)  # a mount of our own to pivot to: inherited ones are locked
    _check(_libc.syscall(155, new.encode(), (new + "/.old").encode()), "pivot_root")  # SYS_pivot_root, x86_64
    os.chdir("/")
    _check(_libc.umount2(b"/.old", MNT_DETACH), "umount old root")
    mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    os.chdir(workdir)
    _drop_privileges()


def _drop_privileges() -> None:
    """A nested user namespace that owns nothing (so no mount can be changed, whatever happens),
    a non-zero uid in it, then no capabilities at all, and none regained by exec."""
    unshare(CLONE_NEWUSER)
    write_id_maps("self", INNER_UID, 0, 0)
    os.setresgid(INNER_UID, INNER_UID, INNER_UID)
    os.setresuid(INNER_UID, INNER_UID, INNER_UID)
    _libc.prctl(PR_SET_SECUREBITS, SECURE_ALL_LOCKED, 0, 0, 0)
    for cap in range(64):
        _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    _libc.prctl(PR_CAP_AMBIENT, 4, 0, 0, 0)  # PR_CAP_AMBIENT_CLEAR_ALL

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    _check(_libc.capset(ctypes.byref(Header(0x20080522, 0)), (Data * 2)()), "capset")
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    deny_syscalls()
    caps = next(ln for ln in Path("/proc/self/status").read_text().splitlines() if ln.startswith("CapEff:"))
    if int(caps.split()[1], 16) != 0:
        raise OSError(errno.EPERM, "capabilities survived")


# Syscalls a notebook never needs that would bypass our limits (memfd_create: memory no rlimit
# counts) or widen the kernel's attack surface. Per architecture; other syscall ABIs are refused.
DENIED_SYSCALLS = {
    "x86_64": (0xC000003E, {"memfd_create": 319, "io_uring_setup": 425, "io_uring_enter": 426,
                            "io_uring_register": 427, "bpf": 321, "userfaultfd": 323, "perf_event_open": 298,
                            "keyctl": 250, "add_key": 248, "request_key": 249, "kexec_load": 246,
                            "kexec_file_load": 320, "init_module": 175, "finit_module": 313, "setns": 308}),
    "aarch64": (0xC00000B7, {"memfd_create": 279, "io_uring_setup": 425, "io_uring_enter": 426,
                             "io_uring_register": 427, "bpf": 280, "userfaultfd": 282, "perf_event_open": 241,
                             "keyctl": 219, "add_key": 217, "request_key": 218, "kexec_load": 104,
                             "kexec_file_load": 294, "init_module": 105, "finit_module": 273, "setns": 268}),
}


def deny_syscalls() -> bool:
    """Install a seccomp filter returning EPERM for :data:`DENIED_SYSCALLS`; False on an unknown
    architecture (the rest of the sandbox still holds)."""
    arch = os.uname().machine
    if arch not in DENIED_SYSCALLS:
        return False
    audit_arch, numbers = DENIED_SYSCALLS[arch]
    ld_abs, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    allow, deny = 0x7FFF0000, 0x00050000 | errno.EPERM
    nrs = sorted(numbers.values())
    prog = [(ld_abs, 0, 0, 4)]  # seccomp_data.arch
    prog.append((jeq, 1, 0, audit_arch))
    prog.append((ret, 0, 0, deny))  # another syscall ABI (i386 via int 0x80): refused wholesale
    prog.append((ld_abs, 0, 0, 0))  # seccomp_data.nr
    prog.append((jge, len(nrs) + 1, 0, 0x40000000))  # x32 numbers
    for k, nr in enumerate(nrs):
        prog.append((jeq, len(nrs) - k, 0, nr))
    prog.append((ret, 0, 0, allow))
    prog.append((ret, 0, 0, deny))

    class Filter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                    ("k", ctypes.c_uint32)]

    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(Filter))]

    filters = (Filter * len(prog))(*[Filter(*ins) for ins in prog])
    program = Program(len(prog), filters)
    _check(_libc.prctl(22, 2, ctypes.byref(program), 0, 0), "seccomp")  # PR_SET_SECCOMP, MODE_FILTER
    return True


def set_limits(memory_bytes: int, max_procs: int, max_file_bytes: int, cpu_seconds: int) -> None:
    limits = {
        resource.RLIMIT_AS: memory_bytes,
        resource.RLIMIT_NPROC: max_procs,  # counted per user namespace (Linux >= 5.14): per run
        resource.RLIMIT_FSIZE: max_file_bytes,
        resource.RLIMIT_NOFILE: 256,
        resource.RLIMIT_CORE: 0,
        resource.RLIMIT_CPU: cpu_seconds,
        resource.RLIMIT_MSGQUEUE: 1 << 20,
        resource.RLIMIT_MEMLOCK: 1 << 20,
    }
    for res, value in limits.items():
        _, hard = resource.getrlimit(res)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)  # only ever lowered
        resource.setrlimit(res, (value, value))


def vm_size_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


def die_with_parent(expected_parent: int | None = None) -> None:
    """SIGKILL this process when its parent dies; if it already has, die now."""
    _libc.prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)
    if expected_parent is not None and os.getppid() != expected_parent:
        os._exit(1)


# --- around the runs -------------------------------------------------------------------------------

def available() -> tuple[bool, str]:
    """Whether this user may build the sandbox here (tried in a throwaway child)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            enter(Jail(keep=[]), {})
            os._exit(0)
        except BaseException as exc:
            os.write(write, str(exc).encode()[:500])
            os._exit(1)
    os.close(write)
    why = os.read(read, 600).decode(errors="replace")
    os.close(read)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) == 0:
        return True, ""
    hint = ""
    if Path("/proc/sys/kernel/unprivileged_userns_clone").exists() and \
            Path("/proc/sys/kernel/unprivileged_userns_clone").read_text().strip() == "0":
        hint = " (kernel.unprivileged_userns_clone=0)"
    elif Path("/proc/sys/user/max_user_namespaces").exists() and \
            Path("/proc/sys/user/max_user_namespaces").read_text().strip() == "0":
        hint = " (user.max_user_namespaces=0)"
    return False, (f"this machine does not let this user create namespaces{hint}: {why or 'unshare failed'}; "
                   f"instead: {FALLBACKS}")


class UidLease:
    """A root grader's outer uid for one run, held (flock) until the run ends, so that concurrent
    graders on one host never give two live runs the same uid."""

    def __init__(self, seed: int):
        folder = Path("/run/dlcourse-uids")
        if not os.access("/run", os.W_OK):
            folder = Path(tempfile.gettempdir(), "dlcourse-uids")
        folder.mkdir(mode=0o700, exist_ok=True)
        n = len(ROOT_UIDS)
        for k in range(n):
            uid = ROOT_UIDS[(seed + k) % n]
            fd = os.open(folder / str(uid), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            self.uid, self._fd = uid, fd
            return
        raise OSError(errno.EAGAIN, "every sandbox uid is in use")

    def release(self) -> None:
        os.close(self._fd)


def _status(pid: str) -> dict[str, str]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        out[key] = value.strip()
    return out


def kill_stale(uid_range: range = ROOT_UIDS) -> int:
    """Kill runs left by a root grader killed with -9 (their supervisor is gone): a sandbox-uid
    process whose parent is neither a sandbox-uid process nor a grader process. Runs of graders
    still alive are left alone."""
    killed = 0
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            status = _status(proc.name)
            if int(status["Uid"].split()[1]) not in uid_range:
                continue
            parent = status["PPid"]
            parent_uid = int(_status(parent)["Uid"].split()[1])
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
