"""Real services for the integration tests, started on this machine: a one-node Slurm cluster.

When Slurm is missing and the tests run as root on Debian/Ubuntu (CI, a container), it is installed
from Debian's packages (slurm-wlm, munge); set DLCOURSE_NO_APT=1 to forbid that. Anywhere else the
tests that need it are skipped with the reason.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def _run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def apt_install(packages: list[str], binary: str) -> str | None:
    """Make ``binary`` available, installing ``packages`` if allowed; return why not, or None."""
    if shutil.which(binary):
        return None
    if os.environ.get("DLCOURSE_NO_APT") == "1":
        return f"{binary} is not installed (and DLCOURSE_NO_APT=1 forbids installing {' '.join(packages)})"
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return f"{binary} is not installed; install {' '.join(packages)} (Debian/Ubuntu: apt-get install ...)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    lock = Path("/tmp/dlcourse-apt.lock")  # pytest-xdist workers install one at a time
    with open(lock, "w") as fh:
        import fcntl

        fcntl.flock(fh, fcntl.LOCK_EX)
        if not shutil.which(binary):
            if _run(["apt-get", "install", "-y", "-qq", *packages], env=env).returncode != 0:
                _run(["apt-get", "update", "-qq"], env=env)
                r = _run(["apt-get", "install", "-y", "-qq", *packages], env=env)
                if r.returncode != 0:
                    return f"apt-get install {' '.join(packages)} failed: {r.stderr.strip()[-300:]}"
    return None if shutil.which(binary) else f"{binary} still missing after installing {' '.join(packages)}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SlurmCluster:
    """slurmctld + slurmd on this host, one partition ``debug``, config in ``folder``."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.conf = folder / "slurm.conf"
        self.env = {**os.environ, "SLURM_CONF": str(self.conf)}
        self._started_munge = False

    def start(self) -> None:
        f = self.folder
        for d in ("state", "spool", "log"):
            (f / d).mkdir(parents=True, exist_ok=True)
        self._start_munge()
        host = socket.gethostname().split(".")[0]
        cpus = os.cpu_count() or 1
        self.conf.write_text("\n".join([
            "ClusterName=dlcourse-test", f"SlurmctldHost={host}", "SlurmUser=root", "SlurmdUser=root",
            "AuthType=auth/munge", "ProctrackType=proctrack/linuxproc", "TaskPlugin=task/none",
            "SelectType=select/cons_tres", "SelectTypeParameters=CR_Core", "ReturnToService=2",
            "MpiDefault=none", "JobAcctGatherType=jobacct_gather/none", "AccountingStorageType=accounting_storage/none",
            f"StateSaveLocation={f / 'state'}", f"SlurmdSpoolDir={f / 'spool'}",
            f"SlurmctldPidFile={f / 'slurmctld.pid'}", f"SlurmdPidFile={f / 'slurmd.pid'}",
            f"SlurmctldLogFile={f / 'log' / 'slurmctld.log'}", f"SlurmdLogFile={f / 'log' / 'slurmd.log'}",
            f"SlurmctldPort={_free_port()}", f"SlurmdPort={_free_port()}",
            f"NodeName={host} CPUs={cpus} RealMemory=4000 State=UNKNOWN",
            f"PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP", ""]))
        for daemon in ("slurmctld", "slurmd"):
            r = _run([daemon, "-f", str(self.conf)], env=self.env)
            if r.returncode != 0:
                raise RuntimeError(f"{daemon} did not start: {r.stderr.strip()}")
        deadline = time.time() + 60
        while time.time() < deadline:
            state = _run(["sinfo", "-h", "-o", "%t"], env=self.env).stdout.strip()
            if state in ("idle", "mix", "alloc"):
                return
            time.sleep(0.5)
        raise RuntimeError(f"the Slurm node never became idle (sinfo says {state!r}); see {f / 'log'}")

    def _start_munge(self) -> None:
        if _run(["munge", "-n"]).returncode == 0:
            return  # a munged is already serving
        for d in ("/run/munge", "/var/lib/munge", "/var/log/munge"):
            Path(d).mkdir(parents=True, exist_ok=True)
            shutil.chown(d, "munge", "munge")
        if not Path("/etc/munge/munge.key").exists():
            _run(["mungekey", "--create"]) if shutil.which("mungekey") else _run(["create-munge-key"])
            shutil.chown("/etc/munge/munge.key", "munge", "munge")
        r = _run(["runuser", "-u", "munge", "--", "/usr/sbin/munged"])
        if r.returncode != 0:
            raise RuntimeError(f"munged did not start: {r.stderr.strip()}")
        self._started_munge = True

    def stop(self) -> None:
        _run(["scancel", "--user", "root"], env=self.env)
        for pid_file in ("slurmd.pid", "slurmctld.pid"):
            p = self.folder / pid_file
            if p.exists():
                try:
                    os.kill(int(p.read_text().strip()), 15)
                except (ValueError, ProcessLookupError):
                    pass
        if self._started_munge:
            _run(["pkill", "-u", "munge", "munged"])


class PostgresServer:
    """A throwaway PostgreSQL cluster on 127.0.0.1 (data in ``folder``), trust authentication."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = _free_port()
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not bins:
            raise RuntimeError("PostgreSQL server binaries (initdb) not found")
        self.bin = bins[-1].parent

    def _as_postgres(self, *cmd):
        r = _run(["runuser", "-u", "postgres", "--", *map(str, cmd)])
        if r.returncode != 0:
            raise RuntimeError(f"{cmd[0]} failed: {(r.stderr or r.stdout).strip()[-400:]}")
        return r

    def start(self) -> str:
        data, sock = self.folder / "data", self.folder / "sock"
        sock.mkdir(parents=True, exist_ok=True)
        shutil.chown(self.folder, "postgres")
        shutil.chown(sock, "postgres")
        self._as_postgres(self.bin / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self._as_postgres(self.bin / "pg_ctl", "-D", data, "-l", self.folder / "server.log", "-w", "-o",
                          f"-p {self.port} -k {sock} -c listen_addresses=127.0.0.1 -c max_connections=100", "start")
        self._as_postgres(self.bin / "createdb", "-h", "127.0.0.1", "-p", self.port, "-U", "postgres", "gradebook")
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/gradebook"

    def stop(self) -> None:
        data = self.folder / "data"
        if data.exists():
            _run(["runuser", "-u", "postgres", "--", str(self.bin / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"])


@contextlib.contextmanager
def headless_chromium(prefix: str, window: str):
    """A Selenium driver on Debian's chromium, headless, with its own profile; skips the test when
    chromium cannot be had. Without the background-networking flags Chromium keeps dialling out of
    this closed network."""
    import pytest

    why = apt_install(["chromium", "chromium-driver"], "chromedriver")
    if why:
        pytest.skip(why)
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium (in the dev extra) drives chromium")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix=prefix)
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", f"--window-size={window}",
                 f"--user-data-dir={profile}"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
