"""The first code cell of every lecture and assignment, in a Colab that is only pretended.

Every notebook carries the one Colab block that ``dlcourse badges`` renders from ``[tool.dlcourse]``:
it installs the course helpers from the repository at the branch the badge opens, once per runtime,
never touching Colab's torch, and when pip fails it stops with one sentence instead of a trace.
Here pip is replaced by a stand-in; tests/test_colab_simulation.py runs the real thing.
"""

import json
import re
import subprocess
import sys
import types

import pytest
from helpers import ROOT

from autograder.badges import COLAB_BLOCK, colab_block, install_target, settings
from autograder.course import Course

CONFIG = settings(Course(ROOT))
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "release").glob("*/*.ipynb"))


def _setup_cell(path) -> str:
    nb = json.loads(path.read_text())
    return "".join(next(c for c in nb["cells"] if c["cell_type"] == "code")["source"])


def _run_block(monkeypatch, *, in_colab=True, installed=False, returncode=0, stderr=""):
    calls = []

    def fake_pip(cmd, *a, **k):
        calls.append(list(cmd))
        return subprocess.CompletedProcess(cmd, returncode, "", stderr)

    monkeypatch.setattr(subprocess, "run", fake_pip)
    if in_colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: (real_find_spec(name, *a) if installed else None)
                        if name == "course_utils" else real_find_spec(name, *a))
    exec(compile(colab_block(CONFIG), "<setup cell>", "exec"), {})
    return calls


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_setup_cell_starts_with_the_configured_colab_block(path):
    source = _setup_cell(path)
    found = COLAB_BLOCK.match(source)
    assert found, f"{path.name}: the first code cell must start with the Colab block (run `dlcourse badges`)"
    assert found.group(0) == colab_block(CONFIG), f"{path.name} is out of date: run `dlcourse badges`"


def test_the_block_installs_the_configured_branch_and_keeps_colabs_torch(monkeypatch, capsys):
    (cmd,) = _run_block(monkeypatch)
    assert cmd[:4] == [sys.executable, "-m", "pip", "install"]
    packages = [a for a in cmd[4:] if not a.startswith("-")]
    assert packages == [f"dl-first-principles @ {install_target(CONFIG)}"]
    assert install_target(CONFIG) == f"{CONFIG['repository']}@{CONFIG['branch']}".replace("https:", "git+https:")
    assert not {"-U", "--upgrade", "--force-reinstall", "--no-deps"} & set(cmd), "Colab's torch must be kept"
    assert capsys.readouterr().out.startswith("Course helpers "), "it says what it installed"


def test_the_block_installs_once_per_runtime_and_never_outside_colab(monkeypatch):
    assert _run_block(monkeypatch, installed=True) == []
    assert _run_block(monkeypatch, in_colab=False) == []


def test_a_failed_install_says_why_in_one_line(monkeypatch):
    stderr = ("  WARNING: Did not find branch or tag 'spring-2027', assuming revision or ref.\n"
              "  error: subprocess-exited-with-error\n"
              "      error: pathspec 'spring-2027' did not match any file(s) known to git\n")
    with pytest.raises(SystemExit) as stop:
        _run_block(monkeypatch, returncode=1, stderr=stderr)
    message = str(stop.value)
    assert "\n" not in message
    assert message.startswith(f"Could not install the course helpers from {install_target(CONFIG)} "
                              "(Did not find branch or tag 'spring-2027', assuming revision or ref.)")
    assert "run this cell again" in message


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_lectures_report_their_device(path):
    assert re.search(r"^device = cu\.get_device\(\)", _setup_cell(path), flags=re.M)


def test_get_device_says_what_it_got(capsys):
    import course_utils as cu

    device = cu.get_device()
    out = capsys.readouterr().out
    assert out.startswith("Using device: ") and device.type in out
