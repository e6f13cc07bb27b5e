"""hw4: plausible wrong answers the hidden tests must reject, and correct ones written differently."""

# ---------------------------------------------------------------- gru_cell
GRU_WRONG = {
    "reset gate on h before the matmul (Cho et al. 2014, not PyTorch)": '''def gru_cell(x, h, W_ih, W_hh, b_ih, b_hh):
    H = h.shape[1]
    i_r, i_z, i_n = (x @ W_ih.T + b_ih).chunk(3, dim=-1)
    r = torch.sigmoid(i_r + h @ W_hh[:H].T + b_hh[:H])
    z = torch.sigmoid(i_z + h @ W_hh[H:2 * H].T + b_hh[H:2 * H])
    n = torch.tanh(i_n + (r * h) @ W_hh[2 * H:].T + b_hh[2 * H:])
    return (1 - z) * n + z * h
''',
    "update gate the other way round (z weighs the candidate)": '''def gru_cell(x, h, W_ih, W_hh, b_ih, b_hh):
    i_r, i_z, i_n = (x @ W_ih.T + b_ih).chunk(3, dim=-1)
    h_r, h_z, h_n = (h @ W_hh.T + b_hh).chunk(3, dim=-1)
    r = torch.sigmoid(i_r + h_r)
    z = torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + r * h_n)
    return z * n + (1 - z) * h
''',
    "gate order z, r, n": '''def gru_cell(x, h, W_ih, W_hh, b_ih, b_hh):
    i_z, i_r, i_n = (x @ W_ih.T + b_ih).chunk(3, dim=-1)
    h_z, h_r, h_n = (h @ W_hh.T + b_hh).chunk(3, dim=-1)
    r = torch.sigmoid(i_r + h_r)
    z = torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + r * h_n)
    return (1 - z) * n + z * h
''',
    "b_hn outside the reset gate": '''def gru_cell(x, h, W_ih, W_hh, b_ih, b_hh):
    H = h.shape[1]
    i_r, i_z, i_n = (x @ W_ih.T + b_ih).chunk(3, dim=-1)
    h_r, h_z, h_n = (h @ W_hh.T).chunk(3, dim=-1)
    r = torch.sigmoid(i_r + h_r + b_hh[:H])
    z = torch.sigmoid(i_z + h_z + b_hh[H:2 * H])
    n = torch.tanh(i_n + r * h_n + b_hh[2 * H:])
    return (1 - z) * n + z * h
''',
}

GRU_RIGHT = {
    "explicit row slices, h' = n + z (h - n)": '''def gru_cell(x, h, W_ih, W_hh, b_ih, b_hh):
    H = h.shape[-1]
    def part(k):
        rows = slice(k * H, (k + 1) * H)
        return x @ W_ih[rows].T + b_ih[rows], h @ W_hh[rows].T + b_hh[rows]
    (ir, hr), (iz, hz), (i_n, h_n) = part(0), part(1), part(2)
    r, z = torch.sigmoid(ir + hr), torch.sigmoid(iz + hz)
    n = torch.tanh(i_n + r * h_n)
    return n + z * (h - n)
''',
    "F.linear and torch.lerp": '''def gru_cell(x, h, W_ih, W_hh, b_ih, b_hh):
    gi = F.linear(x, W_ih, b_ih)
    gh = F.linear(h, W_hh, b_hh)
    H = h.shape[1]
    rz = torch.sigmoid(gi[:, :2 * H] + gh[:, :2 * H])
    r, z = rz[:, :H], rz[:, H:]
    n = torch.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
    return torch.lerp(n, h, z)
''',
}

# ---------------------------------------------------------------- lstm_step_backward
_LB = '''def lstm_step_backward(x, h, c, W_ih, W_hh, b_ih, b_hh, dh_new, dc_new):
    z_i, z_f, z_g, z_o = (x @ W_ih.T + b_ih + h @ W_hh.T + b_hh).chunk(4, dim=-1)
    i, f, g, o = torch.sigmoid(z_i), torch.sigmoid(z_f), torch.tanh(z_g), torch.sigmoid(z_o)
    tanh_c = torch.tanh(f * c + i * g)
{body}
    return {{"x": dz @ W_ih, "h": dz @ W_hh, "c": {dc_prev}, "W_ih": dz.T @ x, "W_hh": dz.T @ h, "b": dz.sum(0)}}
'''
_DZ = '''    dz = torch.cat([dc * g * i * (1 - i), dc * c * f * (1 - f), dc * i * (1 - g ** 2),
                    dh_new * tanh_c * o * (1 - o)], dim=-1)'''

LSTMB_WRONG = {
    "ignores the direct cell gradient dc_new": _LB.format(
        body="    dc = dh_new * o * (1 - tanh_c ** 2)\n" + _DZ, dc_prev="dc * f"),
    "c_prev gets the whole dc (forgets the forget gate)": _LB.format(
        body="    dc = dc_new + dh_new * o * (1 - tanh_c ** 2)\n" + _DZ, dc_prev="dc"),
    "tanh' taken at the old cell state": _LB.format(
        body="    dc = dc_new + dh_new * o * (1 - torch.tanh(c) ** 2)\n" + _DZ, dc_prev="dc * f"),
    "candidate derivative 1 - g instead of 1 - g^2": _LB.format(
        body='''    dc = dc_new + dh_new * o * (1 - tanh_c ** 2)
    dz = torch.cat([dc * g * i * (1 - i), dc * c * f * (1 - f), dc * i * (1 - g),
                    dh_new * tanh_c * o * (1 - o)], dim=-1)''', dc_prev="dc * f"),
    "output gate gradient through c_new too": _LB.format(
        body='''    dc = dc_new + dh_new * o * (1 - tanh_c ** 2)
    dz = torch.cat([dc * g * i * (1 - i), dc * c * f * (1 - f), dc * i * (1 - g ** 2),
                    dc * tanh_c * o * (1 - o)], dim=-1)''', dc_prev="dc * f"),
}

LSTMB_RIGHT = {
    "gate by gate with separate weight slices and einsum": '''def lstm_step_backward(x, h, c, W_ih, W_hh, b_ih, b_hh, dh_new, dc_new):
    H = h.shape[1]
    pre = torch.einsum("gd,bd->bg", W_ih, x) + torch.einsum("gk,bk->bg", W_hh, h) + b_ih + b_hh
    a = [pre[:, k * H:(k + 1) * H] for k in range(4)]
    i, f, o = torch.sigmoid(a[0]), torch.sigmoid(a[1]), torch.sigmoid(a[3])
    g = torch.tanh(a[2])
    c_new = f * c + i * g
    do = dh_new * torch.tanh(c_new)
    dc_total = dc_new + dh_new * o / torch.cosh(c_new) ** 2
    d_pre = [dc_total * g * torch.sigmoid(a[0]) * torch.sigmoid(-a[0]),
             dc_total * c * torch.sigmoid(a[1]) * torch.sigmoid(-a[1]),
             dc_total * i / torch.cosh(a[2]) ** 2,
             do * torch.sigmoid(a[3]) * torch.sigmoid(-a[3])]
    dz = torch.cat(d_pre, dim=1)
    return {"x": torch.einsum("bg,gd->bd", dz, W_ih), "h": torch.einsum("bg,gk->bk", dz, W_hh),
            "c": f * dc_total, "W_ih": torch.einsum("bg,bd->gd", dz, x), "W_hh": torch.einsum("bg,bk->gk", dz, h),
            "b": dz.sum(dim=0)}
''',
    "stacked weights on [x, h]": '''def lstm_step_backward(x, h, c, W_ih, W_hh, b_ih, b_hh, dh_new, dc_new):
    D = x.shape[1]
    xh = torch.cat([x, h], dim=1)
    W = torch.cat([W_ih, W_hh], dim=1)
    z = xh @ W.T + (b_ih + b_hh)
    s = torch.sigmoid(z)
    i, f, _, o = s.chunk(4, dim=1)
    g = torch.tanh(z.chunk(4, dim=1)[2])
    tc = torch.tanh(f * c + i * g)
    dc = dh_new * o * (1 - tc * tc) + dc_new
    local = torch.cat([dc * g, dc * c, dc * i, dh_new * tc], dim=1)
    slope = torch.cat([(s * (1 - s)).chunk(4, dim=1)[k] if k != 2 else 1 - g * g for k in range(4)], dim=1)
    dz = local * slope
    dxh = dz @ W
    dW = dz.T @ xh
    return {"x": dxh[:, :D], "h": dxh[:, D:], "c": dc * f, "W_ih": dW[:, :D], "W_hh": dW[:, D:], "b": dz.sum(0)}
''',
}

# ---------------------------------------------------------------- gradient_decay
_GD = '''def gradient_decay(T=60, B=32, D=2, H=16, update_bias=3.0, seed=0):
    torch.manual_seed(seed)
    X = torch.randn(B, T, D, dtype=torch.float64)
    rnn = nn.RNNCell(D, H, dtype=torch.float64)
    gru = nn.GRUCell(D, H, dtype=torch.float64)
    rnn_p = tuple(p.detach().clone() for p in (rnn.weight_ih, rnn.weight_hh, rnn.bias_ih, rnn.bias_hh))
    gru_p = tuple(p.detach().clone() for p in (gru.weight_ih, gru.weight_hh, gru.bias_ih, gru.bias_hh))
    b_hh = gru_p[3].clone()
    b_hh[{rows}] += update_bias
    gru_b = gru_p[:3] + (b_hh,)

    def rnn_step(x, h, W_ih, W_hh, b_ih, b_hh):
        return torch.tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)

    norms = {{}}
    for name, step, params in (("rnn", rnn_step, rnn_p), ("gru", gru_cell, gru_p), ("gru_biased", gru_cell, gru_b)):
        h = torch.zeros(B, H, dtype=torch.float64, requires_grad=True)
        states = []
        for t in range(T):
            states.append(h)
            h = step(X[:, t], h, *params)
        grads = torch.autograd.grad(h.sum(), states)
        per_t = torch.stack([g.norm(dim=-1).mean() for g in grads])
        norms[name] = {finish}
    return {{"X": X, "rnn": rnn_p, "gru": gru_p, "gru_biased": gru_b, "distance": np.arange(1, T + 1), "norms": norms}}
'''

DECAY_WRONG = {
    "shifts the reset-gate bias instead of the update gate": _GD.format(rows=":H", finish="per_t.flip(0).numpy()"),
    "norms indexed by time t, not by distance T - t": _GD.format(rows="H:2 * H", finish="per_t.numpy()"),
    "norm of the batch-mean gradient instead of the mean norm": _GD.format(
        rows="H:2 * H", finish="torch.stack([g.mean(0).norm() for g in grads]).flip(0).numpy()"),
    "reports the predicted curve sigma(b)^k instead of measuring the biased GRU": _GD.format(
        rows="H:2 * H",
        finish="(per_t.flip(0).numpy() if name != 'gru_biased' else "
               "per_t[-1].item() * torch.sigmoid(torch.tensor(update_bias)).item() ** np.arange(T))"),
    "no seed: inputs and weights not the returned ones": '''def gradient_decay(T=60, B=32, D=2, H=16, update_bias=3.0, seed=0):
    torch.manual_seed(seed)
    X = torch.randn(B, T, D, dtype=torch.float64)
    params = {}
    for name in ("rnn", "gru"):
        cell = (nn.RNNCell if name == "rnn" else nn.GRUCell)(D, H, dtype=torch.float64)
        params[name] = tuple(p.detach().clone() for p in (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh))
    b_hh = params["gru"][3].clone()
    b_hh[H:2 * H] += update_bias
    params["gru_biased"] = params["gru"][:3] + (b_hh,)
    norms = {}
    for name, p in params.items():
        Xm = torch.randn(B, T, D, dtype=torch.float64)  # a fresh batch, not the one returned
        step = (lambda x, h, a, b, c, d: torch.tanh(x @ a.T + c + h @ b.T + d)) if name == "rnn" else gru_cell
        h = torch.zeros(B, H, dtype=torch.float64, requires_grad=True)
        states = []
        for t in range(T):
            states.append(h)
            h = step(Xm[:, t], h, *p)
        grads = torch.autograd.grad(h.sum(), states)
        norms[name] = torch.stack([g.norm(dim=-1).mean() for g in grads]).flip(0).numpy()
    return {"X": X, **params, "distance": np.arange(1, T + 1), "norms": norms}
''',
}

DECAY_RIGHT = {
    "retain_grad and backward, as in lecture 08": '''def gradient_decay(T=60, B=32, D=2, H=16, update_bias=3.0, seed=0):
    torch.manual_seed(seed)
    X = torch.randn(B, T, D, dtype=torch.float64)
    rnn = nn.RNNCell(D, H, dtype=torch.float64)
    gru = nn.GRUCell(D, H, dtype=torch.float64)
    out = {"X": X, "distance": np.arange(1, T + 1), "norms": {}}
    out["rnn"] = tuple(t.detach().clone() for t in rnn.parameters())
    out["gru"] = tuple(t.detach().clone() for t in gru.parameters())
    shift = torch.zeros(3 * H, dtype=torch.float64)
    shift[H:2 * H] = update_bias
    out["gru_biased"] = (*out["gru"][:3], out["gru"][3] + shift)
    steps = {"rnn": lambda x, h, Wi, Wh, bi, bh: torch.tanh(F.linear(x, Wi, bi) + F.linear(h, Wh, bh)),
             "gru": gru_cell, "gru_biased": gru_cell}
    for name, step in steps.items():
        h = torch.zeros(B, H, dtype=torch.float64)
        hs = []
        for t in range(T):
            h = h.clone().requires_grad_() if t == 0 else h
            h.retain_grad()
            hs.append(h)
            h = step(X[:, t], h, *out[name])
        h.sum().backward()
        out["norms"][name] = np.array([hs[T - k].grad.norm(dim=1).mean().item() for k in range(1, T + 1)])
    return out
''',
    "one Jacobian-vector pass per state with torch.autograd.grad in a loop": '''def gradient_decay(T=60, B=32, D=2, H=16, update_bias=3.0, seed=0):
    torch.manual_seed(seed)
    X = torch.randn(B, T, D, dtype=torch.float64)
    cells = {"rnn": nn.RNNCell(D, H, dtype=torch.float64), "gru": nn.GRUCell(D, H, dtype=torch.float64)}
    P = {k: [p.detach().clone() for p in (m.weight_ih, m.weight_hh, m.bias_ih, m.bias_hh)] for k, m in cells.items()}
    biased = [p.clone() for p in P["gru"]]
    biased[3][H:2 * H] = biased[3][H:2 * H] + update_bias
    P["gru_biased"] = biased
    norms = {}
    for name in ("rnn", "gru", "gru_biased"):
        vals = np.zeros(T)
        for k in range(1, T + 1):  # restart from h_{T-k} detached: same gradient, more work
            h = torch.zeros(B, H, dtype=torch.float64)
            with torch.no_grad():
                for t in range(T - k):
                    h = (torch.tanh(X[:, t] @ P[name][0].T + P[name][2] + h @ P[name][1].T + P[name][3])
                         if name == "rnn" else gru_cell(X[:, t], h, *P[name]))
            start = h.clone().requires_grad_()
            h = start
            for t in range(T - k, T):
                h = (torch.tanh(X[:, t] @ P[name][0].T + P[name][2] + h @ P[name][1].T + P[name][3])
                     if name == "rnn" else gru_cell(X[:, t], h, *P[name]))
            (grad,) = torch.autograd.grad(h.sum(), start)
            vals[k - 1] = grad.norm(dim=1).mean().item()
        norms[name] = vals
    return {"X": X, "rnn": tuple(P["rnn"]), "gru": tuple(P["gru"]), "gru_biased": tuple(biased),
            "distance": np.arange(1, T + 1), "norms": norms}
''',
}

# ---------------------------------------------------------------- apply_rope
ROPE_WRONG = {
    "GPT-NeoX half-split pairs (i, i + d/2)": '''def apply_rope(x, positions, base=10000.0):
    d = x.shape[-1]
    freqs = base ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    angles = torch.as_tensor(positions, dtype=torch.float64)[:, None] * freqs
    cos, sin = torch.cos(angles).to(x.dtype), torch.sin(angles).to(x.dtype)
    x1, x2 = x[..., :d // 2], x[..., d // 2:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)
''',
    "angles computed in float32 (loses 1e-2 rad at 1e5)": '''def apply_rope(x, positions, base=10000.0):
    d = x.shape[-1]
    freqs = base ** (-torch.arange(0, d, 2).float() / d)
    angles = torch.as_tensor(positions).float()[:, None] * freqs
    cos, sin = torch.cos(angles).to(x.dtype), torch.sin(angles).to(x.dtype)
    x_even, x_odd = x[..., 0::2], x[..., 1::2]
    return torch.stack([x_even * cos - x_odd * sin, x_even * sin + x_odd * cos], dim=-1).flatten(-2)
''',
    "frequencies base^(-i/d) instead of base^(-2i/d)": '''def apply_rope(x, positions, base=10000.0):
    d = x.shape[-1]
    freqs = base ** (-torch.arange(d // 2, dtype=torch.float64) / d)
    angles = torch.as_tensor(positions, dtype=torch.float64)[:, None] * freqs
    cos, sin = torch.cos(angles).to(x.dtype), torch.sin(angles).to(x.dtype)
    x_even, x_odd = x[..., 0::2], x[..., 1::2]
    return torch.stack([x_even * cos - x_odd * sin, x_even * sin + x_odd * cos], dim=-1).flatten(-2)
''',
    "rotates clockwise (by -p theta)": '''def apply_rope(x, positions, base=10000.0):
    d = x.shape[-1]
    freqs = base ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    angles = torch.as_tensor(positions, dtype=torch.float64)[:, None] * freqs
    cos, sin = torch.cos(angles).to(x.dtype), torch.sin(angles).to(x.dtype)
    x_even, x_odd = x[..., 0::2], x[..., 1::2]
    return torch.stack([x_even * cos + x_odd * sin, -x_even * sin + x_odd * cos], dim=-1).flatten(-2)
''',
    "uses 0..T-1 instead of the given positions": '''def apply_rope(x, positions, base=10000.0):
    d, T = x.shape[-1], x.shape[-2]
    freqs = base ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    angles = torch.arange(T, dtype=torch.float64)[:, None] * freqs
    cos, sin = torch.cos(angles).to(x.dtype), torch.sin(angles).to(x.dtype)
    x_even, x_odd = x[..., 0::2], x[..., 1::2]
    return torch.stack([x_even * cos - x_odd * sin, x_even * sin + x_odd * cos], dim=-1).flatten(-2)
''',
}

ROPE_RIGHT = {
    "complex multiplication with torch.polar": '''def apply_rope(x, positions, base=10000.0):
    d = x.shape[-1]
    theta = base ** (-(2 * torch.arange(d // 2, dtype=torch.float64)) / d)
    angle = torch.outer(torch.as_tensor(positions, dtype=torch.float64), theta)
    rot = torch.polar(torch.ones_like(angle), angle)  # complex128
    xc = torch.view_as_complex(x.to(torch.float64).reshape(*x.shape[:-1], d // 2, 2).contiguous())
    return torch.view_as_real(xc * rot).reshape(x.shape).to(x.dtype)
''',
    "cos/sin repeated per entry and an interleaved rotate-half": '''def apply_rope(x, positions, base=10000.0):
    d = x.shape[-1]
    inv = 1.0 / (base ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
    ang = torch.as_tensor(positions).to(torch.float64).unsqueeze(-1) * inv
    cos = torch.cos(ang).repeat_interleave(2, dim=-1).to(x.dtype)
    sin = torch.sin(ang).repeat_interleave(2, dim=-1).to(x.dtype)
    swapped = torch.stack([-x[..., 1::2], x[..., 0::2]], dim=-1).reshape(x.shape)
    return x * cos + swapped * sin
''',
}

# ---------------------------------------------------------------- rope_similarity
_RS = '''def rope_similarity(distances, d=64, bases=(100.0, 10000.0), n=256, offset=0, seed=0):
    q = torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    distances = np.asarray(distances)
    sim = {{}}
    for base in bases:
{body}
    return {{"q": q, "distances": distances, "sim": sim}}
'''

SIM_WRONG = {
    "returns the predicted curve 1 - ln(Delta)/ln(base)": _RS.format(body='''        sim[base] = np.clip(1 - np.log(np.maximum(distances, 1)) / np.log(base), 0, 1)'''),
    "forgets to divide by |q|^2": _RS.format(body='''        query = apply_rope(q[:, None, :], torch.tensor([offset]), base)
        keys = apply_rope(q[:, None, :].expand(n, len(distances), d), torch.as_tensor(offset + distances), base)
        sim[base] = (query * keys).sum(-1).mean(0).numpy()'''),
    "a fresh random key instead of the same vector q": _RS.format(body='''        k = torch.randn(n, d, dtype=torch.float64)
        query = apply_rope(q[:, None, :], torch.tensor([offset]), base)
        keys = apply_rope(k[:, None, :].expand(n, len(distances), d), torch.as_tensor(offset + distances), base)
        sim[base] = ((query * keys).sum(-1) / (q ** 2).sum(-1, keepdim=True)).mean(0).numpy()'''),
    "key at position Delta instead of offset + Delta": _RS.format(body='''        query = apply_rope(q[:, None, :], torch.tensor([offset]), base)
        keys = apply_rope(q[:, None, :].expand(n, len(distances), d), torch.as_tensor(distances), base)
        sim[base] = ((query * keys).sum(-1) / (q ** 2).sum(-1, keepdim=True)).mean(0).numpy()'''),
}

SIM_RIGHT = {
    "one distance at a time, cosine of the rotated pair": _RS.format(body='''        vals = []
        for delta in distances:
            a = apply_rope(q[:, None, :], torch.tensor([offset]), base)[:, 0]
            b = apply_rope(q[:, None, :], torch.tensor([offset + int(delta)]), base)[:, 0]
            vals.append(((a * b).sum(1) / (q * q).sum(1)).mean().item())
        sim[base] = np.array(vals)'''),
    "the query rotated back: <q, R_Delta q> via positions relative to the key": _RS.format(body='''        pos = torch.as_tensor(offset + distances)
        rows = q.unsqueeze(1).repeat(1, len(distances), 1)  # (n, m, d)
        k_rot = apply_rope(rows, pos, base)
        q_rot = apply_rope(rows, torch.full_like(pos, offset), base)
        sim[base] = (torch.einsum("nmd,nmd->nm", q_rot, k_rot) / q.pow(2).sum(1)[:, None]).mean(0).numpy()'''),
}

# ---------------------------------------------------------------- causal_lm_loss
LM_WRONG = {
    "log-sum-exp without the max shift (overflows in float32)": '''def causal_lm_loss(logits, tokens, pad_id):
    targets = tokens[:, 1:]
    keep = targets != pad_id
    z = logits[:, :-1][keep]
    nll = torch.log(torch.exp(z).sum(-1)) - z.gather(-1, targets[keep][:, None]).squeeze(-1)
    return nll.mean()
''',
    "shift by the global max (underflows when the logit scale drifts)": '''def causal_lm_loss(logits, tokens, pad_id):
    targets = tokens[:, 1:]
    keep = targets != pad_id
    z = logits[:, :-1][keep]
    m = z.max()
    nll = m + torch.log(torch.exp(z - m).sum(-1)) - z.gather(-1, targets[keep][:, None]).squeeze(-1)
    return nll.mean()
''',
    "masks by multiplying with 0 (NaN from -inf at ignored positions)": '''def causal_lm_loss(logits, tokens, pad_id):
    z = logits[:, :-1]
    targets = tokens[:, 1:]
    m = z.amax(-1, keepdim=True)
    lse = m.squeeze(-1) + torch.log(torch.exp(z - m).sum(-1))
    nll = lse - z.gather(-1, targets[..., None]).squeeze(-1)
    mask = (targets != pad_id).to(nll.dtype)
    return (nll * mask).sum() / mask.sum()
''',
    "mean of per-sequence means": '''def causal_lm_loss(logits, tokens, pad_id):
    z = logits[:, :-1]
    targets = tokens[:, 1:]
    m = z.amax(-1, keepdim=True)
    lse = m.squeeze(-1) + torch.log(torch.exp(z - m).sum(-1))
    nll = lse - z.gather(-1, targets[..., None]).squeeze(-1)
    keep = targets != pad_id
    nll = torch.where(keep, nll, torch.zeros_like(nll))
    return (nll.sum(1) / keep.sum(1)).mean()
''',
    "targets not shifted": '''def causal_lm_loss(logits, tokens, pad_id):
    keep = tokens != pad_id
    z = logits[keep]
    m = z.amax(-1, keepdim=True)
    nll = m.squeeze(-1) + torch.log(torch.exp(z - m).sum(-1)) - z.gather(-1, tokens[keep][:, None]).squeeze(-1)
    return nll.mean()
''',
}

LM_RIGHT = {
    "torch.where before the sum, detached row max, one-hot target logit": '''def causal_lm_loss(logits, tokens, pad_id):
    z = logits[:, :-1]
    targets = tokens[:, 1:]
    keep = targets != pad_id
    z = torch.where(keep[..., None], z, torch.zeros_like(z))  # ignored rows -> 0, before anything can be inf
    m = z.detach().max(dim=-1, keepdim=True).values
    lse = (z - m).exp().sum(-1).log() + m[..., 0]
    one_hot = F.one_hot(torch.where(keep, targets, 0), z.shape[-1]).to(z.dtype)
    picked = (torch.where(one_hot.bool(), z, torch.zeros_like(z))).sum(-1)
    return torch.where(keep, lse - picked, torch.zeros_like(lse)).sum() / keep.sum()
''',
    "flatten, index the kept rows, log-softmax then pick": '''def causal_lm_loss(logits, tokens, pad_id):
    V = logits.shape[-1]
    z = logits[:, :-1].reshape(-1, V)
    y = tokens[:, 1:].reshape(-1)
    rows = torch.nonzero(y != pad_id).squeeze(1)
    z, y = z[rows], y[rows]
    shifted = z - z.max(dim=1, keepdim=True).values
    log_probs = shifted - shifted.exp().sum(dim=1, keepdim=True).log()
    return -log_probs[torch.arange(len(y)), y].sum() / len(y)
''',
}

VARIANTS = {
    "gru_cell": {"wrong": GRU_WRONG, "right": GRU_RIGHT},
    "lstm_step_backward": {"wrong": LSTMB_WRONG, "right": LSTMB_RIGHT},
    "gradient_decay": {"wrong": DECAY_WRONG, "right": DECAY_RIGHT},
    "apply_rope": {"wrong": ROPE_WRONG, "right": ROPE_RIGHT},
    "rope_similarity": {"wrong": SIM_WRONG, "right": SIM_RIGHT},
    "causal_lm_loss": {"wrong": LM_WRONG, "right": LM_RIGHT},
}
