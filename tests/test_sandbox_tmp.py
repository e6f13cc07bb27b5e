"""A run's root file system holds the kept paths even when they live under /tmp (a checkout's .venv
in /tmp, as in CI), read-only, and nothing else: lazy imports such as torch._dynamo must still find
their files, and a solution next to the environment must not be there."""

import os
import tempfile
from pathlib import Path

import pytest

from autograder.engine import sandbox

pytestmark = pytest.mark.skipif(not sandbox.available()[0], reason=sandbox.available()[1])


def test_root_holds_kept_paths_under_tmp_only():
    root = Path(tempfile.mkdtemp(prefix="dlcourse-keep-"))
    (root / "venv" / "lib").mkdir(parents=True)
    (root / "venv" / "lib" / "lazy_module.py").write_text("X = 1\n")
    (root / "source").mkdir()
    (root / "source" / "solution.ipynb").write_text("secret")
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            new = sandbox.enter(sandbox.Jail(keep=[str(root / "venv")]), {})
            inside = Path(new + str(root))
            seen = ((inside / "venv" / "lib" / "lazy_module.py").exists(), (inside / "source").exists())
            try:  # read-only: the run cannot change the environment it imports from
                (inside / "venv" / "lib" / "x").write_text("x")
                writable = True
            except OSError:
                writable = False
            os.write(w, repr((*seen, writable)).encode())
        finally:
            os._exit(0)
    os.close(w)
    os.waitpid(pid, 0)
    result = os.read(r, 100).decode()
    assert result == "(True, False, False)", result
    assert (root / "source" / "solution.ipynb").read_text() == "secret"  # the host's /tmp is untouched
