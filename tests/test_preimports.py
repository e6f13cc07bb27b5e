"""The grader's warm parent imports torch, SciPy and scikit-learn only for assignments that use them
(autograder/engine/batch.py: preimports): hw0's batches start about 3 s sooner, and a hw0 student
who imports torch anyway is graded the same, paying the import in their own run."""

import json

import pytest
from helpers import ROOT, grade_notebooks, reference_filled

from autograder.engine import sandbox
from autograder.engine.batch import preimports
from autograder.engine.zygote import DEFAULT_PREIMPORT, OPTIONAL_ROOTS


def _source(hw):
    return json.loads(next((ROOT / "source" / hw).glob("*.ipynb")).read_text())


def test_numpy_only_homework_leaves_the_heavy_libraries_out():
    lean = preimports(_source("hw0"))
    assert not [m for m in lean if m.split(".")[0] in OPTIONAL_ROOTS]
    assert {"numpy", "matplotlib.pyplot", "course_utils.grading"} <= set(lean)


def test_a_comment_or_a_string_that_names_torch_does_not_count():
    nb = _source("hw0")
    nb["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [],
                        "source": 'from course_utils import checks  # torch would be slower\nprint("no torch here")'})
    assert preimports(nb) == preimports(_source("hw0")) != DEFAULT_PREIMPORT


@pytest.mark.parametrize("code", ["x = cu.load_digits_tensors()", "from course_utils.data import load_digits_tensors",
                                  "from course_utils import checks, load_digits_tensors as load",
                                  "import course_utils as u\nX = u.load_digits_tensors()",
                                  "y = scipy.special.expit(0)", "def f(torch):\n    return torch"])
def test_a_notebook_that_may_use_them_indirectly_gets_everything(code):
    nb = _source("hw0")
    nb["cells"].append({"cell_type": "code", "metadata": {}, "source": code, "outputs": []})
    assert preimports(nb) == DEFAULT_PREIMPORT


@pytest.mark.parametrize("hw", [f"hw{k}" for k in range(1, 7)])
def test_homework_that_imports_torch_gets_everything(hw):
    # course_utils loads scikit-learn lazily (its digits loader), so one heavy import means all of them
    assert preimports(_source(hw)) == DEFAULT_PREIMPORT


@pytest.mark.skipif(not sandbox.available()[0], reason=sandbox.available()[1])
def test_a_student_who_imports_torch_in_hw0_is_graded_the_same(tmp_path):
    nb = reference_filled("hw0")
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "softmax":
            src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            check = "assert torch.allclose(torch.tensor(softmax(np.eye(2))).sum(1), torch.ones(2, dtype=torch.float64))"
            cell["source"] = f"import scipy.special\nimport sklearn\nimport torch\n\n{src}\n\n{check}\n"
    rows = grade_notebooks(tmp_path, "hw0", {"plain": reference_filled("hw0"), "imports_torch": nb})
    assert rows["imports_torch"]["status"] == "graded", rows["imports_torch"]["reason"]
    assert rows["imports_torch"]["auto_score"] == rows["plain"]["auto_score"] == rows["plain"]["auto_max_score"]
