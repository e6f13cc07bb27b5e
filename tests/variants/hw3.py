"""hw3: plausible wrong answers the hidden tests must reject, and correct ones written differently."""

# ---------------------------------------------------------------- conv2d_forward
_CONV_HEAD = '''def conv2d_forward(X, W, b=None, stride=1, padding=0):
    X = np.asarray(X, dtype=float)
    W = np.asarray(W, dtype=float)
    N, C, H, Wd = X.shape
    O, _, kh, kw = W.shape
    s, p = stride, padding
'''

CONV_FORWARD_WRONG = {
    "flips the kernel (a true convolution)": _CONV_HEAD + '''    W = W[:, :, ::-1, ::-1]
    Ho, Wo = (H + 2 * p - kh) // s + 1, (Wd + 2 * p - kw) // s + 1
    Xp = np.pad(X, ((0, 0), (0, 0), (p, p), (p, p)))
    Y = np.zeros((N, O, Ho, Wo))
    for u in range(kh):
        for v in range(kw):
            Y += np.einsum("nchw,oc->nohw", Xp[:, :, u:u + s * (Ho - 1) + 1:s, v:v + s * (Wo - 1) + 1:s], W[:, :, u, v])
    return Y if b is None else Y + np.asarray(b).reshape(1, O, 1, 1)
''',
    "uses the kernel height for the width too (square kernels only)": _CONV_HEAD + '''    k = kh
    Ho, Wo = (H + 2 * p - k) // s + 1, (Wd + 2 * p - k) // s + 1
    Xp = np.pad(X, ((0, 0), (0, 0), (p, p), (p, p)))
    Y = np.zeros((N, O, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            win = Xp[:, :, s * i:s * i + k, s * j:s * j + k]
            Y[:, :, i, j] = np.einsum("nckl,ockl->no", win, W[:, :, :k, :k])
    return Y if b is None else Y + np.asarray(b).reshape(1, O, 1, 1)
''',
    "adds the bias along the last axis": _CONV_HEAD + '''    Ho, Wo = (H + 2 * p - kh) // s + 1, (Wd + 2 * p - kw) // s + 1
    Xp = np.pad(X, ((0, 0), (0, 0), (p, p), (p, p)))
    Y = np.zeros((N, O, Ho, Wo))
    for u in range(kh):
        for v in range(kw):
            Y += np.einsum("nchw,oc->nohw", Xp[:, :, u:u + s * (Ho - 1) + 1:s, v:v + s * (Wo - 1) + 1:s], W[:, :, u, v])
    return Y if b is None else Y + b
''',
    "accumulates in float32": _CONV_HEAD + '''    Ho, Wo = (H + 2 * p - kh) // s + 1, (Wd + 2 * p - kw) // s + 1
    Xp = np.pad(X, ((0, 0), (0, 0), (p, p), (p, p))).astype(np.float32)
    Y = np.zeros((N, O, Ho, Wo), dtype=np.float32)
    for u in range(kh):
        for v in range(kw):
            Y += np.einsum("nchw,oc->nohw", Xp[:, :, u:u + s * (Ho - 1) + 1:s, v:v + s * (Wo - 1) + 1:s],
                           W[:, :, u, v].astype(np.float32))
    return Y if b is None else Y + np.asarray(b, dtype=np.float32).reshape(1, O, 1, 1)
''',
    "output size counts the padding once": _CONV_HEAD + '''    Ho, Wo = (H + p - kh) // s + 1, (Wd + p - kw) // s + 1
    Xp = np.pad(X, ((0, 0), (0, 0), (p, p), (p, p)))
    Y = np.zeros((N, O, Ho, Wo))
    for u in range(kh):
        for v in range(kw):
            Y += np.einsum("nchw,oc->nohw", Xp[:, :, u:u + s * (Ho - 1) + 1:s, v:v + s * (Wo - 1) + 1:s], W[:, :, u, v])
    return Y if b is None else Y + np.asarray(b).reshape(1, O, 1, 1)
''',
}

CONV_FORWARD_RIGHT = {
    "one output pixel at a time with tensordot": _CONV_HEAD + '''    Ho, Wo = (H + 2 * p - kh) // s + 1, (Wd + 2 * p - kw) // s + 1
    Xp = np.zeros((N, C, H + 2 * p, Wd + 2 * p))
    Xp[:, :, p:p + H, p:p + Wd] = X
    Y = np.empty((N, O, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            window = Xp[:, :, s * i:s * i + kh, s * j:s * j + kw]
            Y[:, :, i, j] = np.tensordot(window, W, axes=([1, 2, 3], [1, 2, 3]))
    if b is not None:
        Y = Y + np.asarray(b, dtype=float)[None, :, None, None]
    return Y
''',
    "im2col with sliding_window_view": _CONV_HEAD + '''    Xp = np.pad(X, ((0, 0), (0, 0), (p, p), (p, p)))
    windows = np.lib.stride_tricks.sliding_window_view(Xp, (kh, kw), axis=(2, 3))[:, :, ::s, ::s]
    Y = np.einsum("nchwuv,ocuv->nohw", windows, W)
    return Y if b is None else Y + np.asarray(b)[:, None, None]
''',
    "stride 1 everywhere, then keep every s-th output": _CONV_HEAD + '''    Xp = np.pad(X, ((0, 0), (0, 0), (p, p), (p, p)))
    H1, W1 = Xp.shape[2] - kh + 1, Xp.shape[3] - kw + 1
    Y = np.zeros((N, O, H1, W1))
    for u in range(kh):
        for v in range(kw):
            Y += np.einsum("nchw,oc->nohw", Xp[:, :, u:u + H1, v:v + W1], W[:, :, u, v])
    Y = Y[:, :, ::s, ::s]
    return Y if b is None else Y + np.asarray(b).reshape(1, -1, 1, 1)
''',
}

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

# ---------------------------------------------------------------- maxpool2d
_POOL_BODY = '''    N, C, H, Wd = X.shape
    Ho, Wo = (H - k) // s + 1, (Wd - k) // s + 1
    Y = np.full((N, C, Ho, Wo), -np.inf)
    for u in range(k):
        for v in range(k):
            Y = np.maximum(Y, X[:, :, u:u + s * (Ho - 1) + 1:s, v:v + s * (Wo - 1) + 1:s])
    return Y
'''

MAXPOOL_WRONG = {
    "running maximum starts at 0": '''def maxpool2d(X, k, stride=None):
    X = np.asarray(X, dtype=float)
    s = k if stride is None else stride
''' + _POOL_BODY.replace("np.full((N, C, Ho, Wo), -np.inf)", "np.zeros((N, C, Ho, Wo))"),
    "ignores the stride argument": '''def maxpool2d(X, k, stride=None):
    X = np.asarray(X, dtype=float)
    s = k
''' + _POOL_BODY,
    "default stride 1 instead of k": '''def maxpool2d(X, k, stride=None):
    X = np.asarray(X, dtype=float)
    s = 1 if stride is None else stride
''' + _POOL_BODY,
    "keeps partial windows at the border (ceil mode)": '''def maxpool2d(X, k, stride=None):
    X = np.asarray(X, dtype=float)
    s = k if stride is None else stride
    N, C, H, Wd = X.shape
    Ho, Wo = -(-(H - k) // s) + 1, -(-(Wd - k) // s) + 1
    Y = np.empty((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            Y[:, :, i, j] = X[:, :, s * i:s * i + k, s * j:s * j + k].max(axis=(2, 3))
    return Y
''',
}

MAXPOOL_RIGHT = {
    "sliding_window_view": '''def maxpool2d(X, k, stride=None):
    s = stride or k
    windows = np.lib.stride_tricks.sliding_window_view(np.asarray(X, dtype=float), (k, k), axis=(2, 3))
    return windows[:, :, ::s, ::s].max(axis=(-2, -1))
''',
    "explicit loops over windows": '''def maxpool2d(X, k, stride=None):
    X = np.asarray(X, dtype=float)
    s = k if stride is None else stride
    N, C, H, Wd = X.shape
    Ho, Wo = (H - k) // s + 1, (Wd - k) // s + 1
    Y = np.empty((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            Y[:, :, i, j] = X[:, :, s * i:s * i + k, s * j:s * j + k].reshape(N, C, -1).max(axis=-1)
    return Y
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

# ---------------------------------------------------------------- box_iou
BOX_IOU_WRONG = {
    "+1 pixel convention for areas": '''def box_iou(boxes1, boxes2):
    area1 = (boxes1[:, 2] - boxes1[:, 0] + 1) * (boxes1[:, 3] - boxes1[:, 1] + 1)
    area2 = (boxes2[:, 2] - boxes2[:, 0] + 1) * (boxes2[:, 3] - boxes2[:, 1] + 1)
    lt = torch.maximum(boxes1[:, None, :2], boxes2[None, :, :2])
    rb = torch.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    wh = (rb - lt + 1).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter / (area1[:, None] + area2[None, :] - inter)
''',
    "no clamp: disjoint boxes get a positive 'intersection'": '''def box_iou(boxes1, boxes2):
    area1 = (boxes1[:, 2] - boxes1[:, 0]) * (boxes1[:, 3] - boxes1[:, 1])
    area2 = (boxes2[:, 2] - boxes2[:, 0]) * (boxes2[:, 3] - boxes2[:, 1])
    lt = torch.maximum(boxes1[:, None, :2], boxes2[None, :, :2])
    rb = torch.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    inter = (rb - lt).prod(dim=-1)
    return inter / (area1[:, None] + area2[None, :] - inter)
''',
    "union forgets to subtract the intersection": '''def box_iou(boxes1, boxes2):
    area1 = (boxes1[:, 2] - boxes1[:, 0]) * (boxes1[:, 3] - boxes1[:, 1])
    area2 = (boxes2[:, 2] - boxes2[:, 0]) * (boxes2[:, 3] - boxes2[:, 1])
    lt = torch.maximum(boxes1[:, None, :2], boxes2[None, :, :2])
    rb = torch.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(dim=-1)
    return inter / (area1[:, None] + area2[None, :])
''',
    "a double loop (correct values, but loops are not allowed)": '''def box_iou(boxes1, boxes2):
    out = torch.zeros(len(boxes1), len(boxes2), dtype=boxes1.dtype)
    for i, a in enumerate(boxes1):
        for j, b in enumerate(boxes2):
            w = (torch.minimum(a[2], b[2]) - torch.maximum(a[0], b[0])).clamp(min=0)
            h = (torch.minimum(a[3], b[3]) - torch.maximum(a[1], b[1])).clamp(min=0)
            inter = w * h
            out[i, j] = inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)
    return out
''',
    "matched pairs instead of all pairs": '''def box_iou(boxes1, boxes2):
    area1 = (boxes1[:, 2] - boxes1[:, 0]) * (boxes1[:, 3] - boxes1[:, 1])
    area2 = (boxes2[:, 2] - boxes2[:, 0]) * (boxes2[:, 3] - boxes2[:, 1])
    lt = torch.maximum(boxes1[:, :2], boxes2[:, :2])
    rb = torch.minimum(boxes1[:, 2:], boxes2[:, 2:])
    inter = (rb - lt).clamp(min=0).prod(dim=-1)
    return inter / (area1 + area2 - inter)
''',
}

BOX_IOU_RIGHT = {
    "torchvision.ops.box_iou": '''import torchvision


def box_iou(boxes1, boxes2):
    return torchvision.ops.box_iou(boxes1, boxes2)
''',
    "unbind the coordinates": '''def box_iou(boxes1, boxes2):
    ax0, ay0, ax1, ay1 = boxes1[:, None, :].unbind(dim=2)  # each (N, 1)
    bx0, by0, bx1, by1 = boxes2[None, :, :].unbind(dim=2)  # each (1, M)
    w = torch.clamp(torch.minimum(ax1, bx1) - torch.maximum(ax0, bx0), min=0)
    h = torch.clamp(torch.minimum(ay1, by1) - torch.maximum(ay0, by0), min=0)
    inter = w * h
    union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter
    return inter / union
''',
}

# ---------------------------------------------------------------- nms
NMS_WRONG = {
    "suppresses at IoU equal to the threshold (>=)": '''def nms(boxes, scores, iou_threshold):
    order = torch.argsort(scores, descending=True)
    iou = box_iou(boxes, boxes)
    suppressed = torch.zeros(len(scores), dtype=torch.bool)
    keep = []
    for i in order.tolist():
        if not suppressed[i]:
            keep.append(i)
            suppressed |= iou[i] >= iou_threshold
    return torch.tensor(keep, dtype=torch.int64)
''',
    "suppressed boxes suppress too (vectorized over higher scores)": '''def nms(boxes, scores, iou_threshold):
    order = torch.argsort(scores, descending=True)
    iou = box_iou(boxes[order], boxes[order])
    higher = torch.triu(iou, diagonal=1)  # row i: overlaps with lower-scoring boxes
    suppressed = (higher > iou_threshold).any(dim=0)
    return order[~suppressed]
''',
    "returns the kept indices in index order": '''def nms(boxes, scores, iou_threshold):
    order = torch.argsort(scores, descending=True)
    iou = box_iou(boxes, boxes)
    suppressed = torch.zeros(len(scores), dtype=torch.bool)
    keep = []
    for i in order.tolist():
        if not suppressed[i]:
            keep.append(i)
            suppressed |= iou[i] > iou_threshold
    return torch.tensor(sorted(keep), dtype=torch.int64)
''',
    "returns positions in the sorted order, not original indices": '''def nms(boxes, scores, iou_threshold):
    order = torch.argsort(scores, descending=True)
    boxes = boxes[order]
    iou = box_iou(boxes, boxes)
    suppressed = torch.zeros(len(scores), dtype=torch.bool)
    keep = []
    for i in range(len(boxes)):
        if not suppressed[i]:
            keep.append(i)
            suppressed |= iou[i] > iou_threshold
    return torch.tensor(keep, dtype=torch.int64)
''',
    "visits the boxes by increasing score": '''def nms(boxes, scores, iou_threshold):
    order = torch.argsort(scores)
    iou = box_iou(boxes, boxes)
    suppressed = torch.zeros(len(scores), dtype=torch.bool)
    keep = []
    for i in order.tolist():
        if not suppressed[i]:
            keep.append(i)
            suppressed |= iou[i] > iou_threshold
    return torch.tensor(keep, dtype=torch.int64)
''',
    "returns a Python list": '''def nms(boxes, scores, iou_threshold):
    order = torch.argsort(scores, descending=True)
    iou = box_iou(boxes, boxes)
    suppressed = torch.zeros(len(scores), dtype=torch.bool)
    keep = []
    for i in order.tolist():
        if not suppressed[i]:
            keep.append(i)
            suppressed |= iou[i] > iou_threshold
    return keep
''',
}

NMS_RIGHT = {
    "torchvision.ops.nms": '''import torchvision


def nms(boxes, scores, iou_threshold):
    return torchvision.ops.nms(boxes, scores, iou_threshold)
''',
    "shrinking candidate list": '''def nms(boxes, scores, iou_threshold):
    remaining = torch.argsort(scores, descending=True)
    keep = []
    while remaining.numel() > 0:
        best = remaining[0]
        keep.append(int(best))
        rest = remaining[1:]
        if rest.numel() == 0:
            break
        iou = box_iou(boxes[best].unsqueeze(0), boxes[rest])[0]
        remaining = rest[iou <= iou_threshold]
    return torch.tensor(keep, dtype=torch.long)
''',
    "compare with kept boxes only": '''def nms(boxes, scores, iou_threshold):
    keep = []
    for i in sorted(range(len(scores)), key=lambda j: -float(scores[j])):
        if all(float(box_iou(boxes[i:i + 1], boxes[j:j + 1])) <= iou_threshold for j in keep):
            keep.append(i)
    return torch.as_tensor(keep, dtype=torch.int64)
''',
}

# ---------------------------------------------------------------- DigitsCNN
_CNN_INIT = '''class DigitsCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
        self.fc = nn.Linear({fc_in}, 10)

    def forward(self, X):
'''

CNN_WRONG = {
    "forgets the ReLUs": _CNN_INIT.format(fc_in=128) + '''        X = F.max_pool2d(self.conv1(X), 2)
        X = F.max_pool2d(self.conv2(X), 2)
        return self.fc(torch.flatten(X, 1))
''',
    "flattens in channels-last order": _CNN_INIT.format(fc_in=128) + '''        X = F.max_pool2d(F.relu(self.conv1(X)), 2)
        X = F.max_pool2d(F.relu(self.conv2(X)), 2)
        return self.fc(X.permute(0, 2, 3, 1).reshape(X.shape[0], -1))
''',
    "applies a softmax to the output": _CNN_INIT.format(fc_in=128) + '''        X = F.max_pool2d(F.relu(self.conv1(X)), 2)
        X = F.max_pool2d(F.relu(self.conv2(X)), 2)
        return torch.softmax(self.fc(torch.flatten(X, 1)), dim=1)
''',
    "flattens the batch dimension too": _CNN_INIT.format(fc_in=128) + '''        X = F.max_pool2d(F.relu(self.conv1(X)), 2)
        X = F.max_pool2d(F.relu(self.conv2(X)), 2)
        return self.fc(torch.flatten(X))
''',
    "linear layer sized for one pooling (32*4*4)": _CNN_INIT.format(fc_in="32 * 4 * 4") + '''        X = F.max_pool2d(F.relu(self.conv1(X)), 2)
        X = F.max_pool2d(F.relu(self.conv2(X)), 2)
        return self.fc(X.view(X.shape[0], -1))
''',
}

CNN_RIGHT = {
    "nn.Sequential": '''class DigitsCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(128, 10))

    def forward(self, X):
        return self.net(X)
''',
    "ReLU after pooling (they commute), view to flatten": _CNN_INIT.format(fc_in=128) + '''        X = torch.relu(nn.functional.max_pool2d(self.conv1(X), kernel_size=2))
        X = torch.relu(nn.functional.max_pool2d(self.conv2(X), kernel_size=2))
        return self.fc(X.view(X.size(0), -1))
''',
}

# ---------------------------------------------------------------- train_model
_TRAIN = '''def train_model(model, X, y, epochs=20, lr=3e-3, batch_size=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    n = len(X)
    losses = []
    for _ in range(epochs):
        perm = torch.randperm(n, generator=g)
        total = 0.0
        for i in range(0, n, batch_size):
            idx = perm[i:i + batch_size]
{body}
            total += loss.item() * len(idx)
{after}
        losses.append(total / n)
    return losses
'''

TRAIN_WRONG = {
    "forgets optimizer.zero_grad()": _TRAIN.format(body='''            loss = F.cross_entropy(model(X[idx]), y[idx])
            loss.backward()
            opt.step()''', after=""),
    "nll_loss on raw logits (no log-softmax)": _TRAIN.format(body='''            opt.zero_grad()
            loss = F.nll_loss(model(X[idx]), y[idx])
            loss.backward()
            opt.step()''', after=""),
    "shuffles the images but not the labels": _TRAIN.format(body='''            opt.zero_grad()
            loss = F.cross_entropy(model(X[idx]), y[i:i + batch_size])
            loss.backward()
            opt.step()''', after=""),
    "one optimizer step per epoch": _TRAIN.format(body='''            loss = F.cross_entropy(model(X[idx]), y[idx])
            loss.backward()''', after='''        opt.step()
        opt.zero_grad()'''),
}

TRAIN_RIGHT = {
    "DataLoader with a seeded generator": '''from torch.utils.data import DataLoader, TensorDataset


def train_model(model, X, y, epochs=20, lr=3e-3, batch_size=32, seed=0):
    loader = DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss(reduction="sum")
    losses = []
    for epoch in range(epochs):
        total = 0.0
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad(set_to_none=True)
            (loss / len(xb)).backward()
            optimizer.step()
            total += loss.item()
        losses.append(total / len(X))
    return losses
''',
    "torch.split of the permutation, zero_grad after the step": '''def train_model(model, X, y, epochs=20, lr=3e-3, batch_size=32, seed=0):
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
}

VARIANTS = {
    "conv2d_forward": {"wrong": CONV_FORWARD_WRONG, "right": CONV_FORWARD_RIGHT},
    "conv2d_backward": {"wrong": CONV_BACKWARD_WRONG, "right": CONV_BACKWARD_RIGHT},
    "maxpool2d": {"wrong": MAXPOOL_WRONG, "right": MAXPOOL_RIGHT},
    "maxpool2d_backward": {"wrong": MAXPOOL_BACKWARD_WRONG, "right": MAXPOOL_BACKWARD_RIGHT},
    "box_iou": {"wrong": BOX_IOU_WRONG, "right": BOX_IOU_RIGHT},
    "nms": {"wrong": NMS_WRONG, "right": NMS_RIGHT},
    "DigitsCNN": {"wrong": CNN_WRONG, "right": CNN_RIGHT},
    "train_model": {"wrong": TRAIN_WRONG, "right": TRAIN_RIGHT},
}
