"""hw5: plausible wrong answers the hidden tests must reject, and correct ones written differently."""

from textwrap import dedent as _d

_GAT_HEAD = '''
def gat_layer(X, edge_index, W, a_src, a_dst, negative_slope=0.2):
    Z = X @ W
    src, dst = edge_index
    n = X.shape[0]
'''

_SMOOTH_HEAD = '''
def smoothing_experiment(A, X, num_steps):
    n = A.shape[0]
    I = torch.eye(n, dtype=A.dtype)

    def sym(M):
        d = M.sum(dim=1).rsqrt()
        return d[:, None] * M * d[None, :]

'''


def _smooth(loops_matrix, energy, rate):
    return _d(_SMOOTH_HEAD) + _d(f'''
        out = {{}}
        for name, M in (("loops", {loops_matrix}), ("no_loops", sym(A))):
            H = [X]
            for _ in range(num_steps):
                H.append(M @ H[-1])
            H = torch.stack(H)
            out["H_" + name] = H
            L = I - (sym(A + I) if name == "loops" else sym(A))
            out["energy_" + name] = {energy}
        lam = torch.linalg.eigvalsh(sym(A + I))
        out["predicted_rate"] = {rate}
        return out
    ''').replace("\n", "\n    ").rstrip() + "\n"


_E_RIGHT = 'torch.einsum("kif,ij,kjf->k", H, L, H) / (H ** 2).sum(dim=(1, 2))'
_RATE_RIGHT = "float(2 * torch.log(lam[:-1].abs().max()))"

_VAE_HEAD = '''
def beta_vae_experiment(X, betas, latent_dim=8, hidden=64, steps=300, batch_size=128, lr=3e-3, seed=0):
    D = X.shape[1]
    out = {"betas": list(betas), "encoders": [], "active_units": [], "kl": [], "reconstruction": []}
    for beta in betas:
        torch.manual_seed(seed)
        enc = torch.nn.Sequential(torch.nn.Linear(D, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 2 * latent_dim))
        dec = torch.nn.Sequential(torch.nn.Linear(latent_dim, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, D))
        opt = torch.optim.Adam([*enc.parameters(), *dec.parameters()], lr=lr)
        for _ in range(steps):
            xb = X[torch.randint(0, len(X), (batch_size,))]
            mu, logvar = enc(xb).chunk(2, dim=-1)
            z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
            rec = F.binary_cross_entropy_with_logits(dec(z), xb, reduction="none").sum(-1)
            kl = 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum(-1)
            loss = LOSS
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            mu, logvar = enc(X).chunk(2, dim=-1)
            rec = F.binary_cross_entropy_with_logits(dec(mu), X, reduction="none").sum(-1)
            kl = 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum(-1)
        out["encoders"].append(ENCODER)
        out["active_units"].append(ACTIVE)
        out["kl"].append(float(kl.mean()))
        out["reconstruction"].append(float(rec.mean()))
    return out
'''


def _vae(loss="(rec + beta * kl).mean()", encoder="lambda x, enc=enc: enc(x).chunk(2, dim=-1)",
         active="int((mu.var(dim=0) > 0.01).sum())"):
    return _d(_VAE_HEAD).replace("LOSS", loss).replace("ENCODER", encoder).replace("ACTIVE", active)


_DDPM_HEAD = '''
def ddpm_posterior(x0, x_t, t, betas):
    alphas = 1.0 - betas
    alpha_bar = torch.cumprod(alphas, dim=0)
'''

VARIANTS = {
    "gat_layer": {
        "wrong": {
            "no max shift (exp overflows)": _d(_GAT_HEAD) + _d('''
                    scores = F.leaky_relu(Z[src] @ a_src + Z[dst] @ a_dst, negative_slope)
                    w = torch.exp(scores)
                    total = torch.zeros(n, dtype=Z.dtype).index_add(0, dst, w)
                    alpha = w / total[dst]
                    return torch.zeros(n, Z.shape[1], dtype=Z.dtype).index_add(0, dst, alpha[:, None] * Z[src]), alpha
                ''').replace("\n", "\n    ").rstrip() + "\n",
            "one global maximum for every target (underflows to 0/0)": _d(_GAT_HEAD) + _d('''
                    scores = F.leaky_relu(Z[src] @ a_src + Z[dst] @ a_dst, negative_slope)
                    w = torch.exp(scores - scores.max())
                    total = torch.zeros(n, dtype=Z.dtype).index_add(0, dst, w)
                    alpha = w / total[dst]
                    return torch.zeros(n, Z.shape[1], dtype=Z.dtype).index_add(0, dst, alpha[:, None] * Z[src]), alpha
                ''').replace("\n", "\n    ").rstrip() + "\n",
            "softmax over each source's out-edges": _d(_GAT_HEAD) + _d('''
                    scores = F.leaky_relu(Z[src] @ a_src + Z[dst] @ a_dst, negative_slope)
                    top = torch.full((n,), -torch.inf, dtype=Z.dtype).scatter_reduce(0, src, scores, "amax")
                    w = torch.exp(scores - top[src])
                    alpha = w / torch.zeros(n, dtype=Z.dtype).index_add(0, src, w)[src]
                    return torch.zeros(n, Z.shape[1], dtype=Z.dtype).index_add(0, dst, alpha[:, None] * Z[src]), alpha
                ''').replace("\n", "\n    ").rstrip() + "\n",
            "a_src and a_dst swapped": _d(_GAT_HEAD) + _d('''
                    scores = F.leaky_relu(Z[src] @ a_dst + Z[dst] @ a_src, negative_slope)
                    top = torch.full((n,), -torch.inf, dtype=Z.dtype).scatter_reduce(0, dst, scores, "amax")
                    w = torch.exp(scores - top[dst])
                    alpha = w / torch.zeros(n, dtype=Z.dtype).index_add(0, dst, w)[dst]
                    return torch.zeros(n, Z.shape[1], dtype=Z.dtype).index_add(0, dst, alpha[:, None] * Z[src]), alpha
                ''').replace("\n", "\n    ").rstrip() + "\n",
            "no LeakyReLU": _d(_GAT_HEAD) + _d('''
                    scores = Z[src] @ a_src + Z[dst] @ a_dst
                    top = torch.full((n,), -torch.inf, dtype=Z.dtype).scatter_reduce(0, dst, scores, "amax")
                    w = torch.exp(scores - top[dst])
                    alpha = w / torch.zeros(n, dtype=Z.dtype).index_add(0, dst, w)[dst]
                    return torch.zeros(n, Z.shape[1], dtype=Z.dtype).index_add(0, dst, alpha[:, None] * Z[src]), alpha
                ''').replace("\n", "\n    ").rstrip() + "\n",
            "H[dst] += messages (repeated targets overwrite)": _d(_GAT_HEAD) + _d('''
                    scores = F.leaky_relu(Z[src] @ a_src + Z[dst] @ a_dst, negative_slope)
                    top = torch.full((n,), -torch.inf, dtype=Z.dtype).scatter_reduce(0, dst, scores, "amax")
                    w = torch.exp(scores - top[dst])
                    alpha = w / torch.zeros(n, dtype=Z.dtype).index_add(0, dst, w)[dst]
                    H = torch.zeros(n, Z.shape[1], dtype=Z.dtype)
                    H[dst] += alpha[:, None] * Z[src]
                    return H, alpha
                ''').replace("\n", "\n    ").rstrip() + "\n",
            "a Python loop over the nodes (correct, but not vectorized)": _d(_GAT_HEAD) + _d('''
                    scores = F.leaky_relu(Z[src] @ a_src + Z[dst] @ a_dst, negative_slope)
                    alpha = torch.zeros_like(scores)
                    H = torch.zeros(n, Z.shape[1], dtype=Z.dtype)
                    for t in range(n):
                        into = dst == t
                        if into.any():
                            alpha[into] = torch.softmax(scores[into], dim=0)
                            H[t] = alpha[into] @ Z[src[into]]
                    return H, alpha
                ''').replace("\n", "\n    ").rstrip() + "\n",
        },
        "right": {
            "dense masked softmax": _d('''
                def gat_layer(X, edge_index, W, a_src, a_dst, negative_slope=0.2):
                    Z = X @ W
                    n = X.shape[0]
                    src, dst = edge_index
                    S = torch.full((n, n), -torch.inf, dtype=Z.dtype)
                    S[dst, src] = F.leaky_relu((Z @ a_src)[src] + (Z @ a_dst)[dst], negative_slope)
                    P = torch.softmax(S, dim=1).nan_to_num(0.0)  # rows without in-edges are all -inf
                    return P @ Z, P[dst, src]
                '''),
            "log-sum-exp per target": _d('''
                def gat_layer(X, edge_index, W, a_src, a_dst, negative_slope=0.2):
                    Z = X @ W
                    s, t = edge_index[0], edge_index[1]
                    e = torch.nn.functional.leaky_relu((Z * a_src).sum(1)[s] + (Z * a_dst).sum(1)[t], negative_slope)
                    m = torch.zeros(len(X), dtype=Z.dtype).scatter_reduce(0, t, e, "amax", include_self=False)
                    lse = m + torch.log(torch.zeros(len(X), dtype=Z.dtype).scatter_add(0, t, torch.exp(e - m[t])))
                    alpha = torch.exp(e - lse[t])
                    msg = alpha.unsqueeze(1) * Z[s]
                    H = torch.zeros_like(Z).scatter_add(0, t.unsqueeze(1).expand_as(msg), msg)
                    return H, alpha
                '''),
        },
    },
    "smoothing_experiment": {
        "wrong": {
            "random-walk normalization D~^-1 (A + I)": _smooth("(A + I) / (A + I).sum(1, keepdim=True)", _E_RIGHT,
                                                             _RATE_RIGHT),
            "self-loops in both curves": _smooth("sym(A + I)", _E_RIGHT, _RATE_RIGHT).replace(
                '("no_loops", sym(A))', '("no_loops", sym(A + I))'),
            "energy not divided by ||H||^2": _smooth("sym(A + I)", 'torch.einsum("kif,ij,kjf->k", H, L, H)',
                                                     _RATE_RIGHT),
            "rate log|lambda_2| (forgets that the energy is quadratic)": _smooth(
                "sym(A + I)", _E_RIGHT, "float(torch.log(lam[:-1].abs().max()))"),
            "rate from the spectrum without self-loops": _smooth(
                "sym(A + I)", _E_RIGHT, "float(2 * torch.log(torch.linalg.eigvalsh(sym(A))[:-1].abs().max()))"),
            "energies of a different run (hard-coded from the 5 x 5 grid)": _smooth(
                "sym(A + I)", "0.773 * torch.exp(-0.2 * torch.arange(H.shape[0], dtype=H.dtype))", _RATE_RIGHT),
        },
        "right": {
            "matrix powers": _d('''
                def smoothing_experiment(A, X, num_steps):
                    n = len(A)
                    A_loops = A + torch.eye(n, dtype=A.dtype)
                    Dl = torch.diag(A_loops.sum(1) ** -0.5)
                    Dn = torch.diag(A.sum(1) ** -0.5)
                    A_hat, P = Dl @ A_loops @ Dl, Dn @ A @ Dn
                    res = {}
                    for name, M in [("loops", A_hat), ("no_loops", P)]:
                        H = torch.stack([torch.linalg.matrix_power(M, k) @ X for k in range(num_steps + 1)])
                        L = torch.eye(n, dtype=A.dtype) - M
                        res["H_" + name] = H
                        res["energy_" + name] = torch.stack([torch.trace(h.T @ L @ h) / torch.trace(h.T @ h) for h in H])
                    second = torch.linalg.eigvalsh(A_hat).abs().sort().values[-2]
                    res["predicted_rate"] = 2.0 * float(torch.log(second))
                    return res
                '''),
            "eigendecomposition, energy as a sum over edges": _d('''
                def smoothing_experiment(A, X, num_steps):
                    n = len(A)
                    out = {}
                    for name, At in [("loops", A + torch.eye(n, dtype=A.dtype)), ("no_loops", A)]:
                        d = At.sum(1)
                        M = At / torch.sqrt(d[:, None] * d[None, :])
                        lam, U = torch.linalg.eigh(M)
                        coef = U.T @ X
                        H = torch.stack([U @ (lam[:, None] ** k * coef) for k in range(num_steps + 1)])
                        Hs = H / d.sqrt()[None, :, None]
                        diff = ((Hs[:, :, None, :] - Hs[:, None, :, :]) ** 2).sum(-1)
                        out["H_" + name] = H
                        out["energy_" + name] = 0.5 * (At * diff).sum((1, 2)) / (H ** 2).sum((1, 2))
                        if name == "loops":
                            out["predicted_rate"] = float(torch.log(lam[:-1] ** 2).max())
                    return out
                '''),
            "message passing on an edge list": _d('''
                def smoothing_experiment(A, X, num_steps):
                    n = A.shape[0]
                    out = {}
                    for name, extra in (("loops", 1.0), ("no_loops", 0.0)):
                        M = A + extra * torch.eye(n, dtype=A.dtype)
                        dst, src = M.nonzero(as_tuple=True)
                        deg = M.sum(1)
                        w = M[dst, src] / (deg[src] * deg[dst]).sqrt()
                        H = [X]
                        for _ in range(num_steps):
                            H.append(torch.zeros_like(X).index_add(0, dst, w[:, None] * H[-1][src]))
                        H = torch.stack(H)
                        MH = torch.stack([torch.zeros_like(X).index_add(0, dst, w[:, None] * h[src]) for h in H])
                        out["H_" + name] = H
                        out["energy_" + name] = ((H * H).sum((1, 2)) - (H * MH).sum((1, 2))) / (H * H).sum((1, 2))
                    lam = torch.linalg.eigvalsh(out["H_loops"].new_tensor(
                        ((A + torch.eye(n, dtype=A.dtype)) / torch.outer((A.sum(1) + 1).sqrt(), (A.sum(1) + 1).sqrt()))))
                    out["predicted_rate"] = float(2 * torch.log(torch.maximum(lam[-2].abs(), lam[0].abs())))
                    return out
                '''),
        },
    },
    "elbo": {
        "wrong": {
            "BCE on probabilities (PyTorch clamps the log at -100)": _d('''
                def elbo(x, x_logits, mu, logvar):
                    bce = F.binary_cross_entropy(torch.sigmoid(x_logits), x, reduction="none")
                    kl = 0.5 * (mu ** 2 + logvar.exp() - 1.0 - logvar).sum(dim=-1)
                    return -bce.flatten(1).sum(1) - kl
                '''),
            "log(sigmoid) computed literally": _d('''
                def elbo(x, x_logits, mu, logvar):
                    p = torch.sigmoid(x_logits)
                    log_lik = (x * torch.log(p) + (1 - x) * torch.log(1 - p)).flatten(1).sum(1)
                    return log_lik - 0.5 * (mu ** 2 + logvar.exp() - 1.0 - logvar).sum(dim=-1)
                '''),
            "log(1 + exp(l)) computed literally": _d('''
                def elbo(x, x_logits, mu, logvar):
                    log_lik = (x * x_logits - torch.log1p(torch.exp(x_logits))).flatten(1).sum(1)
                    return log_lik - 0.5 * (mu ** 2 + logvar.exp() - 1.0 - logvar).sum(dim=-1)
                '''),
            "sums the last dimension only (vectors only)": _d('''
                def elbo(x, x_logits, mu, logvar):
                    log_lik = -F.binary_cross_entropy_with_logits(x_logits, x, reduction="none").sum(-1)
                    return log_lik - 0.5 * (mu ** 2 + logvar.exp() - 1.0 - logvar).sum(dim=-1)
                '''),
            "forgets the one half in the KL": _d('''
                def elbo(x, x_logits, mu, logvar):
                    log_lik = (x * x_logits - F.softplus(x_logits)).flatten(1).sum(dim=1)
                    return log_lik - (mu ** 2 + logvar.exp() - 1.0 - logvar).sum(dim=-1)
                '''),
            "mean over pixels instead of the sum": _d('''
                def elbo(x, x_logits, mu, logvar):
                    log_lik = (x * x_logits - F.softplus(x_logits)).flatten(1).mean(dim=1)
                    return log_lik - 0.5 * (mu ** 2 + logvar.exp() - 1.0 - logvar).sum(dim=-1)
                '''),
        },
        "right": {
            "binary_cross_entropy_with_logits, reshaped": _d('''
                def elbo(x, x_logits, mu, logvar):
                    bce = F.binary_cross_entropy_with_logits(x_logits, x, reduction="none")
                    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=1)
                    return -bce.reshape(len(x), -1).sum(1) - kl
                '''),
            "torch.distributions": _d('''
                from torch.distributions import Bernoulli, Normal, kl_divergence

                def elbo(x, x_logits, mu, logvar):
                    log_lik = Bernoulli(logits=x_logits).log_prob(x).reshape(x.shape[0], -1).sum(-1)
                    q = Normal(mu, torch.exp(0.5 * logvar))
                    p = Normal(torch.zeros_like(mu), torch.ones_like(mu))
                    return log_lik - kl_divergence(q, p).sum(-1)
                '''),
            "logsigmoid of both signs": _d('''
                def elbo(x, x_logits, mu, logvar):
                    ll = x * F.logsigmoid(x_logits) + (1 - x) * F.logsigmoid(-x_logits)
                    dims = tuple(range(1, x.dim()))
                    kl = 0.5 * (mu * mu + torch.exp(logvar) - 1 - logvar).sum(-1)
                    return ll.sum(dim=dims) - kl
                '''),
        },
    },
    "beta_vae_experiment": {
        "wrong": {
            "beta ignored": _vae(loss="(rec + kl).mean()"),
            "beta multiplies the reconstruction": _vae(loss="(beta * rec + kl).mean()"),
            "active units from sampled z (counts noise as activity)": _vae(
                active="int(((mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)).var(dim=0) > 0.01).sum())"),
            "late-binding lambda: every encoder is the last one": _vae(encoder="lambda x: enc(x).chunk(2, dim=-1)"),
            "untrained encoders returned": _vae(
                encoder="(lambda e: (lambda x: e(x).chunk(2, dim=-1)))(torch.nn.Sequential(torch.nn.Linear(D, hidden), "
                        "torch.nn.ReLU(), torch.nn.Linear(hidden, 2 * latent_dim)))"),
        },
        "right": {
            "own generator, torch.distributions KL, encoder objects": _d('''
                class Encoder(torch.nn.Module):
                    def __init__(self, d, hidden, latent):
                        super().__init__()
                        self.body = torch.nn.Sequential(torch.nn.Linear(d, hidden), torch.nn.ReLU(),
                                                        torch.nn.Linear(hidden, 2 * latent))

                    def forward(self, x):
                        mu, logvar = self.body(x).chunk(2, dim=-1)
                        return mu, logvar


                def beta_vae_experiment(X, betas, latent_dim=8, hidden=64, steps=300, batch_size=128, lr=3e-3, seed=0):
                    from torch.distributions import Normal, kl_divergence
                    res = {"betas": list(betas), "encoders": [], "active_units": [], "kl": [], "reconstruction": []}
                    for beta in betas:
                        gen = torch.Generator().manual_seed(seed + 1)
                        torch.manual_seed(seed + 1)
                        enc = Encoder(X.shape[1], hidden, latent_dim)
                        dec = torch.nn.Sequential(torch.nn.Linear(latent_dim, hidden), torch.nn.ReLU(),
                                                  torch.nn.Linear(hidden, X.shape[1]))
                        opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=lr)
                        prior = Normal(0.0, 1.0)
                        for _ in range(steps):
                            xb = X[torch.randint(len(X), (batch_size,), generator=gen)]
                            mu, logvar = enc(xb)
                            q = Normal(mu, (0.5 * logvar).exp())
                            z = q.rsample()
                            rec = -torch.distributions.Bernoulli(logits=dec(z)).log_prob(xb).sum(1)
                            loss = rec.mean() + beta * kl_divergence(q, prior).sum(1).mean()
                            opt.zero_grad()
                            loss.backward()
                            opt.step()
                        enc.eval()
                        with torch.no_grad():
                            mu, logvar = enc(X)
                            q = Normal(mu, (0.5 * logvar).exp())
                            res["kl"].append(kl_divergence(q, prior).sum(1).mean().item())
                            res["reconstruction"].append(
                                -torch.distributions.Bernoulli(logits=dec(mu)).log_prob(X).sum(1).mean().item())
                            res["active_units"].append(int(torch.count_nonzero(mu.var(0) > 0.01)))
                        res["encoders"].append(enc)
                    return res
                '''),
            "shuffled epochs, separate mu and logvar heads": _d('''
                def beta_vae_experiment(X, betas, latent_dim=8, hidden=64, steps=300, batch_size=128, lr=3e-3, seed=0):
                    import torch.nn as nn
                    out = {"betas": list(betas), "encoders": [], "active_units": [], "kl": [], "reconstruction": []}

                    def make_encoder(body, head):
                        return lambda x: tuple(head(body(x)).split(latent_dim, dim=1))

                    for beta in betas:
                        torch.manual_seed(seed + 7)
                        body = nn.Sequential(nn.Linear(X.shape[1], hidden), nn.ReLU())
                        head = nn.Linear(hidden, 2 * latent_dim)
                        dec = nn.Sequential(nn.Linear(latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, X.shape[1]))
                        params = [*body.parameters(), *head.parameters(), *dec.parameters()]
                        opt = torch.optim.Adam(params, lr=lr)
                        encode = make_encoder(body, head)
                        done = 0
                        while done < steps:
                            order = torch.randperm(len(X))
                            for i in range(0, len(X) - batch_size + 1, batch_size):
                                if done == steps:
                                    break
                                xb = X[order[i:i + batch_size]]
                                mu, logvar = encode(xb)
                                std = torch.exp(logvar / 2)
                                z = mu + std * torch.randn_like(std)
                                logits = dec(z)
                                nll = (F.softplus(logits) - xb * logits).sum(1)
                                kl = 0.5 * (mu.square() + std.square() - 1 - logvar).sum(1)
                                opt.zero_grad()
                                (nll + beta * kl).mean().backward()
                                opt.step()
                                done += 1
                        with torch.no_grad():
                            mu, logvar = encode(X)
                            logits = dec(mu)
                            out["reconstruction"].append(float((F.softplus(logits) - X * logits).sum(1).mean()))
                            out["kl"].append(float((0.5 * (mu ** 2 + logvar.exp() - 1 - logvar)).sum(1).mean()))
                            out["active_units"].append(int((mu.var(0) > 0.01).sum()))
                        out["encoders"].append(encode)
                    return out
                '''),
        },
    },
    "ddpm_posterior": {
        "wrong": {
            "alpha_bar[t - 1] (wraps around at t = 0)": _d(_DDPM_HEAD) + _d('''
                    ab, ab_prev, b, a = alpha_bar[t], alpha_bar[t - 1], betas[t], alphas[t]
                    shape = (-1,) + (1,) * (x0.dim() - 1)
                    c0 = (ab_prev.sqrt() * b / (1 - ab)).reshape(shape)
                    ct = (a.sqrt() * (1 - ab_prev) / (1 - ab)).reshape(shape)
                    return c0 * x0 + ct * x_t, (1 - ab_prev) / (1 - ab) * b
                ''').replace("\n", "\n    ").rstrip() + "\n",
            "variance beta_t (the lecture's sampler variance)": _d(_DDPM_HEAD) + _d('''
                    ab_prev = torch.cat([torch.ones(1, dtype=betas.dtype), alpha_bar[:-1]])[t]
                    ab, b, a = alpha_bar[t], betas[t], alphas[t]
                    shape = (-1,) + (1,) * (x0.dim() - 1)
                    c0 = (ab_prev.sqrt() * b / (1 - ab)).reshape(shape)
                    ct = (a.sqrt() * (1 - ab_prev) / (1 - ab)).reshape(shape)
                    return c0 * x0 + ct * x_t, b
                ''').replace("\n", "\n    ").rstrip() + "\n",
            "reshapes for 2-D and 4-D inputs only": _d(_DDPM_HEAD) + _d('''
                    ab_prev = torch.cat([torch.ones(1, dtype=betas.dtype), alpha_bar[:-1]])[t]
                    ab, b, a = alpha_bar[t], betas[t], alphas[t]
                    shape = (-1, 1, 1, 1) if x0.dim() == 4 else (-1, 1)
                    c0 = (ab_prev.sqrt() * b / (1 - ab)).view(shape)
                    ct = (a.sqrt() * (1 - ab_prev) / (1 - ab)).view(shape)
                    return c0 * x0 + ct * x_t, (1 - ab_prev) / (1 - ab) * b
                ''').replace("\n", "\n    ").rstrip() + "\n",
            "coefficients broadcast along the last axis": _d(_DDPM_HEAD) + _d('''
                    ab_prev = torch.cat([torch.ones(1, dtype=betas.dtype), alpha_bar[:-1]])[t]
                    ab, b, a = alpha_bar[t], betas[t], alphas[t]
                    c0 = ab_prev.sqrt() * b / (1 - ab)
                    ct = a.sqrt() * (1 - ab_prev) / (1 - ab)
                    return c0 * x0 + ct * x_t, (1 - ab_prev) / (1 - ab) * b
                ''').replace("\n", "\n    ").rstrip() + "\n",
            "x0 and x_t coefficients swapped": _d(_DDPM_HEAD) + _d('''
                    ab_prev = torch.cat([torch.ones(1, dtype=betas.dtype), alpha_bar[:-1]])[t]
                    ab, b, a = alpha_bar[t], betas[t], alphas[t]
                    shape = (-1,) + (1,) * (x0.dim() - 1)
                    c0 = (ab_prev.sqrt() * b / (1 - ab)).reshape(shape)
                    ct = (a.sqrt() * (1 - ab_prev) / (1 - ab)).reshape(shape)
                    return ct * x0 + c0 * x_t, (1 - ab_prev) / (1 - ab) * b
                ''').replace("\n", "\n    ").rstrip() + "\n",
        },
        "right": {
            "example by example": _d('''
                def ddpm_posterior(x0, x_t, t, betas):
                    means, variances = [], []
                    for i in range(x0.shape[0]):
                        k = int(t[i])
                        ab = torch.prod(1 - betas[:k + 1])
                        ab_prev = torch.prod(1 - betas[:k])  # the empty product is 1
                        beta = betas[k]
                        means.append(ab_prev.sqrt() * beta / (1 - ab) * x0[i]
                                     + (1 - beta).sqrt() * (1 - ab_prev) / (1 - ab) * x_t[i])
                        variances.append((1 - ab_prev) / (1 - ab) * beta)
                    return torch.stack(means), torch.stack(variances)
                '''),
            "through the noise, with movedim": _d('''
                def ddpm_posterior(x0, x_t, t, betas):
                    log_ab = torch.cumsum(torch.log1p(-betas), 0)
                    ab = log_ab.exp()[t]
                    ab_prev = torch.where(t > 0, log_ab[(t - 1).clamp(min=0)].exp(), torch.ones_like(ab))
                    b = betas[t]
                    eps = (x_t.movedim(0, -1) - ab.sqrt() * x0.movedim(0, -1)) / (1 - ab).sqrt()
                    mean = (x_t.movedim(0, -1) - b / (1 - ab).sqrt() * eps) / (1 - b).sqrt()
                    return mean.movedim(-1, 0), b * (1 - ab_prev) / (1 - ab)
                '''),
        },
    },
}
