"""hw0: plausible wrong answers the hidden tests must reject, and correct ones written differently."""

VARIANTS = {
    "softmax": {
        "wrong": {
            "no max shift (overflows to nan)": (
                "def softmax(Z):\n    E = np.exp(np.asarray(Z, dtype=float))\n"
                "    return E / E.sum(axis=1, keepdims=True)\n"),
            "normalizes over the wrong axis": (
                "def softmax(Z):\n    Z = np.asarray(Z, dtype=float)\n    E = np.exp(Z - Z.max(axis=0, keepdims=True))\n"
                "    return E / E.sum(axis=0, keepdims=True)\n"),
            "shifts by the global max, mutating the input": (
                "def softmax(Z):\n    Z -= Z.max(axis=1, keepdims=True)\n    E = np.exp(Z)\n"
                "    return E / E.sum(axis=1, keepdims=True)\n"),
            "forgets keepdims (broadcasts a column as a row)": (
                "def softmax(Z):\n    Z = np.asarray(Z, dtype=float)\n    E = np.exp(Z - Z.max(axis=1, keepdims=True))\n"
                "    return E / E.sum(axis=1)\n"),
            "one shift for the whole array (rows far below it underflow to 0/0)": (
                "def softmax(Z):\n    Z = np.asarray(Z, dtype=float)\n    E = np.exp(Z - Z.max())\n"
                "    return E / E.sum(axis=1, keepdims=True)\n"),
        },
        "right": {
            "scipy.special.softmax": "from scipy.special import softmax as _sp\n\ndef softmax(Z):\n    return _sp(Z, axis=1)\n",
            "via logsumexp": (
                "def softmax(Z):\n    Z = np.asarray(Z, dtype=float)\n    m = Z.max(axis=1, keepdims=True)\n"
                "    return np.exp(Z - m - np.log(np.exp(Z - m).sum(axis=1, keepdims=True)))\n"),
        },
    },
    "logsumexp": {
        "wrong": {
            "literal log(sum(exp)) overflows": (
                "def logsumexp(Z, axis=-1):\n    return np.log(np.exp(np.asarray(Z, dtype=float)).sum(axis=axis))\n"),
            "drops the maximum after shifting": (
                "def logsumexp(Z, axis=-1):\n    Z = np.asarray(Z, dtype=float)\n    m = Z.max(axis=axis, keepdims=True)\n"
                "    return np.log(np.exp(Z - m).sum(axis=axis))\n"),
            "always reduces over the last axis": (
                "def logsumexp(Z, axis=-1):\n    Z = np.asarray(Z, dtype=float)\n    m = Z.max(axis=-1, keepdims=True)\n"
                "    return np.squeeze(m, -1) + np.log(np.exp(Z - m).sum(axis=-1))\n"),
            "keeps the reduced dimension": (
                "def logsumexp(Z, axis=-1):\n    Z = np.asarray(Z, dtype=float)\n    m = Z.max(axis=axis, keepdims=True)\n"
                "    return m + np.log(np.exp(Z - m).sum(axis=axis, keepdims=True))\n"),
            "all -inf slice gives nan (-inf - -inf)": (
                "def logsumexp(Z, axis=-1):\n    Z = np.asarray(Z, dtype=float)\n    m = Z.max(axis=axis, keepdims=True)\n"
                "    return np.squeeze(m + np.log(np.exp(Z - m).sum(axis=axis, keepdims=True)), axis=axis)\n"),
        },
        "right": {
            "numpy logaddexp.reduce": "def logsumexp(Z, axis=-1):\n    return np.logaddexp.reduce(np.asarray(Z, dtype=float), axis=axis)\n",
            "scipy.special.logsumexp": (
                "from scipy.special import logsumexp as _lse\n\n"
                "def logsumexp(Z, axis=-1):\n    return _lse(np.asarray(Z, dtype=float), axis=axis)\n"),
        },
    },
    "numerical_gradient": {
        "wrong": {
            "one-sided difference": (
                "def numerical_gradient(f, x, h=1e-5):\n    x = np.array(x, dtype=float)\n    g = np.zeros_like(x)\n"
                "    fx = f(x)\n    for i in np.ndindex(x.shape):\n        old = x[i]\n        x[i] = old + h\n"
                "        g[i] = (f(x) - fx) / h\n        x[i] = old\n    return g\n"),
            "perturbs the caller's array and never restores it": (
                "def numerical_gradient(f, x, h=1e-5):\n    g = np.zeros_like(x, dtype=float)\n"
                "    for i in np.ndindex(x.shape):\n        x[i] += h\n        fp = f(x)\n        x[i] -= 2 * h\n"
                "        fm = f(x)\n        g[i] = (fp - fm) / (2 * h)\n    return g\n"),
            "ignores the step argument": (
                "def numerical_gradient(f, x, h=1e-5):\n    x = np.array(x, dtype=float)\n    g = np.zeros_like(x)\n"
                "    for i in np.ndindex(x.shape):\n        old = x[i]\n        x[i] = old + 1e-2\n        fp = f(x)\n"
                "        x[i] = old - 1e-2\n        fm = f(x)\n        x[i] = old\n        g[i] = (fp - fm) / 2e-2\n"
                "    return g\n"),
            "only works for 1-D inputs (flattens the result)": (
                "def numerical_gradient(f, x, h=1e-5):\n    x = np.array(x, dtype=float)\n    flat = x.reshape(-1)\n"
                "    g = np.zeros(flat.size)\n    for i in range(flat.size):\n        old = flat[i]\n        flat[i] = old + h\n"
                "        fp = f(x)\n        flat[i] = old - h\n        fm = f(x)\n        flat[i] = old\n"
                "        g[i] = (fp - fm) / (2 * h)\n    return g\n"),
        },
        "right": {
            "fresh perturbed copies with np.ndindex": (
                "def numerical_gradient(f, x, h=1e-5):\n    x = np.asarray(x, dtype=float)\n    g = np.empty_like(x)\n"
                "    for idx in np.ndindex(*x.shape):\n        e = np.zeros_like(x)\n        e[idx] = h\n"
                "        g[idx] = (f(x + e) - f(x - e)) / (2 * h)\n    return g\n"),
            "flat view of a copy": (
                "def numerical_gradient(f, x, h=1e-5):\n    x = np.array(x, dtype=float)\n    g = np.zeros(x.size)\n"
                "    flat = x.reshape(-1)\n    for i in range(x.size):\n        old = flat[i]\n        flat[i] = old + h\n"
                "        fp = f(x)\n        flat[i] = old - h\n        fm = f(x)\n        flat[i] = old\n"
                "        g[i] = (fp - fm) / (2 * h)\n    return g.reshape(x.shape)\n"),
        },
    },
    "gaussian_mle": {
        "wrong": {
            "unbiased covariance (divides by n - 1)": (
                "def gaussian_mle(X):\n    X = np.asarray(X, dtype=float)\n    return X.mean(axis=0), np.cov(X, rowvar=False)\n"),
            "covariance over the wrong axis": (
                "def gaussian_mle(X):\n    X = np.asarray(X, dtype=float)\n    mu = X.mean(axis=0)\n"
                "    C = X - mu\n    return mu, C @ C.T / X.shape[0]\n"),
            "forgets to centre": (
                "def gaussian_mle(X):\n    X = np.asarray(X, dtype=float)\n    return X.mean(axis=0), X.T @ X / X.shape[0]\n"),
            "scalar covariance when d == 1": (
                "def gaussian_mle(X):\n    X = np.asarray(X, dtype=float)\n"
                "    return X.mean(axis=0), np.cov(X, rowvar=False, bias=True)\n"),
        },
        "right": {
            "average of outer products": (
                "def gaussian_mle(X):\n    X = np.asarray(X, dtype=float)\n    n, d = X.shape\n    mu = X.sum(axis=0) / n\n"
                "    S = np.zeros((d, d))\n    for x in X:\n        S += np.outer(x - mu, x - mu)\n    return mu, S / n\n"),
            "np.cov with bias=True, kept 2-D": (
                "def gaussian_mle(X):\n    X = np.asarray(X, dtype=float)\n"
                "    return X.mean(axis=0), np.atleast_2d(np.cov(X, rowvar=False, bias=True))\n"),
        },
    },
    "pairwise_sq_dists": {
        "wrong": {
            "a loop (correct values, but loops are not allowed)": (
                "def pairwise_sq_dists(X, Y):\n"
                "    return np.array([[np.sum((a - b) ** 2) for b in Y] for a in X])\n"),
            "no clamp: rounding gives negative distances": (
                "def pairwise_sq_dists(X, Y):\n    X = np.asarray(X, dtype=float)\n    Y = np.asarray(Y, dtype=float)\n"
                "    return (X * X).sum(1)[:, None] - 2 * X @ Y.T + (Y * Y).sum(1)[None, :]\n"),
            "distances, not squared": (
                "def pairwise_sq_dists(X, Y):\n    X = np.asarray(X, dtype=float)\n    Y = np.asarray(Y, dtype=float)\n"
                "    return np.sqrt(np.maximum((X * X).sum(1)[:, None] - 2 * X @ Y.T + (Y * Y).sum(1)[None, :], 0))\n"),
            "sign error in the cross term": (
                "def pairwise_sq_dists(X, Y):\n    X = np.asarray(X, dtype=float)\n    Y = np.asarray(Y, dtype=float)\n"
                "    return np.maximum((X * X).sum(1)[:, None] + 2 * X @ Y.T + (Y * Y).sum(1)[None, :], 0)\n"),
        },
        "right": {
            "broadcast differences": (
                "def pairwise_sq_dists(X, Y):\n    diff = np.asarray(X, dtype=float)[:, None, :] - np.asarray(Y, dtype=float)[None, :, :]\n"
                "    return np.einsum('ijk,ijk->ij', diff, diff)\n"),
            "expanded square, clamped at 0": (
                "def pairwise_sq_dists(X, Y):\n    X = np.asarray(X, dtype=float)\n    Y = np.asarray(Y, dtype=float)\n"
                "    D = np.sum(X**2, axis=1, keepdims=True) + np.sum(Y**2, axis=1) - 2 * (X @ Y.T)\n"
                "    return np.clip(D, 0, None)\n"),
        },
    },
    "bayes_posterior": {
        "wrong": {
            "confuses P(D|+) with P(+|D)": "def bayes_posterior(sensitivity, false_positive_rate, prevalence):\n    return sensitivity\n",
            "forgets the healthy population's positives": (
                "def bayes_posterior(sensitivity, false_positive_rate, prevalence):\n"
                "    return sensitivity * prevalence / (sensitivity * prevalence + false_positive_rate)\n"),
            "ignores the prior": (
                "def bayes_posterior(sensitivity, false_positive_rate, prevalence):\n"
                "    return sensitivity / (sensitivity + false_positive_rate)\n"),
        },
        "right": {
            "odds form of Bayes' rule": (
                "def bayes_posterior(sensitivity, false_positive_rate, prevalence):\n"
                "    if false_positive_rate == 0:\n        return 1.0\n"
                "    odds = prevalence / (1 - prevalence) * sensitivity / false_positive_rate\n    return odds / (1 + odds)\n"),
            "joint probabilities": (
                "def bayes_posterior(sensitivity, false_positive_rate, prevalence):\n"
                "    sick_and_positive = sensitivity * prevalence\n"
                "    healthy_and_positive = false_positive_rate * (1 - prevalence)\n"
                "    return sick_and_positive / (sick_and_positive + healthy_and_positive)\n"),
        },
    },
    "difference_errors": {
        "wrong": {
            "numbers it did not measure (the textbook slopes)": (
                "def difference_errors(f, df, x, hs):\n    hs = np.asarray(hs, dtype=float)\n"
                "    return {'forward': 0.5 * hs, 'central': hs ** 2 / 6}\n"),
            "central difference divided by h, not 2h": (
                "def difference_errors(f, df, x, hs):\n    hs = np.asarray(hs, dtype=float)\n    exact = df(x)\n"
                "    return {'forward': np.abs((f(x + hs) - f(x)) / hs - exact),\n"
                "            'central': np.abs((f(x + hs) - f(x - hs)) / hs - exact)}\n"),
            "backward difference measured as the forward one": (
                "def difference_errors(f, df, x, hs):\n    hs = np.asarray(hs, dtype=float)\n    exact = df(x)\n"
                "    return {'forward': np.abs((f(x) - f(x - hs)) / hs - exact),\n"
                "            'central': np.abs((f(x + hs) - f(x - hs)) / (2 * hs) - exact)}\n"),
            "relative errors": (
                "def difference_errors(f, df, x, hs):\n    hs = np.asarray(hs, dtype=float)\n    exact = df(x)\n"
                "    return {'forward': np.abs(((f(x + hs) - f(x)) / hs - exact) / exact),\n"
                "            'central': np.abs(((f(x + hs) - f(x - hs)) / (2 * hs) - exact) / exact)}\n"),
            "float32 arithmetic": (
                "def difference_errors(f, df, x, hs):\n    hs = np.asarray(hs, dtype=np.float32)\n"
                "    x = np.float32(x)\n    exact = df(x)\n"
                "    return {'forward': np.abs((f(x + hs) - f(x)) / hs - exact).astype(float),\n"
                "            'central': np.abs((f(x + hs) - f(x - hs)) / (2 * hs) - exact).astype(float)}\n"),
        },
        "right": {
            "a loop over the steps": (
                "def difference_errors(f, df, x, hs):\n    forward, central = [], []\n"
                "    for h in hs:\n        forward.append(abs((f(x + h) - f(x)) / h - df(x)))\n"
                "        central.append(abs((f(x + h) - f(x - h)) / (2 * h) - df(x)))\n"
                "    return {'forward': np.array(forward), 'central': np.array(central)}\n"),
            "one helper for both quotients": (
                "def difference_errors(f, df, x, hs):\n    hs = np.asarray(hs, dtype=float)\n\n"
                "    def err(quotient):\n        return np.abs(quotient - df(x))\n\n"
                "    return dict(central=err((f(x + hs) - f(x - hs)) / (2 * hs)), forward=err((f(x + hs) - f(x)) / hs))\n"),
        },
    },
}
