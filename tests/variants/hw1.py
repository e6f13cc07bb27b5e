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
        },
    },
    "perceptron_fit": {
        "wrong": {
            "strict mistake test y * z < 0 (never leaves w = 0)": '''
def perceptron_fit(X, y, max_epochs=100):
    w, b, total = np.zeros(X.shape[1]), 0.0, 0
    for _ in range(max_epochs):
        m = 0
        for x_i, y_i in zip(X, y):
            if y_i * (w @ x_i + b) < 0:
                w, b, m = w + y_i * x_i, b + y_i, m + 1
        total += m
        if m == 0:
            return w, b, total, True
    return w, b, total, False
''',
            "forgets to update the bias": '''
def perceptron_fit(X, y, max_epochs=100):
    w, b, total = np.zeros(X.shape[1]), 0.0, 0
    for _ in range(max_epochs):
        m = 0
        for x_i, y_i in zip(X, y):
            if y_i * (w @ x_i + b) <= 0:
                w, m = w + y_i * x_i, m + 1
        total += m
        if m == 0:
            return w, b, total, True
    return w, b, total, False
''',
            "counts only the last epoch's mistakes": '''
def perceptron_fit(X, y, max_epochs=100):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(max_epochs):
        m = 0
        for x_i, y_i in zip(X, y):
            if y_i * (w @ x_i + b) <= 0:
                w, b, m = w + y_i * x_i, b + y_i, m + 1
        if m == 0:
            return w, b, m, True
    return w, b, m, False
''',
            "shuffles the examples every epoch": '''
def perceptron_fit(X, y, max_epochs=100):
    rng = np.random.default_rng(0)
    w, b, total = np.zeros(X.shape[1]), 0.0, 0
    for _ in range(max_epochs):
        m = 0
        for i in rng.permutation(len(X)):
            if y[i] * (w @ X[i] + b) <= 0:
                w, b, m = w + y[i] * X[i], b + y[i], m + 1
        total += m
        if m == 0:
            return w, b, total, True
    return w, b, total, False
''',
            "folds the labels into X in place": '''
def perceptron_fit(X, y, max_epochs=100):
    X *= y[:, None]  # now a mistake is w.x + b*y <= 0
    w, b, total = np.zeros(X.shape[1]), 0.0, 0
    for _ in range(max_epochs):
        m = 0
        for x_i, y_i in zip(X, y):
            if x_i @ w + b * y_i <= 0:
                w, b, m = w + x_i, b + y_i, m + 1
        total += m
        if m == 0:
            return w, b, total, True
    return w, b, total, False
''',
            "always reports convergence": '''
def perceptron_fit(X, y, max_epochs=100):
    w, b, total = np.zeros(X.shape[1]), 0.0, 0
    for _ in range(max_epochs):
        m = 0
        for x_i, y_i in zip(X, y):
            if y_i * (w @ x_i + b) <= 0:
                w, b, m = w + y_i * x_i, b + y_i, m + 1
        total += m
        if m == 0:
            break
    return w, b, total, True
''',
        },
        "right": {
            "augmented weight vector and a while loop": '''
def perceptron_fit(X, y, max_epochs=100):
    Xt = np.hstack([np.asarray(X, dtype=float), np.ones((len(X), 1))])  # (n, d + 1): x with a 1 appended
    v = np.zeros(Xt.shape[1])
    n_mistakes, epoch, clean = 0, 0, False
    while epoch < max_epochs and not clean:
        clean = True
        for i in range(len(Xt)):
            if y[i] * np.dot(v, Xt[i]) <= 0:
                v += y[i] * Xt[i]
                n_mistakes += 1
                clean = False
        epoch += 1
    return v[:-1], v[-1], int(n_mistakes), clean
''',
        },
    },
    "mlp_forward": {
        "wrong": {
            "log-softmax without the max shift (overflows)": '''
def mlp_forward(X, y, params):
    H = np.tanh(X @ params["W1"] + params["b1"])
    S = H @ params["W2"] + params["b2"]
    log_P = S - np.log(np.exp(S).sum(axis=1, keepdims=True))
    return float(-log_P[np.arange(len(y)), y].mean()), {"X": X, "H": H, "P": np.exp(log_P)}
''',
            "log of a stable softmax (log(0) = -inf)": '''
def mlp_forward(X, y, params):
    H = np.tanh(X @ params["W1"] + params["b1"])
    S = H @ params["W2"] + params["b2"]
    E = np.exp(S - S.max(axis=1, keepdims=True))
    P = E / E.sum(axis=1, keepdims=True)
    return float(-np.log(P[np.arange(len(y)), y]).mean()), {"X": X, "H": H, "P": P}
''',
            "sums over the examples instead of averaging": '''
def mlp_forward(X, y, params):
    H = np.tanh(X @ params["W1"] + params["b1"])
    S = H @ params["W2"] + params["b2"]
    Z = S - S.max(axis=1, keepdims=True)
    log_P = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
    return float(-log_P[np.arange(len(y)), y].sum()), {"X": X, "H": H, "P": np.exp(log_P)}
''',
            "ReLU hidden layer instead of tanh": '''
def mlp_forward(X, y, params):
    H = np.maximum(X @ params["W1"] + params["b1"], 0.0)
    S = H @ params["W2"] + params["b2"]
    Z = S - S.max(axis=1, keepdims=True)
    log_P = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
    return float(-log_P[np.arange(len(y)), y].mean()), {"X": X, "H": H, "P": np.exp(log_P)}
''',
            "forgets the hidden bias b1": '''
def mlp_forward(X, y, params):
    H = np.tanh(X @ params["W1"])
    S = H @ params["W2"] + params["b2"]
    Z = S - S.max(axis=1, keepdims=True)
    log_P = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
    return float(-log_P[np.arange(len(y)), y].mean()), {"X": X, "H": H, "P": np.exp(log_P)}
''',
            "softmax over the batch axis": '''
def mlp_forward(X, y, params):
    H = np.tanh(X @ params["W1"] + params["b1"])
    S = H @ params["W2"] + params["b2"]
    Z = S - S.max(axis=0, keepdims=True)
    log_P = Z - np.log(np.exp(Z).sum(axis=0, keepdims=True))
    return float(-log_P[np.arange(len(y)), y].mean()), {"X": X, "H": H, "P": np.exp(log_P)}
''',
        },
        "right": {
            "scipy's log_softmax and a one-hot mask": '''
from scipy.special import log_softmax as _log_softmax


def mlp_forward(X, y, params):
    A = np.dot(X, params["W1"]) + params["b1"]
    H = np.tanh(A)
    log_P = _log_softmax(np.dot(H, params["W2"]) + params["b2"], axis=1)
    Y = np.eye(log_P.shape[1])[y]
    loss = -np.sum(Y * log_P) / X.shape[0]
    return float(loss), {"X": X, "A": A, "H": H, "P": np.exp(log_P)}
''',
        },
    },
    "mlp_backward": {
        "wrong": {
            "forgets the 1/n of the mean": '''
def mlp_backward(y, params, cache):
    X, H, P = cache["X"], cache["H"], cache["P"]
    dS = P - np.eye(P.shape[1])[y]
    dA = (dS @ params["W2"].T) * (1 - H**2)
    return {"W1": X.T @ dA, "b1": dA.sum(axis=0), "W2": H.T @ dS, "b2": dS.sum(axis=0)}
''',
            "tanh' taken as 1 - H": '''
def mlp_backward(y, params, cache):
    X, H, P = cache["X"], cache["H"], cache["P"]
    dS = (P - np.eye(P.shape[1])[y]) / len(y)
    dA = (dS @ params["W2"].T) * (1 - H)
    return {"W1": X.T @ dA, "b1": dA.sum(axis=0), "W2": H.T @ dS, "b2": dS.sum(axis=0)}
''',
            "subtracts the one-hot in place, changing cache['P']": '''
def mlp_backward(y, params, cache):
    X, H, dS = cache["X"], cache["H"], cache["P"]
    dS[np.arange(len(y)), y] -= 1
    dS = dS / len(y)
    dA = (dS @ params["W2"].T) * (1 - H**2)
    return {"W1": X.T @ dA, "b1": dA.sum(axis=0), "W2": H.T @ dS, "b2": dS.sum(axis=0)}
''',
            "skips the tanh derivative": '''
def mlp_backward(y, params, cache):
    X, H, P = cache["X"], cache["H"], cache["P"]
    dS = (P - np.eye(P.shape[1])[y]) / len(y)
    dH = dS @ params["W2"].T
    return {"W1": X.T @ dH, "b1": dH.sum(axis=0), "W2": H.T @ dS, "b2": dS.sum(axis=0)}
''',
            "bias gradients averaged instead of summed": '''
def mlp_backward(y, params, cache):
    X, H, P = cache["X"], cache["H"], cache["P"]
    dS = (P - np.eye(P.shape[1])[y]) / len(y)
    dA = (dS @ params["W2"].T) * (1 - H**2)
    return {"W1": X.T @ dA, "b1": dA.mean(axis=0), "W2": H.T @ dS, "b2": dS.mean(axis=0)}
''',
        },
        "right": {
            "one example at a time, with outer products": '''
def mlp_backward(y, params, cache):
    X, H, P = cache["X"], cache["H"], cache["P"]
    n = len(X)
    grads = {name: np.zeros_like(value) for name, value in params.items()}
    for i in range(n):
        d_s = P[i].copy()
        d_s[y[i]] -= 1.0
        d_a = (params["W2"] @ d_s) * (1.0 - H[i] * H[i])
        grads["W2"] += np.outer(H[i], d_s) / n
        grads["b2"] += d_s / n
        grads["W1"] += np.outer(X[i], d_a) / n
        grads["b1"] += d_a / n
    return grads
''',
            "einsum": '''
def mlp_backward(y, params, cache):
    X, H, P = cache["X"], cache["H"], cache["P"]
    dS = (P - (np.arange(P.shape[1])[None, :] == np.asarray(y)[:, None])) / X.shape[0]
    dA = np.einsum("nk,hk->nh", dS, params["W2"]) * (1 - np.square(H))
    return {"W1": np.einsum("nd,nh->dh", X, dA), "b1": np.einsum("nh->h", dA),
            "W2": np.einsum("nh,nk->hk", H, dS), "b2": np.einsum("nk->k", dS)}
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
        },
    },
    "relu_interpolant": {
        "wrong": {
            "not flat after b (no unit cancels the last slope)": '''
def relu_interpolant(f, a, b, N):
    knots = np.linspace(a, b, N + 1)
    s = np.diff(f(knots)) / np.diff(knots)
    c = np.concatenate([[s[0]], np.diff(s), [0.0]])
    return knots, c, float(f(knots)[0])
''',
            "coefficients are the slopes, not their changes": '''
def relu_interpolant(f, a, b, N):
    knots = np.linspace(a, b, N + 1)
    s = np.diff(f(knots)) / np.diff(knots)
    return knots, np.append(s, -s[-1]), float(f(knots)[0])
''',
            "forgets the bias f(a)": '''
def relu_interpolant(f, a, b, N):
    knots = np.linspace(a, b, N + 1)
    s = np.diff(f(knots)) / np.diff(knots)
    return knots, np.diff(s, prepend=0.0, append=0.0), 0.0
''',
            "N knots instead of N + 1 (one segment too few)": '''
def relu_interpolant(f, a, b, N):
    knots = np.linspace(a, b, N)
    s = np.diff(f(knots)) / np.diff(knots)
    return knots, np.diff(s, prepend=0.0, append=0.0), float(f(knots)[0])
''',
            "the lecture's net: N units, no unit at b": '''
def relu_interpolant(f, a, b, N):
    k = np.linspace(a, b, N + 1)
    s = np.diff(f(k)) / np.diff(k)
    return k[:-1], np.concatenate([[s[0]], np.diff(s)]), float(f(k)[0])
''',
        },
        "right": {
            "a loop over the knots": '''
def relu_interpolant(f, a, b, N):
    h = (b - a) / N
    knots = np.array([a + j * h for j in range(N + 1)])
    knots[-1] = b
    values = f(knots)
    coefficients = np.zeros(N + 1)
    previous_slope = 0.0
    for j in range(N):
        slope = (values[j + 1] - values[j]) / (knots[j + 1] - knots[j])
        coefficients[j] = slope - previous_slope
        previous_slope = slope
    coefficients[N] = -previous_slope
    return knots, coefficients, values[0]
''',
            "a linear system: interpolation plus zero total slope": '''
def relu_interpolant(f, a, b, N):
    knots = np.linspace(a, b, N + 1)
    M = np.zeros((N + 2, N + 2))  # unknowns: c_0..c_N, bias
    M[: N + 1, : N + 1] = np.maximum(knots[:, None] - knots[None, :], 0.0)
    M[: N + 1, N + 1] = 1.0
    M[N + 1, : N + 1] = 1.0  # slope 0 after b
    rhs = np.append(f(knots), 0.0)
    sol = np.linalg.solve(M, rhs)
    return knots, sol[: N + 1], sol[N + 1]
''',
        },
    },
}
