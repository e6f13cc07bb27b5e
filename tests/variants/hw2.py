"""hw2: plausible wrong answers the hidden tests must reject, and correct ones written differently."""

# ---------------------------------------------------------------- 1. adam_step (Adam, AdamW, AMSGrad)
_ADAM_HEAD = '''
def adam_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False,
              amsgrad=False):
    b1, b2 = betas
    t = state.get("step", 0) + 1
'''
_ADAM_DECAY = '''    if decoupled:
        param = param * (1 - lr * weight_decay)
        g = grad
    else:
        g = grad + weight_decay * param
'''
_ADAM_MOMENTS = '''    m = b1 * state.get("exp_avg", 0.0 * param) + (1 - b1) * g
    v = b2 * state.get("exp_avg_sq", 0.0 * param) + (1 - b2) * g * g
'''
_ADAM_AMS = '''    new = {"step": t, "exp_avg": m, "exp_avg_sq": v}
    if amsgrad:
        v = np.maximum(state.get("max_exp_avg_sq", 0.0 * param), v)
        new["max_exp_avg_sq"] = v
'''
_ADAM_HAT = '''    m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
'''
_ADAM_RETURN = '''    return param - lr * m_hat / (np.sqrt(v_hat) + eps), new
'''

_ADAM_WRONG = {
    "no bias correction": _ADAM_HEAD + _ADAM_DECAY + _ADAM_MOMENTS + _ADAM_AMS + "    m_hat, v_hat = m, v\n"
    + _ADAM_RETURN,
    "eps inside the square root": _ADAM_HEAD + _ADAM_DECAY + _ADAM_MOMENTS + _ADAM_AMS + _ADAM_HAT
    + "    return param - lr * m_hat / np.sqrt(v_hat + eps), new\n",
    "bias correction one step ahead (1 - beta^(t+1))": _ADAM_HEAD + _ADAM_DECAY + _ADAM_MOMENTS + _ADAM_AMS
    + "    m_hat, v_hat = m / (1 - b1 ** (t + 1)), v / (1 - b2 ** (t + 1))\n" + _ADAM_RETURN,
    "AdamW shrinks by weight_decay, forgetting the lr": _ADAM_HEAD + _ADAM_DECAY.replace(
        "(1 - lr * weight_decay)", "(1 - weight_decay)") + _ADAM_MOMENTS + _ADAM_AMS + _ADAM_HAT + _ADAM_RETURN,
    "decoupled ignored: AdamW done as an L2 penalty": _ADAM_HEAD + "    g = grad + weight_decay * param\n"
    + _ADAM_MOMENTS + _ADAM_AMS + _ADAM_HAT + _ADAM_RETURN,
    "updates the moments in place": _ADAM_HEAD + _ADAM_DECAY + '''    m = state.get("exp_avg", np.zeros_like(param))
    v = state.get("exp_avg_sq", np.zeros_like(param))
    m *= b1
    m += (1 - b1) * g
    v *= b2
    v += (1 - b2) * g * g
''' + _ADAM_AMS + _ADAM_HAT + _ADAM_RETURN,
    "AMSGrad ignored: stores v as its 'max'": _ADAM_HEAD + _ADAM_DECAY + _ADAM_MOMENTS
    + _ADAM_AMS.replace('np.maximum(state.get("max_exp_avg_sq", 0.0 * param), v)', "v") + _ADAM_HAT + _ADAM_RETURN,
    "AMSGrad: running max of the bias-corrected v_hat": _ADAM_HEAD + _ADAM_DECAY + _ADAM_MOMENTS + '''    new = {"step": t, "exp_avg": m, "exp_avg_sq": v}
    m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
    if amsgrad:
        v_hat = np.maximum(state.get("max_exp_avg_sq", 0.0 * param), v_hat)
        new["max_exp_avg_sq"] = v_hat
''' + _ADAM_RETURN,
    "AMSGrad: max with the previous v, taken before v is updated": _ADAM_HEAD + _ADAM_DECAY + '''    v_old = state.get("exp_avg_sq", 0.0 * param)
    v_max = np.maximum(state.get("max_exp_avg_sq", 0.0 * param), v_old)
''' + _ADAM_MOMENTS + '''    new = {"step": t, "exp_avg": m, "exp_avg_sq": v}
    if amsgrad:
        new["max_exp_avg_sq"] = v_max
        v = np.maximum(v_max, 0.0 * v)
''' + _ADAM_HAT + _ADAM_RETURN,
}

_ADAM_RIGHT = {
    "PyTorch's arrangement: step size lr / bc1, denominator sqrt(v_max) / sqrt(bc2) + eps": '''
def adam_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False,
              amsgrad=False):
    beta1, beta2 = betas
    step = state.get("step", 0) + 1
    if decoupled:
        param = param * (1 - lr * weight_decay)
    elif weight_decay:
        grad = grad + weight_decay * param
    exp_avg = state.get("exp_avg", np.zeros_like(param)) * beta1 + grad * (1 - beta1)
    exp_avg_sq = state.get("exp_avg_sq", np.zeros_like(param)) * beta2 + grad * grad * (1 - beta2)
    new_state = dict(step=step, exp_avg=exp_avg, exp_avg_sq=exp_avg_sq)
    second = exp_avg_sq
    if amsgrad:
        second = new_state["max_exp_avg_sq"] = np.fmax(state.get("max_exp_avg_sq", np.zeros_like(param)), exp_avg_sq)
    bias_correction1 = 1 - beta1**step
    bias_correction2_sqrt = math.sqrt(1 - beta2**step)
    step_size = lr / bias_correction1
    denom = np.sqrt(second) / bias_correction2_sqrt + eps
    return param - step_size * exp_avg / denom, new_state
''',
    "torch ops (lerp for the averages, torch.maximum)": '''
def adam_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False,
              amsgrad=False):
    p, g = torch.tensor(param), torch.tensor(grad)
    t = int(state.get("step", 0)) + 1
    if decoupled:
        p = p * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * p
    m = torch.tensor(state["exp_avg"]) if "exp_avg" in state else torch.zeros_like(p)
    v = torch.tensor(state["exp_avg_sq"]) if "exp_avg_sq" in state else torch.zeros_like(p)
    m = torch.lerp(m, g, 1 - betas[0])
    v = v * betas[1] + (1 - betas[1]) * g.square()
    out = {"step": t, "exp_avg": m.numpy(), "exp_avg_sq": v.numpy()}
    if amsgrad:
        old = torch.tensor(state["max_exp_avg_sq"]) if "max_exp_avg_sq" in state else torch.zeros_like(p)
        v = torch.maximum(old, v)
        out["max_exp_avg_sq"] = v.numpy()
    m_hat = m / (1 - betas[0] ** t)
    v_hat = v / (1 - betas[1] ** t)
    new_p = p - lr * m_hat / (v_hat.sqrt() + eps)
    return new_p.numpy(), out
''',
}

# ---------------------------------------------------------------- 2. the Lessard-Recht-Packard experiment
_LRP = '''
def lrp_grad(x):
    x = np.asarray(x, dtype=float)
    return np.where(x < 1, 25.0 * x, np.where(x < 2, x + 24.0, 25.0 * x - 24.0))


def momentum_runs(grad, x0, L, mu, num_iters):
    sqrt_kappa = math.sqrt(L / mu)
    alpha_hb = 4.0 / (math.sqrt(L) + math.sqrt(mu)) ** 2
    beta_hb = ((sqrt_kappa - 1) / (sqrt_kappa + 1)) ** 2
    beta_nag = (sqrt_kappa - 1) / (sqrt_kappa + 1)
    x0 = np.asarray(x0, dtype=float)
    runs = {}
    x, path = x0, [x0]
    for _ in range(num_iters):
        x = x - grad(x) / L
        path.append(x)
    runs["gd"] = np.array(path)
    x, x_prev, path = x0, x0, [x0]
    for _ in range(num_iters):
        x, x_prev = x - alpha_hb * grad(x) + beta_hb * (x - x_prev), x
        path.append(x)
    runs["heavy_ball"] = np.array(path)
    x, x_prev, path = x0, x0, [x0]
    for _ in range(num_iters):
        y = x + beta_nag * (x - x_prev)
        x, x_prev = y - grad(y) / L, x
        path.append(x)
    runs["nesterov"] = np.array(path)
    return runs


def lrp_experiment(x0=3.3, num_iters=300):
    return momentum_runs(lrp_grad, x0, 25.0, 1.0, num_iters)
'''


def _lrp(*edits):
    code = _LRP
    for old, new in edits:
        assert old in code, old
        code = code.replace(old, new)
    return code


_LRP_WRONG = {
    "heavy ball with Nesterov's parameters (alpha = 1/L, beta = (sqrt k - 1)/(sqrt k + 1))": _lrp(
        ("x - alpha_hb * grad(x) + beta_hb * (x - x_prev)", "x - grad(x) / L + beta_nag * (x - x_prev)")),
    "f' with the wrong constant in the middle piece (x + 25)": _lrp(("x + 24.0", "x + 25.0")),
    "f' of the last piece without its offset (25 x)": _lrp(("25.0 * x - 24.0", "25.0 * x")),
    "Nesterov takes the gradient at x_t, not at y_t": _lrp(("x, x_prev = y - grad(y) / L, x",
                                                           "x, x_prev = y - grad(x) / L, x")),
    "gradient descent with step 2/(L + mu)": _lrp(("        x = x - grad(x) / L\n",
                                                   "        x = x - 2 * grad(x) / (L + mu)\n")),
    "heavy ball started from x_{-1} = 0": _lrp(('''    x, x_prev, path = x0, x0, [x0]
    for _ in range(num_iters):
        x, x_prev = x - alpha_hb''', '''    x, x_prev, path = x0, 0.0 * x0, [x0]
    for _ in range(num_iters):
        x, x_prev = x - alpha_hb''')),
    "experiment run from another start than it was asked (x0 = 3.0)": _lrp(
        ("return momentum_runs(lrp_grad, x0, 25.0, 1.0, num_iters)",
         "return momentum_runs(lrp_grad, 3.0, 25.0, 1.0, num_iters)")),
    "experiment hard-codes the cycle it expects for heavy ball": _lrp(
        ("    return momentum_runs(lrp_grad, x0, 25.0, 1.0, num_iters)",
         '''    runs = momentum_runs(lrp_grad, x0, 25.0, 1.0, num_iters)
    cycle = np.array([0.6465, -1.8024, 2.1159])
    runs["heavy_ball"] = np.concatenate([[x0], np.resize(cycle, num_iters)])
    return runs''')),
}

_LRP_RIGHT = {
    "torch.optim-style buffers: b = beta b + g for heavy ball, velocity form for Nesterov": '''
def lrp_grad(x):
    x = np.asarray(x, dtype=float)
    return np.select([x < 1, x < 2], [25 * x, x + 24], default=25 * x - 24)


def momentum_runs(grad, x0, L, mu, num_iters):
    q = math.sqrt(mu / L)
    x0 = np.asarray(x0, dtype=float)
    out = {"gd": [x0], "heavy_ball": [x0], "nesterov": [x0]}
    x = x0
    for _ in range(num_iters):
        x = x - (1 / L) * grad(x)
        out["gd"].append(x)
    alpha, beta = 4 / (math.sqrt(L) + math.sqrt(mu)) ** 2, ((1 - q) / (1 + q)) ** 2
    x, buf = x0, None
    for _ in range(num_iters):
        g = grad(x)
        buf = g if buf is None else beta * buf + g
        x = x - alpha * buf
        out["heavy_ball"].append(x)
    beta = (1 - q) / (1 + q)
    x, v = x0, 0.0 * x0
    for _ in range(num_iters):
        v = beta * v - grad(x + beta * v) / L
        x = x + v
        out["nesterov"].append(x)
    return {k: np.stack(p) for k, p in out.items()}


def lrp_experiment(x0=3.3, num_iters=300):
    return momentum_runs(lrp_grad, x0, L=25.0, mu=1.0, num_iters=num_iters)
''',
    "one generic loop over step rules, f' by np.piecewise": '''
def lrp_grad(x):
    x = np.asarray(x, dtype=float)
    return np.piecewise(x, [x < 1, (x >= 1) & (x < 2), x >= 2], [lambda z: 25 * z, lambda z: z + 24,
                                                                  lambda z: 25 * z - 24])


def momentum_runs(grad, x0, L, mu, num_iters):
    kappa = L / mu
    r = (math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)
    rules = {
        "gd": lambda x, xp: x - grad(x) / L,
        "heavy_ball": lambda x, xp: x - 4 / (L**0.5 + mu**0.5) ** 2 * grad(x) + r * r * (x - xp),
        "nesterov": lambda x, xp: (x + r * (x - xp)) - grad(x + r * (x - xp)) / L,
    }
    runs = {}
    for name, rule in rules.items():
        xs = [np.array(x0, dtype=float)] * 2
        for _ in range(num_iters):
            xs.append(rule(xs[-1], xs[-2]))
        runs[name] = np.array(xs[1:])
    return runs


def lrp_experiment(x0=3.3, num_iters=300):
    return momentum_runs(lrp_grad, x0, 25.0, 1.0, num_iters)
''',
}

# ---------------------------------------------------------------- 3. iterations vs the condition number
_KAPPA = '''
def kappa_experiment(kappas, tol=1e-6, dim=10):
    counts = {"gd": [], "heavy_ball": [], "nesterov": []}
    for kappa in kappas:
        lam = np.linspace(1.0, kappa, dim)
        runs = momentum_runs(lambda x, lam=lam: lam * x, np.ones(dim), float(kappa), 1.0, int(20 * kappa))
        for name, path in runs.items():
            err = np.linalg.norm(path, axis=1)
            hit = np.flatnonzero(err <= tol * err[0])
            counts[name].append(int(hit[0]) if hit.size else len(err))
    return {"kappa": np.asarray(kappas, dtype=float), **{k: np.array(v) for k, v in counts.items()}}
'''


def _kappa(*edits):
    code = _KAPPA
    for old, new in edits:
        assert old in code, old
        code = code.replace(old, new)
    return code


_KAPPA_WRONG = {
    "theoretical counts log(tol) / log(rho) instead of measured ones": '''
def kappa_experiment(kappas, tol=1e-6, dim=10):
    out = {"kappa": np.asarray(kappas, dtype=float), "gd": [], "heavy_ball": [], "nesterov": []}
    for kappa in kappas:
        s = math.sqrt(kappa)
        rates = {"gd": 1 - 1 / kappa, "heavy_ball": (s - 1) / (s + 1), "nesterov": 1 - 1 / s}
        for name, rho in rates.items():
            out[name].append(math.ceil(math.log(tol) / math.log(rho)))
    return {k: np.asarray(v) for k, v in out.items()}
''',
    "absolute tolerance ||x_t|| <= tol": _kappa(("err <= tol * err[0]", "err <= tol")),
    "off by one: counts the iterate after the first one below tol": _kappa(("int(hit[0])", "int(hit[0]) + 1")),
    "too few iterations (2 kappa): GD's count is capped, not measured": _kappa(("int(20 * kappa)", "int(2 * kappa)")),
    "tolerance on f(x_t) / f(x_0) instead of the distance": _kappa(
        ("err = np.linalg.norm(path, axis=1)", "err = 0.5 * np.sum(lam * path**2, axis=1)")),
    "ignores tol and dim (always 1e-6 and 10)": _kappa(("np.linspace(1.0, kappa, dim)", "np.linspace(1.0, kappa, 10)"),
                                                       ("np.ones(dim)", "np.ones(10)"),
                                                       ("err <= tol * err[0]", "err <= 1e-6 * err[0]")),
}

_KAPPA_RIGHT = {
    "argmax on a boolean mask, squared norms": '''
def kappa_experiment(kappas, tol=1e-6, dim=10):
    result = {"kappa": np.array(kappas, dtype=float), "gd": [], "heavy_ball": [], "nesterov": []}
    for kappa in kappas:
        eigenvalues = np.linspace(1, kappa, dim)
        grad = lambda x: eigenvalues * x
        for name, path in momentum_runs(grad, np.ones(dim), kappa, 1.0, int(20 * kappa)).items():
            sq = (path**2).sum(axis=1)
            below = sq <= tol**2 * sq[0]
            result[name].append(int(np.argmax(below)) if below.any() else len(sq))
    for name in ("gd", "heavy_ball", "nesterov"):
        result[name] = np.array(result[name])
    return result
''',
    "a while loop over the trajectory": '''
def kappa_experiment(kappas, tol=1e-6, dim=10):
    def first_below(path):
        e0 = np.linalg.norm(path[0])
        t = 0
        while t < len(path) and np.linalg.norm(path[t]) > tol * e0:
            t += 1
        return t

    out = {name: np.zeros(len(kappas), dtype=int) for name in ("gd", "heavy_ball", "nesterov")}
    for j, kappa in enumerate(kappas):
        diag = np.linspace(1.0, float(kappa), dim)
        runs = momentum_runs(lambda x: diag * x, np.ones(dim), float(kappa), 1.0, int(20 * kappa))
        for name in out:
            out[name][j] = first_below(runs[name])
    out["kappa"] = np.array(kappas, dtype=float)
    return out
''',
}

# ---------------------------------------------------------------- 4. solve_logdet_vjp
_VJP = '''
def solve_logdet_vjp(A, B, X_bar, s_bar):
    A, B, X_bar = np.asarray(A), np.asarray(B), np.asarray(X_bar)
    A_T = np.swapaxes(A, -1, -2)
    X = np.linalg.solve(A, B)
    B_bar = np.linalg.solve(A_T, X_bar)
    eye = np.broadcast_to(np.eye(A.shape[-1], dtype=A.dtype), A.shape)
    A_inv_T = np.linalg.solve(A_T, eye)
    s_bar = np.asarray(s_bar, dtype=float)[..., None, None]
    A_bar = -B_bar @ np.swapaxes(X, -1, -2) + s_bar * A_inv_T
    return A_bar.astype(A.dtype), B_bar.astype(A.dtype)
'''


def _vjp(*edits):
    code = _VJP
    for old, new in edits:
        assert old in code, old
        code = code.replace(old, new)
    return code


_VJP_WRONG = {
    "A^{-1} instead of A^{-T} (transposes forgotten)": _vjp(("B_bar = np.linalg.solve(A_T, X_bar)",
                                                            "B_bar = np.linalg.solve(A, X_bar)"),
                                                           ("A_inv_T = np.linalg.solve(A_T, eye)",
                                                            "A_inv_T = np.linalg.solve(A, eye)")),
    "log|det| term uses A^{-1}, not A^{-T}": _vjp(("A_inv_T = np.linalg.solve(A_T, eye)",
                                                   "A_inv_T = np.linalg.solve(A, eye)")),
    "sign of the solve term flipped": _vjp(("A_bar = -B_bar @", "A_bar = B_bar @")),
    "outer product in the wrong order: -X B_bar^T": _vjp(("-B_bar @ np.swapaxes(X, -1, -2)",
                                                          "-X @ np.swapaxes(B_bar, -1, -2)")),
    ".T instead of swapaxes (breaks batches)": _vjp(("A_T = np.swapaxes(A, -1, -2)", "A_T = A.T"),
                                                    ("np.swapaxes(X, -1, -2)", "X.T")),
    "d det instead of d log|det|: s_bar * det(A) * A^{-T}": _vjp(
        ("s_bar * A_inv_T", "s_bar * np.linalg.det(A)[..., None, None] * A_inv_T")),
    "float32 in, float64 out": _vjp(("return A_bar.astype(A.dtype), B_bar.astype(A.dtype)", "return A_bar, B_bar"),
                                    ("B_bar = np.linalg.solve(A_T, X_bar)",
                                     "B_bar = np.linalg.solve(A_T.astype(float), X_bar.astype(float))")),
}

_VJP_RIGHT = {
    "explicit inverse, einsum for the batch": '''
def solve_logdet_vjp(A, B, X_bar, s_bar):
    A = np.asarray(A)
    A_inv = np.linalg.inv(A)
    A_inv_T = np.swapaxes(A_inv, -1, -2)
    X = A_inv @ B
    B_bar = A_inv_T @ X_bar
    A_bar = -np.einsum("...ik,...jk->...ij", B_bar, X) + np.multiply.outer(s_bar, np.ones((1, 1))) * A_inv_T
    return A_bar.astype(A.dtype), B_bar.astype(A.dtype)
''',
    "torch, one solve with A^T for [X_bar, I]": '''
def solve_logdet_vjp(A, B, X_bar, s_bar):
    dtype = np.asarray(A).dtype
    A_t = torch.as_tensor(np.asarray(A, dtype=np.float64))
    B_t = torch.as_tensor(np.asarray(B, dtype=np.float64))
    Xb_t = torch.as_tensor(np.asarray(X_bar, dtype=np.float64))
    n, k = A_t.shape[-1], B_t.shape[-1]
    eye = torch.eye(n, dtype=torch.float64).expand(A_t.shape)
    both = torch.linalg.solve(A_t.mT, torch.cat([Xb_t, eye], dim=-1))
    B_bar, A_inv_T = both[..., :k], both[..., k:]
    X = torch.linalg.solve(A_t, B_t)
    s = torch.as_tensor(np.asarray(s_bar, dtype=np.float64))[..., None, None]
    A_bar = -B_bar @ X.mT + s * A_inv_T
    return A_bar.numpy().astype(dtype), B_bar.numpy().astype(dtype)
''',
}

VARIANTS = {
    "adam_step": {"wrong": _ADAM_WRONG, "right": _ADAM_RIGHT},
    "lrp_experiment": {"wrong": _LRP_WRONG, "right": _LRP_RIGHT},
    "kappa_experiment": {"wrong": _KAPPA_WRONG, "right": _KAPPA_RIGHT},
    "solve_logdet_vjp": {"wrong": _VJP_WRONG, "right": _VJP_RIGHT},
}
