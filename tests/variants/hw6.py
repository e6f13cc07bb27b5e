"""hw6: plausible wrong answers the hidden tests must reject, and correct ones written differently."""

from textwrap import dedent as _d

VARIANTS = {
    "gae_advantages": {
        "wrong": {
            "truncation treated as termination (no bootstrap at a time limit)": _d('''
                def gae_advantages(rewards, values, next_values, terminated, truncated, gamma, lam):
                    end = terminated | truncated
                    future = torch.where(end, torch.zeros_like(next_values), next_values)
                    deltas = rewards + gamma * future - values
                    out = torch.empty_like(rewards)
                    running = torch.zeros((), dtype=rewards.dtype)
                    for t in reversed(range(rewards.shape[0])):
                        running = deltas[t] + gamma * lam * (~end[t]).to(rewards.dtype) * running
                        out[t] = running
                    return out
                '''),
            "trace cut only at termination (a truncation leaks into the next episode)": _d('''
                def gae_advantages(rewards, values, next_values, terminated, truncated, gamma, lam):
                    future = torch.where(terminated, torch.zeros_like(next_values), next_values)
                    deltas = rewards + gamma * future - values
                    out = torch.empty_like(rewards)
                    running = torch.zeros((), dtype=rewards.dtype)
                    for t in reversed(range(rewards.shape[0])):
                        running = deltas[t] + gamma * lam * (~terminated[t]).to(rewards.dtype) * running
                        out[t] = running
                    return out
                '''),
            "multiplies next_values by (1 - terminated): 0 * nan is nan": _d('''
                def gae_advantages(rewards, values, next_values, terminated, truncated, gamma, lam):
                    not_term = (~terminated).to(rewards.dtype)
                    deltas = rewards + gamma * not_term * next_values - values
                    keep = (~(terminated | truncated)).to(rewards.dtype)
                    out = torch.empty_like(rewards)
                    running = torch.zeros((), dtype=rewards.dtype)
                    for t in reversed(range(rewards.shape[0])):
                        running = deltas[t] + gamma * lam * keep[t] * running
                        out[t] = running
                    return out
                '''),
            "closed form with powers (gamma lam)^k (underflows in a long float32 rollout)": _d('''
                def gae_advantages(rewards, values, next_values, terminated, truncated, gamma, lam):
                    future = torch.where(terminated, torch.zeros_like(next_values), next_values)
                    deltas = rewards + gamma * future - values
                    c = gamma * lam
                    if c == 0:
                        return deltas.clone()
                    T = rewards.shape[0]
                    out = torch.empty_like(rewards)
                    stops = torch.nonzero(terminated | truncated).flatten().tolist() + [T - 1]
                    start = 0
                    for stop in stops:
                        if stop < start:
                            continue
                        d = deltas[start:stop + 1]
                        w = c ** torch.arange(d.shape[0], dtype=d.dtype)
                        tail = torch.flip(torch.cumsum(torch.flip(w * d, [0]), 0), [0])
                        out[start:stop + 1] = tail / w  # A_t = sum_k c^k delta_k / c^t
                        start = stop + 1
                    return out
                '''),
            "recursion over time (RecursionError on long rollouts)": _d('''
                def gae_advantages(rewards, values, next_values, terminated, truncated, gamma, lam):
                    future = torch.where(terminated, torch.zeros_like(next_values), next_values)
                    deltas = rewards + gamma * future - values
                    end = terminated | truncated
                    T = rewards.shape[0]
                    out = torch.empty_like(rewards)

                    def adv(t):
                        if t == T:
                            return torch.zeros((), dtype=rewards.dtype)
                        later = adv(t + 1)
                        out[t] = deltas[t] + (0.0 if bool(end[t]) else gamma * lam) * later
                        return out[t]

                    adv(0)
                    return out
                '''),
            "gamma missing from the trace (A_t = delta_t + lam A_t+1)": _d('''
                def gae_advantages(rewards, values, next_values, terminated, truncated, gamma, lam):
                    future = torch.where(terminated, torch.zeros_like(next_values), next_values)
                    deltas = rewards + gamma * future - values
                    keep = (~(terminated | truncated)).to(rewards.dtype)
                    out = torch.empty_like(rewards)
                    running = torch.zeros((), dtype=rewards.dtype)
                    for t in reversed(range(rewards.shape[0])):
                        running = deltas[t] + lam * keep[t] * running
                        out[t] = running
                    return out
                '''),
            "bootstraps from values[t + 1] (the next episode's start at a boundary)": _d('''
                def gae_advantages(rewards, values, next_values, terminated, truncated, gamma, lam):
                    nxt = torch.cat([values[1:], next_values[-1:]])
                    future = torch.where(terminated, torch.zeros_like(nxt), nxt)
                    deltas = rewards + gamma * future - values
                    keep = (~(terminated | truncated)).to(rewards.dtype)
                    out = torch.empty_like(rewards)
                    running = torch.zeros((), dtype=rewards.dtype)
                    for t in reversed(range(rewards.shape[0])):
                        running = deltas[t] + gamma * lam * keep[t] * running
                        out[t] = running
                    return out
                '''),
        },
        "right": {
            "NumPy float64 loop, cast back": _d('''
                def gae_advantages(rewards, values, next_values, terminated, truncated, gamma, lam):
                    r = rewards.detach().double().numpy()
                    v = values.detach().double().numpy()
                    nv = next_values.detach().double().numpy()
                    term, trunc = terminated.numpy(), truncated.numpy()
                    adv = np.zeros(len(r))
                    nxt = 0.0
                    for t in range(len(r) - 1, -1, -1):
                        boot = 0.0 if term[t] else gamma * nv[t]
                        if term[t] or trunc[t]:
                            nxt = 0.0
                        nxt = r[t] + boot - v[t] + gamma * lam * nxt
                        adv[t] = nxt
                    return torch.from_numpy(adv).to(rewards.dtype)
                '''),
            "scipy lfilter per episode segment": _d('''
                import scipy.signal


                def gae_advantages(rewards, values, next_values, terminated, truncated, gamma, lam):
                    term = terminated.numpy()
                    nv = np.where(term, 0.0, next_values.double().numpy())
                    deltas = rewards.double().numpy() + gamma * nv - values.double().numpy()
                    ends = np.flatnonzero(term | truncated.numpy())
                    bounds = [0] + [int(e) + 1 for e in ends if e + 1 < len(deltas)] + [len(deltas)]
                    adv = np.zeros(len(deltas))
                    for a, b in zip(bounds[:-1], bounds[1:]):
                        seg = deltas[a:b][::-1]
                        adv[a:b] = scipy.signal.lfilter([1.0], [1.0, -gamma * lam], seg)[::-1]
                    return torch.from_numpy(adv).to(rewards.dtype)
                '''),
            "list of scalars, torch.stack": _d('''
                def gae_advantages(rewards, values, next_values, terminated, truncated, gamma, lam):
                    out = []
                    running = torch.zeros((), dtype=rewards.dtype)
                    for t in range(len(rewards) - 1, -1, -1):
                        if terminated[t]:
                            delta = rewards[t] - values[t]
                            running = delta
                        else:
                            delta = rewards[t] + gamma * next_values[t] - values[t]
                            running = delta if truncated[t] else delta + gamma * lam * running
                        out.append(running.to(rewards.dtype))
                    return torch.stack(out[::-1])
                '''),
        },
    },
    "fitted_td_values": {
        "wrong": {
            "ignores terminated": _d('''
                def fitted_td_values(states, rewards, next_states, terminated, n_states, gamma):
                    counts = np.bincount(states, minlength=n_states).astype(float)
                    R = np.bincount(states, weights=rewards, minlength=n_states)
                    M = np.zeros((n_states, n_states))
                    np.add.at(M, (states, next_states), 1.0)
                    seen = counts > 0
                    A, b = np.eye(n_states), np.zeros(n_states)
                    A[seen] -= gamma * M[seen] / counts[seen, None]
                    b[seen] = R[seen] / counts[seen]
                    return np.linalg.solve(A, b)
                '''),
            "a fixed 50 sweeps (not the fixed point)": _d('''
                def fitted_td_values(states, rewards, next_states, terminated, n_states, gamma):
                    counts = np.maximum(np.bincount(states, minlength=n_states), 1)
                    V = np.zeros(n_states)
                    for _ in range(50):
                        targets = rewards + gamma * (1.0 - terminated) * V[next_states]
                        V = np.bincount(states, weights=targets, minlength=n_states) / counts
                    return V
                '''),
            "divides by all transitions, not by the transitions from each state": _d('''
                def fitted_td_values(states, rewards, next_states, terminated, n_states, gamma):
                    n = len(states)
                    R = np.bincount(states, weights=rewards, minlength=n_states)
                    M = np.zeros((n_states, n_states))
                    np.add.at(M, (states, next_states), 1.0 - terminated)
                    return np.linalg.solve(np.eye(n_states) - gamma * M / n, R / n)
                '''),
            "averages over the transitions that END in each state": _d('''
                def fitted_td_values(states, rewards, next_states, terminated, n_states, gamma):
                    counts = np.bincount(next_states, minlength=n_states).astype(float)
                    R = np.bincount(next_states, weights=rewards, minlength=n_states)
                    M = np.zeros((n_states, n_states))
                    np.add.at(M, (next_states, states), 1.0 - terminated)
                    seen = counts > 0
                    A, b = np.eye(n_states), np.zeros(n_states)
                    A[seen] -= gamma * M[seen] / counts[seen, None]
                    b[seen] = R[seen] / counts[seen]
                    return np.linalg.solve(A, b)
                '''),
            "states never left get nan (0 / 0)": _d('''
                def fitted_td_values(states, rewards, next_states, terminated, n_states, gamma):
                    counts = np.bincount(states, minlength=n_states).astype(float)
                    R = np.bincount(states, weights=rewards, minlength=n_states)
                    M = np.zeros((n_states, n_states))
                    np.add.at(M, (states, next_states), 1.0 - terminated)
                    with np.errstate(invalid="ignore", divide="ignore"):
                        P_hat, r_hat = M / counts[:, None], R / counts
                    return np.linalg.solve(np.eye(n_states) - gamma * P_hat, r_hat)
                '''),
        },
        "right": {
            "sweeps until nothing changes": _d('''
                def fitted_td_values(states, rewards, next_states, terminated, n_states, gamma):
                    counts = np.bincount(states, minlength=n_states)
                    safe = np.maximum(counts, 1)
                    alive = 1.0 - np.asarray(terminated, dtype=float)
                    V = np.zeros(n_states)
                    while True:
                        targets = rewards + gamma * alive * V[next_states]
                        new = np.bincount(states, weights=targets, minlength=n_states) / safe
                        if np.max(np.abs(new - V)) < 1e-13:
                            return new
                        V = new
                '''),
            "torch one-hot matrices and a least-squares solve": _d('''
                def fitted_td_values(states, rewards, next_states, terminated, n_states, gamma):
                    s = F.one_hot(torch.as_tensor(states), n_states).double()  # (n, S)
                    s2 = F.one_hot(torch.as_tensor(next_states), n_states).double()
                    alive = 1.0 - torch.as_tensor(terminated).double()
                    counts = s.sum(0)
                    inv = torch.where(counts > 0, 1.0 / counts.clamp(min=1), torch.zeros_like(counts))
                    P_hat = inv[:, None] * (s.T @ (alive[:, None] * s2))
                    r_hat = inv * (s.T @ torch.as_tensor(rewards, dtype=torch.float64))
                    A = torch.eye(n_states, dtype=torch.float64) - gamma * P_hat
                    return torch.linalg.lstsq(A, r_hat[:, None]).solution[:, 0].numpy()
                '''),
            "Python dictionaries of counts, then np.linalg.solve": _d('''
                from collections import defaultdict


                def fitted_td_values(states, rewards, next_states, terminated, n_states, gamma):
                    n_from = defaultdict(int)
                    reward_sum = defaultdict(float)
                    moves = defaultdict(float)
                    for s, r, s2, d in zip(states.tolist(), rewards.tolist(), next_states.tolist(),
                                           terminated.tolist()):
                        n_from[s] += 1
                        reward_sum[s] += r
                        if not d:
                            moves[s, s2] += 1
                    A = np.eye(n_states)
                    b = np.zeros(n_states)
                    for s, n in n_from.items():
                        b[s] = reward_sum[s] / n
                    for (s, s2), m in moves.items():
                        A[s, s2] -= gamma * m / n_from[s]
                    return np.linalg.solve(A, b)
                '''),
        },
    },
    "truncation_bias_curve": {
        "wrong": {
            "reports the closed-form prediction instead of the measured errors": _d('''
                def truncation_bias_curve(P, r, gamma, time_limits, n_transitions=20_000, seed=0):
                    P, r = np.asarray(P, dtype=float), np.asarray(r, dtype=float)
                    S = len(r)
                    rng = np.random.default_rng(seed)
                    V_true = np.linalg.solve(np.eye(S) - gamma * P, r)
                    cum = np.cumsum(P, axis=1)
                    Vb, Vc = [], []
                    for H in time_limits:
                        n_ep = n_transitions // H
                        s = rng.integers(0, S, size=n_ep)
                        ss, ns = [], []
                        for _ in range(H):
                            s2 = np.minimum((rng.random(n_ep)[:, None] > cum[s]).sum(1), S - 1)
                            ss.append(s)
                            ns.append(s2)
                            s = s2
                        ss, ns = np.stack(ss, 1).ravel(), np.stack(ns, 1).ravel()
                        tr = np.tile(np.arange(H) == H - 1, n_ep)
                        Vb.append(fitted_td_values(ss, r[ss], ns, np.zeros_like(tr), S, gamma))
                        Vc.append(fitted_td_values(ss, r[ss], ns, tr, S, gamma))
                    H = np.asarray(time_limits, dtype=float)
                    return {"time_limits": np.asarray(time_limits), "V_true": V_true, "V_bootstrap": np.array(Vb),
                            "V_conflated": np.array(Vc), "err_bootstrap": np.zeros(len(H)),
                            "err_conflated": gamma / (gamma + H * (1 - gamma))}
                '''),
            "conflates in both runs (passes truncated twice)": _d('''
                def truncation_bias_curve(P, r, gamma, time_limits, n_transitions=20_000, seed=0):
                    P, r = np.asarray(P, dtype=float), np.asarray(r, dtype=float)
                    S = len(r)
                    rng = np.random.default_rng(seed)
                    V_true = np.linalg.solve(np.eye(S) - gamma * P, r)
                    cum = np.cumsum(P, axis=1)
                    Vb, Vc = [], []
                    for H in time_limits:
                        n_ep = n_transitions // H
                        s = rng.integers(0, S, size=n_ep)
                        ss, ns = [], []
                        for _ in range(H):
                            s2 = np.minimum((rng.random(n_ep)[:, None] > cum[s]).sum(1), S - 1)
                            ss.append(s)
                            ns.append(s2)
                            s = s2
                        ss, ns = np.stack(ss, 1).ravel(), np.stack(ns, 1).ravel()
                        tr = np.tile(np.arange(H) == H - 1, n_ep)
                        Vb.append(fitted_td_values(ss, r[ss], ns, tr, S, gamma))
                        Vc.append(fitted_td_values(ss, r[ss], ns, tr, S, gamma))
                    Vb, Vc = np.array(Vb), np.array(Vc)
                    norm = np.linalg.norm(V_true)
                    return {"time_limits": np.asarray(time_limits), "V_true": V_true, "V_bootstrap": Vb,
                            "V_conflated": Vc, "err_bootstrap": np.linalg.norm(Vb - V_true, axis=1) / norm,
                            "err_conflated": np.linalg.norm(Vc - V_true, axis=1) / norm}
                '''),
            "errors against the H-step (finite-horizon) value instead of V": _d('''
                def truncation_bias_curve(P, r, gamma, time_limits, n_transitions=20_000, seed=0):
                    P, r = np.asarray(P, dtype=float), np.asarray(r, dtype=float)
                    S = len(r)
                    rng = np.random.default_rng(seed)
                    cum = np.cumsum(P, axis=1)
                    Vb, Vc, eb, ec = [], [], [], []
                    for H in time_limits:
                        V_H = np.zeros(S)
                        for _ in range(H):
                            V_H = r + gamma * P @ V_H
                        n_ep = n_transitions // H
                        s = rng.integers(0, S, size=n_ep)
                        ss, ns = [], []
                        for _ in range(H):
                            s2 = np.minimum((rng.random(n_ep)[:, None] > cum[s]).sum(1), S - 1)
                            ss.append(s)
                            ns.append(s2)
                            s = s2
                        ss, ns = np.stack(ss, 1).ravel(), np.stack(ns, 1).ravel()
                        tr = np.tile(np.arange(H) == H - 1, n_ep)
                        Vb.append(fitted_td_values(ss, r[ss], ns, np.zeros_like(tr), S, gamma))
                        Vc.append(fitted_td_values(ss, r[ss], ns, tr, S, gamma))
                        eb.append(np.linalg.norm(Vb[-1] - V_H) / np.linalg.norm(V_H))
                        ec.append(np.linalg.norm(Vc[-1] - V_H) / np.linalg.norm(V_H))
                    return {"time_limits": np.asarray(time_limits), "V_true": V_H, "V_bootstrap": np.array(Vb),
                            "V_conflated": np.array(Vc), "err_bootstrap": np.array(eb), "err_conflated": np.array(ec)}
                '''),
            "returns the exact values as the bootstrapped estimate (nothing sampled)": _d('''
                def truncation_bias_curve(P, r, gamma, time_limits, n_transitions=20_000, seed=0):
                    P, r = np.asarray(P, dtype=float), np.asarray(r, dtype=float)
                    S = len(r)
                    V_true = np.linalg.solve(np.eye(S) - gamma * P, r)
                    Vb, Vc = [], []
                    for H in time_limits:
                        Vb.append(V_true.copy())
                        Vc.append(np.linalg.solve(np.eye(S) - gamma * (1 - 1 / H) * P, r))
                    Vb, Vc = np.array(Vb), np.array(Vc)
                    norm = np.linalg.norm(V_true)
                    return {"time_limits": np.asarray(time_limits), "V_true": V_true, "V_bootstrap": Vb,
                            "V_conflated": Vc, "err_bootstrap": np.linalg.norm(Vb - V_true, axis=1) / norm,
                            "err_conflated": np.linalg.norm(Vc - V_true, axis=1) / norm}
                '''),
            "absolute instead of relative errors": _d('''
                def truncation_bias_curve(P, r, gamma, time_limits, n_transitions=20_000, seed=0):
                    P, r = np.asarray(P, dtype=float), np.asarray(r, dtype=float)
                    S = len(r)
                    rng = np.random.default_rng(seed)
                    V_true = np.linalg.solve(np.eye(S) - gamma * P, r)
                    cum = np.cumsum(P, axis=1)
                    Vb, Vc = [], []
                    for H in time_limits:
                        n_ep = n_transitions // H
                        s = rng.integers(0, S, size=n_ep)
                        ss, ns = [], []
                        for _ in range(H):
                            s2 = np.minimum((rng.random(n_ep)[:, None] > cum[s]).sum(1), S - 1)
                            ss.append(s)
                            ns.append(s2)
                            s = s2
                        ss, ns = np.stack(ss, 1).ravel(), np.stack(ns, 1).ravel()
                        tr = np.tile(np.arange(H) == H - 1, n_ep)
                        Vb.append(fitted_td_values(ss, r[ss], ns, np.zeros_like(tr), S, gamma))
                        Vc.append(fitted_td_values(ss, r[ss], ns, tr, S, gamma))
                    Vb, Vc = np.array(Vb), np.array(Vc)
                    return {"time_limits": np.asarray(time_limits), "V_true": V_true, "V_bootstrap": Vb,
                            "V_conflated": Vc, "err_bootstrap": np.linalg.norm(Vb - V_true, axis=1),
                            "err_conflated": np.linalg.norm(Vc - V_true, axis=1)}
                '''),
        },
        "right": {
            "one episode at a time with searchsorted": _d('''
                def truncation_bias_curve(P, r, gamma, time_limits, n_transitions=20_000, seed=0):
                    P, r = np.asarray(P, dtype=float), np.asarray(r, dtype=float)
                    S = len(r)
                    rng = np.random.default_rng(seed)
                    V = np.linalg.solve(np.eye(S) - gamma * P, r)
                    cum = np.cumsum(P, axis=1)
                    cum[:, -1] = 1.0
                    result = {"time_limits": np.asarray(time_limits), "V_true": V}
                    boot, conf = [], []
                    for H in time_limits:
                        states, nexts, last = [], [], []
                        for _ in range(n_transitions // H):
                            s = int(rng.integers(S))
                            for t in range(H):
                                s2 = int(np.searchsorted(cum[s], rng.random(), side="right"))
                                states.append(s)
                                nexts.append(s2)
                                last.append(t == H - 1)
                                s = s2
                        states, nexts, last = np.array(states), np.array(nexts), np.array(last)
                        boot.append(fitted_td_values(states, r[states], nexts, np.zeros(len(last), bool), S, gamma))
                        conf.append(fitted_td_values(states, r[states], nexts, last, S, gamma))
                    result["V_bootstrap"], result["V_conflated"] = np.array(boot), np.array(conf)
                    result["err_bootstrap"] = np.sqrt(((result["V_bootstrap"] - V) ** 2).sum(1) / (V ** 2).sum())
                    result["err_conflated"] = np.sqrt(((result["V_conflated"] - V) ** 2).sum(1) / (V ** 2).sum())
                    return result
                '''),
            "torch.multinomial for the walks": _d('''
                def truncation_bias_curve(P, r, gamma, time_limits, n_transitions=20_000, seed=0):
                    gen = torch.Generator().manual_seed(seed)
                    P_t = torch.as_tensor(np.asarray(P, dtype=float))
                    r = np.asarray(r, dtype=float)
                    S = len(r)
                    V = np.linalg.solve(np.eye(S) - gamma * np.asarray(P, dtype=float), r)
                    Vb, Vc = np.zeros((len(time_limits), S)), np.zeros((len(time_limits), S))
                    for i, H in enumerate(time_limits):
                        n_ep = n_transitions // int(H)
                        walk = [torch.randint(0, S, (n_ep,), generator=gen)]
                        for _ in range(int(H)):
                            walk.append(torch.multinomial(P_t[walk[-1]], 1, generator=gen).squeeze(1))
                        walk = torch.stack(walk, dim=1).numpy()  # (n_ep, H + 1)
                        s, s2 = walk[:, :-1].reshape(-1), walk[:, 1:].reshape(-1)
                        trunc = np.zeros((n_ep, int(H)), dtype=bool)
                        trunc[:, -1] = True
                        Vb[i] = fitted_td_values(s, r[s], s2, np.zeros(s.shape, dtype=bool), S, gamma)
                        Vc[i] = fitted_td_values(s, r[s], s2, trunc.reshape(-1), S, gamma)
                    rel = lambda est: np.linalg.norm(est - V, axis=1) / np.linalg.norm(V)
                    return dict(time_limits=np.asarray(time_limits), V_true=V, V_bootstrap=Vb, V_conflated=Vc,
                                err_bootstrap=rel(Vb), err_conflated=rel(Vc))
                '''),
        },
    },
    "vicreg_loss": {
        "wrong": {
            "no eps in the square root (nan gradient at collapse)": _d('''
                def vicreg_loss(z1, z2, lam=25.0, mu=25.0, nu=1.0, eps=1e-4):
                    n, d = z1.shape
                    def var_term(z):
                        return F.relu(1 - z.std(dim=0)).mean()
                    def cov_term(z):
                        zc = z - z.mean(0)
                        cov = zc.T @ zc / (n - 1)
                        return (cov.pow(2).sum() - cov.diagonal().pow(2).sum()) / d
                    return lam * F.mse_loss(z1, z2) + mu * (var_term(z1) + var_term(z2)) + nu * (cov_term(z1) + cov_term(z2))
                '''),
            "hinge on the variance instead of the standard deviation": _d('''
                def vicreg_loss(z1, z2, lam=25.0, mu=25.0, nu=1.0, eps=1e-4):
                    n, d = z1.shape
                    def var_term(z):
                        return F.relu(1 - (z.var(dim=0) + eps)).mean()
                    def cov_term(z):
                        zc = z - z.mean(0)
                        cov = zc.T @ zc / (n - 1)
                        return (cov.pow(2).sum() - cov.diagonal().pow(2).sum()) / d
                    return lam * F.mse_loss(z1, z2) + mu * (var_term(z1) + var_term(z2)) + nu * (cov_term(z1) + cov_term(z2))
                '''),
            "covariance term keeps the diagonal": _d('''
                def vicreg_loss(z1, z2, lam=25.0, mu=25.0, nu=1.0, eps=1e-4):
                    n, d = z1.shape
                    def var_term(z):
                        return F.relu(1 - torch.sqrt(z.var(dim=0) + eps)).mean()
                    def cov_term(z):
                        zc = z - z.mean(0)
                        cov = zc.T @ zc / (n - 1)
                        return cov.pow(2).sum() / d
                    return lam * F.mse_loss(z1, z2) + mu * (var_term(z1) + var_term(z2)) + nu * (cov_term(z1) + cov_term(z2))
                '''),
            "one-pass moments E[z^2] - E[z]^2 (cancellation in float32)": _d('''
                def vicreg_loss(z1, z2, lam=25.0, mu=25.0, nu=1.0, eps=1e-4):
                    n, d = z1.shape
                    def moments(z):
                        m = z.mean(0)
                        return (z.T @ z - n * torch.outer(m, m)) / (n - 1)
                    def var_term(z):
                        return F.relu(1 - torch.sqrt(moments(z).diagonal() + eps)).mean()
                    def cov_term(z):
                        cov = moments(z)
                        return (cov.pow(2).sum() - cov.diagonal().pow(2).sum()) / d
                    return lam * F.mse_loss(z1, z2) + mu * (var_term(z1) + var_term(z2)) + nu * (cov_term(z1) + cov_term(z2))
                '''),
            "biased variance and covariance (divides by N)": _d('''
                def vicreg_loss(z1, z2, lam=25.0, mu=25.0, nu=1.0, eps=1e-4):
                    n, d = z1.shape
                    def var_term(z):
                        return F.relu(1 - torch.sqrt(z.var(dim=0, unbiased=False) + eps)).mean()
                    def cov_term(z):
                        zc = z - z.mean(0)
                        cov = zc.T @ zc / n
                        return (cov.pow(2).sum() - cov.diagonal().pow(2).sum()) / d
                    return lam * F.mse_loss(z1, z2) + mu * (var_term(z1) + var_term(z2)) + nu * (cov_term(z1) + cov_term(z2))
                '''),
            "averages the two views' variance terms (the official code's / 2)": _d('''
                def vicreg_loss(z1, z2, lam=25.0, mu=25.0, nu=1.0, eps=1e-4):
                    n, d = z1.shape
                    def var_term(z):
                        return F.relu(1 - torch.sqrt(z.var(dim=0) + eps)).mean()
                    def cov_term(z):
                        zc = z - z.mean(0)
                        cov = zc.T @ zc / (n - 1)
                        return (cov.pow(2).sum() - cov.diagonal().pow(2).sum()) / d
                    return (lam * F.mse_loss(z1, z2) + mu * (var_term(z1) + var_term(z2)) / 2
                            + nu * (cov_term(z1) + cov_term(z2)))
                '''),
        },
        "right": {
            "torch.cov and an off-diagonal mask": _d('''
                def vicreg_loss(z1, z2, lam=25.0, mu=25.0, nu=1.0, eps=1e-4):
                    d = z1.shape[1]
                    off = ~torch.eye(d, dtype=torch.bool)
                    both = torch.stack([z1, z2])  # (2, N, d)
                    std = torch.sqrt(both.var(dim=1) + eps)  # (2, d)
                    variance = torch.clamp(1 - std, min=0).mean(dim=1).sum()
                    covariance = (torch.cov(z1.T)[off].pow(2).sum() + torch.cov(z2.T)[off].pow(2).sum()) / d
                    invariance = (z1 - z2).pow(2).mean()
                    return lam * invariance + mu * variance + nu * covariance
                '''),
            "einsum of centred views": _d('''
                def vicreg_loss(z1, z2, lam=25.0, mu=25.0, nu=1.0, eps=1e-4):
                    n, d = z1.shape
                    zs = torch.stack([z1, z2])
                    zc = zs - zs.mean(dim=1, keepdim=True)
                    cov = torch.einsum("vni,vnj->vij", zc, zc) / (n - 1)  # (2, d, d)
                    var = torch.diagonal(cov, dim1=1, dim2=2)
                    v = torch.where(var + eps < 1, 1 - (var + eps).sqrt(), torch.zeros_like(var)).sum() / d
                    c = (cov.pow(2).sum() - var.pow(2).sum()) / d
                    s = F.mse_loss(z1, z2, reduction="sum") / (n * d)
                    return lam * s + mu * v + nu * c
                '''),
        },
    },
}

_RUN_HEAD = '''
def vicreg_collapse_run(X, mu, steps=100, seed=0):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    encoder = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 8)).double()
    optimizer = torch.optim.Adam(encoder.parameters(), lr=1e-2)
    losses = []
    for _ in range(steps):
        batch = X[torch.randint(0, len(X), (128,), generator=gen)]
        view1 = batch * (torch.rand(batch.shape, generator=gen, dtype=batch.dtype) > 0.3)
        view2 = batch * (torch.rand(batch.shape, generator=gen, dtype=batch.dtype) > 0.3)
'''

VARIANTS["vicreg_collapse_run"] = {
    "wrong": {
        "forgets optimizer.step() (measures the untrained encoder)": _RUN_HEAD + '''\
        loss = vicreg_loss(encoder(view1), encoder(view2), mu=mu)
        optimizer.zero_grad()
        loss.backward()
        losses.append(loss.item())
    with torch.no_grad():
        std = encoder(X).std(dim=0).mean().item()
    return {"encoder": encoder, "losses": losses, "std": std}
''',
        "ignores mu (always the default variance weight)": _RUN_HEAD + '''\
        loss = vicreg_loss(encoder(view1), encoder(view2))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    with torch.no_grad():
        std = encoder(X).std(dim=0).mean().item()
    return {"encoder": encoder, "losses": losses, "std": std}
''',
        "std over the embedding dimensions instead of over the digits": _RUN_HEAD + '''\
        loss = vicreg_loss(encoder(view1), encoder(view2), mu=mu)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    with torch.no_grad():
        std = encoder(X).std(dim=1).mean().item()
    return {"encoder": encoder, "losses": losses, "std": std}
''',
        "reports the std of the last training view, not of X": _RUN_HEAD + '''\
        z1 = encoder(view1)
        loss = vicreg_loss(z1, encoder(view2), mu=mu)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return {"encoder": encoder, "losses": losses, "std": z1.detach().std(dim=0).mean().item()}
''',
    },
    "right": {
        "linear encoder, masks from torch.bernoulli": _d('''
            def vicreg_collapse_run(X, mu, steps=100, seed=0):
                torch.manual_seed(seed)
                gen = torch.Generator().manual_seed(seed)
                W = nn.Linear(64, 8).double()
                opt = torch.optim.Adam(W.parameters(), lr=1e-2)
                keep = torch.full((128, 64), 0.7, dtype=torch.float64)
                losses = []
                for step in range(steps):
                    rows = torch.randint(len(X), (128,), generator=gen)
                    xb = X[rows]
                    a = xb * torch.bernoulli(keep, generator=gen)
                    b = xb * torch.bernoulli(keep, generator=gen)
                    loss = vicreg_loss(W(a), W(b), mu=mu)
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    losses.append(float(loss))
                Z = W(X).detach()
                return dict(encoder=lambda x: W(x).detach(), losses=losses, std=float(Z.std(0).mean()))
            '''),
        "wider MLP, torch.std_mean": _d('''
            def vicreg_collapse_run(X, mu, steps=100, seed=0):
                torch.manual_seed(seed)
                g = torch.Generator().manual_seed(seed)
                net = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 8)).to(torch.float64)
                opt = torch.optim.Adam(net.parameters(), lr=0.01)
                curve = []
                for _ in range(steps):
                    x = X[torch.randint(0, X.shape[0], (128,), generator=g)]
                    masks = torch.rand((2,) + x.shape, generator=g, dtype=x.dtype) >= 0.3
                    z = net(x * masks)  # (2, 128, 8)
                    loss = vicreg_loss(z[0], z[1], mu=mu)
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    curve.append(loss.item())
                net.eval()
                with torch.no_grad():
                    std, _ = torch.std_mean(net(X), dim=0)
                return {"encoder": net, "losses": curve, "std": std.mean().item()}
            '''),
    },
}
