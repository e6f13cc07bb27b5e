"""Smoke mode (COURSE_SMOKE=1) and the pieces of `make smoke-full` (tools/smoke_full.py), without notebooks.

`make smoke-full` itself runs every lecture; these tests check, in seconds, what it rests on: ``pick``'s
smoke values, ``report_target`` not asserting (and not claiming a result) in smoke mode only, and that
the stand-in datasets are read by torchvision and by lecture 09's Cora loader, with the CIFAR-10
integrity check relaxed to the harness's own md5s inside the stand-in folder and nowhere else.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import course_utils as cu
from course_utils import runtime

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import smoke_full  # noqa: E402


@pytest.fixture(autouse=True)
def _reset_mode(monkeypatch):
    monkeypatch.setattr(runtime, "_fast_override", None)
    monkeypatch.delenv("COURSE_SMOKE", raising=False)


@pytest.mark.parametrize(("fast", "smoke", "expected"), [
    ("1", None, "fast"), ("1", "1", "fast"),  # COURSE_SMOKE means nothing in fast mode
    ("0", None, "full"), ("0", "0", "full"), ("0", "1", "smoke"),
])
def test_pick_smoke_value_only_in_smoke_mode(monkeypatch, fast, smoke, expected):
    monkeypatch.setenv("COURSE_FAST", fast)
    if smoke is not None:
        monkeypatch.setenv("COURSE_SMOKE", smoke)
    assert cu.smoke_mode() is (expected == "smoke")
    assert cu.pick(fast="fast", full="full", smoke="smoke") == expected
    assert cu.pick(fast="fast", full="full") == ("fast" if expected == "fast" else "full")  # no smoke= given
    assert cu.pick(fast=1, full=2, smoke=None) == (None if expected == "smoke" else {"fast": 1, "full": 2}[expected])


def test_smoke_mode_rejects_nonsense(monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "0")
    monkeypatch.setenv("COURSE_SMOKE", "perhaps")
    with pytest.raises(ValueError, match="COURSE_SMOKE"):
        cu.smoke_mode()


def test_report_target_in_smoke_mode_prints_and_records_but_does_not_assert(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path))
    monkeypatch.setenv("COURSE_FAST", "0")
    monkeypatch.setenv("COURSE_SMOKE", "1")
    assert cu.report_target("accuracy", 0.10, ">=", 0.95, notebook="nb") == 0.10
    assert "TARGET [smoke] accuracy: 0.1 (target >= 0.95) -> smoke: not checked" in capsys.readouterr().out
    monkeypatch.setenv("COURSE_SMOKE", "0")  # full mode asserts, as before
    with pytest.raises(AssertionError, match="Target missed"):
        cu.report_target("accuracy", 0.10, ">=", 0.95, notebook="nb")
    records = [json.loads(line) for line in (tmp_path / "nb.jsonl").read_text().splitlines()]
    assert [(r["mode"], r["passed"]) for r in records] == [("smoke", None), ("full", False)]


@pytest.fixture(scope="module")
def standins(tmp_path_factory):
    root = tmp_path_factory.mktemp("standins")
    smoke_full.write_standins(root)
    return root


def _run(code, root, startup=True, tmp=None):
    """Run `code` in a fresh interpreter in smoke mode, the harness's startup file executed first."""
    env = smoke_full.smoke_env(root, tmp or root, "test")
    pre = smoke_full.STARTUP.replace("{marker}", smoke_full.MARKER) if startup else ""
    return subprocess.run([sys.executable, "-c", pre + "\n" + code], env=env, capture_output=True, text=True,
                          cwd=ROOT)


def test_standins_load_through_torchvision_with_the_harness_check(standins):
    marker = json.loads((standins / smoke_full.MARKER).read_text())
    assert "MNIST/raw/train-images-idx3-ubyte" in marker["md5"] and "cifar-10-batches-py/batches.meta" in marker["md5"]
    (mnist_train, mnist_test), (cifar_train, cifar_test) = smoke_full.MNIST_SIZES, smoke_full.CIFAR_SIZES
    code = f"""
import course_utils as cu
m, c = cu.load_mnist(), cu.load_cifar10()
assert not m.is_fallback and not c.is_fallback
x, y = m.train[0]; assert tuple(x.shape) == (1, 28, 28) and 0 <= y < 10, (x.shape, y)
x, y = c.test[0]; assert tuple(x.shape) == (3, 32, 32) and 0 <= y < 10, (x.shape, y)
assert c.train.classes[0] == "airplane" and len(m.test) == {mnist_test} and len(c.train) == {cifar_train}
"""
    out = _run(code, standins)
    assert out.returncode == 0, out.stderr
    assert f"Loaded MNIST from {standins}: {mnist_train} train / {mnist_test} test" in out.stdout
    assert f"Loaded CIFAR10 from {standins}: {cifar_train} train / {cifar_test} test" in out.stdout


def test_without_the_harness_cifar_standin_fails_loudly_and_mnist_needs_nothing(standins):
    out = _run("import course_utils as cu; cu.load_mnist(); cu.load_cifar10()", standins, startup=False)
    assert "Loaded MNIST" in out.stdout  # torchvision checks only that MNIST's raw files exist
    assert out.returncode != 0 and "CIFAR10 could not be loaded" in out.stderr  # md5s of the real files


def test_harness_check_still_catches_an_altered_standin_and_leaves_other_folders_alone(standins, tmp_path):
    import shutil

    copy = tmp_path / "altered"
    shutil.copytree(standins, copy)
    batch = copy / "cifar-10-batches-py" / "data_batch_3"
    batch.write_bytes(batch.read_bytes()[:-1] + b"\x00")
    other = tmp_path / "elsewhere"  # an intact stand-in in a folder without the marker: torchvision's own check
    shutil.copytree(standins / "cifar-10-batches-py", other / "cifar-10-batches-py")
    code = f"""
import course_utils as cu, torchvision
for load in (cu.load_cifar10, lambda: torchvision.datasets.CIFAR10({str(other)!r}, train=False)):
    try:
        load()
    except RuntimeError as exc:
        print("refused:", str(exc)[:40])
"""
    out = _run(code, copy)
    assert out.stdout.count("refused:") == 2, (out.stdout, out.stderr)


def test_cora_standin_loads_with_lecture_08s_loader(standins, monkeypatch, capsys):
    import numpy as np
    import torch

    nb = json.loads((ROOT / "notebooks" / "09_gnn.ipynb").read_text())
    cell = next("".join(c["source"]) for c in nb["cells"] if "def load_cora" in "".join(c["source"]))
    namespace = {"np": np, "torch": torch}
    exec(cell.split("\ncora = None")[0], namespace)  # the function only, not the cell's full-mode run
    monkeypatch.setenv("COURSE_DATA", str(standins))
    x, edge_index, y, train_idx, val_idx, test_idx = namespace["load_cora"]()
    sizes = smoke_full.CORA
    assert x.shape == (sizes["num_allx"] + sizes["num_test"], sizes["num_features"])
    assert int(y.max()) + 1 == sizes["num_classes"] and len(train_idx) == sizes["num_train"] and len(val_idx) == 500
    assert test_idx.tolist() == list(range(sizes["num_allx"], sizes["num_allx"] + sizes["num_test"]))
    assert edge_index.shape[0] == 2 and int(edge_index.max()) < len(x)
    assert "could not" not in capsys.readouterr().out


def test_make_test_runs_the_smoke_run():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "tools/smoke_full.py" in recipe and "\nsmoke-full:" in makefile


def test_every_lecture_that_loads_data_in_full_mode_is_checked_for_it():
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        source = "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"]
                           if c["cell_type"] == "code")
        expected = smoke_full.expected_loads(source, Path("/data"))
        for name, call in [("MNIST", "load_mnist("), ("CIFAR10", "load_cifar10("), ("Cora", "load_cora(")]:
            assert (call in source) == (name in expected), (path.name, name)
