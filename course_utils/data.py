"""Datasets with an offline fallback.

Every loader here works without a network: fast mode always uses data that ships with a package or
this repository (so CI is identical everywhere), and full mode tries the real torchvision dataset
first, says clearly when it cannot be had, and falls back to the offline stand-in. The result says
which data it holds (``.name``, ``.is_fallback``), so a notebook never claims an MNIST number that
was measured on scikit-learn digits. ``COURSE_REQUIRE_REAL_DATA=1`` turns the fall-back into an error.

``make smoke-full`` (tools/smoke_full.py) runs the full-mode path of every lecture with
``COURSE_REQUIRE_REAL_DATA=1`` and ``COURSE_DATA`` pointing at small stand-ins that it writes in
torchvision's own on-disk formats (MNIST's idx files, CIFAR-10's pickled batches), so these loaders
run exactly as on Colab: through torchvision, nothing patched here.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .runtime import fast_mode

TEXT_DIR = Path(__file__).with_name("resources")


@dataclass
class Splits:
    """Train and test datasets plus where they came from."""

    train: Any
    test: Any
    name: str
    is_fallback: bool
    num_classes: int = 10

    def __iter__(self):  # so that ``train_ds, test_ds = cu.load_mnist()`` works
        return iter((self.train, self.test))


def data_root() -> Path:
    """Where real datasets are stored: ``$COURSE_DATA``, else ``~/.cache/course_data``."""
    return Path(os.environ.get("COURSE_DATA", Path.home() / ".cache" / "course_data")).expanduser()


def load_digits_tensors(test_size: float = 0.25, seed: int = 0, image_size: int = 8, channels: int = 1):
    """scikit-learn's 1,797 handwritten digits as float tensors in [0, 1].

    Returns ``(X_train, y_train, X_test, y_test)`` with X of shape (n, channels, image_size,
    image_size); sizes other than 8 are bilinear upsamplings (an MNIST-like 28x28 stand-in).
    The split is stratified and fixed by ``seed``.
    """
    import numpy as np
    import torch
    import torch.nn.functional as F
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    X = digits.images.astype(np.float32) / 16.0  # pixel values are 0..16
    y = digits.target.astype(np.int64)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=test_size, random_state=seed, stratify=y)

    def to_tensor(a):
        t = torch.from_numpy(a).unsqueeze(1)  # (n, 1, 8, 8)
        if image_size != 8:
            t = F.interpolate(t, size=(image_size, image_size), mode="bilinear", align_corners=False)
            t = t.clamp_(0.0, 1.0)
        if channels != 1:
            t = t.repeat(1, channels, 1, 1)
        return t.contiguous()

    return to_tensor(X_tr), torch.from_numpy(y_tr), to_tensor(X_te), torch.from_numpy(y_te)


def _fallback(reason: str, stand_in: str, image_size: int, channels: int) -> Splits:
    from torch.utils.data import TensorDataset

    warnings.warn(f"{reason} Using the offline stand-in instead: {stand_in}.", stacklevel=3)
    print(f"[course_utils] {reason}\n[course_utils] Falling back to {stand_in}.")
    X_tr, y_tr, X_te, y_te = load_digits_tensors(image_size=image_size, channels=channels)
    return Splits(TensorDataset(X_tr, y_tr), TensorDataset(X_te, y_te), "digits", True)


def _torchvision(name: str, download: bool):
    """Try the real dataset: first what is already on disk, then a download."""
    import torchvision
    from torchvision import transforms

    root = data_root()
    cls = getattr(torchvision.datasets, name)
    tf = transforms.ToTensor()
    errors = []
    for attempt_download in ([False, True] if download else [False]):
        try:
            train = cls(root=str(root), train=True, download=attempt_download, transform=tf)
            test = cls(root=str(root), train=False, download=attempt_download, transform=tf)
            return train, test
        except Exception as exc:  # offline: URLError, RuntimeError("Dataset not found"), OSError
            errors.append(f"{type(exc).__name__}: {exc}")
    raise RuntimeError("; ".join(errors))


def _load_real_or_fallback(name: str, image_size: int, channels: int, download: bool, fast: bool | None):
    fast = fast_mode() if fast is None else fast
    stand_in = f"scikit-learn digits upsampled to {channels}x{image_size}x{image_size}"
    if fast:
        return _fallback(f"Fast mode: {name} is not loaded.", stand_in, image_size, channels)
    try:
        train, test = _torchvision(name, download)
    except Exception as exc:
        if os.environ.get("COURSE_REQUIRE_REAL_DATA") == "1":
            raise RuntimeError(
                f"{name} could not be loaded from {data_root()} ({exc}). Connect to the internet, or put the "
                f"dataset under COURSE_DATA, or unset COURSE_REQUIRE_REAL_DATA to use the offline stand-in."
            ) from exc
        return _fallback(
            f"{name} is not available offline here ({str(exc)[:200]}). Set COURSE_DATA to a folder holding it, "
            f"or run with internet access to download it.",
            stand_in,
            image_size,
            channels,
        )
    print(f"[course_utils] Loaded {name} from {data_root()}: {len(train)} train / {len(test)} test images.")
    return Splits(train, test, name.lower(), False)


def load_mnist(download: bool = True, fast: bool | None = None) -> Splits:
    """MNIST (1x28x28) in full mode; 28x28 upsampled digits in fast mode or when offline."""
    return _load_real_or_fallback("MNIST", 28, 1, download, fast)


def load_cifar10(download: bool = True, fast: bool | None = None) -> Splits:
    """CIFAR-10 (3x32x32) in full mode; 3x32x32 upsampled digits in fast mode or when offline."""
    return _load_real_or_fallback("CIFAR10", 32, 3, download, fast)


def load_text(name: str = "shakespeare") -> str:
    """A small public-domain text shipped with this package (see ``course_utils/resources/``)."""
    path = TEXT_DIR / f"{name}.txt"
    if not path.exists():
        available = sorted(p.stem for p in TEXT_DIR.glob("*.txt"))
        raise FileNotFoundError(f"No text called {name!r} in {TEXT_DIR}; available: {available}")
    return path.read_text(encoding="utf-8")


def make_loaders(train, test=None, batch_size: int = 64, seed: int = 0, num_workers: int = 0):
    """DataLoaders for a train (shuffled, seeded) and optional test dataset (in order).

    ``train``/``test`` may be Datasets or ``(X, y)`` tensor pairs.
    """
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    def as_dataset(d):
        return TensorDataset(*d) if isinstance(d, (tuple, list)) else d

    gen = torch.Generator().manual_seed(seed)
    train_loader = DataLoader(
        as_dataset(train), batch_size=batch_size, shuffle=True, generator=gen, num_workers=num_workers
    )
    if test is None:
        return train_loader
    test_loader = DataLoader(as_dataset(test), batch_size=max(batch_size, 256), num_workers=num_workers)
    return train_loader, test_loader


def dataset_to_tensors(ds, batch_size: int = 2000):
    """Stack a map-style dataset of ``(image, label)`` pairs (e.g. ``cu.load_mnist().train``) into ``X, y``.

    ``X`` is ``(n, C, H, W)`` in the dataset's order and ``y`` is ``(n,)``; a ``TensorDataset`` is
    returned as its own tensors, without a copy.
    """
    import torch

    if hasattr(ds, "tensors"):
        return ds.tensors
    Xs, ys = [], []
    for X, y in torch.utils.data.DataLoader(ds, batch_size=batch_size):
        Xs.append(X)
        ys.append(torch.as_tensor(y))
    return torch.cat(Xs), torch.cat(ys)
