"""A clean, non-editable install of the course package, usable by any user (not a test module).

Built once per checkout state and shared by the tests that need it (xdist workers wait on a lock):
the wheel from ``pip wheel``, installed into a virtual environment made with Debian's
``/usr/bin/python3`` in a world-readable folder, because this machine's default Python lives in
root's home, which an unprivileged user (uid 65534) cannot read. Only what ``dlcourse grade hw0``
imports is installed next to the wheel (``--no-deps``): torch (5 GB) is not needed for hw0, and the
warm parent treats it as optional.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEBIAN_PYTHON = Path("/usr/bin/python3")
GRADE_HW0_NEEDS = ["numpy", "scipy", "nbformat", "tqdm", "matplotlib", "ipython"]
PACKAGED = ["pyproject.toml", "README.md", "LICENSE", "LICENSE-CONTENT.md", "course_utils", "autograder"]


def _digest() -> str:
    h = hashlib.sha256()
    for name in PACKAGED:
        path = ROOT / name
        files = sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts) \
            if path.is_dir() else [path]
        for p in files:
            if "submissions" in p.parts:
                continue
            h.update(str(p.relative_to(ROOT)).encode() + p.read_bytes())
    return h.hexdigest()[:16]


def _pins() -> list[str]:
    """The versions CI runs (the .venv's), so the clean install grades with the same libraries."""
    frozen = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-m", "pip", "freeze"], capture_output=True,
                            text=True).stdout.splitlines()
    wanted = {n.lower() for n in GRADE_HW0_NEEDS}
    return [ln for ln in frozen if ln.split("==")[0].lower() in wanted] or GRADE_HW0_NEEDS


def _run(cmd, **kw):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    return proc


def wheel_venv() -> Path:
    """The path of the clean virtual environment (its ``bin/dlcourse`` is the installed command)."""
    base = Path(tempfile.gettempdir()) / f"dlcourse-wheel-env-{_digest()}"
    base.mkdir(mode=0o755, exist_ok=True)
    with open(base / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        venv = base / "venv"
        if (base / ".ready").exists():
            return venv
        shutil.rmtree(venv, ignore_errors=True)
        wheels = base / "wheels"
        shutil.rmtree(wheels, ignore_errors=True)
        _run([ROOT / ".venv" / "bin" / "python", "-m", "pip", "wheel", "-q", "--no-deps", "-w", wheels, ROOT])
        _run([DEBIAN_PYTHON, "-m", "venv", venv])
        pip = [venv / "bin" / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        _run([*pip, "--no-deps", *sorted(wheels.glob("*.whl"))])
        _run([*pip, *_pins()])
        for p in [base, *base.rglob("*")]:
            if not p.is_symlink():
                os.chmod(p, os.stat(p).st_mode | 0o444 | (0o111 if p.is_dir() else 0))
        (base / ".ready").touch()
        return venv


def course_copy(dest: Path) -> Path:
    """What ``dlcourse grade hw0`` needs of the course, copied to ``dest`` (world-readable)."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    for folder in ("source/hw0", "release/hw0", "autograder/submissions/perfect/hw0",
                   "autograder/submissions/untouched/hw0"):
        shutil.copytree(ROOT / folder, dest / folder)
    for p in [dest, *dest.rglob("*")]:
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    return dest


def traversable_tmpdir(prefix: str) -> Path:
    """A fresh folder every user can reach (the parents of pytest's tmp_path may not be)."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    os.chmod(path, 0o755)
    return path
