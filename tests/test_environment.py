"""environment.yml (conda) and pyproject.toml (pip) describe the same environment."""

import re
import tomllib

import yaml
from helpers import ROOT


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    listed = {_name(d) for d in conda + pip if not d.startswith("-e")}
    assert {_name(d) for d in project["dependencies"]} <= listed
    assert any(d.startswith("-e") and "[dev]" in d for d in pip), "the pip section installs this repo with [dev]"
    assert "conda-forge" in env["channels"]


def test_torch_is_unpinned_in_pyproject_and_pinned_for_ci():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    torch = [d for d in deps if _name(d) in {"torch", "torchvision"}]
    assert torch and all("==" not in d for d in torch), "Colab's preinstalled torch must satisfy pyproject"
    pins = (ROOT / "constraints" / "ci.txt").read_text()
    assert "torch==2.14.1" in pins and "torchvision==0.29.1" in pins
