"""hw2: plausible wrong answers the hidden tests must reject, and correct ones written differently."""

# ---------------------------------------------------------------- Value: a correct micrograd-style class
# (recursive topological sort, a helper to wrap numbers) from which the wrong variants are derived
_VALUE = '''
class Value:
    def __init__(self, data, parents=()):
        self.data = float(data)
        self.grad = 0.0
        self._parents = tuple(parents)
        self._backward = lambda: None

    @staticmethod
    def _lift(x):
        return x if isinstance(x, Value) else Value(x)

    def __add__(self, other):
        other = Value._lift(other)
        out = Value(self.data + other.data, (self, other))

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = Value._lift(other)
        out = Value(self.data * other.data, (self, other))

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, p):
        out = Value(self.data ** p, (self,))

        def _backward():
            self.grad += p * self.data ** (p - 1) * out.grad
        out._backward = _backward
        return out

    def exp(self):
        e = math.exp(self.data)
        out = Value(e, (self,))

        def _backward():
            self.grad += e * out.grad
        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,))

        def _backward():
            self.grad += (1 - t * t) * out.grad
        out._backward = _backward
        return out

    def relu(self):
        out = Value(self.data if self.data > 0 else 0.0, (self,))

        def _backward():
            if self.data > 0:
                self.grad += out.grad
        out._backward = _backward
        return out

    def backward(self):
        topo, seen = [], set()

        def visit(v):
            if v not in seen:
                seen.add(v)
                for p in v._parents:
                    visit(p)
                topo.append(v)
        visit(self)
        for v in topo:
            v.grad = 0.0
        self.grad = 1.0
        for v in reversed(topo):
            v._backward()

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return (-self) + other

    def __truediv__(self, other):
        return self * other**-1.0

    def __rtruediv__(self, other):
        return self**-1.0 * other

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other
'''


def _value(*edits):
    """_VALUE with each (old, new) substring replaced; every old text must be there."""
    code = _VALUE
    for old, new in edits:
        assert old in code, old
        code = code.replace(old, new)
    return code


_TOPO_BACKWARD = '''        topo, seen = [], set()

        def visit(v):
            if v not in seen:
                seen.add(v)
                for p in v._parents:
                    visit(p)
                topo.append(v)
        visit(self)
        for v in topo:
            v.grad = 0.0
        self.grad = 1.0
        for v in reversed(topo):
            v._backward()
'''

VALUE_WRONG = {
    "_backward assigns instead of accumulating": _value(
        ("            self.grad += out.grad\n            other.grad += out.grad",
         "            self.grad = out.grad\n            other.grad = out.grad"),
        ("            self.grad += other.data * out.grad\n            other.grad += self.data * out.grad",
         "            self.grad = other.data * out.grad\n            other.grad = self.data * out.grad")),
    "no topological order: recursion from the output": _value((_TOPO_BACKWARD, '''        self.grad = 1.0

        def go(v):
            v._backward()
            for p in v._parents:
                go(p)
        go(self)
''')),
    "breadth-first order instead of a topological one": _value((_TOPO_BACKWARD, '''        seen, queue = {self}, [self]
        while queue:
            for p in queue.pop(0)._parents:
                if p not in seen:
                    seen.add(p)
                    queue.append(p)
        for v in seen:
            v.grad = 0.0
        self.grad = 1.0
        seen, queue = {self}, [self]
        while queue:
            v = queue.pop(0)
            v._backward()
            for p in v._parents:
                if p not in seen:
                    seen.add(p)
                    queue.append(p)
''')),
    "backward does not reset the grads first (micrograd's)": _value(
        ("        for v in topo:\n            v.grad = 0.0\n", "")),
    "tanh' from the input: 1 - x^2": _value(("            self.grad += (1 - t * t) * out.grad",
                                             "            self.grad += (1 - self.data**2) * out.grad")),
    "relu'(0) = 1": _value(("            if self.data > 0:\n                self.grad += out.grad",
                            "            if self.data >= 0:\n                self.grad += out.grad")),
    "pow's derivative p * x^p": _value(("            self.grad += p * self.data ** (p - 1) * out.grad",
                                        "            self.grad += p * self.data ** p * out.grad")),
    "exp's derivative taken as x": _value(("            self.grad += e * out.grad",
                                           "            self.grad += self.data * out.grad")),
    "numbers are not wrapped (only Value * Value works)": _value(
        ("        other = Value._lift(other)\n        out = Value(self.data * other.data",
         "        out = Value(self.data * other.data")),
}

VALUE_RIGHT = {
    "micrograd-style: recursive topological sort, a _lift helper": _VALUE,
    "Kahn's algorithm: process a node when all its users are done": _value((_TOPO_BACKWARD, '''        nodes, stack = {id(self): self}, [self]
        while stack:
            for p in stack.pop()._parents:
                if id(p) not in nodes:
                    nodes[id(p)] = p
                    stack.append(p)
        users = dict.fromkeys(nodes, 0)
        for v in nodes.values():
            for p in v._parents:
                users[id(p)] += 1
        for v in nodes.values():
            v.grad = 0.0
        self.grad = 1.0
        ready = [self]
        while ready:
            v = ready.pop()
            v._backward()
            for p in v._parents:
                users[id(p)] -= 1
                if users[id(p)] == 0:
                    ready.append(p)
''')),
}

# ---------------------------------------------------------------- optimizers
_SGD_WRONG = {
    "dampens the first step too (buffer starts at 0)": '''
def sgd_momentum_step(param, grad, state, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    g = grad + weight_decay * param
    if momentum == 0:
        return param - lr * g, {}
    buf = momentum * state.get("momentum_buffer", np.zeros_like(param)) + (1 - dampening) * g
    step = g + momentum * buf if nesterov else buf
    return param - lr * step, {"momentum_buffer": buf}
''',
    "Nesterov looks ahead with the old buffer": '''
def sgd_momentum_step(param, grad, state, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    g = grad + weight_decay * param
    if momentum == 0:
        return param - lr * g, {}
    old = state.get("momentum_buffer")
    buf = g.copy() if old is None else momentum * old + (1 - dampening) * g
    if nesterov:
        step = g + momentum * (buf if old is None else old)
    else:
        step = buf
    return param - lr * step, {"momentum_buffer": buf}
''',
    "weight decay added to the step, not to the gradient": '''
def sgd_momentum_step(param, grad, state, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    g = grad
    if momentum != 0:
        old = state.get("momentum_buffer")
        buf = g.copy() if old is None else momentum * old + (1 - dampening) * g
        g = g + momentum * buf if nesterov else buf
        return param - lr * (g + weight_decay * param), {"momentum_buffer": buf}
    return param - lr * (g + weight_decay * param), {}
''',
    "updates the buffer in place (changes the caller's state)": '''
def sgd_momentum_step(param, grad, state, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    g = grad + weight_decay * param
    if momentum == 0:
        return param - lr * g, {}
    if "momentum_buffer" in state:
        buf = state["momentum_buffer"]
        buf *= momentum
        buf += (1 - dampening) * g
    else:
        buf = g.copy()
    step = g + momentum * buf if nesterov else buf
    return param - lr * step, {"momentum_buffer": buf}
''',
    "dampening used as the gradient's weight": '''
def sgd_momentum_step(param, grad, state, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    g = grad + weight_decay * param
    if momentum == 0:
        return param - lr * g, {}
    if "momentum_buffer" in state:
        buf = momentum * state["momentum_buffer"] + (dampening if dampening else 1.0) * g
    else:
        buf = g.copy()
    step = g + momentum * buf if nesterov else buf
    return param - lr * step, {"momentum_buffer": buf}
''',
}

_SGD_RIGHT = {
    "torch ops on copies": '''
def sgd_momentum_step(param, grad, state, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    p = torch.tensor(param)
    d_p = torch.tensor(grad).add(p, alpha=weight_decay)
    new_state = {}
    if momentum:
        if state.get("momentum_buffer") is None:
            buf = d_p.clone()
        else:
            buf = torch.tensor(state["momentum_buffer"]).mul(momentum).add(d_p, alpha=1 - dampening)
        new_state["momentum_buffer"] = buf.numpy()
        d_p = d_p.add(buf, alpha=momentum) if nesterov else buf
    return p.add(d_p, alpha=-lr).numpy(), new_state
''',
    "velocity written out with np.multiply/np.add": '''
def sgd_momentum_step(param, grad, state, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    g = np.add(grad, np.multiply(weight_decay, param))
    if not momentum:
        return np.subtract(param, np.multiply(lr, g)), {}
    if "momentum_buffer" in state:
        b = np.add(np.multiply(momentum, state["momentum_buffer"]), np.multiply(1.0 - dampening, g))
    else:
        b = np.array(g, copy=True)
    direction = np.add(g, np.multiply(momentum, b)) if nesterov else b
    return np.subtract(param, np.multiply(lr, direction)), {"momentum_buffer": b}
''',
}

_RMS_WRONG = {
    "eps inside the square root": '''
def rmsprop_step(param, grad, state, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, centered=False):
    g = grad + weight_decay * param
    s = alpha * state.get("square_avg", 0.0 * param) + (1 - alpha) * g * g
    new = {"step": state.get("step", 0) + 1, "square_avg": s}
    if centered:
        ga = alpha * state.get("grad_avg", 0.0 * param) + (1 - alpha) * g
        new["grad_avg"] = ga
        return param - lr * g / np.sqrt(s - ga * ga + eps), new
    return param - lr * g / np.sqrt(s + eps), new
''',
    "square_avg starts at g^2 instead of 0": '''
def rmsprop_step(param, grad, state, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, centered=False):
    g = grad + weight_decay * param
    s = alpha * state["square_avg"] + (1 - alpha) * g * g if "square_avg" in state else g * g
    new = {"step": state.get("step", 0) + 1, "square_avg": s}
    if centered:
        ga = alpha * state["grad_avg"] + (1 - alpha) * g if "grad_avg" in state else g.copy()
        new["grad_avg"] = ga
        return param - lr * g / (np.sqrt(s - ga * ga) + eps), new
    return param - lr * g / (np.sqrt(s) + eps), new
''',
    "alpha and 1 - alpha swapped": '''
def rmsprop_step(param, grad, state, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, centered=False):
    g = grad + weight_decay * param
    s = (1 - alpha) * state.get("square_avg", 0.0 * param) + alpha * g * g
    new = {"step": state.get("step", 0) + 1, "square_avg": s}
    if centered:
        ga = (1 - alpha) * state.get("grad_avg", 0.0 * param) + alpha * g
        new["grad_avg"] = ga
        return param - lr * g / (np.sqrt(s - ga * ga) + eps), new
    return param - lr * g / (np.sqrt(s) + eps), new
''',
    "centered: uses the previous step's grad_avg": '''
def rmsprop_step(param, grad, state, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, centered=False):
    g = grad + weight_decay * param
    s = alpha * state.get("square_avg", 0.0 * param) + (1 - alpha) * g * g
    new = {"step": state.get("step", 0) + 1, "square_avg": s}
    if centered:
        old = state.get("grad_avg", 0.0 * param)
        new["grad_avg"] = alpha * old + (1 - alpha) * g
        return param - lr * g / (np.sqrt(s - old * old) + eps), new
    return param - lr * g / (np.sqrt(s) + eps), new
''',
    "weight decay left out of the squared average": '''
def rmsprop_step(param, grad, state, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, centered=False):
    s = alpha * state.get("square_avg", 0.0 * param) + (1 - alpha) * grad * grad
    g = grad + weight_decay * param
    new = {"step": state.get("step", 0) + 1, "square_avg": s}
    if centered:
        ga = alpha * state.get("grad_avg", 0.0 * param) + (1 - alpha) * grad
        new["grad_avg"] = ga
        return param - lr * g / (np.sqrt(s - ga * ga) + eps), new
    return param - lr * g / (np.sqrt(s) + eps), new
''',
    "updates the running averages in place": '''
def rmsprop_step(param, grad, state, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, centered=False):
    g = grad + weight_decay * param
    s = state.get("square_avg", np.zeros_like(param))
    s *= alpha
    s += (1 - alpha) * g * g
    new = {"step": state.get("step", 0) + 1, "square_avg": s}
    if centered:
        ga = state.get("grad_avg", np.zeros_like(param))
        ga *= alpha
        ga += (1 - alpha) * g
        new["grad_avg"] = ga
        return param - lr * g / (np.sqrt(s - ga * ga) + eps), new
    return param - lr * g / (np.sqrt(s) + eps), new
''',
}

_RMS_RIGHT = {
    "** 0.5, np.divide and a copied dict": '''
def rmsprop_step(param, grad, state, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, centered=False):
    new = dict(state)
    g = grad + param * weight_decay
    new["step"] = new.get("step", 0) + 1
    new["square_avg"] = new.get("square_avg", 0.0) * alpha + (1.0 - alpha) * g**2
    var = new["square_avg"]
    if centered:
        new["grad_avg"] = new.get("grad_avg", 0.0) * alpha + (1.0 - alpha) * g
        var = var - new["grad_avg"] ** 2
    return param - np.divide(lr * g, var**0.5 + eps), new
''',
    "torch ops, like torch.optim.RMSprop": '''
def rmsprop_step(param, grad, state, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, centered=False):
    p, g = torch.tensor(param), torch.tensor(grad)
    g = g.add(p, alpha=weight_decay)
    sq = torch.tensor(state["square_avg"]) if "square_avg" in state else torch.zeros_like(p)
    sq = sq.mul(alpha).addcmul(g, g, value=1 - alpha)
    new = {"step": state.get("step", 0) + 1, "square_avg": sq.numpy()}
    if centered:
        ga = torch.tensor(state["grad_avg"]) if "grad_avg" in state else torch.zeros_like(p)
        ga = ga.mul(alpha).add(g, alpha=1 - alpha)
        new["grad_avg"] = ga.numpy()
        avg = sq.addcmul(ga, ga, value=-1).sqrt().add(eps)
    else:
        avg = sq.sqrt().add(eps)
    return p.addcdiv(g, avg, value=-lr).numpy(), new
''',
}

_ADAM_HEAD = '''
def adam_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
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
_ADAM_RETURN = '''    return param - lr * m_hat / (np.sqrt(v_hat) + eps), {"step": t, "exp_avg": m, "exp_avg_sq": v}
'''
_ADAM_HAT = '''    m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
'''

_ADAM_WRONG = {
    "no bias correction": _ADAM_HEAD + _ADAM_DECAY + _ADAM_MOMENTS + "    m_hat, v_hat = m, v\n" + _ADAM_RETURN,
    "eps inside the square root": _ADAM_HEAD + _ADAM_DECAY + _ADAM_MOMENTS + _ADAM_HAT
    + '    return param - lr * m_hat / np.sqrt(v_hat + eps), {"step": t, "exp_avg": m, "exp_avg_sq": v}\n',
    "bias correction one step ahead (1 - beta^(t+1))": _ADAM_HEAD + _ADAM_DECAY + _ADAM_MOMENTS
    + "    m_hat, v_hat = m / (1 - b1 ** (t + 1)), v / (1 - b2 ** (t + 1))\n" + _ADAM_RETURN,
    "AdamW shrinks by weight_decay, forgetting the lr": _ADAM_HEAD + _ADAM_DECAY.replace(
        "(1 - lr * weight_decay)", "(1 - weight_decay)") + _ADAM_MOMENTS + _ADAM_HAT + _ADAM_RETURN,
    "decoupled ignored: AdamW done as an L2 penalty": _ADAM_HEAD + "    g = grad + weight_decay * param\n"
    + _ADAM_MOMENTS + _ADAM_HAT + _ADAM_RETURN,
    "bias-corrects m only": _ADAM_HEAD + _ADAM_DECAY + _ADAM_MOMENTS + "    m_hat, v_hat = m / (1 - b1**t), v\n"
    + _ADAM_RETURN,
    "updates the moments in place": _ADAM_HEAD + _ADAM_DECAY + '''    m = state.get("exp_avg", np.zeros_like(param))
    v = state.get("exp_avg_sq", np.zeros_like(param))
    m *= b1
    m += (1 - b1) * g
    v *= b2
    v += (1 - b2) * g * g
''' + _ADAM_HAT + _ADAM_RETURN,
}

_ADAM_RIGHT = {
    "PyTorch's arrangement: step size lr / bc1, denominator sqrt(v) / sqrt(bc2) + eps": '''
def adam_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
    beta1, beta2 = betas
    step = state.get("step", 0) + 1
    if decoupled:
        param = param * (1 - lr * weight_decay)
    elif weight_decay:
        grad = grad + weight_decay * param
    exp_avg = state.get("exp_avg", np.zeros_like(param)) * beta1 + grad * (1 - beta1)
    exp_avg_sq = state.get("exp_avg_sq", np.zeros_like(param)) * beta2 + grad * grad * (1 - beta2)
    bias_correction1 = 1 - beta1**step
    bias_correction2_sqrt = math.sqrt(1 - beta2**step)
    step_size = lr / bias_correction1
    denom = np.sqrt(exp_avg_sq) / bias_correction2_sqrt + eps
    return param - step_size * exp_avg / denom, {"step": step, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}
''',
    "torch ops (lerp for the averages)": '''
def adam_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
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
    m_hat = m / (1 - betas[0] ** t)
    v_hat = v / (1 - betas[1] ** t)
    new_p = p - lr * m_hat / (v_hat.sqrt() + eps)
    return new_p.numpy(), {"step": t, "exp_avg": m.numpy(), "exp_avg_sq": v.numpy()}
''',
}

_LR_WRONG = {
    "warmup starts at 0 (t / W)": '''
def warmup_cosine_lr(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * step / warmup_steps
    if step >= total_steps:
        return min_lr
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + 0.5 * (base_lr - min_lr) * (1 + math.cos(math.pi * progress))
''',
    "cosine progress counted from step 0 over T steps": '''
def warmup_cosine_lr(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    if step >= total_steps:
        return min_lr
    return min_lr + 0.5 * (base_lr - min_lr) * (1 + math.cos(math.pi * step / total_steps))
''',
    "floor added on top of the full cosine": '''
def warmup_cosine_lr(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    if step >= total_steps:
        return min_lr
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + 0.5 * base_lr * (1 + math.cos(math.pi * progress))
''',
    "no floor after T (the cosine comes back up)": '''
def warmup_cosine_lr(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + 0.5 * (base_lr - min_lr) * (1 + math.cos(math.pi * progress))
''',
    "quarter cosine: cos(pi/2 * progress)": '''
def warmup_cosine_lr(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    if step >= total_steps:
        return min_lr
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + (base_lr - min_lr) * math.cos(0.5 * math.pi * progress)
''',
}

_LR_RIGHT = {
    "cos^2 form with clipping": '''
def warmup_cosine_lr(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    warm = min((step + 1) / warmup_steps, 1.0) if warmup_steps > 0 else 1.0
    if warm < 1.0:
        return float(base_lr * warm)
    progress = min(max((step - warmup_steps) / (total_steps - warmup_steps), 0.0), 1.0)
    return float(min_lr + (base_lr - min_lr) * math.cos(0.5 * math.pi * progress) ** 2)
''',
    "numpy, one expression per regime": '''
def warmup_cosine_lr(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    regimes = [step < warmup_steps, step >= total_steps]
    if regimes[0]:
        return float(np.multiply(base_lr, step + 1) / warmup_steps)
    if regimes[1]:
        return float(min_lr)
    angle = np.pi * (step - warmup_steps) / (total_steps - warmup_steps)
    return float((base_lr + min_lr) / 2 + (base_lr - min_lr) / 2 * np.cos(angle))
''',
}

VARIANTS = {
    "sgd_momentum_step": {"wrong": _SGD_WRONG, "right": _SGD_RIGHT},
    "rmsprop_step": {"wrong": _RMS_WRONG, "right": _RMS_RIGHT},
    "adam_step": {"wrong": _ADAM_WRONG, "right": _ADAM_RIGHT},
    "warmup_cosine_lr": {"wrong": _LR_WRONG, "right": _LR_RIGHT},
    "Value": {"wrong": VALUE_WRONG, "right": VALUE_RIGHT},
}
