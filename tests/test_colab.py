"""The first code cell of every lecture and assignment, run as if in Colab.

In Colab (``google.colab`` imported) it must pip-install the course helpers from the repository at
the pinned tag, and nothing else: no torch, no --upgrade that could replace Colab's own CUDA build.
Outside Colab it must install nothing. Lectures then report the device they got.
"""

import json
import re
import subprocess
import sys
import tomllib
import types

import pytest
from helpers import ROOT

CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["dlcourse"]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "release").glob("*/*.ipynb"))


def _setup_cell(path) -> str:
    nb = json.loads(path.read_text())
    return "".join(next(c for c in nb["cells"] if c["cell_type"] == "code")["source"])


def _run_setup(source: str, monkeypatch, in_colab: bool) -> list[list[str]]:
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda cmd, *a, **k: calls.append(list(cmd)))
    if in_colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    # Only the install block: the rest of a setup cell (imports, seeding) is tested by running the notebooks.
    install = re.search(r'^import sys\n\nif "google\.colab" in sys\.modules:.*?check=True\)\n', source, re.S | re.M)
    assert install, "the setup cell starts with the Colab install block of CONTRIBUTING.md"
    exec(compile(install.group(0), "<setup cell>", "exec"), {})
    return calls


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_colab_installs_only_the_course_helpers_at_the_pinned_tag(path, monkeypatch):
    source = _setup_cell(path)
    assert 'if "google.colab" in sys.modules' in source
    calls = _run_setup(source, monkeypatch, in_colab=True)
    assert len(calls) == 1, calls
    cmd = calls[0]
    assert cmd[:4] == [sys.executable, "-m", "pip", "install"]
    packages = [a for a in cmd[4:] if not a.startswith("-")]
    repo = CONFIG["repository"].removeprefix("https://")
    assert packages == [f"dl-first-principles @ git+https://{repo}@{CONFIG['colab_ref']}"]
    assert not {"-U", "--upgrade", "--force-reinstall", "--no-deps"} & set(cmd), "Colab's torch must be kept"
    assert _run_setup(source, monkeypatch, in_colab=False) == []


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_lectures_report_their_device(path):
    assert re.search(r"^device = cu\.get_device\(\)", _setup_cell(path), flags=re.M)


def test_get_device_says_what_it_got(capsys):
    import course_utils as cu

    device = cu.get_device()
    out = capsys.readouterr().out
    assert out.startswith("Using device: ") and device.type in out
