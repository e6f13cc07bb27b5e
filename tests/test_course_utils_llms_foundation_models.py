"""course_utils/gpt.py: the character-level GPT that lectures after 10 import instead of copying lecture 10.

It must be lecture 10's architecture (same parameter names, shapes and initialization, and the same
function once the weights are shared), causal, and trainable with lecture 10's recipe.
"""

from __future__ import annotations

import ast
import json
import math
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F
from helpers import ROOT
from torch import nn

from course_utils.gpt import Block, CharGPT, SelfAttention, lm_loss, train_gpt

LECTURE_10 = ROOT / "notebooks" / "10_transformers.ipynb"
LECTURE_10_NAMES = ("attention", "causal_mask", "MultiHeadSelfAttention", "LayerNorm", "Block", "GPT")


def _lecture_10_gpt_class():
    """Lecture 10's GPT class, executed from the notebook's own top-level definitions (None if it moved)."""
    nb = json.loads(LECTURE_10.read_text(encoding="utf-8"))
    defs = {}
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"])
        try:
            tree = ast.parse(src)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in LECTURE_10_NAMES:
                defs[node.name] = ast.get_source_segment(src, node)
    if set(defs) != set(LECTURE_10_NAMES):
        return None
    namespace = {"torch": torch, "nn": nn, "F": F, "math": math}
    for name in LECTURE_10_NAMES:
        exec(defs[name], namespace)  # noqa: S102 - the course's own notebook
    return namespace["GPT"]


def test_importing_course_utils_does_not_import_torch_until_the_gpt_is_used():
    code = ("import sys, course_utils as cu; assert 'torch' not in sys.modules; "
            "cu.CharGPT; assert 'torch' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_same_parameters_and_function_as_lecture_10():
    GPT = _lecture_10_gpt_class()
    if GPT is None:
        pytest.skip("lecture 10 no longer defines its GPT at the top level")
    torch.manual_seed(0)
    ref = GPT(vocab_size=11, block_size=16, d_model=24, num_layers=2, num_heads=3)
    torch.manual_seed(0)
    ours = CharGPT(vocab_size=11, block_size=16, d_model=24, num_layers=2, num_heads=3)
    ref_state, our_state = ref.state_dict(), ours.state_dict()
    assert list(ref_state) == list(our_state)
    for key in ref_state:  # same shapes and, from the same seed, the same initial weights
        assert torch.equal(ref_state[key], our_state[key]), key
    with torch.no_grad():  # move every weight so that a wrongly wired one would show
        for p in ref.parameters():
            p.add_(0.1 * torch.randn_like(p))
    ours.load_state_dict(ref.state_dict())
    idx = torch.randint(0, 11, (3, 16))
    with torch.no_grad():
        torch.testing.assert_close(ours(idx), ref(idx), rtol=0, atol=1e-5)  # float32, logits of size ~1


def test_block_matches_pytorch_encoder_layer_with_and_without_the_causal_mask():
    torch.manual_seed(0)
    D, h, T = 16, 4, 7
    ref = nn.TransformerEncoderLayer(D, h, dim_feedforward=4 * D, dropout=0.0, activation="gelu",
                                     batch_first=True, norm_first=True)
    block = Block(D, h)
    with torch.no_grad():
        for p in ref.parameters():
            p.add_(0.1 * torch.randn_like(p))
        block.ln1.load_state_dict(ref.norm1.state_dict())
        block.ln2.load_state_dict(ref.norm2.state_dict())
        block.attn.qkv.weight.copy_(ref.self_attn.in_proj_weight)
        block.attn.qkv.bias.copy_(ref.self_attn.in_proj_bias)
        block.attn.proj.load_state_dict(ref.self_attn.out_proj.state_dict())
        block.mlp[0].load_state_dict(ref.linear1.state_dict())
        block.mlp[2].load_state_dict(ref.linear2.state_dict())
    X = torch.randn(2, T, D)
    mask = nn.Transformer.generate_square_subsequent_mask(T)
    with torch.no_grad():
        torch.testing.assert_close(block(X, causal=False), ref(X), rtol=0, atol=1e-5)
        torch.testing.assert_close(block(X, causal=True), ref(X, src_mask=mask, is_causal=True), rtol=0, atol=1e-5)


def test_the_gpt_is_causal_and_checks_its_context():
    torch.manual_seed(0)
    model = CharGPT(vocab_size=9, block_size=12, d_model=16, num_layers=2, num_heads=2).eval()
    idx = torch.randint(0, 9, (2, 12))
    changed = idx.clone()
    changed[:, 8:] = (changed[:, 8:] + 1) % 9
    with torch.no_grad():
        out, out_changed = model(idx), model(changed)
    assert out.shape == (2, 12, 9)
    torch.testing.assert_close(out_changed[:, :8], out[:, :8], rtol=0, atol=1e-6)  # the past ignores the future
    assert not torch.allclose(out_changed[:, 8:], out[:, 8:], atol=1e-4)
    with pytest.raises(ValueError, match="block_size"):
        model(torch.zeros(1, 13, dtype=torch.long))
    with pytest.raises(ValueError, match="num_heads"):
        SelfAttention(10, 3)


def test_lm_loss_is_the_mean_cross_entropy_over_the_windows():
    torch.manual_seed(0)
    model = CharGPT(vocab_size=7, block_size=5, d_model=8, num_layers=1, num_heads=2)
    ids = torch.randint(0, 7, (23,))  # 4 full windows of 5 inputs (the 21st-23rd ids are not all used)
    X, y = ids[:20].view(4, 5), ids[1:21].view(4, 5)
    with torch.no_grad():
        expected = F.cross_entropy(model(X).flatten(0, 1), y.flatten()).item()
    assert lm_loss(model, ids, batch_size=3) == pytest.approx(expected, abs=1e-6)
    assert not model.training
    assert lm_loss(model, ids, max_windows=1) == pytest.approx(
        F.cross_entropy(model(X[:1]).flatten(0, 1), y[:1].flatten()).item(), abs=1e-6)
    with pytest.raises(ValueError, match="window"):
        lm_loss(model, ids[:5])


def test_train_gpt_learns_a_periodic_text_and_leaves_frozen_weights_alone():
    torch.manual_seed(0)
    ids = torch.arange(200) % 5  # 0 1 2 3 4 0 1 ...: the next token is determined by the current one
    model = CharGPT(vocab_size=5, block_size=8, d_model=16, num_layers=1, num_heads=2)
    model.tok_emb.requires_grad_(False)
    frozen = model.tok_emb.weight.clone()
    gen = torch.Generator().manual_seed(0)

    def get_batch():
        starts = torch.randint(0, len(ids) - 9, (16,), generator=gen)
        X = torch.stack([ids[s:s + 8] for s in starts])
        y = torch.stack([ids[s + 1:s + 9] for s in starts])
        y[:, 0] = -1  # ignored targets are allowed
        return X, y

    losses, evals = train_gpt(model, get_batch, num_iters=60, lr=1e-2, eval_fn=lambda m: lm_loss(m, ids),
                              eval_every=25, progress=False)
    assert len(losses) == 60 and [step for step, _ in evals] == [25, 50, 60]
    assert model.training  # put back in training mode after each evaluation
    assert losses[-1] < 0.5 < losses[0] and evals[-1][1] < 0.5
    assert torch.equal(model.tok_emb.weight, frozen)
