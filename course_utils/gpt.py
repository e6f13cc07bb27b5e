"""A compact character-level GPT and its training recipe: the model lecture 10 builds step by step.

Lecture 10 writes every part from scratch (attention, masks, multi-head attention, LayerNorm, the pre-LN
block, the GPT) and checks each against PyTorch. Later lectures that *use* a GPT, rather than teach it,
import it from here, so they do not copy lecture 10's code::

    from course_utils.gpt import CharGPT, train_gpt, lm_loss
    model = CharGPT(vocab_size=62, block_size=64, d_model=64, num_layers=2, num_heads=4)
    losses, evals = train_gpt(model, get_batch, num_iters=300, lr=1e-2)

The architecture is lecture 10's ``GPT`` exactly, with the same parameter names and shapes (so a
``state_dict`` of one loads into the other) and the same initialization: token and learned position
embeddings, ``num_layers`` pre-LN blocks ``x + MHA(LN(x))``, ``x + MLP(LN(x))`` (MLP width 4D, GELU), a
final LayerNorm and a linear map to logits without bias. Here the LayerNorm is ``nn.LayerNorm`` and the
attention is ``F.scaled_dot_product_attention``, which lecture 10 shows to compute the same functions.
:class:`Block` also serves as a (non-causal) encoder block, e.g. in a Vision Transformer.

torch is imported when this module is first imported (``import course_utils`` itself stays cheap).
"""

from __future__ import annotations

import contextlib
import math

import torch
import torch.nn.functional as F
from torch import nn


class SelfAttention(nn.Module):
    """Multi-head self-attention: one (D, 3D) map for queries, keys and values, then W_O (``proj``)."""

    def __init__(self, d_model: int, num_heads: int):
        super().__init__()
        if d_model % num_heads:
            raise ValueError(f"d_model={d_model} must split evenly into num_heads={num_heads}")
        self.num_heads = num_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)  # [W_Q; W_K; W_V], like nn.MultiheadAttention.in_proj_weight
        self.proj = nn.Linear(d_model, d_model)

    def forward(self, x, causal: bool = True):
        """x (B, T, D) -> (B, T, D); with ``causal`` position t attends to positions 0..t only."""
        B, T, D = x.shape
        q, k, v = (z.view(B, T, self.num_heads, D // self.num_heads).transpose(1, 2)
                   for z in self.qkv(x).split(D, dim=-1))  # each (B, h, T, D / h)
        out = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        return self.proj(out.transpose(1, 2).reshape(B, T, D))


class Block(nn.Module):
    """Pre-LN transformer block: ``x + MHA(LN1(x))``, then ``x + MLP(LN2(x))`` (MLP width 4D, GELU)."""

    def __init__(self, d_model: int, num_heads: int, dropout: float = 0.0):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.attn = SelfAttention(d_model, num_heads)
        self.mlp = nn.Sequential(nn.Linear(d_model, 4 * d_model), nn.GELU(), nn.Linear(4 * d_model, d_model))
        self.drop = nn.Dropout(dropout)

    def forward(self, x, causal: bool = True):
        x = x + self.drop(self.attn(self.ln1(x), causal))
        return x + self.drop(self.mlp(self.ln2(x)))


class CharGPT(nn.Module):
    """Decoder-only transformer over characters (or any tokens): lecture 10's ``GPT``, without the KV cache.

    ``model(idx)`` maps token ids ``(B, T)``, ``T <= block_size``, to next-token logits ``(B, T, vocab_size)``.
    """

    def __init__(self, vocab_size: int, block_size: int, d_model: int, num_layers: int, num_heads: int,
                 dropout: float = 0.0):
        super().__init__()
        self.block_size = block_size
        self.tok_emb = nn.Embedding(vocab_size, d_model)
        self.pos_emb = nn.Embedding(block_size, d_model)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList([Block(d_model, num_heads, dropout) for _ in range(num_layers)])
        self.ln_f = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size, bias=False)
        for name, p in self.named_parameters():  # GPT-2's initialization, as in lecture 10
            if p.dim() == 2:  # the two projections into the residual stream get std 0.02 / sqrt(2 N)
                std = 0.02 / math.sqrt(2 * num_layers) if name.endswith(("proj.weight", "mlp.2.weight")) else 0.02
                nn.init.normal_(p, 0.0, std)
            elif name.endswith("bias"):
                nn.init.zeros_(p)

    def forward(self, idx):
        B, T = idx.shape
        if T > self.block_size:
            raise ValueError(f"context of {T} tokens is longer than block_size={self.block_size}")
        x = self.drop(self.tok_emb(idx) + self.pos_emb(torch.arange(T, device=idx.device)))  # (B, T, D)
        for block in self.blocks:
            x = block(x, causal=True)
        return self.head(self.ln_f(x))  # (B, T, vocab_size)


def _autocast(device, amp: bool):
    if amp and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def train_gpt(model, get_batch, num_iters: int, lr: float, eval_fn=None, eval_every: int | None = None,
              weight_decay: float = 0.1, warmup_fraction: float = 0.05, device=None, amp: bool = False,
              progress: bool = True):
    """Lecture 10's GPT recipe: AdamW (betas 0.9, 0.95; weight decay on matrices only), linear warm-up,
    cosine decay to lr/10, gradient clipping at norm 1.

    Only parameters with ``requires_grad`` are optimized (so frozen weights stay frozen, e.g. for LoRA).
    ``get_batch()`` returns ``(X, y)``: inputs and next-token targets, ``-1`` where no loss is wanted.
    ``eval_fn(model)``, if given, runs every ``eval_every`` steps and after the last one (the model is put
    back in training mode afterwards). ``amp``: bfloat16 autocast on a CUDA device.
    Returns the training losses (one per step) and the evaluations ``[(step, eval_fn(model)), ...]``.
    """
    device = device or next(model.parameters()).device
    model.to(device).train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in trainable if p.dim() >= 2]  # matrices and embeddings; not biases and LN gains
    no_decay = [p for p in trainable if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=lr, betas=(0.9, 0.95))
    warmup = max(1, int(num_iters * warmup_fraction))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda it: min(1.0, (it + 1) / warmup) * (0.1 + 0.45 * (1 + math.cos(math.pi * it / num_iters))))
    eval_every = eval_every or num_iters
    losses, evals = [], []
    steps = range(num_iters)
    if progress:
        from tqdm.auto import tqdm

        steps = tqdm(steps, desc="training", leave=False)
    for it in steps:
        X, y = get_batch()
        X, y = X.to(device), y.to(device)
        with _autocast(device, amp):
            logits = model(X)  # (B, T, vocab)
        loss = F.cross_entropy(logits.flatten(0, 1).float(), y.flatten(), ignore_index=-1)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
        if eval_fn is not None and ((it + 1) % eval_every == 0 or it + 1 == num_iters):
            evals.append((it + 1, eval_fn(model)))
            model.train()
            if hasattr(steps, "set_postfix"):
                steps.set_postfix(loss=f"{losses[-1]:.3f}", eval=f"{evals[-1][1]:.3f}")
    return losses, evals


@torch.no_grad()
def lm_loss(model, ids, block_size: int | None = None, batch_size: int = 64, max_windows: int | None = None,
            amp: bool = False):
    """Mean next-token cross-entropy (nats per token) over the non-overlapping windows of the 1-D id tensor
    ``ids``: each window of ``block_size`` inputs predicts its ``block_size`` next tokens, every one from the
    tokens before it in its window (lecture 10's validation loss).

    ``block_size`` defaults to the model's; ``max_windows`` scores only the first windows (quick checks).
    The model is left in eval mode.
    """
    model.eval()
    device = next(model.parameters()).device
    T = block_size or model.block_size
    n = (len(ids) - 1) // T
    if max_windows is not None:
        n = min(n, max_windows)
    if n < 1:
        raise ValueError(f"{len(ids)} tokens do not fill one window of {T} + 1")
    X, y = ids[: n * T].view(n, T), ids[1 : n * T + 1].view(n, T)
    total = 0.0
    for i in range(0, n, batch_size):
        with _autocast(device, amp):
            logits = model(X[i : i + batch_size].to(device))
        total += F.cross_entropy(logits.flatten(0, 1).float(), y[i : i + batch_size].to(device).flatten(),
                                 reduction="sum").item()
    return total / (n * T)
