"""Shared helpers for the *Deep Learning from First Principles* notebooks.

Importing this package is cheap: nothing heavy (torch, matplotlib, scikit-learn) is imported until
a helper that needs it is first used, so ``import course_utils`` costs milliseconds in Colab, on a
laptop and in CI alike.

The names most notebooks use::

    import course_utils as cu
    FAST = cu.fast_mode()          # COURSE_FAST=1 (default) small and quick, COURSE_FAST=0 full size
    device = cu.get_device()       # cuda > mps > cpu, and says which
    cu.seed_everything(0)
    num_epochs = cu.pick(fast=3, full=30)
    num_epochs = cu.pick(fast=3, full=30, smoke=1)  # smoke runs (COURSE_SMOKE=1, see runtime.py): 1 epoch
"""

from importlib import import_module

__version__ = "0.1.0"

# name -> submodule that defines it; resolved on first access (PEP 562).
_LAZY = {
    "fast_mode": "runtime",
    "set_fast_mode": "runtime",
    "pick": "runtime",
    "smoke_mode": "runtime",
    "get_device": "runtime",
    "seed_everything": "runtime",
    "configure_threads": "runtime",
    "in_colab": "runtime",
    "installed": "runtime",
    "setup": "runtime",
    "load_digits_tensors": "data",
    "load_mnist": "data",
    "load_cifar10": "data",
    "load_text": "data",
    "make_loaders": "data",
    "dataset_to_tensors": "data",
    "fit": "train",
    "evaluate": "train",
    "accuracy": "train",
    "History": "train",
    "count_parameters": "train",
    "mlp": "models",
    "conv_bn_relu": "models",
    "add_to_class": "classes",
    "plot_history": "plotting",
    "show_images": "plotting",
    "plot_decision_boundary": "plotting",
    "CharVocab": "text",
    "random_windows": "text",
    "split_ids": "text",
    "unigram_entropy_bits": "text",
    "CharGPT": "gpt",
    "train_gpt": "gpt",
    "lm_loss": "gpt",
    "record": "grading",
    "ready_to_submit": "submit",
    "report_target": "targets",
    "timer": "targets",
    "best_time": "targets",
}

__all__ = sorted(_LAZY) + ["checks"]


def __getattr__(name):
    if name == "checks":
        return import_module(".checks", __name__)
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'course_utils' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__():
    return __all__
