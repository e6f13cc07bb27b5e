"""hw6: plausible wrong answers the hidden tests must reject, and correct ones written differently."""

from textwrap import dedent as _d

VARIANTS = {
    "nt_xent": {
        "wrong": {
            "no L2 normalization (raw dot products)": _d('''
                def nt_xent(z1, z2, tau=0.5):
                    n = z1.shape[0]
                    z = torch.cat([z1, z2])
                    logits = (z @ z.T / tau).masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
                    return F.cross_entropy(logits, torch.cat([torch.arange(n, 2 * n), torch.arange(n)]))
                '''),
            "self-similarity left in the denominator": _d('''
                def nt_xent(z1, z2, tau=0.5):
                    n = z1.shape[0]
                    z = F.normalize(torch.cat([z1, z2]), dim=1)
                    logits = z @ z.T / tau
                    return F.cross_entropy(logits, torch.cat([torch.arange(n, 2 * n), torch.arange(n)]))
                '''),
            "diagonal set to 0 instead of -inf": _d('''
                def nt_xent(z1, z2, tau=0.5):
                    n = z1.shape[0]
                    z = F.normalize(torch.cat([z1, z2]), dim=1)
                    logits = (z @ z.T / tau) * (1 - torch.eye(2 * n, dtype=z.dtype))
                    return F.cross_entropy(logits, torch.cat([torch.arange(n, 2 * n), torch.arange(n)]))
                '''),
            "only the first view's anchors": _d('''
                def nt_xent(z1, z2, tau=0.5):
                    n = z1.shape[0]
                    z = F.normalize(torch.cat([z1, z2]), dim=1)
                    logits = (z @ z.T / tau).masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
                    return F.cross_entropy(logits[:n], torch.arange(n, 2 * n))
                '''),
            "multiplies by the temperature": _d('''
                def nt_xent(z1, z2, tau=0.5):
                    n = z1.shape[0]
                    z = F.normalize(torch.cat([z1, z2]), dim=1)
                    logits = (z @ z.T * tau).masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
                    return F.cross_entropy(logits, torch.cat([torch.arange(n, 2 * n), torch.arange(n)]))
                '''),
            "exponentiates directly (overflows for small tau)": _d('''
                def nt_xent(z1, z2, tau=0.5):
                    n = z1.shape[0]
                    z = F.normalize(torch.cat([z1, z2]), dim=1)
                    e = torch.exp(z @ z.T / tau) * (1 - torch.eye(2 * n, dtype=z.dtype))
                    pos = e[torch.arange(2 * n), torch.cat([torch.arange(n, 2 * n), torch.arange(n)])]
                    return -torch.log(pos / e.sum(dim=1)).mean()
                '''),
            "a Python loop over anchors (correct, but not vectorized)": _d('''
                def nt_xent(z1, z2, tau=0.5):
                    n = z1.shape[0]
                    z = F.normalize(torch.cat([z1, z2]), dim=1)
                    losses = []
                    for i in range(2 * n):
                        s = z @ z[i] / tau
                        s = torch.cat([s[:i], s[i + 1:]])
                        j = (i + n) % (2 * n)
                        losses.append(torch.logsumexp(s, 0) - z[i] @ z[j] / tau)
                    return torch.stack(losses).mean()
                '''),
            "normalizes the inputs in place": _d('''
                def nt_xent(z1, z2, tau=0.5):
                    n = z1.shape[0]
                    z1 /= z1.norm(dim=1, keepdim=True)
                    z2 /= z2.norm(dim=1, keepdim=True)
                    z = torch.cat([z1, z2])
                    logits = (z @ z.T / tau).masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
                    return F.cross_entropy(logits, torch.cat([torch.arange(n, 2 * n), torch.arange(n)]))
                '''),
        },
        "right": {
            "explicit logsumexp with torch.where": _d('''
                def nt_xent(z1, z2, tau=0.5):
                    n = z1.shape[0]
                    z = torch.cat([z1, z2])
                    z = z / z.norm(dim=1, keepdim=True)
                    s = z @ z.T / tau
                    s = torch.where(torch.eye(2 * n, dtype=torch.bool), torch.full_like(s, -float("inf")), s)
                    pos = torch.cat([torch.diagonal(s, n), torch.diagonal(s, -n)])
                    return (torch.logsumexp(s, dim=1) - pos).mean()
                '''),
            "block-wise: cross-view and within-view similarities": _d('''
                def nt_xent(z1, z2, tau=0.5):
                    a, b = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
                    n = a.shape[0]
                    mask = torch.eye(n, dtype=torch.bool)
                    ab = a @ b.T / tau
                    aa = (a @ a.T / tau).masked_fill(mask, float("-inf"))
                    bb = (b @ b.T / tau).masked_fill(mask, float("-inf"))
                    target = torch.arange(n)
                    loss_a = F.cross_entropy(torch.cat([ab, aa], dim=1), target)
                    loss_b = F.cross_entropy(torch.cat([ab.T, bb], dim=1), target)
                    return (loss_a + loss_b) / 2
                '''),
        },
    },
    "discounted_returns": {
        "wrong": {
            "accumulates forward in time": _d('''
                def discounted_returns(rewards, gamma, dones=None):
                    out = torch.empty_like(rewards)
                    running = 0.0
                    for t in range(rewards.shape[0]):
                        running = rewards[t] + gamma * running
                        out[t] = running
                        if dones is not None and dones[t]:
                            running = 0.0
                    return out
                '''),
            "leaves out the current reward": _d('''
                def discounted_returns(rewards, gamma, dones=None):
                    out = torch.empty_like(rewards)
                    running = 0.0
                    for t in reversed(range(rewards.shape[0])):
                        if dones is not None and dones[t]:
                            running = 0.0
                        out[t] = gamma * running
                        running = rewards[t] + gamma * running
                    return out
                '''),
            "ignores dones": _d('''
                def discounted_returns(rewards, gamma, dones=None):
                    out = torch.empty_like(rewards)
                    running = 0.0
                    for t in reversed(range(rewards.shape[0])):
                        running = rewards[t] + gamma * running
                        out[t] = running
                    return out
                '''),
            "accumulates into rewards in place": _d('''
                def discounted_returns(rewards, gamma, dones=None):
                    for t in reversed(range(rewards.shape[0] - 1)):
                        if dones is None or not dones[t]:
                            rewards[t] += gamma * rewards[t + 1]
                    return rewards
                '''),
            "discount not restarted at t (gamma^k instead of gamma^(k - t))": _d('''
                def discounted_returns(rewards, gamma, dones=None):
                    out = torch.empty_like(rewards)
                    running = 0.0
                    for t in reversed(range(rewards.shape[0])):
                        if dones is not None and dones[t]:
                            running = 0.0
                        running = running + gamma ** t * rewards[t]
                        out[t] = running
                    return out
                '''),
            "resets one step late (done read as 'a new episode starts here')": _d('''
                def discounted_returns(rewards, gamma, dones=None):
                    out = torch.empty_like(rewards)
                    running = 0.0
                    for t in reversed(range(rewards.shape[0])):
                        running = rewards[t] + gamma * running
                        out[t] = running
                        if dones is not None and dones[t]:
                            running = 0.0
                    return out
                '''),
            "returns float64 whatever the input dtype": _d('''
                def discounted_returns(rewards, gamma, dones=None):
                    out = torch.zeros(rewards.shape[0], dtype=torch.float64)
                    running = 0.0
                    for t in reversed(range(rewards.shape[0])):
                        if dones is not None and dones[t]:
                            running = 0.0
                        running = float(rewards[t]) + gamma * running
                        out[t] = running
                    return out
                '''),
        },
        "right": {
            "vectorized: discount matrix masked by episode": _d('''
                def discounted_returns(rewards, gamma, dones=None):
                    T = rewards.shape[0]
                    if dones is None:
                        dones = torch.zeros(T, dtype=torch.bool)
                    episode = torch.cat([torch.zeros(1, dtype=torch.long), torch.cumsum(dones.long(), 0)[:-1]])
                    t = torch.arange(T)
                    lag = (t[None, :] - t[:, None]).to(rewards.dtype)
                    mask = (lag >= 0) & (episode[None, :] == episode[:, None])
                    M = torch.where(mask, torch.tensor(gamma, dtype=rewards.dtype) ** lag.clamp(min=0),
                                    torch.zeros((), dtype=rewards.dtype))
                    return M @ rewards
                '''),
            "Python floats, then one tensor": _d('''
                def discounted_returns(rewards, gamma, dones=None):
                    r = rewards.tolist()
                    d = [False] * len(r) if dones is None else dones.tolist()
                    out, g = [], 0.0
                    for rt, dt in zip(reversed(r), reversed(d)):
                        g = rt + gamma * g * (not dt)
                        out.append(g)
                    return torch.tensor(out[::-1], dtype=rewards.dtype)
                '''),
        },
    },
    "reinforce_loss": {
        "wrong": {
            "sign flipped (the objective, not the loss)": _d('''
                def reinforce_loss(log_probs, returns, baseline=None):
                    adv = returns if baseline is None else returns - baseline
                    return (adv.detach() * log_probs).mean()
                '''),
            "sum over steps instead of mean": _d('''
                def reinforce_loss(log_probs, returns, baseline=None):
                    adv = returns if baseline is None else returns - baseline
                    return -(adv.detach() * log_probs).sum()
                '''),
            "baseline not detached (gradient leaks into the critic)": _d('''
                def reinforce_loss(log_probs, returns, baseline=None):
                    adv = returns if baseline is None else returns - baseline
                    return -(adv * log_probs).mean()
                '''),
            "adds the baseline": _d('''
                def reinforce_loss(log_probs, returns, baseline=None):
                    adv = returns if baseline is None else returns + baseline
                    return -(adv.detach() * log_probs).mean()
                '''),
            "standardizes the advantages": _d('''
                def reinforce_loss(log_probs, returns, baseline=None):
                    adv = (returns if baseline is None else returns - baseline).detach()
                    adv = (adv - adv.mean()) / (adv.std() + 1e-8)
                    return -(adv * log_probs).mean()
                '''),
            "ignores the baseline": _d('''
                def reinforce_loss(log_probs, returns, baseline=None):
                    return -(returns.detach() * log_probs).mean()
                '''),
        },
        "right": {
            "advantages under torch.no_grad, a dot product": _d('''
                def reinforce_loss(log_probs, returns, baseline=None):
                    with torch.no_grad():
                        adv = returns - (0.0 if baseline is None else baseline)
                        adv = adv * torch.ones_like(log_probs)
                    return -torch.dot(adv, log_probs) / log_probs.numel()
                '''),
            "sum divided by the length": _d('''
                def reinforce_loss(log_probs, returns, baseline=None):
                    b = 0.0 if baseline is None else torch.as_tensor(baseline, dtype=returns.dtype).detach()
                    return -((returns.detach() - b) * log_probs).sum() / len(log_probs)
                '''),
        },
    },
    "dqn_targets": {
        "wrong": {
            "forgets (1 - done) at terminal states": _d('''
                def dqn_targets(rewards, next_states, dones, q_target, gamma, q_online=None):
                    with torch.no_grad():
                        q = q_target(next_states)
                        if q_online is None:
                            v = q.max(dim=1).values
                        else:
                            v = q.gather(1, q_online(next_states).argmax(1, keepdim=True)).squeeze(1)
                        return rewards + gamma * v
                '''),
            "multiplies by done instead of (1 - done)": _d('''
                def dqn_targets(rewards, next_states, dones, q_target, gamma, q_online=None):
                    with torch.no_grad():
                        q = q_target(next_states)
                        if q_online is None:
                            v = q.max(dim=1).values
                        else:
                            v = q.gather(1, q_online(next_states).argmax(1, keepdim=True)).squeeze(1)
                        return rewards + gamma * dones.to(v.dtype) * v
                '''),
            "no torch.no_grad (gradient flows into the networks)": _d('''
                def dqn_targets(rewards, next_states, dones, q_target, gamma, q_online=None):
                    q = q_target(next_states)
                    if q_online is None:
                        v = q.max(dim=1).values
                    else:
                        v = q.gather(1, q_online(next_states).argmax(1, keepdim=True)).squeeze(1)
                    return rewards + gamma * (~dones).to(v.dtype) * v
                '''),
            "Double DQN evaluates a* with the online network": _d('''
                def dqn_targets(rewards, next_states, dones, q_target, gamma, q_online=None):
                    with torch.no_grad():
                        if q_online is None:
                            v = q_target(next_states).max(dim=1).values
                        else:
                            v = q_online(next_states).max(dim=1).values
                        return rewards + gamma * (~dones).to(v.dtype) * v
                '''),
            "Double DQN picks a* with the target network too": _d('''
                def dqn_targets(rewards, next_states, dones, q_target, gamma, q_online=None):
                    with torch.no_grad():
                        q = q_target(next_states)
                        v = q.gather(1, q.argmax(1, keepdim=True)).squeeze(1)
                        return rewards + gamma * (~dones).to(v.dtype) * v
                '''),
            "Double DQN with the roles swapped": _d('''
                def dqn_targets(rewards, next_states, dones, q_target, gamma, q_online=None):
                    with torch.no_grad():
                        q = q_target(next_states)
                        if q_online is None:
                            v = q.max(dim=1).values
                        else:
                            v = q_online(next_states).gather(1, q.argmax(1, keepdim=True)).squeeze(1)
                        return rewards + gamma * (~dones).to(v.dtype) * v
                '''),
        },
        "right": {
            "torch.where on dones, detach instead of no_grad": _d('''
                def dqn_targets(rewards, next_states, dones, q_target, gamma, q_online=None):
                    q = q_target(next_states).detach()
                    if q_online is None:
                        v = q.amax(dim=-1)
                    else:
                        a = q_online(next_states).detach().argmax(dim=-1)
                        v = q[torch.arange(q.shape[0]), a]
                    return torch.where(dones, rewards, rewards + gamma * v)
                '''),
            "one-hot mask for the chosen action": _d('''
                def dqn_targets(rewards, next_states, dones, q_target, gamma, q_online=None):
                    with torch.no_grad():
                        q = q_target(next_states)
                        chooser = q if q_online is None else q_online(next_states)
                        onehot = F.one_hot(chooser.argmax(dim=1), q.shape[1]).to(q.dtype)
                        v = (q * onehot).sum(dim=1)
                        return rewards + gamma * (1.0 - dones.float()).to(q.dtype) * v
                '''),
        },
    },
    "dqn_loss": {
        "wrong": {
            "mean squared error instead of Huber": _d('''
                def dqn_loss(q_net, states, actions, targets):
                    q = q_net(states).gather(1, actions[:, None]).squeeze(1)
                    return F.mse_loss(q, targets)
                '''),
            "forgets to squeeze: (B, 1) against (B,)": _d('''
                def dqn_loss(q_net, states, actions, targets):
                    q = q_net(states).gather(1, actions[:, None])
                    return F.smooth_l1_loss(q, targets.expand(q.shape[0], -1))
                '''),
            "max over actions instead of the action taken": _d('''
                def dqn_loss(q_net, states, actions, targets):
                    q = q_net(states).max(dim=1).values
                    return F.smooth_l1_loss(q, targets)
                '''),
            "gathers along the batch axis": _d('''
                def dqn_loss(q_net, states, actions, targets):
                    q = q_net(states).gather(0, actions[:, None]).squeeze(1)
                    return F.smooth_l1_loss(q, targets)
                '''),
            "indexes q[:, actions] (a (B, B) matrix)": _d('''
                def dqn_loss(q_net, states, actions, targets):
                    q = q_net(states)[:, actions]
                    return F.smooth_l1_loss(q, targets.expand_as(q))
                '''),
            "L1 loss": _d('''
                def dqn_loss(q_net, states, actions, targets):
                    q = q_net(states).gather(1, actions[:, None]).squeeze(1)
                    return F.l1_loss(q, targets)
                '''),
        },
        "right": {
            "advanced indexing and Huber written out": _d('''
                def dqn_loss(q_net, states, actions, targets):
                    q = q_net(states)[torch.arange(states.shape[0]), actions]
                    u = (q - targets).abs()
                    return torch.where(u <= 1, 0.5 * u ** 2, u - 0.5).mean()
                '''),
            "one-hot selection and F.huber_loss": _d('''
                def dqn_loss(q_net, states, actions, targets):
                    q_all = q_net(states)
                    q = (q_all * F.one_hot(actions, q_all.shape[1]).to(q_all.dtype)).sum(dim=1)
                    return F.huber_loss(q, targets, delta=1.0)
                '''),
        },
    },
}
