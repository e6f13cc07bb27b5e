"""The shape of every lecture notebook (CONTRIBUTING.md, "Lecture notebooks"), and the shared helpers
that keep lectures from copying code.

- every code cell is at most ``MAX_CELL_LINES`` lines: a longer one is split into readable steps;
- no top-level function or class is defined in two lectures: shared code lives in ``course_utils``
  (methods attached with ``@cu.add_to_class(Cls)`` count as ``Cls.name``);
- the skeleton: badge, ``# NN. Title``, a "What you will learn" paragraph, the target table (fast and
  full mode as its last two columns), the setup cell tagged ``parameters``, one ``## Target`` section
  whose code cell is the last one and calls ``cu.report_target(..., notebook="NN_name")``, then
  ``## Summary`` and ``## Exercises``.

Each check is a function returning the problems it finds, so that the tests at the end can show that
it fails on a lecture copy that breaks the rule.
"""

from __future__ import annotations

import ast
import copy
import json
import re
from collections import defaultdict
from pathlib import Path

import pytest
from helpers import ROOT

LECTURES = sorted((ROOT / "notebooks").glob("*.ipynb"))
MAX_CELL_LINES = 60
BADGE_PREFIX = "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]("
_MAGIC = re.compile(r"^\s*[%!].*$", re.M)  # IPython magics and shell lines are not Python


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _source(cell: dict) -> str:
    src = cell["source"]
    return src if isinstance(src, str) else "".join(src)


def _code_cells(nb: dict):
    return [(i, _source(c)) for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]


def _parse(code: str):
    try:
        return ast.parse(_MAGIC.sub("", code))
    except SyntaxError:
        return None


# ---------------------------------------------------------------------------------------------------
# the checks


def long_cells(path: Path, nb: dict | None = None) -> list[str]:
    """Code cells over MAX_CELL_LINES lines, as 'NN_name cell i: n lines'."""
    nb = nb or _load(path)
    return [f"{path.stem} cell {i}: {n} lines" for i, src in _code_cells(nb)
            if (n := len(src.rstrip("\n").splitlines())) > MAX_CELL_LINES]


def _attached_to(node) -> str | None:
    """The class name in ``@cu.add_to_class(Cls)`` / ``@add_to_class(Cls)``, if the def has it."""
    for dec in getattr(node, "decorator_list", []):
        if isinstance(dec, ast.Call) and dec.args and isinstance(dec.args[0], ast.Name):
            func = dec.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name == "add_to_class":
                return dec.args[0].id
    return None


def top_level_definitions(path: Path, nb: dict | None = None) -> dict[str, list[int]]:
    """Top-level ``def``/``class`` names of a lecture -> the indices of the cells defining them."""
    nb = nb or _load(path)
    out: dict[str, list[int]] = defaultdict(list)
    for i, src in _code_cells(nb):
        tree = _parse(src)
        for node in tree.body if tree else []:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                owner = _attached_to(node)
                out[f"{owner}.{node.name}" if owner else node.name].append(i)
    return out


def shared_definitions(notebooks: dict[str, dict]) -> dict[str, list[str]]:
    """Names defined at the top level of two or more lectures -> 'NN_name cell i' of each definition."""
    where: dict[str, list[str]] = defaultdict(list)
    owners: dict[str, set[str]] = defaultdict(set)
    for stem, nb in notebooks.items():
        for name, cells in top_level_definitions(Path(stem), nb).items():
            owners[name].add(stem)
            where[name] += [f"{stem} cell {i}" for i in cells]
    return {name: where[name] for name, stems in sorted(owners.items()) if len(stems) > 1}


def _target_table_header(header: str) -> list[str] | None:
    """The column titles of the first table after the '**Target result' line of the header cell."""
    lines = header.splitlines()
    start = next((k for k, line in enumerate(lines) if line.startswith("**Target result")), None)
    if start is None:
        return None
    row = next((line for line in lines[start:] if line.startswith("|")), None)
    return None if row is None else [c.strip() for c in row.strip().strip("|").split("|")]


def skeleton_problems(path: Path, nb: dict | None = None) -> list[str]:
    """What the lecture lacks of CONTRIBUTING.md's skeleton, each with what to do about it."""
    nb = nb or _load(path)
    stem, cells = path.stem, nb["cells"]
    problems = []
    if not cells or cells[0]["cell_type"] != "markdown":
        return [f"{stem}: the first cell must be the markdown header (badge, title, what you will learn, target)"]
    header = _source(cells[0])
    first = header.splitlines()[0] if header else ""
    if not (first.startswith(BADGE_PREFIX) and first.endswith(f"/notebooks/{stem}.ipynb)")):
        problems.append(f"{stem}: the header's first line must be the Colab badge for notebooks/{stem}.ipynb "
                        "(run `dlcourse badges`)")
    if not re.search(rf"^# {re.escape(stem[:2])}\. \S", header, re.M):
        problems.append(f"{stem}: the header needs the title line `# {stem[:2]}. Title`")
    learn = re.search(r"^\*\*What you will learn\.\*\* (.+?)(?:\n\n|\Z)", header, re.M | re.S)
    if not learn or len(learn.group(1)) < 200:
        problems.append(f"{stem}: the header needs one paragraph starting `**What you will learn.**` that says, "
                        "from the notebook's content, what the student builds and checks")
    columns = _target_table_header(header)
    if columns is None:
        problems.append(f"{stem}: the header needs `**Target result** (asserted in the last code cell):` and the "
                        "target table")
    elif not (len(columns) >= 3 and columns[-2].startswith("fast mode") and columns[-1].startswith("full mode")):
        problems.append(f"{stem}: the target table must have one row per result and the modes as its last two "
                        f"columns, `fast mode ...` then `full mode ...` (its columns are {columns})")
    setup = cells[1] if len(cells) > 1 else None
    setup_src = _source(setup) if setup else ""
    if not setup or setup["cell_type"] != "code" or "parameters" not in setup.get("metadata", {}).get("tags", []):
        problems.append(f"{stem}: cell 1 must be the setup cell, tagged `parameters`")
    for line in ("import course_utils as cu", "FAST = cu.fast_mode()", "device = cu.get_device()",
                 "cu.seed_everything(0)"):
        if line not in setup_src:
            problems.append(f"{stem}: the setup cell must contain `{line}` (see CONTRIBUTING.md)")
    headings = [((i, k), line) for i, c in enumerate(cells) if c["cell_type"] == "markdown"
                for k, line in enumerate(_source(c).splitlines()) if line.startswith("## ")]
    index = {}
    for name in ("Target", "Summary", "Exercises"):
        found = [i for i, line in headings if line.strip() == f"## {name}"]
        if len(found) != 1:
            problems.append(f"{stem}: needs exactly one `## {name}` heading (found {len(found)}); "
                            f"rename the section that states the target to `## Target`" if name == "Target" else
                            f"{stem}: needs exactly one `## {name}` heading (found {len(found)})")
        else:
            index[name] = found[0]
    if len(index) == 3 and not index["Target"] < index["Summary"] < index["Exercises"]:
        problems.append(f"{stem}: the sections must end in the order `## Target`, `## Summary`, `## Exercises`")
    code = _code_cells(nb)
    if "Target" in index and code:
        last_i, last_src = code[-1]
        if last_i < index["Target"][0] or "cu.report_target(" not in last_src:
            problems.append(f"{stem}: the last code cell must come after `## Target` and state the target with "
                            f"`cu.report_target(..., notebook=\"{stem}\")`")
    for i, src in code:
        tree = _parse(src)
        for node in ast.walk(tree) if tree else []:
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr == "report_target":
                kw = {k.arg: k.value for k in node.keywords}
                value = kw.get("notebook")
                if not (isinstance(value, ast.Constant) and value.value == stem):
                    problems.append(f"{stem} cell {i}: write `cu.report_target(..., notebook=\"{stem}\")`, "
                                    "the notebook's name as a string")
    return problems


# ---------------------------------------------------------------------------------------------------
# the rules, on the repository's lectures


def test_the_lectures_are_found():
    assert len(LECTURES) == 17, [p.name for p in LECTURES]


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem)
def test_no_code_cell_is_longer_than_60_lines(path):
    problems = long_cells(path)
    assert not problems, (f"code cells over {MAX_CELL_LINES} lines: {problems}. Split each into readable steps "
                          "(a class across cells with cu.add_to_class, an experiment into setup / run / plot), "
                          "with a sentence of markdown before each step.")


def test_no_function_or_class_is_defined_in_two_lectures():
    shared = shared_definitions({p.stem: _load(p) for p in LECTURES})
    assert not shared, (f"defined at the top level of several lectures: {shared}. Move each to a course_utils "
                        "module (with a docstring and a test, exposed lazily in course_utils/__init__.py) and call "
                        "it as cu.name, or keep it in the lecture that teaches it and import it elsewhere; if two "
                        "different functions share a name, rename one.")


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem)
def test_lecture_has_the_skeleton(path):
    problems = skeleton_problems(path)
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------------------------
# each check fails on a lecture that breaks its rule (a modified copy in tmp_path)


@pytest.fixture
def lecture(tmp_path):
    """A copy of lecture 06 in tmp_path, its notebook dict, and a function that saves and re-reads it."""
    src = ROOT / "notebooks" / "06_cnn.ipynb"
    path = tmp_path / src.name
    nb = _load(src)

    def save(changed):
        path.write_text(json.dumps(changed), encoding="utf-8")
        return path, _load(path)

    return nb, save


def _first_code(nb, needle):
    return next(c for c in nb["cells"] if c["cell_type"] == "code" and needle in _source(c))


def test_long_cell_check_fails_on_a_61_line_cell(lecture):
    nb, save = lecture
    assert not long_cells(*save(nb))
    cell = _first_code(nb, "cu.report_target(")
    cell["source"] = _source(cell) + "\n" * 2 + "\n".join(f"x_{k} = {k}" for k in range(61))
    index = nb["cells"].index(cell)
    problems = long_cells(*save(nb))
    assert len(problems) == 1 and problems[0].startswith(f"06_cnn cell {index}: "), problems


def test_duplicate_check_fails_on_a_helper_in_two_lectures(lecture):
    nb, save = lecture
    other = _load(ROOT / "notebooks" / "15_deep_rl.ipynb")
    assert not shared_definitions({"06_cnn": nb, "15_deep_rl": other})
    helper = "def train_model(model):\n    return model\n"
    copied = copy.deepcopy(other)
    copied["cells"].append({"cell_type": "code", "metadata": {}, "source": helper, "outputs": [],
                            "execution_count": None})
    shared = shared_definitions({"06_cnn": nb, "15_deep_rl": copied})
    assert list(shared) == ["train_model"] and any(w.startswith("15_deep_rl cell") for w in shared["train_model"])
    # methods attached with cu.add_to_class are named after their class: forward of two classes is no clash
    method = "@cu.add_to_class(Policy)\ndef forward(self, x):\n    return x\n"
    copied["cells"][-1]["source"] = method
    assert top_level_definitions(Path("15_deep_rl"), copied)["Policy.forward"]
    assert not shared_definitions({"06_cnn": nb, "15_deep_rl": copied})


@pytest.mark.parametrize("breakage", ["badge", "title", "learn", "table", "orientation", "parameters",
                                      "target", "summary", "exercises", "notebook"])
def test_skeleton_check_fails_on_a_broken_lecture(lecture, breakage):
    nb, save = lecture
    assert not skeleton_problems(*save(nb))
    header = nb["cells"][0]
    text = _source(header)
    if breakage == "badge":
        header["source"] = text.replace("06_cnn.ipynb)", "04_autodiff.ipynb)", 1)
    elif breakage == "title":
        header["source"] = text.replace("# 06. ", "# Six. ")
    elif breakage == "learn":
        header["source"] = text.replace("**What you will learn.** ", "")
    elif breakage == "table":
        header["source"] = text.replace("**Target result**", "**Result**")
    elif breakage == "orientation":  # modes as rows, not columns
        header["source"] = re.sub(r"\*\*Target result\*\*(.*?)\n\n\|.*?\n\n", "**Target result**\\1\n\n"
                                  "| mode | what | target |\n|---|---|---|\n| fast | canvas | 95% |\n\n",
                                  text, count=1, flags=re.S)
    elif breakage == "parameters":
        nb["cells"][1]["metadata"]["tags"] = []
    elif breakage in ("target", "summary", "exercises"):
        title = breakage.capitalize()
        cell = next(c for c in nb["cells"] if c["cell_type"] == "markdown" and f"## {title}" in _source(c))
        cell["source"] = _source(cell).replace(f"## {title}", "## 9. Results" if title == "Target" else "## Notes")
    elif breakage == "notebook":
        cell = _first_code(nb, "cu.report_target(")
        cell["source"] = _source(cell).replace('notebook="06_cnn"', "notebook=NB", 1)
    problems = skeleton_problems(*save(nb))
    assert problems and all(p.startswith("06_cnn") for p in problems), problems
    expected = {"badge": "Colab badge", "title": "`# 06. Title`", "learn": "What you will learn",
                "table": "Target result", "orientation": "last two", "parameters": "`parameters`",
                "target": "`## Target`", "summary": "`## Summary`", "exercises": "`## Exercises`",
                "notebook": 'notebook="06_cnn"'}[breakage]
    assert any(expected in p for p in problems), problems


# ---------------------------------------------------------------------------------------------------
# the helpers that lectures share instead of copying (course_utils/models.py, data.py, targets.py, classes.py)


def test_shared_helper_modules_import_without_torch():
    import subprocess
    import sys

    code = ("import sys, course_utils.models, course_utils.classes, course_utils.targets, course_utils as cu; "
            "cu.mlp, cu.conv_bn_relu, cu.add_to_class, cu.best_time, cu.dataset_to_tensors; "
            "assert not {'torch', 'matplotlib', 'sklearn'} & set(sys.modules), sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_mlp_builds_what_the_lectures_wrote_by_hand():
    import torch
    from torch import nn

    import course_utils as cu

    # lecture 01's MLP: flatten, two hidden layers with dropout; same seed, same weights
    torch.manual_seed(0)
    ours = cu.mlp([64, 32, 32, 10], dropout=0.2, flatten=True)
    torch.manual_seed(0)
    by_hand = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 32),
                            nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 10))
    assert str(ours) == str(by_hand)
    for (k1, v1), (k2, v2) in zip(ours.state_dict().items(), by_hand.state_dict().items(), strict=True):
        assert k1 == k2 and torch.equal(v1, v2)
    # lecture 15's MLP (no dropout layers at all) and lecture 13's decoder (sigmoid output)
    assert str(cu.mlp([4, 16, 2])) == str(nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2)))
    decoder = cu.mlp([2, 8, 64], out_activation=nn.Sigmoid, activation=nn.Tanh)
    assert [type(m) for m in decoder] == [nn.Linear, nn.Tanh, nn.Linear, nn.Sigmoid]
    y = cu.mlp([64, 8, 3], flatten=True)(torch.zeros(5, 1, 8, 8))
    assert y.shape == (5, 3)
    with pytest.raises(ValueError, match="at least"):
        cu.mlp([3])


def test_conv_bn_relu_keeps_the_size():
    import torch
    from torch import nn

    import course_utils as cu

    block = cu.conv_bn_relu(3, 8)
    assert [type(m) for m in block] == [nn.Conv2d, nn.BatchNorm2d, nn.ReLU] and block[0].bias is None
    assert block(torch.randn(2, 3, 9, 7)).shape == (2, 8, 9, 7)


def test_dataset_to_tensors_stacks_a_map_style_dataset():
    import torch
    from torch.utils.data import TensorDataset

    import course_utils as cu

    X, y = torch.randn(7, 1, 4, 4), torch.arange(7)
    ds = TensorDataset(X, y)
    X_out, y_out = cu.dataset_to_tensors(ds)
    assert X_out is X and y_out is y  # a TensorDataset's own tensors, no copy
    pairs = [(X[i], int(y[i])) for i in range(7)]  # like torchvision: image tensors, integer labels
    X2, y2 = cu.dataset_to_tensors(pairs, batch_size=3)
    assert torch.equal(X2, X) and torch.equal(y2, y) and y2.dtype == torch.int64


def test_best_time_returns_the_fastest_call():
    import course_utils as cu

    ticks = iter([0.0, 5.0, 10.0, 12.0, 20.0, 23.0])  # calls of 5, 2 and 3 "seconds"
    calls = []
    best = cu.best_time(lambda a, b: calls.append((a, b)), 1, 2, repeats=3, clock=lambda: next(ticks))
    assert best == 2.0 and calls == [(1, 2)] * 3


def test_add_to_class_attaches_methods_and_leaves_the_notebook_names_alone():
    import builtins

    import course_utils as cu

    namespace = {"cu": cu}  # a notebook's globals
    exec(
        "def exp(v):\n    return 'the notebook function'\n\n"
        "class Value:\n    def __init__(self, data):\n        self.data = data\n\n"
        "@cu.add_to_class(Value)\ndef exp(self):\n    return 'the method'\n\n"
        "@cu.add_to_class(Value)\ndef sum(self):\n    return self.data\n\n"
        "@cu.add_to_class(Value)\n@property\ndef T(self):\n    return -self.data\n",
        namespace,
    )
    Value = namespace["Value"]
    assert Value(3).exp() == "the method" and Value(3).sum() == 3 and Value(3).T == -3
    assert namespace["exp"](0) == "the notebook function"  # not rebound to the method
    assert namespace["sum"] is builtins.sum  # the builtin is not shadowed by the method
    assert Value.exp.__qualname__ == "Value.exp"
