"""A clean, non-editable install of the course package, usable by any user (a helper, not a test module).

``wheel_venv()`` builds the wheel with ``pip wheel --no-deps`` from a fresh copy of exactly what the
package is made of (a stale ``build/lib`` in the checkout cannot leak into it, and the checkout is
not written to), then installs it into a virtual environment made with Debian's ``/usr/bin/python3``:
this machine's default Python lives under /root, which an unprivileged user (uid 65534) cannot
even traverse. Everything lives in a fresh ``mkdtemp`` folder opened to all users (0755, every
parent traversable), never at a guessable path another local user could have prepared. Built once
per pytest process (a module-level cache) and removed when it exits.

The wheel is installed with ``--no-deps`` and then only what ``dlcourse grade hw0`` imports:
its declared dependencies include torch and torchvision (about 5 GB), which hw0 never imports and
the warm parent treats as optional. What grading hw0 imports: nbformat (reading notebooks), tqdm
(progress), numpy, scipy (the zygote pre-imports them; hw0 uses scipy.special), matplotlib
(report.html's histograms; pre-imported too), and IPython (the runner turns %magics into Python).
nbgrader is not needed with ``--db-url none``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEBIAN_PYTHON = Path("/usr/bin/python3")
GRADE_HW0_NEEDS = ["numpy", "scipy", "nbformat", "tqdm", "matplotlib", "ipython"]
PACKAGED = ["pyproject.toml", "README.md", "LICENSE", "LICENSE-CONTENT.md", "course_utils", "autograder"]
COURSE_FOR_HW0 = ["source/hw0", "release/hw0"]  # find_course(): a folder holding source/ and autograder/
SAMPLES_FOR_HW0 = ["autograder/submissions/perfect/hw0", "autograder/submissions/untouched/hw0"]
# Variables that would let the installed command see the checkout instead of its own install.
LEAKY_ENV = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "VIRTUAL_ENV", "DLCOURSE_ROOT")

_venv: Path | None = None


def clean_env(**extra: str) -> dict[str, str]:
    """The environment to run the installed package in: nothing that points back at the checkout."""
    env = {k: v for k, v in os.environ.items() if k not in LEAKY_ENV}
    return {**env, **extra}


def _run(cmd, **kw):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=clean_env(), **kw)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n"
                           f"{proc.stderr[-3000:]}")
    return proc


def _pins() -> list[str]:
    """The versions the dev .venv runs, so the clean install grades with the same libraries."""
    frozen = _run([ROOT / ".venv" / "bin" / "python", "-m", "pip", "freeze"]).stdout.splitlines()
    wanted = {n.lower() for n in GRADE_HW0_NEEDS}
    pins = [ln for ln in frozen if "==" in ln and ln.split("==")[0].lower() in wanted]
    return pins if len(pins) == len(wanted) else GRADE_HW0_NEEDS


def _open_to_all(path: Path) -> None:
    """a+rX on ``path`` and below, without following links (a venv has bin/python -> /usr/bin/...)."""
    for p in [path, *path.rglob("*")]:
        st = p.lstat()
        if not stat.S_ISLNK(st.st_mode):
            extra = 0o555 if stat.S_ISDIR(st.st_mode) or st.st_mode & 0o100 else 0o444
            os.chmod(p, st.st_mode | extra)


def _check_traversable(path: Path) -> None:
    for p in [path, *path.parents]:
        if not os.stat(p).st_mode & stat.S_IXOTH:
            raise RuntimeError(f"{p} is not traversable by other users, so uid 65534 could not reach {path}")


def traversable_tmpdir(prefix: str) -> Path:
    """A fresh folder (unguessable name) that every user can reach: under /tmp, not $TMPDIR or
    pytest's tmp_path, whose parents may be private."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    os.chmod(path, 0o755)
    _check_traversable(path)
    return path


def build_wheel(dest: Path) -> Path:
    """``pip wheel --no-deps`` of a clean copy of the package sources; returns the .whl."""
    src = dest / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "submissions")
    for name in PACKAGED:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=ignore)
        else:
            shutil.copy(ROOT / name, src / name)
    _run([ROOT / ".venv" / "bin" / "python", "-m", "pip", "wheel", "-q", "--no-deps", "-w", dest / "wheels", src])
    (wheel,) = (dest / "wheels").glob("*.whl")
    shutil.rmtree(src)
    return wheel


def wheel_venv() -> Path:
    """The clean virtual environment (its ``bin/dlcourse`` is the installed command). Slow the first
    time in a process (about a minute: build, venv, install); cached after that."""
    global _venv
    if _venv is not None:
        return _venv
    base = traversable_tmpdir("dlcourse-wheel-env-")
    atexit.register(shutil.rmtree, base, True)
    wheel = build_wheel(base)
    venv = base / "venv"
    _run([DEBIAN_PYTHON, "-m", "venv", venv])
    pip = [venv / "bin" / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    _run([*pip, "--no-deps", wheel])  # not editable, and without torch: see the module docstring
    _run([*pip, *_pins()])
    _open_to_all(base)
    _venv = venv
    return venv


def course_copy(dest: Path) -> Path:
    """What ``dlcourse grade hw0`` needs of the course (source/hw0, release/hw0, and the perfect and
    untouched samples under autograder/submissions/), copied to ``dest``, world-readable. ``dest``
    is a course root for find_course(): it holds source/ and autograder/."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")  # [tool.dlcourse] settings
    for folder in COURSE_FOR_HW0 + SAMPLES_FOR_HW0:
        shutil.copytree(ROOT / folder, dest / folder)
    for p in [dest, *dest.rglob("*")]:
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    return dest
