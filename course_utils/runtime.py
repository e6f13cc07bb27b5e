"""Where and how a notebook runs: fast/full/smoke mode, device, seeds and CPU threads.

Three modes, read from the environment:

* fast (``COURSE_FAST=1``, the default): small data and few steps on a CPU; every target is asserted (CI).
* full (``COURSE_FAST=0``): the real datasets, full-size models and full training, on a GPU (Colab);
  every target is asserted.
* smoke (``COURSE_FAST=0 COURSE_SMOKE=1``): the full-mode code path (real torchvision loaders, full-size
  models, full-mode evaluation code) with the loops cut short: ``pick(fast, full, smoke=...)`` returns
  its ``smoke`` value where a notebook gives one (epochs, steps, seeds, sample and batch counts) and
  ``full`` everywhere else. ``make smoke-full`` runs every lecture this way on a CPU against small
  stand-in datasets written in torchvision's own file formats (``tools/smoke_full.py``), so the code a
  student runs on a GPU has run once in CI (cells tagged ``skip-execution`` aside). A few steps cannot
  reach a statistical target, so in smoke mode ``report_target`` prints and records its figure but does
  not assert it ("smoke: not checked"), and the few inline asserts that state a training outcome are
  written ``if not cu.smoke_mode(): assert ...``. Every other assert (equality with PyTorch,
  tolerances, shapes) runs in smoke mode too. ``COURSE_SMOKE`` means nothing in fast mode.
"""

from __future__ import annotations

import os
import random
import sys

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_fast_override: bool | None = None


def fast_mode() -> bool:
    """Return True in fast mode (small data, few epochs), False in full mode.

    Read from ``COURSE_FAST``: ``1`` (the default when unset) is fast, ``0`` is full. CI sets
    ``COURSE_FAST=1``; a GPU run sets ``COURSE_FAST=0``. ``set_fast_mode`` overrides it in a session.
    """
    if _fast_override is not None:
        return _fast_override
    raw = os.environ.get("COURSE_FAST", "1").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ValueError(f"COURSE_FAST={raw!r} is not understood: use COURSE_FAST=1 (fast) or COURSE_FAST=0 (full).")


def set_fast_mode(fast: bool) -> bool:
    """Switch mode for this Python session (e.g. ``cu.set_fast_mode(False)`` in Colab)."""
    global _fast_override
    _fast_override = bool(fast)
    os.environ["COURSE_FAST"] = "1" if fast else "0"  # child processes (DataLoader workers) agree
    return _fast_override


def smoke_mode() -> bool:
    """Return True in smoke mode: full mode (``COURSE_FAST=0``) with ``COURSE_SMOKE=1``.

    Smoke mode runs the full-mode code path with short loops, to prove on a CPU that it runs at all
    (``make smoke-full``); its numbers mean nothing. ``COURSE_SMOKE`` is ignored in fast mode.
    """
    if fast_mode():
        return False
    raw = os.environ.get("COURSE_SMOKE", "0").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE or raw == "":
        return False
    raise ValueError(f"COURSE_SMOKE={raw!r} is not understood: use COURSE_SMOKE=1 (smoke run) or leave it unset.")


_NOT_GIVEN = object()


def pick(fast, full, smoke=_NOT_GIVEN):
    """Return ``fast`` in fast mode and ``full`` in full mode: ``num_epochs = pick(fast=3, full=30)``.

    ``smoke``, where given, is returned instead of ``full`` in smoke mode (``COURSE_FAST=0 COURSE_SMOKE=1``):
    ``num_epochs = pick(fast=3, full=30, smoke=1)``. Give it only to the sizes of loops (epochs, steps,
    iterations, seeds, sample and batch counts), never to a model's or an input's shape, so that a smoke
    run executes exactly the full-mode code, only shorter. Without it, smoke mode returns ``full``.
    """
    if fast_mode():
        return fast
    if smoke is not _NOT_GIVEN and smoke_mode():
        return smoke
    return full


def in_colab() -> bool:
    return "google.colab" in sys.modules


def installed() -> str:
    """One line saying which course helpers this kernel imports and where they came from.

    Colab's setup block prints it, so a student (and whoever helps them) can see the commit their
    notebook runs against; pip records it in the distribution's ``direct_url.json`` (PEP 610).
    """
    import json
    from importlib import metadata
    from pathlib import Path

    from . import __version__

    here = Path(__file__).resolve().parent
    try:
        dist = metadata.distribution("dl-first-principles")
        direct = json.loads(dist.read_text("direct_url.json") or "{}")
    except (metadata.PackageNotFoundError, ValueError):
        return f"Course helpers {__version__} from {here} (not installed with pip)"
    vcs = direct.get("vcs_info") or {}
    if vcs:
        ref = vcs.get("requested_revision") or "the default branch"
        return (f"Course helpers {dist.version} from {direct.get('url')} at {ref} "
                f"(commit {vcs.get('commit_id', '?')[:10]})")
    if (direct.get("dir_info") or {}).get("editable"):
        return f"Course helpers {dist.version}, editable install of {direct.get('url', here)}"
    return f"Course helpers {dist.version} from {here}"


def configure_threads(num_threads: int | None = None) -> int:
    """Set torch's CPU thread count and return it.

    Why: with two notebooks in parallel on 2 cores, torch's default (one thread per core each) made
    training about 10x slower than one thread each, because the threads fight over cores. So fast mode
    (CI, laptops running tests) uses 1 thread unless ``COURSE_THREADS`` says otherwise; full mode keeps
    torch's default, which is right for a notebook that has the machine to itself.
    """
    import torch

    env = os.environ.get("COURSE_THREADS")
    if num_threads is None and env:
        num_threads = int(env)
    if num_threads is None and fast_mode():
        num_threads = 1
    if num_threads is not None:
        torch.set_num_threads(max(1, num_threads))
    return torch.get_num_threads()


def get_device(verbose: bool = True):
    """Best available device, cuda > mps > cpu, printed so a student knows what they got."""
    import torch

    if torch.cuda.is_available():
        device = torch.device("cuda")
        what = f"cuda ({torch.cuda.get_device_name(0)})"
    elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        device = torch.device("mps")
        what = "mps (Apple GPU)"
    else:
        device = torch.device("cpu")
        what = f"cpu ({torch.get_num_threads()} torch threads)"
    if verbose:
        print(f"Using device: {what}")
    return device


def seed_everything(seed: int = 0, deterministic: bool = False) -> None:
    """Seed Python, NumPy and torch (CPU and all GPUs). ``deterministic`` also asks torch for
    deterministic kernels, which is slower on GPU and only needed to reproduce runs bit for bit."""
    random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    try:
        import numpy as np

        np.random.seed(seed)
    except ImportError:  # pragma: no cover - numpy is a hard dependency
        pass
    try:
        import torch
    except ImportError:  # pragma: no cover
        return
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False


def setup(seed: int = 0, verbose: bool = True):
    """The usual first cell in one call: threads, seed, device. Returns ``(FAST, device)``."""
    fast = fast_mode()
    configure_threads()
    seed_everything(seed)
    if verbose:
        mode = "FAST (COURSE_FAST=1)" if fast else "FULL (COURSE_FAST=0)"
        if smoke_mode():
            mode += ", SMOKE (COURSE_SMOKE=1: short loops, targets not checked)"
        print(f"Mode: {mode}")
    return fast, get_device(verbose)
