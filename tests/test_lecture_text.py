"""Lecture text that students copy or rely on: scripts that run as written, sources they can read."""

import json
import re

import pytest
from helpers import ROOT

LECTURES = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _markdown(path) -> str:
    cells = json.loads(path.read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem)
def test_batch_scripts_start_with_a_shebang(path):
    # sbatch refuses a script whose first line is not #!: "This does not look like a batch script".
    for block in re.findall(r"```bash\n(.*?)```", _markdown(path), re.S):
        if "#SBATCH" in block:
            assert block.startswith("#!"), block.splitlines()[0]


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem)
def test_no_reference_to_documents_students_do_not_have(path):
    text = _markdown(path).lower()
    assert not re.search(r"curriculum notes|umn homework", text)
