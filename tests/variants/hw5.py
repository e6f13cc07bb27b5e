"""hw5: plausible wrong answers the hidden tests must reject, and correct ones written differently."""

from textwrap import dedent as _d

VARIANTS = {
    "gcn_norm": {
        "wrong": {
            "forgets the self-loops": _d('''
                def gcn_norm(A):
                    d = A.sum(dim=1).rsqrt()
                    return d[:, None] * A * d[None, :]
                '''),
            "degrees of A, self-loops added afterwards": _d('''
                def gcn_norm(A):
                    d = A.sum(dim=1).rsqrt()
                    A_tilde = A + torch.eye(A.shape[0], dtype=A.dtype)
                    return d[:, None] * A_tilde * d[None, :]
                '''),
            "row normalization D^-1 (A + I)": _d('''
                def gcn_norm(A):
                    A_tilde = A + torch.eye(A.shape[0], dtype=A.dtype)
                    return A_tilde / A_tilde.sum(dim=1, keepdim=True)
                '''),
            "normalizes the rows only, by 1/sqrt(degree)": _d('''
                def gcn_norm(A):
                    A_tilde = A + torch.eye(A.shape[0], dtype=A.dtype)
                    return A_tilde * A_tilde.sum(dim=1, keepdim=True).rsqrt()
                '''),
            "adds the self-loops in place (mutates A)": _d('''
                def gcn_norm(A):
                    A += torch.eye(A.shape[0], dtype=A.dtype)
                    d = A.sum(dim=1).rsqrt()
                    return d[:, None] * A * d[None, :]
                '''),
            "counts neighbours instead of summing weights": _d('''
                def gcn_norm(A):
                    A_tilde = A + torch.eye(A.shape[0], dtype=A.dtype)
                    d = (A_tilde > 0).sum(dim=1).to(A.dtype).rsqrt()
                    return d[:, None] * A_tilde * d[None, :]
                '''),
        },
        "right": {
            "diagonal matrices and matrix products": _d('''
                def gcn_norm(A):
                    A_tilde = A + torch.eye(A.shape[0], dtype=A.dtype)
                    D = torch.diag(torch.pow(A_tilde.sum(1), -0.5))
                    return D @ A_tilde @ D
                '''),
            "entry by entry with loops": _d('''
                def gcn_norm(A):
                    n = A.shape[0]
                    A_tilde = A.clone()
                    for i in range(n):
                        A_tilde[i, i] += 1
                    deg = [float(A_tilde[i].sum()) for i in range(n)]
                    out = torch.zeros_like(A)
                    for i in range(n):
                        for j in range(n):
                            out[i, j] = A_tilde[i, j] / (deg[i] * deg[j]) ** 0.5
                    return out
                '''),
        },
    },
    "gcn_edge_weights": {
        "wrong": {
            "forgets the self-loop in the degree": _d('''
                def gcn_edge_weights(edge_index, num_nodes, dtype=torch.float32):
                    src, dst = edge_index
                    deg = torch.bincount(dst, minlength=num_nodes).to(dtype)
                    return (deg[src] * deg[dst]).rsqrt(), 1.0 / (deg + 1)
                '''),
            "counts outgoing edges (edge_index[0])": _d('''
                def gcn_edge_weights(edge_index, num_nodes, dtype=torch.float32):
                    src, dst = edge_index
                    deg = torch.bincount(src, minlength=num_nodes).to(dtype) + 1
                    return (deg[src] * deg[dst]).rsqrt(), 1.0 / deg
                '''),
            "self-loop weight 1/sqrt(degree)": _d('''
                def gcn_edge_weights(edge_index, num_nodes, dtype=torch.float32):
                    src, dst = edge_index
                    deg = torch.bincount(dst, minlength=num_nodes).to(dtype) + 1
                    return (deg[src] * deg[dst]).rsqrt(), deg.rsqrt()
                '''),
            "bincount without minlength (drops isolated last nodes)": _d('''
                def gcn_edge_weights(edge_index, num_nodes, dtype=torch.float32):
                    src, dst = edge_index
                    deg = torch.bincount(dst).to(dtype) + 1
                    return (deg[src] * deg[dst]).rsqrt(), 1.0 / deg
                '''),
            "ignores the dtype argument": _d('''
                def gcn_edge_weights(edge_index, num_nodes, dtype=torch.float32):
                    src, dst = edge_index
                    deg = torch.bincount(dst, minlength=num_nodes).float() + 1
                    return (deg[src] * deg[dst]).rsqrt(), 1.0 / deg
                '''),
        },
        "right": {
            "bincount, then powers": _d('''
                def gcn_edge_weights(edge_index, num_nodes, dtype=torch.float32):
                    deg = (torch.bincount(edge_index[1], minlength=num_nodes) + 1).to(dtype)
                    inv = deg.pow(-0.5)
                    return inv[edge_index[0]] * inv[edge_index[1]], inv * inv
                '''),
            "Python loops over the edges": _d('''
                def gcn_edge_weights(edge_index, num_nodes, dtype=torch.float32):
                    deg = [1.0] * num_nodes
                    for i in edge_index[1].tolist():
                        deg[i] += 1.0
                    w = [1.0 / (deg[s] * deg[d]) ** 0.5 for s, d in edge_index.T.tolist()]
                    return torch.tensor(w, dtype=dtype), torch.tensor([1.0 / x for x in deg], dtype=dtype)
                '''),
        },
    },
    "gcn_layer": {
        "wrong": {
            "aggregates at the source node": _d('''
                def gcn_layer(X, edge_index, edge_weight, loop_weight, W, b):
                    XW = X @ W
                    src, dst = edge_index
                    out = loop_weight[:, None] * XW
                    return out.index_add(0, src, edge_weight[:, None] * XW[dst]) + b
                '''),
            "forgets the self-loop messages": _d('''
                def gcn_layer(X, edge_index, edge_weight, loop_weight, W, b):
                    XW = X @ W
                    src, dst = edge_index
                    out = torch.zeros_like(XW)
                    return out.index_add(0, dst, edge_weight[:, None] * XW[src]) + b
                '''),
            "out[dst] += msg (repeated targets overwrite)": _d('''
                def gcn_layer(X, edge_index, edge_weight, loop_weight, W, b):
                    XW = X @ W
                    src, dst = edge_index
                    out = loop_weight[:, None] * XW
                    out[dst] += edge_weight[:, None] * XW[src]
                    return out + b
                '''),
            "adds the bias before aggregating": _d('''
                def gcn_layer(X, edge_index, edge_weight, loop_weight, W, b):
                    XW = X @ W + b
                    src, dst = edge_index
                    out = loop_weight[:, None] * XW
                    return out.index_add(0, dst, edge_weight[:, None] * XW[src])
                '''),
            "a Python loop over edges (correct, but not vectorized)": _d('''
                def gcn_layer(X, edge_index, edge_weight, loop_weight, W, b):
                    XW = X @ W
                    out = loop_weight[:, None] * XW
                    for e in range(edge_index.shape[1]):
                        out[edge_index[1, e]] = out[edge_index[1, e]] + edge_weight[e] * XW[edge_index[0, e]]
                    return out + b
                '''),
            "weights used like nn.Linear's (X @ W.T)": _d('''
                def gcn_layer(X, edge_index, edge_weight, loop_weight, W, b):
                    XW = X @ W.T
                    src, dst = edge_index
                    out = loop_weight[:, None] * XW
                    return out.index_add(0, dst, edge_weight[:, None] * XW[src]) + b
                '''),
        },
        "right": {
            "a sparse matrix product": _d('''
                def gcn_layer(X, edge_index, edge_weight, loop_weight, W, b):
                    n = X.shape[0]
                    loops = torch.arange(n)
                    idx = torch.cat([edge_index.flip(0), torch.stack([loops, loops])], dim=1)
                    A = torch.sparse_coo_tensor(idx, torch.cat([edge_weight, loop_weight]), (n, n))
                    return torch.sparse.mm(A, X @ W) + b
                '''),
            "aggregate the features first, then transform (scatter_add)": _d('''
                def gcn_layer(X, edge_index, edge_weight, loop_weight, W, b):
                    src, dst = edge_index
                    msg = edge_weight[:, None] * X[src]
                    agg = torch.zeros_like(X).scatter_add(0, dst[:, None].expand_as(msg), msg)
                    return (agg + loop_weight[:, None] * X) @ W + b
                '''),
            "dense matrix assembled with index_put_(accumulate=True)": _d('''
                def gcn_layer(X, edge_index, edge_weight, loop_weight, W, b):
                    A = torch.diag(loop_weight)
                    A.index_put_((edge_index[1], edge_index[0]), edge_weight, accumulate=True)
                    return A @ (X @ W) + b
                '''),
        },
    },
    "reparameterize": {
        "wrong": {
            "std = exp(logvar) (forgets the one half)": _d('''
                def reparameterize(mu, logvar, generator=None):
                    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
                    return mu + torch.exp(logvar) * eps
                '''),
            "samples with torch.normal (no gradient flows)": _d('''
                def reparameterize(mu, logvar, generator=None):
                    return torch.normal(mu, torch.exp(0.5 * logvar), generator=generator)
                '''),
            "ignores the generator": _d('''
                def reparameterize(mu, logvar, generator=None):
                    return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
                '''),
            "one noise vector shared by the whole batch": _d('''
                def reparameterize(mu, logvar, generator=None):
                    eps = torch.randn(mu.shape[-1], generator=generator, dtype=mu.dtype, device=mu.device)
                    return mu + torch.exp(0.5 * logvar) * eps
                '''),
            "detaches sigma (no gradient to logvar)": _d('''
                def reparameterize(mu, logvar, generator=None):
                    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
                    return mu + torch.exp(0.5 * logvar).detach() * eps
                '''),
        },
        "right": {
            "normal_ on an empty tensor, addcmul": _d('''
                def reparameterize(mu, logvar, generator=None):
                    eps = torch.empty_like(mu).normal_(generator=generator)
                    return torch.addcmul(mu, (logvar / 2).exp(), eps)
                '''),
            "randn_like with a generator, sqrt of the variance": _d('''
                def reparameterize(mu, logvar, generator=None):
                    eps = torch.randn_like(mu, generator=generator)
                    return mu + torch.sqrt(torch.exp(logvar)) * eps
                '''),
        },
    },
    "gaussian_kl": {
        "wrong": {
            "forgets the one half": _d('''
                def gaussian_kl(mu, logvar):
                    return torch.sum(torch.exp(logvar) + mu ** 2 - 1 - logvar, dim=-1)
                '''),
            "averages over the latent dimensions": _d('''
                def gaussian_kl(mu, logvar):
                    return 0.5 * torch.mean(torch.exp(logvar) + mu ** 2 - 1 - logvar, dim=-1)
                '''),
            "sums over the batch too (a scalar)": _d('''
                def gaussian_kl(mu, logvar):
                    return 0.5 * torch.sum(torch.exp(logvar) + mu ** 2 - 1 - logvar)
                '''),
            "treats logvar as log sigma": _d('''
                def gaussian_kl(mu, logvar):
                    return 0.5 * torch.sum(torch.exp(2 * logvar) + mu ** 2 - 1 - 2 * logvar, dim=-1)
                '''),
            "sign error on the log-variance": _d('''
                def gaussian_kl(mu, logvar):
                    return 0.5 * torch.sum(torch.exp(logvar) + mu ** 2 - 1 + logvar, dim=-1)
                '''),
            "sums over dimension 1 (only right for 2-D)": _d('''
                def gaussian_kl(mu, logvar):
                    return 0.5 * torch.sum(torch.exp(logvar) + mu ** 2 - 1 - logvar, dim=1)
                '''),
        },
        "right": {
            "torch.distributions with Independent": _d('''
                from torch.distributions import Independent, Normal, kl_divergence

                def gaussian_kl(mu, logvar):
                    q = Independent(Normal(mu, torch.exp(0.5 * logvar)), 1)
                    p = Independent(Normal(torch.zeros_like(mu), torch.ones_like(mu)), 1)
                    return kl_divergence(q, p)
                '''),
            "in terms of log sigma": _d('''
                def gaussian_kl(mu, logvar):
                    log_sigma = logvar / 2
                    return (-log_sigma + (torch.exp(2 * log_sigma) + mu * mu) / 2 - 0.5).sum(-1)
                '''),
        },
    },
    "elbo": {
        "wrong": {
            "log(sigmoid) computed literally": _d('''
                def elbo(x, x_logits, mu, logvar):
                    p = torch.sigmoid(x_logits)
                    log_lik = (x * torch.log(p) + (1 - x) * torch.log(1 - p)).sum(dim=-1)
                    return log_lik - gaussian_kl(mu, logvar)
                '''),
            "mean over pixels (the default reduction)": _d('''
                def elbo(x, x_logits, mu, logvar):
                    return -F.binary_cross_entropy_with_logits(x_logits, x) - gaussian_kl(mu, logvar)
                '''),
            "returns the loss, -ELBO": _d('''
                def elbo(x, x_logits, mu, logvar):
                    bce = F.binary_cross_entropy_with_logits(x_logits, x, reduction="none").sum(dim=-1)
                    return bce + gaussian_kl(mu, logvar)
                '''),
            "adds the KL": _d('''
                def elbo(x, x_logits, mu, logvar):
                    bce = F.binary_cross_entropy_with_logits(x_logits, x, reduction="none").sum(dim=-1)
                    return -bce + gaussian_kl(mu, logvar)
                '''),
            "sigmoid probabilities passed as logits": _d('''
                def elbo(x, x_logits, mu, logvar):
                    p = torch.sigmoid(x_logits)
                    bce = F.binary_cross_entropy_with_logits(p, x, reduction="none").sum(dim=-1)
                    return -bce - gaussian_kl(mu, logvar)
                '''),
        },
        "right": {
            "torch.distributions.Bernoulli": _d('''
                def elbo(x, x_logits, mu, logvar):
                    log_lik = torch.distributions.Bernoulli(logits=x_logits).log_prob(x).sum(-1)
                    return log_lik - gaussian_kl(mu, logvar)
                '''),
            "x * l - softplus(l), KL written out": _d('''
                def elbo(x, x_logits, mu, logvar):
                    log_lik = (x * x_logits - F.softplus(x_logits)).sum(-1)
                    kl = 0.5 * (logvar.exp() + mu.pow(2) - 1 - logvar).sum(-1)
                    return log_lik - kl
                '''),
            "logaddexp": _d('''
                def elbo(x, x_logits, mu, logvar):
                    log_lik = (x * x_logits - torch.logaddexp(torch.zeros_like(x_logits), x_logits)).sum(-1)
                    return log_lik - gaussian_kl(mu, logvar)
                '''),
        },
    },
    "q_sample": {
        "wrong": {
            "alpha_bar instead of its square root": _d('''
                def q_sample(x0, t, alpha_bar, eps):
                    ab = alpha_bar[t].reshape(-1, *([1] * (x0.dim() - 1)))
                    return ab * x0 + (1 - ab) * eps
                '''),
            "steps numbered from 1 (alpha_bar[t - 1])": _d('''
                def q_sample(x0, t, alpha_bar, eps):
                    ab = alpha_bar[t - 1].reshape(-1, *([1] * (x0.dim() - 1)))
                    return ab.sqrt() * x0 + (1 - ab).sqrt() * eps
                '''),
            "broadcasts alpha_bar[t] along the last axis": _d('''
                def q_sample(x0, t, alpha_bar, eps):
                    ab = alpha_bar[t]
                    return ab.sqrt() * x0 + (1 - ab).sqrt() * eps
                '''),
            "reshapes for vectors only (view(-1, 1))": _d('''
                def q_sample(x0, t, alpha_bar, eps):
                    ab = alpha_bar[t].view(-1, 1)
                    return ab.sqrt() * x0 + (1 - ab).sqrt() * eps
                '''),
            "swaps the signal and noise coefficients": _d('''
                def q_sample(x0, t, alpha_bar, eps):
                    ab = alpha_bar[t].reshape(-1, *([1] * (x0.dim() - 1)))
                    return (1 - ab).sqrt() * x0 + ab.sqrt() * eps
                '''),
        },
        "right": {
            "example by example": _d('''
                def q_sample(x0, t, alpha_bar, eps):
                    rows = []
                    for i in range(x0.shape[0]):
                        a = alpha_bar[t[i]]
                        rows.append(torch.sqrt(a) * x0[i] + torch.sqrt(1 - a) * eps[i])
                    return torch.stack(rows)
                '''),
            "move the batch axis last and broadcast": _d('''
                def q_sample(x0, t, alpha_bar, eps):
                    a = alpha_bar[t]
                    out = x0.movedim(0, -1) * a.sqrt() + eps.movedim(0, -1) * (1 - a).sqrt()
                    return out.movedim(-1, 0)
                '''),
        },
    },
    "ddpm_loss": {
        "wrong": {
            "cumulative sum instead of product": _d('''
                def ddpm_loss(eps_model, x0, t, betas, eps):
                    alpha_bar = torch.cumsum(1 - betas, dim=0).clamp(max=1.0)
                    x_t = q_sample(x0, t, alpha_bar, eps)
                    return torch.mean((eps_model(x_t, t) - eps) ** 2)
                '''),
            "alpha_bar = 1 - betas (no product over steps)": _d('''
                def ddpm_loss(eps_model, x0, t, betas, eps):
                    x_t = q_sample(x0, t, 1 - betas, eps)
                    return torch.mean((eps_model(x_t, t) - eps) ** 2)
                '''),
            "regresses x0 instead of the noise": _d('''
                def ddpm_loss(eps_model, x0, t, betas, eps):
                    x_t = q_sample(x0, t, torch.cumprod(1 - betas, dim=0), eps)
                    return torch.mean((eps_model(x_t, t) - x0) ** 2)
                '''),
            "sum instead of mean": _d('''
                def ddpm_loss(eps_model, x0, t, betas, eps):
                    x_t = q_sample(x0, t, torch.cumprod(1 - betas, dim=0), eps)
                    return torch.sum((eps_model(x_t, t) - eps) ** 2)
                '''),
            "returns a Python float (.item())": _d('''
                def ddpm_loss(eps_model, x0, t, betas, eps):
                    x_t = q_sample(x0, t, torch.cumprod(1 - betas, dim=0), eps)
                    return torch.mean((eps_model(x_t, t) - eps) ** 2).item()
                '''),
            "alpha_bar = 1 - cumprod(betas)": _d('''
                def ddpm_loss(eps_model, x0, t, betas, eps):
                    x_t = q_sample(x0, t, 1 - torch.cumprod(betas, dim=0), eps)
                    return torch.mean((eps_model(x_t, t) - eps) ** 2)
                '''),
        },
        "right": {
            "F.mse_loss, q_sample written inline": _d('''
                def ddpm_loss(eps_model, x0, t, betas, eps):
                    ab = torch.cumprod(1 - betas, 0)[t].view(-1, *([1] * (x0.dim() - 1)))
                    x_t = ab.sqrt() * x0 + (1 - ab).sqrt() * eps
                    return F.mse_loss(eps_model(x_t, t), eps)
                '''),
            "product as exp(cumsum(log))": _d('''
                def ddpm_loss(eps_model, x0, t, betas, eps):
                    alpha_bar = torch.exp(torch.cumsum(torch.log1p(-betas), dim=0))
                    x_t = q_sample(x0, t, alpha_bar, eps)
                    return ((eps - eps_model(x_t, t)) ** 2).sum() / eps.numel()
                '''),
        },
    },
}
