import json
import subprocess
import sys

import numpy as np
import pytest

import course_utils as cu
from course_utils import checks, runtime


@pytest.fixture(autouse=True)
def _reset_mode(monkeypatch):
    monkeypatch.setattr(runtime, "_fast_override", None)


def test_import_is_lazy():
    code = "import sys, course_utils; assert not {'torch', 'matplotlib', 'sklearn'} & set(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(("value", "fast"), [("1", True), ("true", True), ("0", False), ("no", False)])
def test_fast_mode_reads_environment(monkeypatch, value, fast):
    monkeypatch.setenv("COURSE_FAST", value)
    assert cu.fast_mode() is fast
    assert cu.pick(fast="small", full="big") == ("small" if fast else "big")


def test_fast_mode_defaults_to_fast_and_rejects_nonsense(monkeypatch):
    monkeypatch.delenv("COURSE_FAST", raising=False)
    assert cu.fast_mode() is True
    monkeypatch.setenv("COURSE_FAST", "maybe")
    with pytest.raises(ValueError, match="COURSE_FAST"):
        cu.fast_mode()


def test_set_fast_mode_overrides(monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "1")
    cu.set_fast_mode(False)
    assert cu.pick(1, 2) == 2


def test_threads_one_in_fast_mode(monkeypatch):
    import torch

    before = torch.get_num_threads()
    monkeypatch.setenv("COURSE_FAST", "1")
    monkeypatch.delenv("COURSE_THREADS", raising=False)
    try:
        assert cu.configure_threads() == 1
        monkeypatch.setenv("COURSE_THREADS", "2")
        assert cu.configure_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_seed_everything_reproduces_torch_and_numpy():
    import torch

    cu.seed_everything(3)
    a = (torch.randn(5), np.random.rand(3))
    cu.seed_everything(3)
    b = (torch.randn(5), np.random.rand(3))
    assert torch.equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_get_device_is_cpu_here(capsys):
    assert cu.get_device().type == "cpu"
    assert "Using device: cpu" in capsys.readouterr().out


def test_digits_tensors_shapes_and_range():
    X_tr, y_tr, X_te, y_te = cu.load_digits_tensors(image_size=28)
    assert X_tr.shape[1:] == (1, 28, 28) and len(X_tr) + len(X_te) == 1797
    assert 0.0 <= X_tr.min() and X_tr.max() <= 1.0
    assert set(y_tr.tolist()) == set(range(10))


def test_mnist_fast_mode_is_offline_fallback(monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "1")
    with pytest.warns(UserWarning, match="stand-in"):
        splits = cu.load_mnist()
    train, test = splits
    assert splits.is_fallback and splits.name == "digits"
    assert train[0][0].shape == (1, 28, 28)


def test_full_mode_without_data_or_network_falls_back_clearly(monkeypatch, tmp_path, capsys):
    from course_utils import data

    def offline(name, download):
        raise RuntimeError("Dataset not found. You can use download=True to download it")

    monkeypatch.setattr(data, "_torchvision", offline)
    monkeypatch.setenv("COURSE_DATA", str(tmp_path))
    with pytest.warns(UserWarning):
        splits = cu.load_cifar10(fast=False)
    assert splits.is_fallback and splits.train[0][0].shape == (3, 32, 32)
    assert "not available offline" in capsys.readouterr().out
    monkeypatch.setenv("COURSE_REQUIRE_REAL_DATA", "1")
    with pytest.raises(RuntimeError, match="COURSE_DATA"):
        cu.load_cifar10(fast=False)


def test_fit_learns_a_separable_problem():
    import torch
    from torch import nn

    cu.seed_everything(0)
    X = torch.randn(256, 2)
    y = (X[:, 0] + X[:, 1] > 0).long()
    train_loader, test_loader = cu.make_loaders((X, y), (X, y), batch_size=32)
    model = nn.Linear(2, 2)
    history = cu.fit(model, train_loader, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.5),
                     num_epochs=5, val_loader=test_loader, progress=False, verbose=False)
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert history.last("val_acc") > 0.95


def test_report_target_asserts_and_records(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path))
    assert cu.report_target("accuracy", 0.97, ">=", 0.95, notebook="nb") == 0.97
    with pytest.raises(AssertionError, match="Target missed"):
        cu.report_target("accuracy", 0.90, ">=", 0.95, notebook="nb")
    records = [json.loads(line) for line in (tmp_path / "nb.jsonl").read_text().splitlines()]
    assert [r["passed"] for r in records] == [True, False]


def test_checks_suite_reports_hints_not_answers(capsys):
    with pytest.raises(AssertionError) as info:
        with checks.suite("softmax") as c:
            c.expect_shape(np.zeros((2, 2)), (2, 3))
            c.expect(False, "rows must sum to 1", what="rows sum to 1")
            c.expect_finite(np.array([np.inf]))
    msg = str(info.value)
    assert "3 of 3 checks failed" in msg and "rows must sum to 1" in msg
    with checks.suite("ok") as c:
        c.expect(True, "fine")
    assert "all 1 checks passed" in capsys.readouterr().out


def test_checks_suite_reports_a_crash_as_a_failed_check():
    with pytest.raises(AssertionError, match="ZeroDivisionError"):
        with checks.suite("crash"):
            _ = 1 / 0


def test_char_vocab_round_trip_and_entropy():
    text = "abracadabra"
    vocab = cu.CharVocab.from_text(text)
    assert vocab.decode(vocab.encode(text)) == text
    assert cu.unigram_entropy_bits("aaaa") == 0.0
    assert abs(cu.unigram_entropy_bits("ab") - 1.0) < 1e-12
