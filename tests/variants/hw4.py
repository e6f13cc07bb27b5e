"""hw4: plausible wrong answers the hidden tests must reject, and correct ones written differently."""

# ---------------------------------------------------------------- lstm_cell
_CELL = '''def lstm_cell(x, h, c, W_ih, W_hh, b_ih, b_hh):
    z = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh
{body}
'''

LSTM_CELL_WRONG = {
    "TensorFlow's gate order (i, g, f, o)": _CELL.format(body='''    z_i, z_g, z_f, z_o = z.chunk(4, dim=1)
    c_new = torch.sigmoid(z_f) * c + torch.sigmoid(z_i) * torch.tanh(z_g)
    return torch.sigmoid(z_o) * torch.tanh(c_new), c_new'''),
    "h from the old cell state": _CELL.format(body='''    z_i, z_f, z_g, z_o = z.chunk(4, dim=1)
    c_new = torch.sigmoid(z_f) * c + torch.sigmoid(z_i) * torch.tanh(z_g)
    return torch.sigmoid(z_o) * torch.tanh(c), c_new'''),
    "sigmoid on the candidate g": _CELL.format(body='''    i, f, g, o = torch.sigmoid(z).chunk(4, dim=1)
    c_new = f * c + i * g
    return o * torch.tanh(c_new), c_new'''),
    "forgets the hidden-to-hidden bias": '''def lstm_cell(x, h, c, W_ih, W_hh, b_ih, b_hh):
    z = x @ W_ih.T + b_ih + h @ W_hh.T
    z_i, z_f, z_g, z_o = z.chunk(4, dim=1)
    c_new = torch.sigmoid(z_f) * c + torch.sigmoid(z_i) * torch.tanh(z_g)
    return torch.sigmoid(z_o) * torch.tanh(c_new), c_new
''',
    "no tanh on the cell state in h": _CELL.format(body='''    z_i, z_f, z_g, z_o = z.chunk(4, dim=1)
    c_new = torch.sigmoid(z_f) * c + torch.sigmoid(z_i) * torch.tanh(z_g)
    return torch.sigmoid(z_o) * c_new, c_new'''),
}

LSTM_CELL_RIGHT = {
    "one matmul on [x, h] with F.linear": '''def lstm_cell(x, h, c, W_ih, W_hh, b_ih, b_hh):
    H = h.shape[1]
    z = F.linear(torch.cat([x, h], dim=1), torch.cat([W_ih, W_hh], dim=1), b_ih + b_hh)
    i = torch.sigmoid(z[:, :H])
    f = torch.sigmoid(z[:, H:2 * H])
    g = torch.tanh(z[:, 2 * H:3 * H])
    o = torch.sigmoid(z[:, 3 * H:])
    c_new = torch.addcmul(f * c, i, g)
    return o * torch.tanh(c_new), c_new
''',
    "sigmoid via tanh, einsum": '''def lstm_cell(x, h, c, W_ih, W_hh, b_ih, b_hh):
    z = torch.einsum("bd,gd->bg", x, W_ih) + torch.einsum("bh,gh->bg", h, W_hh) + (b_ih + b_hh)
    gates = z.reshape(z.shape[0], 4, -1)
    sig = 0.5 * (1 + torch.tanh(0.5 * gates))
    c_new = sig[:, 1] * c + sig[:, 0] * torch.tanh(gates[:, 2])
    h_new = sig[:, 3] * torch.tanh(c_new)
    return h_new, c_new
''',
    "nn.LSTMCell with the weights copied in": '''def lstm_cell(x, h, c, W_ih, W_hh, b_ih, b_hh):
    cell = nn.LSTMCell(W_ih.shape[1], W_hh.shape[1], dtype=x.dtype)
    with torch.no_grad():
        cell.weight_ih.copy_(W_ih)
        cell.weight_hh.copy_(W_hh)
        cell.bias_ih.copy_(b_ih)
        cell.bias_hh.copy_(b_hh)
    h_new, c_new = cell(x, (h, c))
    return h_new.detach(), c_new.detach()
''',
}

# ---------------------------------------------------------------- lstm_sequence
LSTM_SEQ_WRONG = {
    "restarts from (h0, c0) at every step": '''def lstm_sequence(X, h0, c0, W_ih, W_hh, b_ih, b_hh):
    outputs = []
    for t in range(X.shape[1]):
        h, c = lstm_cell(X[:, t], h0, c0, W_ih, W_hh, b_ih, b_hh)
        outputs.append(h)
    return torch.stack(outputs, dim=1), (h, c)
''',
    "carries h but resets c": '''def lstm_sequence(X, h0, c0, W_ih, W_hh, b_ih, b_hh):
    h = h0
    outputs = []
    for t in range(X.shape[1]):
        h, c = lstm_cell(X[:, t], h, c0, W_ih, W_hh, b_ih, b_hh)
        outputs.append(h)
    return torch.stack(outputs, dim=1), (h, c)
''',
    "returns the cell states as outputs": '''def lstm_sequence(X, h0, c0, W_ih, W_hh, b_ih, b_hh):
    h, c = h0, c0
    outputs = []
    for t in range(X.shape[1]):
        h, c = lstm_cell(X[:, t], h, c, W_ih, W_hh, b_ih, b_hh)
        outputs.append(c)
    return torch.stack(outputs, dim=1), (h, c)
''',
    "stacks time first (T, B, H)": '''def lstm_sequence(X, h0, c0, W_ih, W_hh, b_ih, b_hh):
    h, c = h0, c0
    outputs = []
    for t in range(X.shape[1]):
        h, c = lstm_cell(X[:, t], h, c, W_ih, W_hh, b_ih, b_hh)
        outputs.append(h)
    return torch.stack(outputs), (h, c)
''',
    "iterates over the batch axis": '''def lstm_sequence(X, h0, c0, W_ih, W_hh, b_ih, b_hh):
    h, c = h0, c0
    outputs = []
    for x_t in X:
        h, c = lstm_cell(x_t, h, c, W_ih, W_hh, b_ih, b_hh)
        outputs.append(h)
    return torch.stack(outputs, dim=1), (h, c)
''',
}

LSTM_SEQ_RIGHT = {
    "input projections for all steps at once, preallocated outputs": '''def lstm_sequence(X, h0, c0, W_ih, W_hh, b_ih, b_hh):
    B, T, _ = X.shape
    H = h0.shape[1]
    Z_in = X @ W_ih.T + b_ih  # (B, T, 4H)
    out = X.new_zeros(B, T, H)
    h, c = h0, c0
    for t in range(T):
        z = Z_in[:, t] + h @ W_hh.T + b_hh
        i, f, g, o = z.split(H, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        out[:, t] = h
    return out, (h, c)
''',
    "unbind over time": '''def lstm_sequence(X, h0, c0, W_ih, W_hh, b_ih, b_hh):
    state = (h0, c0)
    hs = []
    for x_t in X.unbind(dim=1):
        state = lstm_cell(x_t, *state, W_ih, W_hh, b_ih, b_hh)
        hs.append(state[0])
    return torch.stack(hs, dim=1), state
''',
}

# ---------------------------------------------------------------- scaled_dot_product_attention
_ATT = '''def scaled_dot_product_attention(Q, K, V, mask=None, causal=False):
    d_k = Q.shape[-1]
{scores}
    L, S = scores.shape[-2:]
    if causal:
        scores = scores.masked_fill(~torch.ones(L, S, dtype=torch.bool).{tri}, float("-inf"))
    if mask is not None:
        scores = scores.masked_fill({mask}, {fill})
    weights = {softmax}
    return weights @ V, weights
'''
_OK = dict(scores="    scores = Q @ K.transpose(-2, -1) / math.sqrt(d_k)", tri="tril()", mask="~mask",
           fill='float("-inf")', softmax="torch.softmax(scores, dim=-1)")

ATTENTION_WRONG = {
    "no 1/sqrt(d_k) scaling": _ATT.format(**{**_OK, "scores": "    scores = Q @ K.transpose(-2, -1)"}),
    "divides by d_k instead of sqrt(d_k)": _ATT.format(**{**_OK, "scores": "    scores = Q @ K.transpose(-2, -1) / d_k"}),
    "mask convention inverted (True = blocked)": _ATT.format(**{**_OK, "mask": "mask"}),
    "masked scores set to 0 instead of -inf": _ATT.format(**{**_OK, "fill": "0.0"}),
    "causal mask is the upper triangle": _ATT.format(**{**_OK, "tri": "triu()"}),
    "softmax over the queries (dim=-2)": _ATT.format(**{**_OK, "softmax": "torch.softmax(scores, dim=-2)"}),
    "softmax without subtracting the maximum": _ATT.format(
        **{**_OK, "softmax": "torch.exp(scores) / torch.exp(scores).sum(dim=-1, keepdim=True)"}),
    "mask applied after the softmax, not renormalized": '''def scaled_dot_product_attention(Q, K, V, mask=None, causal=False):
    scores = Q @ K.transpose(-2, -1) / math.sqrt(Q.shape[-1])
    weights = torch.softmax(scores, dim=-1)
    L, S = scores.shape[-2:]
    if causal:
        weights = weights * torch.ones(L, S).tril()
    if mask is not None:
        weights = weights * mask
    return weights @ V, weights
''',
}

ATTENTION_RIGHT = {
    "additive float mask and a stable manual softmax": '''def scaled_dot_product_attention(Q, K, V, mask=None, causal=False):
    scale = Q.shape[-1] ** -0.5
    scores = torch.einsum("...ld,...sd->...ls", Q * scale, K)
    L, S = scores.shape[-2:]
    bias = torch.zeros(L, S, dtype=scores.dtype)
    if causal:
        bias = bias.masked_fill(torch.arange(S)[None, :] > torch.arange(L)[:, None], float("-inf"))
    if mask is not None:
        bias = bias + torch.zeros(mask.shape, dtype=scores.dtype).masked_fill(~mask, float("-inf"))
    scores = scores + bias
    scores = scores - scores.amax(dim=-1, keepdim=True)
    e = scores.exp()
    weights = e / e.sum(dim=-1, keepdim=True)
    return torch.einsum("...ls,...sv->...lv", weights, V), weights
''',
    "torch.where and F.softmax": '''def scaled_dot_product_attention(Q, K, V, mask=None, causal=False):
    scores = torch.matmul(Q, K.transpose(-1, -2)) / Q.shape[-1] ** 0.5
    allowed = torch.ones_like(scores, dtype=torch.bool)
    if causal:
        allowed = allowed & torch.ones(scores.shape[-2:], dtype=torch.bool).tril()
    if mask is not None:
        allowed = allowed & mask
    weights = F.softmax(torch.where(allowed, scores, torch.tensor(float("-inf"), dtype=scores.dtype)), dim=-1)
    return torch.matmul(weights, V), weights
''',
}

# ---------------------------------------------------------------- multi_head_attention
_MHA = '''def multi_head_attention(query, key, value, num_heads, in_proj_weight, in_proj_bias, out_proj_weight,
                         out_proj_bias, key_padding_mask=None, causal=False):
    B, L, E = query.shape
    d = E // num_heads
    W_q, W_k, W_v = in_proj_weight.chunk(3, dim=0)
    b_q, b_k, b_v = in_proj_bias.chunk(3)

    def split(X, W, b):
        return {split}

    Q, K, V = split(query, W_q, b_q), split(key, W_k, b_k), split(value, W_v, b_v)
    mask = None if key_padding_mask is None else {mask}
    heads, weights = scaled_dot_product_attention(Q, K, V, mask=mask, causal=causal)
    merged = {merge}
    return merged @ out_proj_weight.T + {out_bias}, {weights}
'''
_MHA_OK = dict(split="(X @ W.T + b).reshape(X.shape[0], X.shape[1], num_heads, d).transpose(1, 2)",
               mask="~key_padding_mask[:, None, None, :]", merge="heads.transpose(1, 2).reshape(B, L, E)",
               out_bias="out_proj_bias", weights="weights.mean(dim=1)")

MHA_WRONG = {
    "splits heads by reshaping straight to (B, h, L, d)": _MHA.format(
        **{**_MHA_OK, "split": "(X @ W.T + b).reshape(X.shape[0], num_heads, X.shape[1], d)",
           "merge": "heads.reshape(B, L, E)"}),
    "merges heads without moving the head axis back": _MHA.format(**{**_MHA_OK, "merge": "heads.reshape(B, L, E)"}),
    "passes key_padding_mask through without inverting it": _MHA.format(
        **{**_MHA_OK, "mask": "key_padding_mask[:, None, None, :]"}),
    "returns the per-head weights": _MHA.format(**{**_MHA_OK, "weights": "weights"}),
    "sums the weights over the heads": _MHA.format(**{**_MHA_OK, "weights": "weights.sum(dim=1)"}),
    "forgets the output bias": _MHA.format(**{**_MHA_OK, "out_bias": "0"}),
    "multiplies by the untransposed projection weights": _MHA.format(
        **{**_MHA_OK, "split": "(X @ W + b).reshape(X.shape[0], X.shape[1], num_heads, d).transpose(1, 2)"}),
}

MHA_RIGHT = {
    "one head at a time, then concatenate": '''def multi_head_attention(query, key, value, num_heads, in_proj_weight, in_proj_bias, out_proj_weight,
                         out_proj_bias, key_padding_mask=None, causal=False):
    E = query.shape[-1]
    d = E // num_heads
    Q = F.linear(query, in_proj_weight[:E], in_proj_bias[:E])
    K = F.linear(key, in_proj_weight[E:2 * E], in_proj_bias[E:2 * E])
    V = F.linear(value, in_proj_weight[2 * E:], in_proj_bias[2 * E:])
    mask = None if key_padding_mask is None else (~key_padding_mask).unsqueeze(1)  # (B, 1, S)
    outs, weights = [], 0
    for j in range(num_heads):
        cols = slice(j * d, (j + 1) * d)
        o, w = scaled_dot_product_attention(Q[..., cols], K[..., cols], V[..., cols], mask=mask, causal=causal)
        outs.append(o)
        weights = weights + w / num_heads
    return F.linear(torch.cat(outs, dim=-1), out_proj_weight, out_proj_bias), weights
''',
    "one in-projection for q, k, v with einsum heads": '''def multi_head_attention(query, key, value, num_heads, in_proj_weight, in_proj_bias, out_proj_weight,
                         out_proj_bias, key_padding_mask=None, causal=False):
    B, L, E = query.shape
    h, d = num_heads, E // num_heads
    W = in_proj_weight.reshape(3, h, d, E)
    bias = in_proj_bias.reshape(3, h, d)
    Q = torch.einsum("ble,hde->bhld", query, W[0]) + bias[0][None, :, None, :]
    K = torch.einsum("ble,hde->bhld", key, W[1]) + bias[1][None, :, None, :]
    V = torch.einsum("ble,hde->bhld", value, W[2]) + bias[2][None, :, None, :]
    mask = None
    if key_padding_mask is not None:
        mask = key_padding_mask.logical_not().view(B, 1, 1, -1)
    heads, weights = scaled_dot_product_attention(Q, K, V, mask, causal)
    out = torch.einsum("bhld,ehd->ble", heads, out_proj_weight.reshape(E, h, d)) + out_proj_bias
    return out, weights.mean(dim=1)
''',
}

# ---------------------------------------------------------------- causal_lm_loss
LM_WRONG = {
    "no shift: scores each position against its own token": '''def causal_lm_loss(logits, tokens, pad_id):
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tokens.reshape(-1), ignore_index=pad_id)
''',
    "averages over padding targets too": '''def causal_lm_loss(logits, tokens, pad_id):
    V = logits.shape[-1]
    return F.cross_entropy(logits[:, :-1].reshape(-1, V), tokens[:, 1:].reshape(-1))
''',
    "mean of per-sequence means": '''def causal_lm_loss(logits, tokens, pad_id):
    losses = []
    for b in range(tokens.shape[0]):
        losses.append(F.cross_entropy(logits[b, :-1], tokens[b, 1:], ignore_index=pad_id))
    return torch.stack(losses).mean()
''',
    "masks padding in the inputs instead of the targets": '''def causal_lm_loss(logits, tokens, pad_id):
    V = logits.shape[-1]
    nll = F.cross_entropy(logits[:, :-1].reshape(-1, V), tokens[:, 1:].reshape(-1), reduction="none")
    keep = (tokens[:, :-1] != pad_id).reshape(-1).to(nll.dtype)
    return (nll * keep).sum() / keep.sum()
''',
    "shifts the wrong way": '''def causal_lm_loss(logits, tokens, pad_id):
    V = logits.shape[-1]
    return F.cross_entropy(logits[:, 1:].reshape(-1, V), tokens[:, :-1].reshape(-1), ignore_index=pad_id)
''',
    "hard-codes padding id 0": '''def causal_lm_loss(logits, tokens, pad_id):
    V = logits.shape[-1]
    return F.cross_entropy(logits[:, :-1].reshape(-1, V), tokens[:, 1:].reshape(-1), ignore_index=0)
''',
    "returns a Python float (.item())": '''def causal_lm_loss(logits, tokens, pad_id):
    V = logits.shape[-1]
    return F.cross_entropy(logits[:, :-1].reshape(-1, V), tokens[:, 1:].reshape(-1), ignore_index=pad_id).item()
''',
}

LM_RIGHT = {
    "log_softmax, gather and a mask": '''def causal_lm_loss(logits, tokens, pad_id):
    logp = torch.log_softmax(logits[:, :-1], dim=-1)  # (B, T-1, V)
    targets = tokens[:, 1:]
    nll = -logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    mask = (targets != pad_id).to(nll.dtype)
    return (nll * mask).sum() / mask.sum()
''',
    "select the non-padding positions first": '''def causal_lm_loss(logits, tokens, pad_id):
    targets = tokens[:, 1:]
    keep = targets != pad_id
    z = logits[:, :-1][keep]  # (n, V)
    return (torch.logsumexp(z, dim=-1) - z[torch.arange(len(z)), targets[keep]]).mean()
''',
}

VARIANTS = {
    "lstm_cell": {"wrong": LSTM_CELL_WRONG, "right": LSTM_CELL_RIGHT},
    "lstm_sequence": {"wrong": LSTM_SEQ_WRONG, "right": LSTM_SEQ_RIGHT},
    "scaled_dot_product_attention": {"wrong": ATTENTION_WRONG, "right": ATTENTION_RIGHT},
    "multi_head_attention": {"wrong": MHA_WRONG, "right": MHA_RIGHT},
    "causal_lm_loss": {"wrong": LM_WRONG, "right": LM_RIGHT},
}
