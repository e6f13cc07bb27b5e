"""hw3: plausible wrong answers the hidden tests must reject, and correct ones written differently."""

# ---------------------------------------------------------------- conv2d_backward
_BWD_HEAD = '''def conv2d_backward(dY, X, W, stride=1, padding=0):
    dY, X, W = (np.asarray(a, dtype=float) for a in (dY, X, W))
    N, C, H, Wd = X.shape
    O, _, kh, kw = W.shape
    _, _, Ho, Wo = dY.shape
    s, p = stride, padding
    Xp = np.pad(X, ((0, 0), (0, 0), (p, p), (p, p)))
    dXp = np.zeros_like(Xp)
    dW = np.zeros_like(W)
'''
_BWD_LOOP = '''    for u in range(kh):
        for v in range(kw):
            r, q = slice(u, u + s * (Ho - 1) + 1, s), slice(v, v + s * (Wo - 1) + 1, s)
            dW[:, :, u, v] = np.einsum("nohw,nchw->oc", dY, Xp[:, :, r, q])
            dXp[:, :, r, q] {op} np.einsum("nohw,oc->nchw", dY, W[:, :, u, v])
'''

CONV_BACKWARD_WRONG = {
    "assigns instead of accumulating overlapping windows": _BWD_HEAD + _BWD_LOOP.format(op="=") + '''
    return dXp[:, :, p:p + H, p:p + Wd], dW, dY.sum(axis=(0, 2, 3))
''',
    "averages dW and db over the batch": _BWD_HEAD + _BWD_LOOP.format(op="+=") + '''
    return dXp[:, :, p:p + H, p:p + Wd], dW / N, dY.sum(axis=(0, 2, 3)) / N
''',
    "forgets to crop the padding from dX": _BWD_HEAD + _BWD_LOOP.format(op="+=") + '''
    return dXp, dW, dY.sum(axis=(0, 2, 3))
''',
    "db sums over the batch only": _BWD_HEAD + _BWD_LOOP.format(op="+=") + '''
    return dXp[:, :, p:p + H, p:p + Wd], dW, dY.sum(axis=0)
''',
    "dX as a full convolution with the flipped kernel, ignoring the stride": _BWD_HEAD + '''    for u in range(kh):
        for v in range(kw):
            r, q = slice(u, u + s * (Ho - 1) + 1, s), slice(v, v + s * (Wo - 1) + 1, s)
            dW[:, :, u, v] = np.einsum("nohw,nchw->oc", dY, Xp[:, :, r, q])
    dY_pad = np.pad(dY, ((0, 0), (0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1)))
    full = conv2d_forward(dY_pad, W[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
    dXp[:, :, :full.shape[2], :full.shape[3]] = full[:, :, :dXp.shape[2], :dXp.shape[3]]
    return dXp[:, :, p:p + H, p:p + Wd], dW, dY.sum(axis=(0, 2, 3))
''',
}

CONV_BACKWARD_RIGHT = {
    "transposed convolution of the dilated dY, and dW as a correlation": _BWD_HEAD + '''    dY_dil = np.zeros((N, O, (Ho - 1) * s + 1, (Wo - 1) * s + 1))
    dY_dil[:, :, ::s, ::s] = dY
    dY_pad = np.pad(dY_dil, ((0, 0), (0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1)))
    full = conv2d_forward(dY_pad, W[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))  # (N, C, (Ho-1)s + kh, ...)
    dXp[:, :, :full.shape[2], :full.shape[3]] = full
    corr = conv2d_forward(Xp.transpose(1, 0, 2, 3), dY_dil.transpose(1, 0, 2, 3))  # (C, O, ., .)
    dW = corr[:, :, :kh, :kw].transpose(1, 0, 2, 3)
    return dXp[:, :, p:p + H, p:p + Wd], dW, dY.sum(axis=(0, 2, 3))
''',
    "one output pixel at a time": _BWD_HEAD + '''    for i in range(Ho):
        for j in range(Wo):
            window = Xp[:, :, s * i:s * i + kh, s * j:s * j + kw]
            dW += np.einsum("no,nckl->ockl", dY[:, :, i, j], window)
            dXp[:, :, s * i:s * i + kh, s * j:s * j + kw] += np.einsum("no,ockl->nckl", dY[:, :, i, j], W)
    db = np.array([dY[:, o].sum() for o in range(O)])
    return dXp[:, :, p:p + H, p:p + Wd], dW, db
''',
    "torch autograd": '''def conv2d_backward(dY, X, W, stride=1, padding=0):
    X_t = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    W_t = torch.tensor(W, dtype=torch.float64, requires_grad=True)
    b_t = torch.zeros(W_t.shape[0], dtype=torch.float64, requires_grad=True)
    Y = F.conv2d(X_t, W_t, b_t, stride=stride, padding=padding)
    Y.backward(torch.as_tensor(dY, dtype=torch.float64))
    return X_t.grad.numpy(), W_t.grad.numpy(), b_t.grad.numpy()
''',
}

# ---------------------------------------------------------------- maxpool2d_backward
_PB_HEAD = '''def maxpool2d_backward(dY, X, k, stride=None):
    dY = np.asarray(dY, dtype=float)
    X = np.asarray(X, dtype=float)
    s = k if stride is None else stride
    N, C, Ho, Wo = dY.shape
    dX = np.zeros_like(X)
'''

MAXPOOL_BACKWARD_WRONG = {
    "overwrites instead of accumulating overlapping windows": _PB_HEAD + '''    for i in range(Ho):
        for j in range(Wo):
            window = X[:, :, s * i:s * i + k, s * j:s * j + k].reshape(N, C, k * k)
            routed = np.zeros((N, C, k * k))
            np.put_along_axis(routed, window.argmax(axis=2)[..., None], dY[:, :, i, j][..., None], axis=2)
            dX[:, :, s * i:s * i + k, s * j:s * j + k] = routed.reshape(N, C, k, k)
    return dX
''',
    "sends the gradient to every tied maximum": _PB_HEAD + '''    for i in range(Ho):
        for j in range(Wo):
            window = X[:, :, s * i:s * i + k, s * j:s * j + k]
            mask = window == window.max(axis=(2, 3), keepdims=True)
            dX[:, :, s * i:s * i + k, s * j:s * j + k] += mask * dY[:, :, i, j][:, :, None, None]
    return dX
''',
    "spreads the gradient evenly (average-pool backward)": _PB_HEAD + '''    for i in range(Ho):
        for j in range(Wo):
            dX[:, :, s * i:s * i + k, s * j:s * j + k] += dY[:, :, i, j][:, :, None, None] / (k * k)
    return dX
''',
    "swaps row and column of the argmax": _PB_HEAD + '''    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    window = X[n, c, s * i:s * i + k, s * j:s * j + k]
                    col, row = divmod(int(window.argmax()), k)
                    dX[n, c, s * i + row, s * j + col] += dY[n, c, i, j]
    return dX
''',
}

MAXPOOL_BACKWARD_RIGHT = {
    "unravel_index per window": _PB_HEAD + '''    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    window = X[n, c, s * i:s * i + k, s * j:s * j + k]
                    u, v = np.unravel_index(np.argmax(window), window.shape)
                    dX[n, c, s * i + u, s * j + v] += dY[n, c, i, j]
    return dX
''',
    "torch autograd": '''def maxpool2d_backward(dY, X, k, stride=None):
    X_t = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    F.max_pool2d(X_t, k, stride=stride).backward(torch.as_tensor(dY, dtype=torch.float64))
    return X_t.grad.numpy()
''',
    "vectorized with np.add.at": _PB_HEAD + '''    windows = np.lib.stride_tricks.sliding_window_view(X, (k, k), axis=(2, 3))[:, :, ::s, ::s][:, :, :Ho, :Wo]
    first = windows.reshape(N, C, Ho, Wo, k * k).argmax(axis=-1)
    n, c, i, j = np.indices((N, C, Ho, Wo))
    np.add.at(dX, (n, c, s * i + first // k, s * j + first % k), dY)
    return dX
''',
}

# ---------------------------------------------------------------- blur_pool
_BLUR_KERNEL = '''    C = X.shape[1]
    b = torch.tensor([1.0, 2.0, 1.0], dtype=X.dtype)
    kernel = (b[:, None] * b[None, :] / {norm}).expand(C, 1, 3, 3)
'''

BLUR_POOL_WRONG = {
    "zero padding instead of circular": '''def blur_pool(X):
''' + _BLUR_KERNEL.format(norm=16) + '''    return F.conv2d(X, kernel, padding=1, groups=C)[:, :, ::2, ::2]
''',
    "subsamples first, then blurs": '''def blur_pool(X):
''' + _BLUR_KERNEL.format(norm=16) + '''    X = X[:, :, ::2, ::2]
    return F.conv2d(F.pad(X, (1, 1, 1, 1), mode="circular"), kernel, groups=C)
''',
    "filter not normalized (sums to 4)": '''def blur_pool(X):
''' + _BLUR_KERNEL.format(norm=4) + '''    return F.conv2d(F.pad(X, (1, 1, 1, 1), mode="circular"), kernel, groups=C)[:, :, ::2, ::2]
''',
    "keeps the odd rows and columns": '''def blur_pool(X):
''' + _BLUR_KERNEL.format(norm=16) + '''    return F.conv2d(F.pad(X, (1, 1, 1, 1), mode="circular"), kernel, groups=C)[:, :, 1::2, 1::2]
''',
    "blurs along the width only": '''def blur_pool(X):
    X = (torch.roll(X, 1, dims=3) + 2 * X + torch.roll(X, -1, dims=3)) / 4
    return X[:, :, ::2, ::2]
''',
}

BLUR_POOL_RIGHT = {
    "two 1-D blurs with torch.roll": '''def blur_pool(X):
    for d in (2, 3):
        X = 0.25 * torch.roll(X, 1, dims=d) + 0.5 * X + 0.25 * torch.roll(X, -1, dims=d)
    return X[:, :, ::2, ::2]
''',
    "nine weighted shifts, evaluated only at the kept pixels": '''def blur_pool(X):
    out = torch.zeros_like(X[:, :, ::2, ::2])
    weights = {-1: 1.0, 0: 2.0, 1: 1.0}
    for du, wu in weights.items():
        for dv, wv in weights.items():
            out = out + wu * wv / 16 * torch.roll(X, (du, dv), dims=(2, 3))[:, :, ::2, ::2]
    return out
''',
}

# ---------------------------------------------------------------- shift_consistency
_SC_HEAD = '''def shift_consistency(downsample, X, max_shift=8, seed=0):
    features = make_shift_net(downsample, seed)
    with torch.no_grad():
        Z = features(X)
'''

SHIFT_WRONG = {
    "torch.roll without dims (rolls the flattened tensor)": _SC_HEAD + '''        curve = [F.cosine_similarity(Z, features(torch.roll(X, d)), dim=1).mean().item() for d in range(max_shift + 1)]
    return np.array(curve)
''',
    "shifts with zero fill instead of circularly": _SC_HEAD + '''        curve = []
        for d in range(max_shift + 1):
            shifted = F.pad(X, (d, 0, 0, 0))[:, :, :, :X.shape[3]]
            curve.append(F.cosine_similarity(Z, features(shifted), dim=1).mean().item())
    return np.array(curve)
''',
    "ignores the seed (always the seed-0 network)": '''def shift_consistency(downsample, X, max_shift=8, seed=0):
    features = make_shift_net(downsample)
    with torch.no_grad():
        Z = features(X)
        curve = [F.cosine_similarity(Z, features(torch.roll(X, d, dims=3)), dim=1).mean().item() for d in range(max_shift + 1)]
    return np.array(curve)
''',
    "cosine along the batch dimension": _SC_HEAD + '''        curve = [F.cosine_similarity(Z, features(torch.roll(X, d, dims=3)), dim=0).mean().item() for d in range(max_shift + 1)]
    return np.array(curve)
''',
    "shifts down (height) instead of right": _SC_HEAD + '''        curve = [F.cosine_similarity(Z, features(torch.roll(X, d, dims=2)), dim=1).mean().item() for d in range(max_shift + 1)]
    return np.array(curve)
''',
    "returns the curve it expects instead of measuring": '''def shift_consistency(downsample, X, max_shift=8, seed=0):
    period = [1.0, 0.87, 0.82, 0.86] if downsample is strided_downsample else [1.0, 0.99, 0.985, 0.99]
    return np.array([period[d % 4] for d in range(max_shift + 1)])
''',
}

SHIFT_RIGHT = {
    "normalize, then a row-wise dot product in NumPy": '''def shift_consistency(downsample, X, max_shift=8, seed=0):
    net = make_shift_net(downsample, seed=seed)

    def unit(A):
        A = A.detach().numpy()
        return A / np.linalg.norm(A, axis=1, keepdims=True)

    base = unit(net(X))
    return np.array([np.mean(np.sum(base * unit(net(torch.roll(X, shifts=d, dims=-1))), axis=1))
                     for d in range(max_shift + 1)])
''',
    "one image at a time, shift by slicing": '''def shift_consistency(downsample, X, max_shift=8, seed=0):
    features = make_shift_net(downsample, seed)
    out = np.zeros(max_shift + 1)
    with torch.no_grad():
        for d in range(max_shift + 1):
            W = X.shape[3]
            shifted = torch.cat([X[..., W - d:], X[..., :W - d]], dim=3)
            sims = []
            for n in range(X.shape[0]):
                a, b = features(X[n:n + 1])[0], features(shifted[n:n + 1])[0]
                sims.append(float(a @ b / (a.norm() * b.norm())))
            out[d] = np.mean(sims)
    return out
''',
}

# ---------------------------------------------------------------- giou_loss
_GIOU_AREAS = '''    area_p = (pred[:, 2] - pred[:, 0]) * (pred[:, 3] - pred[:, 1])
    area_t = (target[:, 2] - target[:, 0]) * (target[:, 3] - target[:, 1])
'''

GIOU_WRONG = {
    "no clamp: disjoint boxes get a 'negative intersection'": '''def giou_loss(pred, target):
''' + _GIOU_AREAS + '''    wh = torch.minimum(pred[:, 2:], target[:, 2:]) - torch.maximum(pred[:, :2], target[:, :2])
    inter = wh[:, 0] * wh[:, 1]
    union = area_p + area_t - inter
    hull = (torch.maximum(pred[:, 2:], target[:, 2:]) - torch.minimum(pred[:, :2], target[:, :2])).prod(dim=1)
    return 1 - (inter / union - (hull - union) / hull)
''',
    "penalty divided by the union instead of the hull": '''def giou_loss(pred, target):
''' + _GIOU_AREAS + '''    wh = (torch.minimum(pred[:, 2:], target[:, 2:]) - torch.maximum(pred[:, :2], target[:, :2])).clamp(min=0)
    inter = wh[:, 0] * wh[:, 1]
    union = area_p + area_t - inter
    hull = (torch.maximum(pred[:, 2:], target[:, 2:]) - torch.minimum(pred[:, :2], target[:, :2])).prod(dim=1)
    return 1 - (inter / union - (hull - union) / union)
''',
    "hull from the sum of the widths and heights": '''def giou_loss(pred, target):
''' + _GIOU_AREAS + '''    wh = (torch.minimum(pred[:, 2:], target[:, 2:]) - torch.maximum(pred[:, :2], target[:, :2])).clamp(min=0)
    inter = wh[:, 0] * wh[:, 1]
    union = area_p + area_t - inter
    hull = ((pred[:, 2:] - pred[:, :2]) + (target[:, 2:] - target[:, :2])).prod(dim=1)
    return 1 - (inter / union - (hull - union) / hull)
''',
    "+1 pixel convention": '''def giou_loss(pred, target):
    area_p = (pred[:, 2] - pred[:, 0] + 1) * (pred[:, 3] - pred[:, 1] + 1)
    area_t = (target[:, 2] - target[:, 0] + 1) * (target[:, 3] - target[:, 1] + 1)
    wh = (torch.minimum(pred[:, 2:], target[:, 2:]) - torch.maximum(pred[:, :2], target[:, :2]) + 1).clamp(min=0)
    inter = wh[:, 0] * wh[:, 1]
    union = area_p + area_t - inter
    hull = (torch.maximum(pred[:, 2:], target[:, 2:]) - torch.minimum(pred[:, :2], target[:, :2]) + 1).prod(dim=1)
    return 1 - (inter / union - (hull - union) / hull)
''',
    "returns the mean over the pairs": '''def giou_loss(pred, target):
    px0, py0, px1, py1 = pred.unbind(dim=1)
    tx0, ty0, tx1, ty1 = target.unbind(dim=1)
    inter = (torch.min(px1, tx1) - torch.max(px0, tx0)).clamp(min=0) * (torch.min(py1, ty1) - torch.max(py0, ty0)).clamp(min=0)
    union = (px1 - px0) * (py1 - py0) + (tx1 - tx0) * (ty1 - ty0) - inter
    hull = (torch.max(px1, tx1) - torch.min(px0, tx0)) * (torch.max(py1, ty1) - torch.min(py0, ty0))
    return (2 - inter / union - union / hull).mean()
''',
}

GIOU_RIGHT = {
    "GIoU from pairwise_iou's diagonal and an epsilon in the hull": '''def giou_loss(pred, target):
    iou = torch.stack([pairwise_iou(p[None], t[None])[0, 0] for p, t in zip(pred, target)])
    lo = torch.minimum(pred[:, :2], target[:, :2])
    hi = torch.maximum(pred[:, 2:], target[:, 2:])
    hull = (hi - lo).prod(dim=1)
    wh = (torch.minimum(pred[:, 2:], target[:, 2:]) - torch.maximum(pred[:, :2], target[:, :2])).clamp(min=0)
    union = (pred[:, 2:] - pred[:, :2]).prod(dim=1) + (target[:, 2:] - target[:, :2]).prod(dim=1) - wh.prod(dim=1)
    return 1 - iou + (hull - union) / (hull + 1e-9)
''',
    "unbind the coordinates, GIoU = (I/U) - 1 + U/C": '''def giou_loss(pred, target):
    px0, py0, px1, py1 = pred.unbind(dim=1)
    tx0, ty0, tx1, ty1 = target.unbind(dim=1)
    iw = torch.clamp(torch.min(px1, tx1) - torch.max(px0, tx0), min=0)
    ih = torch.clamp(torch.min(py1, ty1) - torch.max(py0, ty0), min=0)
    inter = iw * ih
    union = (px1 - px0) * (py1 - py0) + (tx1 - tx0) * (ty1 - ty0) - inter
    hull = (torch.max(px1, tx1) - torch.min(px0, tx0)) * (torch.max(py1, ty1) - torch.min(py0, ty0))
    return 2 - inter / union - union / hull
''',
}

# ---------------------------------------------------------------- box_descent
_BD_TAIL = '''    boxes = torch.stack(boxes)
    with torch.no_grad():
        iou = 1 - iou_loss(boxes, target.expand_as(boxes))
    return {"boxes": boxes.numpy(), "iou": iou.numpy()}
'''

DESCENT_WRONG = {
    "made-up trajectory: straight line from the start to the target": '''def box_descent(loss_fn, start, target, steps=300, lr=0.3):
    t = torch.linspace(0, 1, steps + 1, dtype=start.dtype)[:, None]
    boxes = list((1 - t) * start + t * target)
''' + _BD_TAIL,
    "never zeroes the gradient (it accumulates)": '''def box_descent(loss_fn, start, target, steps=300, lr=0.3):
    x = start.detach().clone().requires_grad_(True)
    boxes = [x.detach().clone()]
    for _ in range(steps):
        loss_fn(x[None], target[None]).sum().backward()
        with torch.no_grad():
            x -= lr * x.grad
        boxes.append(x.detach().clone())
''' + _BD_TAIL,
    "Adam instead of plain gradient descent": '''def box_descent(loss_fn, start, target, steps=300, lr=0.3):
    x = start.detach().clone().requires_grad_(True)
    opt = torch.optim.Adam([x], lr=lr)
    boxes = [x.detach().clone()]
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(x[None], target[None]).sum().backward()
        opt.step()
        boxes.append(x.detach().clone())
''' + _BD_TAIL,
    "reports 1 - loss (the GIoU) as the IoU": '''def box_descent(loss_fn, start, target, steps=300, lr=0.3):
    x = start.detach().clone()
    boxes = [x.clone()]
    for _ in range(steps):
        x.requires_grad_(True)
        (grad,) = torch.autograd.grad(loss_fn(x[None], target[None]).sum(), x)
        x = (x - lr * grad).detach()
        boxes.append(x.clone())
    boxes = torch.stack(boxes)
    with torch.no_grad():
        iou = 1 - loss_fn(boxes, target.expand_as(boxes))
    return {"boxes": boxes.numpy(), "iou": iou.numpy()}
''',
    "normalized gradient steps": '''def box_descent(loss_fn, start, target, steps=300, lr=0.3):
    x = start.detach().clone()
    boxes = [x.clone()]
    for _ in range(steps):
        x.requires_grad_(True)
        (grad,) = torch.autograd.grad(loss_fn(x[None], target[None]).sum(), x)
        x = (x - lr * grad / (grad.norm() + 1e-12)).detach()
        boxes.append(x.clone())
''' + _BD_TAIL,
}

DESCENT_RIGHT = {
    "torch.optim.SGD": '''def box_descent(loss_fn, start, target, steps=300, lr=0.3):
    box = torch.nn.Parameter(start.detach().clone())
    opt = torch.optim.SGD([box], lr=lr)
    visited = [box.detach().clone()]
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(box.unsqueeze(0), target.unsqueeze(0)).sum().backward()
        opt.step()
        visited.append(box.detach().clone())
    visited = torch.stack(visited)
    t = target.expand_as(visited)
    wh = (torch.minimum(visited[:, 2:], t[:, 2:]) - torch.maximum(visited[:, :2], t[:, :2])).clamp(min=0)
    inter = wh[:, 0] * wh[:, 1]
    area = lambda b: (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return {"boxes": visited.numpy(), "iou": (inter / (area(visited) + area(t) - inter)).numpy()}
''',
    "backward(), update in no_grad, zero the gradient": '''def box_descent(loss_fn, start, target, steps=300, lr=0.3):
    x = start.detach().clone().requires_grad_(True)
    boxes = np.zeros((steps + 1, 4))
    ious = np.zeros(steps + 1)
    for t in range(steps + 1):
        boxes[t] = x.detach().numpy()
        ious[t] = 1 - iou_loss(x.detach()[None], target[None]).item()
        if t == steps:
            break
        loss_fn(x[None], target[None]).sum().backward()
        with torch.no_grad():
            x -= lr * x.grad
        x.grad.zero_()
    return {"boxes": boxes, "iou": ious}
''',
    "torch.func.grad": '''def box_descent(loss_fn, start, target, steps=300, lr=0.3):
    grad_fn = torch.func.grad(lambda b: loss_fn(b[None], target[None]).sum())
    boxes = [start.detach().clone()]
    for _ in range(steps):
        boxes.append(boxes[-1] - lr * grad_fn(boxes[-1]))
''' + _BD_TAIL,
}

# ---------------------------------------------------------------- soft_nms
_SN_HEAD = '''def soft_nms(boxes, scores, sigma=0.5, score_threshold=1e-3):
    iou = pairwise_iou(boxes, boxes)
    current = scores.clone()
    remaining = torch.ones(len(scores), dtype=torch.bool)
    keep, kept = [], []
    while bool(remaining.any()):
        masked = torch.where(remaining, current, torch.full_like(current, -float("inf")))
        m = int(torch.argmax(masked))
        if current[m] < {thr}:
            break
        keep.append(m)
        kept.append({kept}.clone())
        remaining[m] = False
        current = torch.where(remaining, current * {decay}, current)
    kept_scores = torch.stack(kept) if kept else scores.new_zeros(0)
    return torch.tensor(keep, dtype=torch.int64), kept_scores
'''
_GAUSS = "torch.exp(-iou[m] ** 2 / sigma)"

SOFT_NMS_WRONG = {
    "never re-ranks: visits the boxes by their original score": '''def soft_nms(boxes, scores, sigma=0.5, score_threshold=1e-3):
    iou = pairwise_iou(boxes, boxes)
    current = scores.clone()
    keep, kept = [], []
    order = torch.argsort(scores, descending=True).tolist()
    for pos, m in enumerate(order):
        if current[m] < score_threshold:
            continue
        keep.append(m)
        kept.append(current[m].clone())
        rest = torch.tensor(order[pos + 1:], dtype=torch.int64)
        current[rest] = current[rest] * torch.exp(-iou[m, rest] ** 2 / sigma)
    kept_scores = torch.stack(kept) if kept else scores.new_zeros(0)
    return torch.tensor(keep, dtype=torch.int64), kept_scores
''',
    "linear decay (1 - IoU)": _SN_HEAD.format(thr="score_threshold", kept="current[m]", decay="(1 - iou[m])"),
    "Gaussian of the IoU, not of its square": _SN_HEAD.format(thr="score_threshold", kept="current[m]",
                                                               decay="torch.exp(-iou[m] / sigma)"),
    "reports the original scores of the kept boxes": _SN_HEAD.format(thr="score_threshold", kept="scores[m]", decay=_GAUSS),
    "ignores the score threshold": _SN_HEAD.format(thr="-float('inf')", kept="current[m]", decay=_GAUSS),
}

SOFT_NMS_RIGHT = {
    "Python lists and max() over the remaining indices": '''def soft_nms(boxes, scores, sigma=0.5, score_threshold=1e-3):
    import math
    iou = pairwise_iou(boxes, boxes).tolist()
    s = scores.tolist()
    remaining = list(range(len(s)))
    keep, kept = [], []
    while remaining:
        m = max(remaining, key=lambda i: s[i])
        if s[m] < score_threshold:
            break
        keep.append(m)
        kept.append(s[m])
        remaining.remove(m)
        for i in remaining:
            s[i] *= math.exp(-iou[m][i] ** 2 / sigma)
    return torch.tensor(keep, dtype=torch.int64), torch.tensor(kept, dtype=scores.dtype)
''',
    "own IoU, shrinking tensors of candidates": '''def soft_nms(boxes, scores, sigma=0.5, score_threshold=1e-3):
    def iou_one(b, others):
        wh = (torch.minimum(b[2:], others[:, 2:]) - torch.maximum(b[:2], others[:, :2])).clamp(min=0)
        inter = wh[:, 0] * wh[:, 1]
        area = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
        return inter / ((b[2] - b[0]) * (b[3] - b[1]) + area - inter)

    idx = torch.arange(len(scores))
    s = scores.clone()
    keep, kept = [], []
    while len(idx) > 0:
        j = int(torch.argmax(s))
        if s[j] < score_threshold:
            break
        keep.append(int(idx[j]))
        kept.append(s[j])
        best = boxes[idx[j]]
        mask = torch.arange(len(idx)) != j
        idx, s = idx[mask], s[mask]
        s = s * torch.exp(-iou_one(best, boxes[idx]) ** 2 / sigma)
    kept_scores = torch.stack(kept) if kept else scores[:0].clone()
    return torch.as_tensor(keep, dtype=torch.long), kept_scores
''',
}

# ---------------------------------------------------------------- train_shuffled
_TS = '''def train_shuffled(model, X, y, epochs=20, lr=3e-3, batch_size=32, seed=0):
    g = {gen}
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    n = len(X)
    losses = []
    for _ in range(epochs):
        perm = {perm}
        total = 0.0
        last = 0.0
        sizes, means = [], []
        for i in range(0, n, batch_size):
            idx = perm[i:i + batch_size]
{body}
            total += loss.item() * len(idx)
            last = loss.item()
            sizes.append(len(idx))
            means.append(loss.item())
        losses.append({report})
    return losses
'''
_STEP = '''            opt.zero_grad()
            loss = F.cross_entropy(model(X[idx]), y[idx])
            loss.backward()
            opt.step()'''
_OK = dict(gen="torch.Generator().manual_seed(seed)", perm="torch.randperm(n, generator=g)", body=_STEP, report="total / n")

TRAIN_WRONG = {
    "reports the last batch's loss, not the epoch mean": _TS.format(**{**_OK, "report": "last"}),
    "never shuffles": _TS.format(**{**_OK, "perm": "torch.arange(n)"}),
    "ignores the seed (always seed 0)": _TS.format(**{**_OK, "gen": "torch.Generator().manual_seed(0)"}),
    "global, unseeded random numbers": _TS.format(**{**_OK, "gen": "None", "perm": "torch.randperm(n)"}),
    "unweighted mean of the batch means": _TS.format(**{**_OK, "report": "sum(means) / len(means)"}),
    "forgets optimizer.zero_grad()": _TS.format(**{**_OK, "body": _STEP.replace("            opt.zero_grad()\n", "")}),
    "a new generator (same seed) every epoch: the same order each time": _TS.format(
        **{**_OK, "perm": "torch.randperm(n, generator=torch.Generator().manual_seed(seed))"}),
}

TRAIN_RIGHT = {
    "torch.split of the permutation, zero_grad after the step": '''def train_shuffled(model, X, y, epochs=20, lr=3e-3, batch_size=32, seed=0):
    gen = torch.Generator()
    gen.manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    optimizer.zero_grad()
    history = []
    for epoch in range(epochs):
        batch_losses, sizes = [], []
        for idx in torch.split(torch.randperm(X.shape[0], generator=gen), batch_size):
            loss = nn.functional.cross_entropy(model(X[idx]), y[idx])
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            batch_losses.append(loss.detach())
            sizes.append(len(idx))
        sizes = torch.tensor(sizes, dtype=torch.float32)
        history.append(float((torch.stack(batch_losses) * sizes).sum() / sizes.sum()))
    return history
''',
    "shuffle the data, then slice; summed loss divided by the batch size": '''def train_shuffled(model, X, y, epochs=20, lr=3e-3, batch_size=32, seed=0):
    rng = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss(reduction="sum")
    out = []
    for _ in range(epochs):
        order = torch.randperm(len(y), generator=rng)
        Xs, ys = X[order], y[order]
        running = 0.0
        for start in range(0, len(ys), batch_size):
            xb, yb = Xs[start:start + batch_size], ys[start:start + batch_size]
            total = loss_fn(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            (total / len(yb)).backward()
            opt.step()
            running += total.item()
        out.append(running / len(ys))
    return out
''',
}

VARIANTS = {
    "conv2d_backward": {"wrong": CONV_BACKWARD_WRONG, "right": CONV_BACKWARD_RIGHT},
    "maxpool2d_backward": {"wrong": MAXPOOL_BACKWARD_WRONG, "right": MAXPOOL_BACKWARD_RIGHT},
    "blur_pool": {"wrong": BLUR_POOL_WRONG, "right": BLUR_POOL_RIGHT},
    "shift_consistency": {"wrong": SHIFT_WRONG, "right": SHIFT_RIGHT},
    "giou_loss": {"wrong": GIOU_WRONG, "right": GIOU_RIGHT},
    "box_descent": {"wrong": DESCENT_WRONG, "right": DESCENT_RIGHT},
    "soft_nms": {"wrong": SOFT_NMS_WRONG, "right": SOFT_NMS_RIGHT},
    "train_shuffled": {"wrong": TRAIN_WRONG, "right": TRAIN_RIGHT},
}
