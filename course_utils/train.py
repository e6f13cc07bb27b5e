"""A small, readable training loop: ``fit`` with progress bars and a history to plot."""

from __future__ import annotations

import os
import time
from collections import defaultdict


class History(dict):
    """``{"train_loss": [...], "val_loss": [...], "val_acc": [...], ...}``, one entry per epoch."""

    def last(self, key):
        return self[key][-1]

    def best(self, key, mode="max"):
        return max(self[key]) if mode == "max" else min(self[key])


def count_parameters(model) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def accuracy(y_hat, y) -> float:
    """Fraction of rows whose arg-max logit equals the label."""
    return (y_hat.argmax(dim=-1) == y).float().mean().item()


def _progress(iterable, desc, enabled, total=None):
    if not enabled or os.environ.get("TQDM_DISABLE") == "1":
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, total=total, leave=False)


def evaluate(model, loader, loss_fn=None, device=None, metric=accuracy):
    """Mean loss and metric of ``model`` over ``loader`` (weighted by batch size), in eval mode."""
    import torch

    device = device or next(model.parameters()).device
    was_training = model.training
    model.eval()
    total, loss_sum, metric_sum = 0, 0.0, 0.0
    with torch.no_grad():
        for X, y in loader:
            X, y = X.to(device), y.to(device)
            y_hat = model(X)
            n = y.shape[0]
            total += n
            if loss_fn is not None:
                loss_sum += loss_fn(y_hat, y).item() * n
            if metric is not None:
                metric_sum += metric(y_hat, y) * n
    model.train(was_training)
    out = {}
    if loss_fn is not None:
        out["loss"] = loss_sum / max(total, 1)
    if metric is not None:
        out["acc"] = metric_sum / max(total, 1)
    return out


def fit(
    model,
    train_loader,
    loss_fn,
    optimizer,
    num_epochs: int,
    device=None,
    val_loader=None,
    metric=accuracy,
    scheduler=None,
    max_seconds: float | None = None,
    progress: bool = True,
    verbose: bool = True,
) -> History:
    """Train ``model`` for ``num_epochs`` and return a :class:`History`.

    Records ``train_loss`` (mean over the epoch) and, with ``val_loader``, ``val_loss`` and ``val_acc``
    (when ``metric`` is given). ``max_seconds`` stops early at an epoch boundary once the time budget
    is spent (used in fast mode so CI stays inside its limits). ``scheduler.step()`` runs once per epoch.
    """
    device = device or next(model.parameters()).device
    model.to(device)
    history = defaultdict(list)
    start = time.perf_counter()
    epochs = _progress(range(num_epochs), "epochs", progress)
    for epoch in epochs:
        model.train()
        loss_sum, count = 0.0, 0
        for X, y in train_loader:
            X, y = X.to(device), y.to(device)
            y_hat = model(X)
            loss = loss_fn(y_hat, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * y.shape[0]
            count += y.shape[0]
        if scheduler is not None:
            scheduler.step()
        history["train_loss"].append(loss_sum / max(count, 1))
        if val_loader is not None:
            for key, value in evaluate(model, val_loader, loss_fn, device, metric).items():
                history[f"val_{key}"].append(value)
        history["epoch_time"].append(time.perf_counter() - start)
        if hasattr(epochs, "set_postfix"):
            epochs.set_postfix({k: f"{v[-1]:.4f}" for k, v in history.items() if k != "epoch_time"})
        if max_seconds is not None and time.perf_counter() - start > max_seconds:
            if verbose:
                print(f"Stopped after {epoch + 1} epochs: time budget of {max_seconds:.0f} s spent.")
            break
    if verbose:
        summary = ", ".join(f"{k}={v[-1]:.4f}" for k, v in history.items() if k != "epoch_time")
        print(f"Trained {len(history['train_loss'])} epochs in {time.perf_counter() - start:.1f} s: {summary}")
    return History(history)
