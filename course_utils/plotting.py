"""Plots a person would rather look at than read: loss curves, image grids, decision boundaries."""

from __future__ import annotations


def _plt():
    import matplotlib.pyplot as plt

    return plt


def plot_history(history, keys=None, ax=None, logy=False, title=None):
    """Plot per-epoch curves from :func:`course_utils.fit` (or any dict of lists)."""
    plt = _plt()
    ax = ax or plt.subplots(figsize=(5, 3.2))[1]
    keys = keys or [k for k in history if k != "epoch_time"]
    for key in keys:
        values = history[key]
        ax.plot(range(1, len(values) + 1), values, label=key)
    ax.set_xlabel("epoch")
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    return ax


def show_images(images, labels=None, ncols=8, cmap="gray", size=1.2, title=None):
    """Show a grid of images given as a tensor/array (n, C, H, W), (n, H, W) or a list of them."""
    import numpy as np

    plt = _plt()
    imgs = [np.asarray(im.detach().cpu()) if hasattr(im, "detach") else np.asarray(im) for im in images]
    n = len(imgs)
    nrows = max(1, -(-n // ncols))
    fig, axes = plt.subplots(nrows, min(ncols, n), figsize=(size * min(ncols, n), size * nrows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        im = imgs[i]
        if im.ndim == 3 and im.shape[0] in (1, 3):  # channels first -> last
            im = np.moveaxis(im, 0, -1)
        if im.ndim == 3 and im.shape[-1] == 1:
            im = im[..., 0]
        ax.imshow(im, cmap=cmap if im.ndim == 2 else None)
        if labels is not None:
            ax.set_title(str(labels[i]), fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_decision_boundary(predict, X, y, ax=None, resolution=200, padding=0.5, title=None):
    """Colour the plane by ``predict(points) -> labels`` and scatter the data ``X`` (n, 2) on top.

    ``predict`` takes a NumPy array (m, 2) and returns m labels (NumPy or torch).
    """
    import numpy as np

    plt = _plt()
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    ax = ax or plt.subplots(figsize=(4, 4))[1]
    (x0, y0), (x1, y1) = X.min(0) - padding, X.max(0) + padding
    xx, yy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    grid = np.c_[xx.ravel(), yy.ravel()]
    z = predict(grid)
    z = np.asarray(z.detach().cpu() if hasattr(z, "detach") else z).reshape(xx.shape)
    ax.contourf(xx, yy, z, alpha=0.3, cmap="coolwarm")
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", edgecolors="k", s=30)
    if title:
        ax.set_title(title)
    return ax
