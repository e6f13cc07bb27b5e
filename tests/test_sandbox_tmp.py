"""Each run's private /tmp keeps what must stay reachable under /tmp (a checkout's .venv in /tmp, as
in CI) and nothing else: lazy imports such as torch._dynamo must still find their files."""

import os
import tempfile
from pathlib import Path

import pytest

from autograder.engine import sandbox

pytestmark = pytest.mark.skipif(not sandbox.available()[0], reason=sandbox.available()[1])


def test_private_tmp_binds_back_kept_paths_only():
    root = Path(tempfile.mkdtemp(prefix="dlcourse-keep-"))
    (root / "venv" / "lib").mkdir(parents=True)
    (root / "venv" / "lib" / "lazy_module.py").write_text("X = 1\n")
    (root / "source").mkdir()
    (root / "source" / "solution.ipynb").write_text("secret")
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            sandbox.unshare(sandbox.CLONE_NEWNS)
            sandbox.mount("none", "/", None, sandbox.MS_REC | sandbox.MS_PRIVATE)
            sandbox.private_tmp("1m", [root / "venv"])
            seen = ((root / "venv" / "lib" / "lazy_module.py").exists(), (root / "source").exists())
            try:  # read-only: the run cannot change the environment it imports from
                (root / "venv" / "lib" / "x").write_text("x")
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
