"""hw1: plausible wrong answers the hidden tests must reject, and correct ones written differently."""

VARIANTS = {
    "boolean_perceptron": {
        "wrong": {
            "AND's threshold on the boundary (b = -n)": '''
def boolean_perceptron(kind, n):
    w = np.ones(n)
    if kind == "and":
        return w, -float(n)
    if kind == "or":
        return w, -0.5
    if kind == "nand":
        return -w, n - 0.5
    if kind == "majority":
        return w, -(n // 2 + 0.5)
    if kind == "not" and n == 1:
        return -w, 0.5
    raise ValueError(kind)
''',
            "OR with b = 0 (the all-zeros input on the boundary)": '''
def boolean_perceptron(kind, n):
    w = np.ones(n)
    if kind == "and":
        return w, -(n - 0.5)
    if kind == "or":
        return w, 0.0
    if kind == "nand":
        return -w, n - 0.5
    if kind == "majority":
        return w, -(n // 2 + 0.5)
    if kind == "not" and n == 1:
        return -w, 0.5
    raise ValueError(kind)
''',
            "majority at n/2 (ties fire for even n)": '''
def boolean_perceptron(kind, n):
    w = np.ones(n)
    if kind == "and":
        return w, -(n - 0.5)
    if kind == "or":
        return w, -0.5
    if kind == "nand":
        return -w, n - 0.5
    if kind == "majority":
        return w, -(n / 2 - 0.5)
    if kind == "not" and n == 1:
        return -w, 0.5
    raise ValueError(kind)
''',
            "NAND negates w but keeps AND's bias": '''
def boolean_perceptron(kind, n):
    w = np.ones(n)
    if kind == "and":
        return w, -(n - 0.5)
    if kind == "or":
        return w, -0.5
    if kind == "nand":
        return -w, -(n - 0.5)
    if kind == "majority":
        return w, -(n // 2 + 0.5)
    if kind == "not" and n == 1:
        return -w, 0.5
    raise ValueError(kind)
''',
            "no ValueError: unknown kinds fall through to OR": '''
def boolean_perceptron(kind, n):
    w = np.ones(n)
    if kind == "and":
        return w, -(n - 0.5)
    if kind == "nand":
        return -w, n - 0.5
    if kind == "majority":
        return w, -(n // 2 + 0.5)
    if kind == "not":
        return -np.ones(1), 0.5
    return w, -0.5
''',
        },
        "right": {
            "integer weights, thresholds from a table": '''
def boolean_perceptron(kind, n):
    if kind == "not":
        if n != 1:
            raise ValueError("NOT takes one input")
        return np.array([-2.0]), 1.0
    thresholds = {"and": n, "or": 1, "majority": n // 2 + 1}  # fire iff sum(x) >= threshold
    if kind == "nand":
        return -2.0 * np.ones(n), 2.0 * n - 1.0
    if kind not in thresholds:
        raise ValueError(kind)
    return 2.0 * np.ones(n), -(2.0 * thresholds[kind] - 1.0)
''',
            "half-unit weights, one table for all kinds": '''
def boolean_perceptron(kind, n):
    if kind == "not" and n == 1:
        return np.array([-1.0]), 0.5
    if kind not in ("and", "or", "nand", "majority"):
        raise ValueError(f"{kind} is not a threshold function here")
    count = {"and": n, "or": 1, "nand": n, "majority": n // 2 + 1}[kind]  # fires iff sum(x) >= count
    sign = -1.0 if kind == "nand" else 1.0
    return sign * np.full(n, 0.5), sign * (0.25 - 0.5 * count)
''',
        },
    },
    "mistakes_vs_margin": {
        "wrong": {
            "bound from the nominal gamma and R = 1, not from the sample": '''
def mistakes_vs_margin(gammas, seeds, n=200, d=10):
    mistakes, bound, final_w = np.zeros((len(gammas), len(seeds)), dtype=int), np.zeros((len(gammas), len(seeds))), np.zeros((len(gammas), len(seeds), d))
    for g, gamma in enumerate(gammas):
        for s, seed in enumerate(seeds):
            X, y, u = separable_sample(n, d, gamma, seed)
            w, count = np.zeros(d), 0
            while True:
                m = 0
                for x_i, y_i in zip(X, y):
                    if y_i * (w @ x_i) <= 0:
                        w, m = w + y_i * x_i, m + 1
                count += m
                if m == 0:
                    break
            mistakes[g, s], bound[g, s], final_w[g, s] = count, 1.0 / gamma**2, w
    return {"gamma": np.asarray(gammas), "mistakes": mistakes, "bound": bound, "w": final_w}
''',
            "counts epochs instead of updates": '''
def mistakes_vs_margin(gammas, seeds, n=200, d=10):
    mistakes, bound, final_w = np.zeros((len(gammas), len(seeds)), dtype=int), np.zeros((len(gammas), len(seeds))), np.zeros((len(gammas), len(seeds), d))
    for g, gamma in enumerate(gammas):
        for s, seed in enumerate(seeds):
            X, y, u = separable_sample(n, d, gamma, seed)
            w, epochs = np.zeros(d), 0
            while True:
                m = 0
                for x_i, y_i in zip(X, y):
                    if y_i * (w @ x_i) <= 0:
                        w, m = w + y_i * x_i, m + 1
                epochs += 1
                if m == 0:
                    break
            R, gamma_u = np.linalg.norm(X, axis=1).max(), (y * (X @ u)).min()
            mistakes[g, s], bound[g, s], final_w[g, s] = epochs, (R / gamma_u) ** 2, w
    return {"gamma": np.asarray(gammas), "mistakes": mistakes, "bound": bound, "w": final_w}
''',
            "stops after the first epoch (counts only its mistakes)": '''
def mistakes_vs_margin(gammas, seeds, n=200, d=10):
    mistakes, bound, final_w = np.zeros((len(gammas), len(seeds)), dtype=int), np.zeros((len(gammas), len(seeds))), np.zeros((len(gammas), len(seeds), d))
    for g, gamma in enumerate(gammas):
        for s, seed in enumerate(seeds):
            X, y, u = separable_sample(n, d, gamma, seed)
            w, count = np.zeros(d), 0
            for x_i, y_i in zip(X, y):
                if y_i * (w @ x_i) <= 0:
                    w, count = w + y_i * x_i, count + 1
            R, gamma_u = np.linalg.norm(X, axis=1).max(), (y * (X @ u)).min()
            mistakes[g, s], bound[g, s], final_w[g, s] = count, (R / gamma_u) ** 2, w
    return {"gamma": np.asarray(gammas), "mistakes": mistakes, "bound": bound, "w": final_w}
''',
            "perceptron with a bias term (appends a constant feature)": '''
def mistakes_vs_margin(gammas, seeds, n=200, d=10):
    mistakes, bound, final_w = np.zeros((len(gammas), len(seeds)), dtype=int), np.zeros((len(gammas), len(seeds))), np.zeros((len(gammas), len(seeds), d))
    for g, gamma in enumerate(gammas):
        for s, seed in enumerate(seeds):
            X, y, u = separable_sample(n, d, gamma, seed)
            Xb = np.hstack([X, np.ones((n, 1))])
            w, count = np.zeros(d + 1), 0
            while True:
                m = 0
                for x_i, y_i in zip(Xb, y):
                    if y_i * (w @ x_i) <= 0:
                        w, m = w + y_i * x_i, m + 1
                count += m
                if m == 0:
                    break
            R, gamma_u = np.linalg.norm(X, axis=1).max(), (y * (X @ u)).min()
            mistakes[g, s], bound[g, s], final_w[g, s] = count, (R / gamma_u) ** 2, w[:d]
    return {"gamma": np.asarray(gammas), "mistakes": mistakes, "bound": bound, "w": final_w}
''',
            "hard-coded counts: a tenth of the bound, and the planted u as w": '''
def mistakes_vs_margin(gammas, seeds, n=200, d=10):
    mistakes, bound, final_w = np.zeros((len(gammas), len(seeds)), dtype=int), np.zeros((len(gammas), len(seeds))), np.zeros((len(gammas), len(seeds), d))
    for g, gamma in enumerate(gammas):
        for s, seed in enumerate(seeds):
            X, y, u = separable_sample(n, d, gamma, seed)
            R, gamma_u = np.linalg.norm(X, axis=1).max(), (y * (X @ u)).min()
            bound[g, s] = (R / gamma_u) ** 2
            mistakes[g, s], final_w[g, s] = max(1, int(bound[g, s] / 10)), u
    return {"gamma": np.asarray(gammas), "mistakes": mistakes, "bound": bound, "w": final_w}
''',
            "strict test y w.x < 0 (w = 0 is never updated)": '''
def mistakes_vs_margin(gammas, seeds, n=200, d=10):
    mistakes, bound, final_w = np.zeros((len(gammas), len(seeds)), dtype=int), np.zeros((len(gammas), len(seeds))), np.zeros((len(gammas), len(seeds), d))
    for g, gamma in enumerate(gammas):
        for s, seed in enumerate(seeds):
            X, y, u = separable_sample(n, d, gamma, seed)
            w, count = np.zeros(d), 0
            for _ in range(10_000):
                m = 0
                for x_i, y_i in zip(X, y):
                    if y_i * (w @ x_i) < 0:
                        w, m = w + y_i * x_i, m + 1
                count += m
                if m == 0:
                    break
            R, gamma_u = np.linalg.norm(X, axis=1).max(), (y * (X @ u)).min()
            mistakes[g, s], bound[g, s], final_w[g, s] = count, (R / gamma_u) ** 2, w
    return {"gamma": np.asarray(gammas), "mistakes": mistakes, "bound": bound, "w": final_w}
''',
        },
        "right": {
            "a helper per run, a while loop over a running index": '''
def one_run(X, y):
    n, d = X.shape
    w = np.zeros(d)
    total, since_last, i = 0, 0, 0
    while since_last < n:  # n examples in a row without a mistake: one clean pass
        if y[i] * np.dot(w, X[i]) <= 0:
            w += y[i] * X[i]
            total += 1
            since_last = 0
        else:
            since_last += 1
        i = (i + 1) % n
    return w, total


def mistakes_vs_margin(gammas, seeds, n=200, d=10):
    out = {"gamma": np.array(gammas, dtype=float), "mistakes": [], "bound": [], "w": []}
    for gamma in gammas:
        row_m, row_b, row_w = [], [], []
        for seed in seeds:
            X, y, u = separable_sample(n, d, gamma, seed)
            w, total = one_run(X, y)
            row_m.append(total)
            row_b.append(np.max(np.sum(X**2, axis=1)) / np.min(y * (X @ u)) ** 2)
            row_w.append(w)
        out["mistakes"].append(row_m)
        out["bound"].append(row_b)
        out["w"].append(row_w)
    return {key: np.array(value) for key, value in out.items()}
''',
            "labels folded into the points, next mistake found with argmax": '''
def mistakes_vs_margin(gammas, seeds, n=200, d=10):
    G, S = len(gammas), len(seeds)
    result = {"gamma": np.asarray(gammas, dtype=float), "mistakes": np.zeros((G, S), dtype=np.int64),
              "bound": np.zeros((G, S)), "w": np.zeros((G, S, d))}
    for g in range(G):
        for s in range(S):
            X, y, u = separable_sample(n, d, gammas[g], seeds[s])
            Z = y[:, None] * X  # a mistake on example i: Z[i] @ w <= 0
            w, count, start = np.zeros(d), 0, 0
            while True:
                order = np.r_[start:n, 0:start]  # the examples in visiting order from where we are
                bad = Z[order] @ w <= 0
                if not bad.any():
                    break
                i = order[np.argmax(bad)]
                w = w + Z[i]
                count += 1
                start = (i + 1) % n
            result["mistakes"][g, s] = count
            result["bound"][g, s] = (np.linalg.norm(X, axis=1).max() / (Z @ u).min()) ** 2
            result["w"][g, s] = w
    return result
''',
        },
    },
    "mlp_backprop": {
        "wrong": {
            "log of the softmax without the max shift (overflows)": '''
def mlp_backprop(X, y, layers):
    n = len(y)
    H = [np.asarray(X, dtype=float)]
    for layer in layers[:-1]:
        H.append(np.tanh(H[-1] @ layer["W"] + layer["b"]))
    S = H[-1] @ layers[-1]["W"] + layers[-1]["b"]
    E = np.exp(S)
    P = E / E.sum(axis=1, keepdims=True)
    loss = -np.log(P[np.arange(n), y]).mean()
    dA = P.copy()
    dA[np.arange(n), y] -= 1
    dA /= n
    grads = [None] * len(layers)
    for l in reversed(range(len(layers))):
        grads[l] = {"W": H[l].T @ dA, "b": dA.sum(axis=0)}
        if l > 0:
            dA = (dA @ layers[l]["W"].T) * (1 - H[l] ** 2)
    return float(loss), grads
''',
            "forgets the 1/n in dL/dS": '''
def mlp_backprop(X, y, layers):
    n = len(y)
    H = [np.asarray(X, dtype=float)]
    for layer in layers[:-1]:
        H.append(np.tanh(H[-1] @ layer["W"] + layer["b"]))
    S = H[-1] @ layers[-1]["W"] + layers[-1]["b"]
    S = S - S.max(axis=1, keepdims=True)
    log_P = S - np.log(np.exp(S).sum(axis=1, keepdims=True))
    loss = -log_P[np.arange(n), y].mean()
    dA = np.exp(log_P)
    dA[np.arange(n), y] -= 1
    grads = [None] * len(layers)
    for l in reversed(range(len(layers))):
        grads[l] = {"W": H[l].T @ dA, "b": dA.sum(axis=0)}
        if l > 0:
            dA = (dA @ layers[l]["W"].T) * (1 - H[l] ** 2)
    return float(loss), grads
''',
            "tanh' from the pre-activation (1 - A^2)": '''
def mlp_backprop(X, y, layers):
    n = len(y)
    H, A = [np.asarray(X, dtype=float)], [None]
    for layer in layers[:-1]:
        A.append(H[-1] @ layer["W"] + layer["b"])
        H.append(np.tanh(A[-1]))
    S = H[-1] @ layers[-1]["W"] + layers[-1]["b"]
    S = S - S.max(axis=1, keepdims=True)
    log_P = S - np.log(np.exp(S).sum(axis=1, keepdims=True))
    loss = -log_P[np.arange(n), y].mean()
    dA = np.exp(log_P)
    dA[np.arange(n), y] -= 1
    dA /= n
    grads = [None] * len(layers)
    for l in reversed(range(len(layers))):
        grads[l] = {"W": H[l].T @ dA, "b": dA.sum(axis=0)}
        if l > 0:
            dA = (dA @ layers[l]["W"].T) * (1 - A[l] ** 2)
    return float(loss), grads
''',
            "one hidden layer hard-coded (layers[0] and layers[-1] only)": '''
def mlp_backprop(X, y, layers):
    X = np.asarray(X, dtype=float)
    n = len(y)
    W1, b1, W2, b2 = layers[0]["W"], layers[0]["b"], layers[-1]["W"], layers[-1]["b"]
    H = np.tanh(X @ W1 + b1)
    S = H @ W2 + b2
    S = S - S.max(axis=1, keepdims=True)
    log_P = S - np.log(np.exp(S).sum(axis=1, keepdims=True))
    loss = -log_P[np.arange(n), y].mean()
    dS = np.exp(log_P)
    dS[np.arange(n), y] -= 1
    dS /= n
    dA = (dS @ W2.T) * (1 - H**2)
    return float(loss), [{"W": X.T @ dA, "b": dA.sum(axis=0)}, {"W": H.T @ dS, "b": dS.sum(axis=0)}]
''',
            "stays in the input dtype (float32 in, float32 arithmetic)": '''
def mlp_backprop(X, y, layers):
    n = len(y)
    H = [X]
    for layer in layers[:-1]:
        H.append(np.tanh(H[-1] @ layer["W"] + layer["b"]))
    S = H[-1] @ layers[-1]["W"] + layers[-1]["b"]
    S = S - S.max(axis=1, keepdims=True)
    log_P = S - np.log(np.exp(S).sum(axis=1, keepdims=True))
    loss = -log_P[np.arange(n), y].mean()
    dA = np.exp(log_P)
    dA[np.arange(n), y] -= 1
    dA /= n
    grads = [None] * len(layers)
    for l in reversed(range(len(layers))):
        grads[l] = {"W": H[l].T @ dA, "b": dA.sum(axis=0)}
        if l > 0:
            dA = (dA @ layers[l]["W"].T) * (1 - H[l] ** 2)
    return float(loss), grads
''',
            "gradients appended while going backwards (list in reverse order)": '''
def mlp_backprop(X, y, layers):
    n = len(y)
    H = [np.asarray(X, dtype=float)]
    for layer in layers[:-1]:
        H.append(np.tanh(H[-1] @ layer["W"] + layer["b"]))
    S = H[-1] @ layers[-1]["W"] + layers[-1]["b"]
    S = S - S.max(axis=1, keepdims=True)
    log_P = S - np.log(np.exp(S).sum(axis=1, keepdims=True))
    loss = -log_P[np.arange(n), y].mean()
    dA = np.exp(log_P)
    dA[np.arange(n), y] -= 1
    dA /= n
    grads = []
    for l in reversed(range(len(layers))):
        grads.append({"W": H[l].T @ dA, "b": dA.sum(axis=0)})
        if l > 0:
            dA = (dA @ layers[l]["W"].T) * (1 - H[l] ** 2)
    return float(loss), grads
''',
            "bias gradient averaged instead of summed": '''
def mlp_backprop(X, y, layers):
    n = len(y)
    H = [np.asarray(X, dtype=float)]
    for layer in layers[:-1]:
        H.append(np.tanh(H[-1] @ layer["W"] + layer["b"]))
    S = H[-1] @ layers[-1]["W"] + layers[-1]["b"]
    S = S - S.max(axis=1, keepdims=True)
    log_P = S - np.log(np.exp(S).sum(axis=1, keepdims=True))
    loss = -log_P[np.arange(n), y].mean()
    dA = np.exp(log_P)
    dA[np.arange(n), y] -= 1
    dA /= n
    grads = [None] * len(layers)
    for l in reversed(range(len(layers))):
        grads[l] = {"W": H[l].T @ dA, "b": dA.mean(axis=0)}
        if l > 0:
            dA = (dA @ layers[l]["W"].T) * (1 - H[l] ** 2)
    return float(loss), grads
''',
        },
        "right": {
            "recursion over the layers, scipy's logsumexp and a one-hot matrix": '''
from scipy.special import logsumexp


def mlp_backprop(X, y, layers):
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    n = X.shape[0]

    def go(l, Hin):
        """Loss and dL/dHin for layers l..end applied to Hin; fills grads[l:]."""
        W, b = np.asarray(layers[l]["W"], dtype=np.float64), np.asarray(layers[l]["b"], dtype=np.float64)
        Z = Hin @ W + b
        if l == len(layers) - 1:
            Y = np.eye(Z.shape[1])[y]
            lse = logsumexp(Z, axis=1)
            loss = float(np.mean(lse - np.sum(Y * Z, axis=1)))
            dZ = (np.exp(Z - lse[:, None]) - Y) / n
        else:
            Hout = np.tanh(Z)
            loss, dHout = go(l + 1, Hout)
            dZ = dHout * (1 - Hout * Hout)
        grads[l] = {"W": Hin.T @ dZ, "b": np.sum(dZ, axis=0)}
        return loss, dZ @ W.T

    grads = [None] * len(layers)
    loss, _ = go(0, X)
    return loss, grads
''',
            "one example at a time, with outer products": '''
def mlp_backprop(X, y, layers):
    X = np.asarray(X, dtype=float)
    Ws = [np.array(layer["W"], dtype=float) for layer in layers]
    bs = [np.array(layer["b"], dtype=float) for layer in layers]
    n = X.shape[0]
    gW = [np.zeros_like(W) for W in Ws]
    gb = [np.zeros_like(b) for b in bs]
    total = 0.0
    for x, label in zip(X, y):
        hs = [x]
        for W, b in zip(Ws[:-1], bs[:-1]):
            hs.append(np.tanh(hs[-1] @ W + b))
        s = hs[-1] @ Ws[-1] + bs[-1]
        top = s.max()
        log_z = top + np.log(np.sum(np.exp(s - top)))
        total += log_z - s[label]
        delta = np.exp(s - log_z)
        delta[label] -= 1.0
        for l in range(len(Ws) - 1, -1, -1):
            gW[l] += np.outer(hs[l], delta) / n
            gb[l] += delta / n
            if l:
                delta = (Ws[l] @ delta) * (1 - hs[l] ** 2)
    return float(total / n), [{"W": a, "b": c} for a, c in zip(gW, gb)]
''',
        },
    },
    "sqrt_knot_experiment": {
        "wrong": {
            "density |f''|^(1/3), the L1 optimum: knots (i/N)^2": '''
def adaptive_knots(N):
    return (np.arange(N + 1) / N) ** 2


def sqrt_knot_experiment(Ns):
    def err(knots):
        t = np.linspace(0.0, 1.0, 65)
        x = (knots[:-1, None] + t[None, :] * np.diff(knots)[:, None]).ravel()
        return np.abs(np.interp(x, knots, np.sqrt(knots)) - np.sqrt(x)).max()
    uniform = [np.linspace(0, 1, N + 1) for N in Ns]
    adaptive = [adaptive_knots(N) for N in Ns]
    return {"N": np.asarray(Ns), "uniform_knots": uniform, "adaptive_knots": adaptive,
            "uniform_error": np.array([err(k) for k in uniform]), "adaptive_error": np.array([err(k) for k in adaptive])}
''',
            "adaptive knots are uniform too": '''
def adaptive_knots(N):
    return np.linspace(0.0, 1.0, N + 1)


def sqrt_knot_experiment(Ns):
    def err(knots):
        t = np.linspace(0.0, 1.0, 65)
        x = (knots[:-1, None] + t[None, :] * np.diff(knots)[:, None]).ravel()
        return np.abs(np.interp(x, knots, np.sqrt(knots)) - np.sqrt(x)).max()
    uniform = [np.linspace(0, 1, N + 1) for N in Ns]
    adaptive = [adaptive_knots(N) for N in Ns]
    return {"N": np.asarray(Ns), "uniform_knots": uniform, "adaptive_knots": adaptive,
            "uniform_error": np.array([err(k) for k in uniform]), "adaptive_error": np.array([err(k) for k in adaptive])}
''',
            "error measured at the knots only (always 0)": '''
def adaptive_knots(N):
    return (np.arange(N + 1) / N) ** 4


def sqrt_knot_experiment(Ns):
    def err(knots):
        return np.abs(np.interp(knots, knots, np.sqrt(knots)) - np.sqrt(knots)).max()
    uniform = [np.linspace(0, 1, N + 1) for N in Ns]
    adaptive = [adaptive_knots(N) for N in Ns]
    return {"N": np.asarray(Ns), "uniform_knots": uniform, "adaptive_knots": adaptive,
            "uniform_error": np.array([err(k) for k in uniform]), "adaptive_error": np.array([err(k) for k in adaptive])}
''',
            "error measured at the segment midpoints only": '''
def adaptive_knots(N):
    return (np.arange(N + 1) / N) ** 4


def sqrt_knot_experiment(Ns):
    def err(knots):
        mids = (knots[:-1] + knots[1:]) / 2
        return np.abs(np.interp(mids, knots, np.sqrt(knots)) - np.sqrt(mids)).max()
    uniform = [np.linspace(0, 1, N + 1) for N in Ns]
    adaptive = [adaptive_knots(N) for N in Ns]
    return {"N": np.asarray(Ns), "uniform_knots": uniform, "adaptive_knots": adaptive,
            "uniform_error": np.array([err(k) for k in uniform]), "adaptive_error": np.array([err(k) for k in adaptive])}
''',
            "mean absolute error on the grid instead of the sup": '''
def adaptive_knots(N):
    return (np.arange(N + 1) / N) ** 4


def sqrt_knot_experiment(Ns):
    def err(knots):
        t = np.linspace(0.0, 1.0, 65)
        x = (knots[:-1, None] + t[None, :] * np.diff(knots)[:, None]).ravel()
        return np.abs(np.interp(x, knots, np.sqrt(knots)) - np.sqrt(x)).mean()
    uniform = [np.linspace(0, 1, N + 1) for N in Ns]
    adaptive = [adaptive_knots(N) for N in Ns]
    return {"N": np.asarray(Ns), "uniform_knots": uniform, "adaptive_knots": adaptive,
            "uniform_error": np.array([err(k) for k in uniform]), "adaptive_error": np.array([err(k) for k in adaptive])}
''',
            "hard-coded errors from the asymptotic formulas, not measured": '''
def adaptive_knots(N):
    return (np.arange(N + 1) / N) ** 4


def sqrt_knot_experiment(Ns):
    Ns = np.asarray(Ns)
    return {"N": Ns, "uniform_knots": [np.linspace(0, 1, N + 1) for N in Ns],
            "adaptive_knots": [adaptive_knots(N) for N in Ns],
            "uniform_error": 0.25 / np.sqrt(Ns), "adaptive_error": 0.5 / Ns**2.0}
''',
            "adaptive knots without the endpoint 1 (N knots)": '''
def adaptive_knots(N):
    return (np.arange(N) / N) ** 4


def sqrt_knot_experiment(Ns):
    def err(knots):
        t = np.linspace(0.0, 1.0, 65)
        x = (knots[:-1, None] + t[None, :] * np.diff(knots)[:, None]).ravel()
        return np.abs(np.interp(x, knots, np.sqrt(knots)) - np.sqrt(x)).max()
    uniform = [np.linspace(0, 1, N + 1) for N in Ns]
    adaptive = [adaptive_knots(N) for N in Ns]
    return {"N": np.asarray(Ns), "uniform_knots": uniform, "adaptive_knots": adaptive,
            "uniform_error": np.array([err(k) for k in uniform]), "adaptive_error": np.array([err(k) for k in adaptive])}
''',
            "over-refined near 0: knots (i/N)^5": '''
def adaptive_knots(N):
    return (np.arange(N + 1) / N) ** 5


def sqrt_knot_experiment(Ns):
    def err(knots):
        t = np.linspace(0.0, 1.0, 65)
        x = (knots[:-1, None] + t[None, :] * np.diff(knots)[:, None]).ravel()
        return np.abs(np.interp(x, knots, np.sqrt(knots)) - np.sqrt(x)).max()
    uniform = [np.linspace(0, 1, N + 1) for N in Ns]
    adaptive = [adaptive_knots(N) for N in Ns]
    return {"N": np.asarray(Ns), "uniform_knots": uniform, "adaptive_knots": adaptive,
            "uniform_error": np.array([err(k) for k in uniform]), "adaptive_error": np.array([err(k) for k in adaptive])}
''',
        },
        "right": {
            "exact error on each segment (the chord's furthest point), closed-form knots": '''
def adaptive_knots(N):
    i = np.arange(N + 1)
    return np.square(np.square(i / N))


def chord_error(knots):
    a, b = knots[:-1], knots[1:]
    slope_ab = (np.sqrt(b) - np.sqrt(a)) / (b - a)
    x_star = 1 / (4 * slope_ab**2)  # where the derivative 1/(2 sqrt x) equals the chord's slope
    return np.max(np.sqrt(x_star) - (np.sqrt(a) + slope_ab * (x_star - a)))


def sqrt_knot_experiment(Ns):
    out = {"N": np.array(Ns), "uniform_knots": [], "adaptive_knots": [], "uniform_error": [], "adaptive_error": []}
    for N in Ns:
        for kind, knots in (("uniform", np.linspace(0, 1, N + 1)), ("adaptive", adaptive_knots(N))):
            out[f"{kind}_knots"].append(knots)
            out[f"{kind}_error"].append(chord_error(knots))
    out["uniform_error"], out["adaptive_error"] = np.array(out["uniform_error"]), np.array(out["adaptive_error"])
    return out
''',
            "numerical inversion of the cumulative density, 200 points per segment": '''
def adaptive_knots(N):
    # cumulative integral of |f''|^(1/2) = x^(-3/4) / 2 on a geometric grid (the density is integrable at 0)
    x = np.concatenate([[0.0], np.geomspace(1e-40, 1.0, 400_001)])
    dens = 0.5 * x[1:] ** -0.75
    cdf = np.concatenate([[0.0, 2 * x[1] ** 0.25], 2 * x[1] ** 0.25 + np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(x[1:]))])
    cdf /= cdf[-1]
    knots = np.interp(np.linspace(0, 1, N + 1), cdf, x)
    knots[0], knots[-1] = 0.0, 1.0
    return knots


def sqrt_knot_experiment(Ns):
    def worst(knots):
        e = 0.0
        for a, b in zip(knots[:-1], knots[1:]):
            x = np.linspace(a, b, 201)
            line = np.sqrt(a) + (np.sqrt(b) - np.sqrt(a)) * (x - a) / (b - a)
            e = max(e, np.max(np.abs(np.sqrt(x) - line)))
        return e
    U = [np.linspace(0.0, 1.0, N + 1) for N in Ns]
    A = [adaptive_knots(N) for N in Ns]
    return {"N": np.array(Ns), "uniform_knots": U, "adaptive_knots": A,
            "uniform_error": np.array([worst(k) for k in U]), "adaptive_error": np.array([worst(k) for k in A])}
''',
        },
    },
    "gradient_check": {
        "wrong": {
            "one-sided difference": '''
def gradient_check(loss_fn, params, grads, h=1e-6):
    out = {}
    for name, theta in params.items():
        num = np.zeros(theta.shape)
        base = loss_fn(params)
        for idx in np.ndindex(*theta.shape):
            old = theta[idx]
            theta[idx] = old + h
            num[idx] = (loss_fn(params) - base) / h
            theta[idx] = old
        g = np.asarray(grads[name], dtype=float)
        out[name] = float(np.linalg.norm(num - g) / max(np.linalg.norm(num) + np.linalg.norm(g), 1e-12))
    return out
''',
            "restores by adding h back (rounding does not undo itself)": '''
def gradient_check(loss_fn, params, grads, h=1e-6):
    out = {}
    for name, theta in params.items():
        num = np.zeros(theta.shape)
        for idx in np.ndindex(*theta.shape):
            theta[idx] += h
            f_plus = loss_fn(params)
            theta[idx] -= 2 * h
            f_minus = loss_fn(params)
            theta[idx] += h
            num[idx] = (f_plus - f_minus) / (2 * h)
        g = np.asarray(grads[name], dtype=float)
        out[name] = float(np.linalg.norm(num - g) / max(np.linalg.norm(num) + np.linalg.norm(g), 1e-12))
    return out
''',
            "ignores the step h": '''
def gradient_check(loss_fn, params, grads, h=1e-6):
    out = {}
    for name, theta in params.items():
        num = np.zeros(theta.shape)
        for idx in np.ndindex(*theta.shape):
            old = theta[idx]
            theta[idx] = old + 1e-6
            f_plus = loss_fn(params)
            theta[idx] = old - 1e-6
            f_minus = loss_fn(params)
            theta[idx] = old
            num[idx] = (f_plus - f_minus) / 2e-6
        g = np.asarray(grads[name], dtype=float)
        out[name] = float(np.linalg.norm(num - g) / max(np.linalg.norm(num) + np.linalg.norm(g), 1e-12))
    return out
''',
            "divides by the analytic norm only": '''
def gradient_check(loss_fn, params, grads, h=1e-6):
    out = {}
    for name, theta in params.items():
        num = np.zeros(theta.shape)
        for idx in np.ndindex(*theta.shape):
            old = theta[idx]
            theta[idx] = old + h
            f_plus = loss_fn(params)
            theta[idx] = old - h
            f_minus = loss_fn(params)
            theta[idx] = old
            num[idx] = (f_plus - f_minus) / (2 * h)
        g = np.asarray(grads[name], dtype=float)
        out[name] = float(np.linalg.norm(num - g) / max(np.linalg.norm(g), 1e-12))
    return out
''',
            "never puts the entry back": '''
def gradient_check(loss_fn, params, grads, h=1e-6):
    out = {}
    for name, theta in params.items():
        num = np.zeros(theta.shape)
        for idx in np.ndindex(*theta.shape):
            old = theta[idx]
            theta[idx] = old + h
            f_plus = loss_fn(params)
            theta[idx] = old - h
            f_minus = loss_fn(params)
            num[idx] = (f_plus - f_minus) / (2 * h)
        g = np.asarray(grads[name], dtype=float)
        out[name] = float(np.linalg.norm(num - g) / max(np.linalg.norm(num) + np.linalg.norm(g), 1e-12))
    return out
''',
            "views every parameter as a matrix (fails on a 0-d parameter)": '''
def gradient_check(loss_fn, params, grads, h=1e-6):
    out = {}
    for name, theta in params.items():
        rows = theta.reshape(theta.shape[0], -1)  # a view: (rows, everything else)
        num = np.zeros(rows.shape)
        for i in range(rows.shape[0]):
            for j in range(rows.shape[1]):
                old = rows[i, j]
                rows[i, j] = old + h
                f_plus = loss_fn(params)
                rows[i, j] = old - h
                f_minus = loss_fn(params)
                rows[i, j] = old
                num[i, j] = (f_plus - f_minus) / (2 * h)
        num = num.reshape(theta.shape)
        g = np.asarray(grads[name], dtype=float)
        out[name] = float(np.linalg.norm(num - g) / max(np.linalg.norm(num) + np.linalg.norm(g), 1e-12))
    return out
''',
        },
        "right": {
            "perturbed copies of the dict, never touching params": '''
def gradient_check(loss_fn, params, grads, h=1e-6):
    rel_errors = {}
    for name in params:
        theta = params[name]
        num = np.empty(theta.shape)
        for idx in np.ndindex(*theta.shape):
            e = np.zeros(theta.shape)
            e[idx] = h
            up = {**params, name: theta + e}
            down = {**params, name: theta - e}
            num[idx] = (loss_fn(up) - loss_fn(down)) / (2 * h)
        diff = np.sqrt(np.sum((num - grads[name]) ** 2))
        scale = np.sqrt(np.sum(num**2)) + np.sqrt(np.sum(np.asarray(grads[name]) ** 2))
        rel_errors[name] = float(diff / max(scale, 1e-12))
    return rel_errors
''',
            "flat indices with unravel_index, norms by hand": '''
def gradient_check(loss_fn, params, grads, h=1e-6):
    result = {}
    for key in params:
        arr = params[key]
        g = np.asarray(grads[key], dtype=np.float64).reshape(-1)
        est = np.zeros(arr.size)
        for j in range(arr.size):
            where = np.unravel_index(j, arr.shape)
            saved = arr[where].copy()
            arr[where] = saved + h
            up = loss_fn(params)
            arr[where] = saved - h
            down = loss_fn(params)
            arr[where] = saved
            est[j] = (up - down) / (2 * h)
        num = np.sqrt(((est - g) ** 2).sum())
        den = np.sqrt((est**2).sum()) + np.sqrt((g**2).sum())
        result[key] = float(num / max(den, 1e-12))
    return result
''',
        },
    },
}
