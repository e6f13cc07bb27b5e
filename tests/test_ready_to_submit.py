"""``ready_to_submit``, the checklist at the end of every assignment, on notebooks a student could hold.

The namespaces come from running the real setup and answer cells (reference answers, or the released
stubs), the cells from the real release, so each check is exercised on what students actually get.
"""

import json
import re

import pytest
from helpers import ROOT, reference_filled

from course_utils.submit import check_submission

ASSIGNMENTS = sorted(p.name for p in (ROOT / "release").iterdir() if p.is_dir())


def _namespace(nb: dict) -> dict:
    """Run the setup cell and the answer cells (not the tests) the way a kernel would."""
    ns = {"__name__": "__main__"}
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if cell["cell_type"] == "code" and (meta.get("grade_id") == "setup" or meta.get("solution")):
            exec(compile("".join(cell["source"]), f"<{meta.get('grade_id')}>", "exec"), ns)
    return ns


def _failed(checks) -> list[str]:
    return [c.text for c in checks if c.ok is False]


@pytest.mark.parametrize("hw", ASSIGNMENTS)
def test_reference_answers_pass_every_check(hw):
    nb = reference_filled(hw)
    checks = check_submission(hw, namespace=_namespace(nb), cells=nb["cells"], filename=f"{hw}.ipynb")
    assert _failed(checks) == []
    assert all(c.ok for c in checks)


@pytest.mark.parametrize("hw", ASSIGNMENTS)
def test_an_untouched_release_lists_every_stub_and_empty_answer(hw):
    (path,) = (ROOT / "release" / hw).glob("*.ipynb")
    nb = json.loads(path.read_text())
    failed = _failed(check_submission(hw, namespace=_namespace(nb), cells=nb["cells"], filename=path.name))
    manifest = json.loads((ROOT / "course_utils" / "resources" / "assignments.json").read_text())[hw]
    stubs = [t for t in failed if "NotImplementedError" in t]
    assert len(stubs) == len(manifest["graded"]), failed
    assert any("still say YOUR ANSWER HERE" in t for t in failed)


def test_edited_deleted_and_renamed_things_are_named():
    nb = reference_filled("hw0")
    ns = _namespace(nb)
    tests = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "test_softmax"]
    tests[0]["source"] = "".join(tests[0]["source"]) + "\nprint('I changed the test')\n"
    cells = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") != "test_logsumexp"]
    exec("def softmax(Z, axis=-1):\n    return Z\n", ns)  # a changed signature
    del ns["gaussian_mle"]
    failed = _failed(check_submission("hw0", namespace=ns, cells=cells, filename="Copy of hw0.ipynb"))
    joined = "\n".join(failed)
    assert "test_softmax" in joined and "test_logsumexp" in joined
    assert "`softmax` takes (Z, axis)" in joined
    assert "`gaussian_mle` is not defined" in joined
    assert "Copy of hw0.ipynb" in joined


def test_without_the_notebook_file_it_reads_the_kernel_history():
    nb = reference_filled("hw0")
    ns = _namespace(nb)
    ran = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    ns["In"] = [""] + ran
    checks = check_submission("hw0", namespace=ns)
    assert _failed(checks) == []
    assert any(c.ok is None and "hw0.ipynb" in c.text for c in checks), "it reminds of the file name"
    ns["In"] = [""] + [s for s in ran if "test_softmax" not in s and not re.search(r"softmax\(", s)]
    assert any("not run unchanged" in t for t in _failed(check_submission("hw0", namespace=ns)))


def test_an_unknown_assignment_says_which_exist():
    with pytest.raises(ValueError, match="hw0"):
        check_submission("hw9", namespace={}, cells=[], filename="hw9.ipynb")
