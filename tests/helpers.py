import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DLCOURSE = [sys.executable, "-m", "autograder.cli"]


def dlcourse(*args, cwd=ROOT, env=None):
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([*DLCOURSE, *map(str, args)], cwd=cwd, env=full_env, capture_output=True, text=True)


def tree_digest(folder: Path) -> str:
    """A hash of every file's path and bytes under ``folder`` (to prove nothing was modified)."""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if "__pycache__" in p.parts:  # Python's own byte-code caches, written by any import
            continue
        h.update(str(p.relative_to(folder)).encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()
