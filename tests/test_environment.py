"""The version claims of pyproject.toml, constraints/ and environment.yml are the ones that are run.

- pyproject's lower bounds for what the notebooks import are exactly Colab's versions
  (constraints/colab.txt), which tests/test_colab_simulation.py installs and runs;
- its bounds for the grader and the tools are exactly CI's pins (constraints/ci.txt), which `make
  env` installs for every test;
- environment.yml installs CI's pins, and its pip section resolves (pip --dry-run).
"""

import json
import os
import re
import subprocess
import sys
import tomllib

import pytest
import yaml
from helpers import ROOT
from packaging.requirements import Requirement
from packaging.version import Version

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _pins(name: str) -> dict[str, str]:
    lines = [ln.split("#")[0].strip() for ln in (ROOT / "constraints" / name).read_text().splitlines()]
    return {_norm(a): b for a, b in (ln.split("==") for ln in lines if ln)}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _floors(requirements: list[str]) -> dict[str, str]:
    out = {}
    for text in requirements:
        req = Requirement(text)
        if _norm(req.name) == "dl-first-principles":
            continue
        (spec,) = [s for s in req.specifier if s.operator == ">="]
        out[_norm(req.name)] = spec.version
    return out


def test_the_floor_of_what_notebooks_import_is_colabs_set():
    assert _floors(PROJECT["dependencies"]) == _pins("colab.txt")


def test_the_floor_of_the_grader_and_tools_is_what_ci_runs():
    extras = [r for group in PROJECT["optional-dependencies"].values() for r in group]
    ci = _pins("ci.txt")
    floors = _floors(extras)
    assert floors == {k: ci[k] for k in floors}


def test_ci_pins_everything_pyproject_names_at_or_above_its_floor():
    ci = _pins("ci.txt")
    floors = _floors(PROJECT["dependencies"] + [r for g in PROJECT["optional-dependencies"].values() for r in g])
    assert set(floors) <= set(ci)
    assert [k for k, v in floors.items() if Version(ci[k]) < Version(v)] == []


def test_torch_is_unpinned_in_pyproject_and_pinned_for_ci():
    torch = [d for d in PROJECT["dependencies"] if _norm(Requirement(d).name) in {"torch", "torchvision"}]
    assert torch and all("==" not in d for d in torch), "Colab's preinstalled torch must satisfy pyproject"
    assert _pins("ci.txt")["torch"] == "2.14.1" and _pins("ci.txt")["torchvision"] == "0.29.1"


def _conda_pip_section() -> list[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "conda-forge" in env["channels"] and "python=3.11" in env["dependencies"]
    return next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))


def test_environment_yml_installs_this_repo_with_cis_pins():
    assert _conda_pip_section() == ["-c constraints/ci.txt", '-e ".[dev]"']


@pytest.mark.slow
def test_environment_yml_pip_section_resolves_to_cis_pins(tmp_path):
    # Conda writes the pip section to a requirements file beside environment.yml and runs pip there.
    req = ROOT / f".condaenv-test-{os.getpid()}.requirements.txt"
    req.write_text("\n".join(_conda_pip_section()) + "\n")
    report = tmp_path / "report.json"
    try:
        proc = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                               "--report", report, "-r", req.name], cwd=ROOT, capture_output=True, text=True)
    finally:
        req.unlink()
    assert proc.returncode == 0, proc.stderr[-3000:]
    chosen = {_norm(i["metadata"]["name"]): i["metadata"]["version"] for i in json.loads(report.read_text())["install"]}
    assert {k: chosen.get(k) for k in _pins("ci.txt")} == _pins("ci.txt")
